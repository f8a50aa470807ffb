"""Rules of the configuration that need what the two orgs report: views, custom fields,
currencies, and whether this Billing org is the first one linked to the CRM org.

Pure functions over plain data, so the service can fetch once and the tests can state cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from zsync_tui.sync.config import ConfigError, IntegrationConfig


@dataclass(frozen=True)
class RemoteFacts:
    """What the checks need to know about the connected orgs."""

    views: Mapping[str, Iterable[Mapping[str, str]]] = field(default_factory=dict)
    #: None when the Billing API offers no way to list them: checked at write time instead.
    billing_custom_fields: tuple[str, ...] | None = ()
    crm_multi_currency: bool = False
    crm_base_currency: str | None = None
    billing_currency: str | None = None
    is_secondary_billing_org: bool = False


def resolve_view(views: Iterable[Mapping[str, str]], wanted: str) -> str | None:
    """The id of the view named or numbered `wanted`, or None when the CRM has no such view."""
    for view in views:
        names = {str(view.get("id")), view.get("name"), view.get("display_value")}
        names |= {view.get("system_name")}
        if wanted in names:
            return str(view["id"])
    return None


def check_against_remote(config: IntegrationConfig, facts: RemoteFacts) -> list[tuple[str, str]]:
    """Problems (key, reason) of `config` against the orgs; empty when it can be saved."""
    problems: list[tuple[str, str]] = []
    for key, module in (("account_view", "Accounts"), ("contact_view", "Contacts")):
        wanted = getattr(config, key)
        if wanted is None:
            continue
        views = list(facts.views.get(module, ()))
        if resolve_view(views, wanted) is None:
            names = ", ".join(sorted(str(v.get("display_value") or v.get("name")) for v in views))
            problems.append(
                (key, f"CRM has no {module} view {wanted!r} (views: {names or 'none'})")
            )
    existing = set(facts.billing_custom_fields or ())
    for index, entry in enumerate(config.field_map):
        if facts.billing_custom_fields is None:
            break
        if entry.is_custom and entry.custom_label not in existing:
            listed = ", ".join(sorted(existing)) or "none yet"
            problems.append(
                (
                    f"field_map.{index}.billing",
                    f"Billing has no custom field {entry.custom_label!r}; create it in Billing "
                    f"first (custom fields that exist: {listed})",
                )
            )
    if facts.crm_multi_currency and (
        facts.crm_base_currency
        and facts.billing_currency
        and facts.crm_base_currency.upper() != facts.billing_currency.upper()
    ):
        problems.append(
            (
                "currency",
                f"CRM uses multi-currency with base {facts.crm_base_currency} but Billing's "
                f"currency is {facts.billing_currency}; the base currencies must match",
            )
        )
    if facts.is_secondary_billing_org and config.direction != "fetch_from_crm":
        problems.append(
            (
                "direction",
                "this Billing org is not the first linked to this CRM org; it can only "
                "fetch_from_crm (one-way, no transaction sync)",
            )
        )
    return problems


def ensure_valid_against_remote(config: IntegrationConfig, facts: RemoteFacts) -> None:
    problems = check_against_remote(config, facts)
    if problems:
        raise ConfigError(problems)
