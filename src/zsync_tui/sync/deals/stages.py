"""Reading the CRM's deal stages: the probability of each (Stage picklist, fields API) and the
stages the pipeline actually uses (pipeline API), and refusing a trigger configuration that
names a stage the CRM does not have."""

from __future__ import annotations

import logging
from typing import Any

from zsync_tui.sync.config import ConfigError
from zsync_tui.sync.deals.config import TriggerConfig, check_stages
from zsync_tui.sync.deals.model import StageMap
from zsync_tui.zoho.errors import NotFound, ZohoError

log = logging.getLogger(__name__)


async def read_stage_map(crm: Any) -> StageMap:
    """The stage→probability map from the Deals Stage picklist (one CRM call)."""
    infos = await crm.stage_probabilities()
    return StageMap({name: info.probability for name, info in infos.items()})


async def pipeline_stage_names(crm: Any) -> list[str] | None:
    """Stage names of every Deals pipeline, or None when the CRM has no pipeline API for us."""
    try:
        pipelines = await crm.pipelines()
    except (NotFound, ZohoError) as exc:
        log.info("no pipeline stages (%s); using the Stage picklist", exc)
        return None
    names: list[str] = []
    for pipeline in pipelines:
        for stage in pipeline.get("maps") or []:
            if isinstance(stage, dict):
                name = stage.get("actual_value") or stage.get("display_value")
                if name and name not in names:
                    names.append(str(name))
    return names or None


async def stage_problems(config: TriggerConfig | None, crm: Any) -> list[tuple[str, str]]:
    """(key, reason) for every stage `config` names that the CRM pipeline lacks (listing the
    stages that exist); empty when the triggers are off or fine. For `save_config` checks."""
    if config is None or not config.enabled:
        return []
    stages = await read_stage_map(crm)
    return check_stages(config, await _known_stages(crm, stages))


async def _known_stages(crm: Any, stages: StageMap) -> dict[str, int | None]:
    in_pipeline = await pipeline_stage_names(crm)
    if in_pipeline is None:
        return dict(stages.probabilities)
    return {name: stages.probability(name) for name in in_pipeline}


async def validate_against_crm(config: TriggerConfig, crm: Any) -> StageMap:
    """The stage map, after checking every stage `config` names exists in the CRM pipeline;
    raises `ConfigError` listing the stages that do exist otherwise."""
    stages = await read_stage_map(crm)
    problems = check_stages(config, await _known_stages(crm, stages))
    if problems:
        raise ConfigError(problems)
    return stages
