"""CRM custom views: predefined ones (All, My, Recently Created, ...) and user views whose
criteria, in the JSON form the custom_views API returns, the sandbox evaluates."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from zsync_tui.sandbox.catalog import MODULE_IDS
from zsync_tui.sandbox.clock import crm_time
from zsync_tui.sandbox.criteria import compare, field_value
from zsync_tui.sandbox.responses import crm_error
from zsync_tui.sandbox.world import Record

if TYPE_CHECKING:
    from zsync_tui.sandbox.state import Sandbox

Predicate = Callable[[Record], bool]
VIEW_ID_BASE = 4876876000000090000
RECENT_DAYS = 7
# JSON comparator names (custom views, bulk read) → the search comparators.
COMPARATORS = {
    "equal": "equals",
    "not_equal": "not_equal",
    "starts_with": "starts_with",
    "in": "in",
    "not_in": "not_in",
    "greater_than": "greater_than",
    "greater_equal": "greater_equal",
    "less_than": "less_than",
    "less_equal": "less_equal",
    "between": "between",
}
USER_VIEWS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "Accounts": [
        (
            "Customer Accounts",
            {"comparator": "equal", "field": {"api_name": "Account_Type"}, "value": "Customer"},
        ),
        (
            "Partners and Prospects",
            {
                "group_operator": "or",
                "group": [
                    {
                        "comparator": "equal",
                        "field": {"api_name": "Account_Type"},
                        "value": "Partner",
                    },
                    {
                        "comparator": "equal",
                        "field": {"api_name": "Account_Type"},
                        "value": "Prospect",
                    },
                ],
            },
        ),
    ],
    "Contacts": [
        (
            "Finance Contacts",
            {"comparator": "equal", "field": {"api_name": "Department"}, "value": "Finance"},
        ),
    ],
    "Deals": [
        (
            "Open Deals",
            {
                "comparator": "not_in",
                "field": {"api_name": "Stage"},
                "value": ["Closed Won", "Closed Lost"],
            },
        ),
        (
            "Won Deals",
            {"comparator": "equal", "field": {"api_name": "Stage"}, "value": "Closed Won"},
        ),
    ],
}
PREDEFINED = ("All", "My", "Recently Created", "Recently Modified", "Unread")


def build_views() -> dict[str, list[Record]]:
    """Every module's views, predefined first; ids are stable per module and position."""
    views: dict[str, list[Record]] = {}
    for offset, module in enumerate(("Accounts", "Contacts", "Deals")):
        entries: list[Record] = []
        for position, name in enumerate(PREDEFINED):
            entries.append(
                _view(
                    offset,
                    position,
                    module,
                    f"{name} {module}",
                    name.lower().replace(" ", "_"),
                    None,
                    True,
                )
            )
        for position, (name, criteria) in enumerate(USER_VIEWS[module], start=len(PREDEFINED)):
            entries.append(_view(offset, position, module, name, None, criteria, False))
        entries[0]["default"] = True
        views[module] = entries
    return views


def _view(
    offset: int,
    position: int,
    module: str,
    name: str,
    system_name: str | None,
    criteria: dict[str, Any] | None,
    system_defined: bool,
) -> Record:
    return {
        "id": str(VIEW_ID_BASE + offset * 100 + position),
        "name": name,
        "display_value": name,
        "system_name": system_name,
        "category": "public_views",
        "default": False,
        "system_defined": system_defined,
        "criteria": criteria,
        "module": {"api_name": module, "id": MODULE_IDS[module]},
        # No view of its own sorts: null, as for the audit fields (the OAS's objects require
        # keys the sandbox would have to invent; `{}` matched neither).
        "sort_by": None,
        "sort_order": None,
        "access_type": "public",
        "favorite": None,
        "offline": False,
        "locked": False,
        "shared_to": [],
        "fields": [],
        "created_time": None,
        "modified_time": None,
        "last_accessed_time": None,
        "created_by": None,
        "modified_by": None,
    }


def find_view(sandbox: Sandbox, module: str, view_id: str) -> Record:
    """A module's view by id; INVALID_DATA naming `cvid` when there is none."""
    for view in sandbox.world.custom_views.get(module, []):
        if view["id"] == view_id:
            return view
    raise crm_error(400, "INVALID_DATA", "the cvid given seems to be invalid", {"param": "cvid"})


def view_predicate(sandbox: Sandbox, module: str, view_id: str) -> Predicate | None:
    """The filter a view applies; None for a view that shows everything."""
    view = find_view(sandbox, module, view_id)
    system = view.get("system_name")
    if system == "my":
        user_id = sandbox.world.current_user()["id"]
        return lambda r: (r.get("Owner") or {}).get("id") == user_id
    if system in ("recently_created", "recently_modified"):
        since = crm_time(sandbox.now() - RECENT_DAYS * 86400)
        field = "Created_Time" if system == "recently_created" else "Modified_Time"
        return lambda r: (r.get(field) or "") >= since
    if system == "unread":
        return lambda r: False  # the API never "reads" a record in a browser
    if view.get("criteria"):
        return criteria_predicate(view["criteria"])
    return None


def criteria_predicate(criteria: dict[str, Any]) -> Predicate:
    """A predicate for a JSON criteria object (`comparator`/`field`/`value` or `group`)."""
    if "group" in criteria:
        parts = [criteria_predicate(part) for part in criteria["group"]]
        if str(criteria.get("group_operator", "and")).lower() == "or":
            return lambda r: any(p(r) for p in parts)
        return lambda r: all(p(r) for p in parts)
    op = COMPARATORS.get(str(criteria.get("comparator")), "equals")
    field = str((criteria.get("field") or {}).get("api_name", ""))
    value = criteria.get("value")
    values = value if isinstance(value, list) else [value]
    return lambda r: compare(op, field_value(r, field), field, [str(v) for v in values])
