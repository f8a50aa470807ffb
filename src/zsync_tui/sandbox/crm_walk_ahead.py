"""The next page of a CRM record walk, rendered ahead (see `read_ahead`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from zsync_tui.sandbox.crm_common import projector
from zsync_tui.sandbox.crm_pages import (
    PAGE_LIMIT,
    Page,
    ViewSpec,
    page_by_number,
    page_by_token,
    page_info,
)
from zsync_tui.sandbox.read_ahead import Rendered, follow_up_keys
from zsync_tui.sandbox.responses import ApiError, dumps
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CrmModule


def list_body(
    sandbox: Sandbox, page: Page, per_page: int, spec: ViewSpec, fields: list[str] | None
) -> bytes:
    """A list answer: the page's records with the asked fields, then its `info`."""
    return dumps(
        {
            "data": list(map(projector(fields), page.records)),
            "info": page_info(sandbox, page, per_page, spec),
        }
    )


@dataclass(frozen=True)
class WalkAhead:
    """What stays the same from one page of a walk to the next."""

    sandbox: Sandbox
    module: CrmModule
    spec: ViewSpec
    per_page: int
    fields: list[str] | None
    query: list[tuple[str, str]]
    if_modified_since: str

    def plan_after(self, page: Page) -> None:
        """Render the page after `page` once the sandbox is idle."""
        token = page.next_token
        if token is not None:
            self.sandbox.read_ahead.plan(partial(self._render, token, page.page_number + 1))

    def _render(self, token: str, number: int) -> None:
        """The answer to the walk's next request, as `list_records` would give it now.

        The walk goes on with `token`, or by page `number` below 2,000 records. The token
        continues after the last record served, whatever was written since; the number counts
        from the top, so it is kept only when it gives the same answer."""
        sandbox, module, spec = self.sandbox, self.module, self.spec
        if sandbox.world.crm.get(module.name) is not module:
            return
        try:
            page = page_by_token(sandbox, module, spec, token, self.per_page)
        except ApiError:
            return
        if not page.records:
            return
        numbered: int | None = None
        if number * self.per_page <= PAGE_LIMIT:
            same = page_by_number(sandbox, module, spec, number, self.per_page)
            if (same.served, same.more, len(same.records)) == (
                page.served,
                page.more,
                len(page.records),
            ) and all(a is b for a, b in zip(same.records, page.records, strict=True)):
                numbered = number
        keys = follow_up_keys(module.name, self.query, self.if_modified_since, token, numbered)
        body = list_body(sandbox, page, self.per_page, spec, self.fields)
        follow_up = partial(self.plan_after, page) if page.next_token else None
        sandbox.read_ahead.store(
            keys, Rendered(module, module.version, sandbox.now(), body, follow_up)
        )
