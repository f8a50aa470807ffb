"""CRM settings, org and users: the reads that describe the CRM rather than its records."""

from __future__ import annotations

from typing import Any

from zsync_tui.zoho.crm_query import checked_id, module_name
from zsync_tui.zoho.errors import MalformedResponse, NotFound
from zsync_tui.zoho.models import CrmOrg, CrmUser, StageInfo
from zsync_tui.zoho.transport import ZohoTransport

PER_PAGE = 200


class CrmMetadata:
    """Fields, views, pipelines, the org and its users; `CrmClient` builds on it."""

    def __init__(self, transport: ZohoTransport) -> None:
        self.transport = transport

    async def _get(
        self, path: str, params: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        return await self.transport.read_json(path, params=params, headers=headers)

    @staticmethod
    def _list(body: dict[str, Any] | None, key: str) -> list[dict[str, Any]]:
        if body is None:
            return []
        items = body.get(key)
        if not isinstance(items, list):
            raise MalformedResponse(f"the CRM answer has no {key!r} list", str(body)[:200])
        return items

    async def fields(self, module: str) -> list[dict[str, Any]]:
        """Field metadata (`api_name`, `data_type`, `pick_list_values`, …)."""
        return self._list(
            await self._get("/settings/fields", {"module": module_name(module)}), "fields"
        )

    async def stage_probabilities(self) -> dict[str, StageInfo]:
        """Deals Stage → probability and forecast type, from the Stage picklist."""
        for field in await self.fields("Deals"):
            if field.get("api_name") == "Stage":
                values = field.get("pick_list_values") or []
                stages = [StageInfo.from_wire(v) for v in values if isinstance(v, dict)]
                return {stage.name: stage for stage in stages}
        raise NotFound("the Deals module has no Stage field visible to this user", side="crm")

    async def custom_views(self, module: str) -> list[dict[str, Any]]:
        """The module's custom views (record lists take `cvid=<id>`)."""
        body = await self._get("/settings/custom_views", {"module": module_name(module)})
        return self._list(body, "custom_views")

    async def layouts(self, module: str) -> list[dict[str, Any]]:
        body = await self._get("/settings/layouts", {"module": module_name(module)})
        return self._list(body, "layouts")

    async def pipelines(self, layout_id: str | None = None) -> list[dict[str, Any]]:
        """Deal pipelines with their stages (`maps`), for one layout or every Deals layout."""
        layout_ids = (
            [layout_id]
            if layout_id
            else [str(layout["id"]) for layout in await self.layouts("Deals") if "id" in layout]
        )
        pipelines: list[dict[str, Any]] = []
        for current in layout_ids:
            body = await self._get("/settings/pipeline", {"layout_id": checked_id(current)})
            pipelines += self._list(body, "pipeline")
        return pipelines

    async def org(self) -> CrmOrg:
        """The organization: name, base currency, multi-currency, edition."""
        orgs = self._list(await self._get("/org"), "org")
        if not orgs:
            raise MalformedResponse("the CRM org answer is empty", "{}", side="crm")
        return CrmOrg.from_wire(orgs[0])

    async def current_user(self) -> CrmUser:
        """The user the token belongs to."""
        users = self._list(await self._get("/users", {"type": "CurrentUser"}), "users")
        if not users:
            raise MalformedResponse("the CRM current-user answer is empty", "{}", side="crm")
        return CrmUser.from_wire(users[0])

    async def user_by_email(self, email: str) -> CrmUser | None:
        """The active user with this email (case-insensitive), or None."""
        wanted = email.strip().lower()
        page = 1
        while True:
            params = {"type": "ActiveUsers", "page": page, "per_page": PER_PAGE}
            body = await self._get("/users", params)
            for user in self._list(body, "users"):
                if str(user.get("email", "")).lower() == wanted:
                    return CrmUser.from_wire(user)
            if not ((body or {}).get("info") or {}).get("more_records"):
                return None
            page += 1
