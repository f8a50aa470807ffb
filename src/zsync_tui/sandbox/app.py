"""The sandbox as one Starlette application: Accounts, CRM v8, Billing v1 and `/_sandbox/`."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from zsync_tui.sandbox import accounts, admin, billing_customers, crm_records
from zsync_tui.sandbox.options import SandboxOptions
from zsync_tui.sandbox.pipeline import SandboxPipeline
from zsync_tui.sandbox.responses import ApiError, crm_error_body, json_reply
from zsync_tui.sandbox.state import Sandbox
from zsync_tui.sandbox.world import CRM_MODULES

CRM = "/crm/v8"
BILLING = "/billing/v1"
_LIST_PREFIX = CRM + "/"
_LIST_SEGMENTS = frozenset(name.lower() for name in CRM_MODULES)


def _crm_routes() -> list[BaseRoute]:
    from zsync_tui.sandbox import crm_meta, crm_query, crm_search, crm_settings

    r = crm_records
    s = crm_search
    return [
        Route(f"{CRM}/coql", crm_query.coql, methods=["POST"]),
        Route(f"{CRM}/settings/modules", crm_meta.modules, methods=["GET"]),
        Route(f"{CRM}/settings/modules/{{module}}", crm_meta.module_detail, methods=["GET"]),
        Route(f"{CRM}/settings/fields", crm_meta.fields, methods=["GET"]),
        Route(f"{CRM}/settings/custom_views", crm_settings.custom_views, methods=["GET"]),
        Route(
            f"{CRM}/settings/custom_views/{{view_id}}", crm_settings.custom_view, methods=["GET"]
        ),
        Route(f"{CRM}/settings/pipeline", crm_settings.pipeline, methods=["GET"]),
        Route(f"{CRM}/settings/layouts", crm_meta.layouts, methods=["GET"]),
        Route(f"{CRM}/org", crm_settings.org, methods=["GET"]),
        Route(f"{CRM}/users", crm_settings.users, methods=["GET"]),
        Route(f"{CRM}/users/{{user_id}}", crm_settings.user, methods=["GET"]),
        Route(f"{CRM}/{{module}}/upsert", r.upsert_records, methods=["POST"]),
        Route(f"{CRM}/{{module}}/deleted", s.deleted_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/search", s.search_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/actions/count", s.count_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}/{{related}}", s.related_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}", r.get_record, methods=["GET"]),
        Route(f"{CRM}/{{module}}/{{record_id}}", r.update_record, methods=["PUT"]),
        Route(f"{CRM}/{{module}}/{{record_id}}", r.delete_record, methods=["DELETE"]),
        Route(f"{CRM}/{{module}}", r.list_records, methods=["GET"]),
        Route(f"{CRM}/{{module}}", r.insert_records, methods=["POST"]),
        Route(f"{CRM}/{{module}}", r.update_records, methods=["PUT"]),
        Route(f"{CRM}/{{module}}", r.delete_records, methods=["DELETE"]),
    ]


def _billing_routes() -> list[BaseRoute]:
    from zsync_tui.sandbox import billing_documents as d

    c = billing_customers
    customer = f"{BILLING}/customers/{{customer_id}}"
    person = f"{customer}/contactpersons/{{contactperson_id}}"
    return [
        Route(f"{BILLING}/organizations", c.organizations, methods=["GET"]),
        Route(f"{BILLING}/customers", c.list_customers, methods=["GET"]),
        Route(f"{BILLING}/customers", c.create_customer, methods=["POST"]),
        Route(
            f"{BILLING}/customers/reference/{{reference_id}}",
            c.customer_by_reference,
            methods=["GET"],
        ),
        Route(customer, c.get_customer, methods=["GET"]),
        Route(customer, c.update_customer, methods=["PUT"]),
        Route(customer, c.delete_customer, methods=["DELETE"]),
        Route(f"{customer}/markasactive", c.mark_customer, methods=["POST"]),
        Route(f"{customer}/markasinactive", c.mark_customer, methods=["POST"]),
        Route(f"{customer}/contactpersons", c.list_persons, methods=["GET"]),
        Route(f"{customer}/contactpersons", c.create_person, methods=["POST"]),
        Route(person, c.get_person, methods=["GET"]),
        Route(person, c.update_person, methods=["PUT"]),
        Route(person, c.delete_person, methods=["DELETE"]),
        *d.routes(BILLING),
    ]


def _admin_routes() -> list[BaseRoute]:
    a = admin
    return [
        Route("/_sandbox/stats", a.stats, methods=["GET"]),
        Route("/_sandbox/reset", a.reset, methods=["POST"]),
        Route("/_sandbox/faults", a.faults, methods=["GET", "POST"]),
        Route("/_sandbox/budgets", a.budgets, methods=["GET", "POST"]),
        Route("/_sandbox/clock", a.clock, methods=["GET", "POST"]),
        Route("/_sandbox/state/save", a.save_state, methods=["POST"]),
        Route("/_sandbox/state/load", a.load_state, methods=["POST"]),
        Route("/_sandbox/grant_code", a.grant_code, methods=["POST"]),
        Route("/_sandbox/tokens/expire", a.expire_tokens, methods=["POST"]),
        Route("/_sandbox/credentials", a.credentials, methods=["GET"]),
        Route("/_sandbox/duplicates", a.duplicates, methods=["GET"]),
        Route("/_sandbox/invoices/{invoice_id}/pay", a.pay_invoice, methods=["POST"]),
    ]


class DirectListRoute:
    """GET /crm/v8/{module} for a module the sandbox serves, straight to `list_records`.

    A sync's walk calls this route hundreds of times in a row; Starlette would first try the
    twenty routes above it and pass through its exception layer. The handler, its checks and
    its error replies are the same: the pipeline around this still authenticates, admits,
    delays and counts the call. Every other request goes on to the router."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope["path"]
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and path.startswith(_LIST_PREFIX)
            and path[len(_LIST_PREFIX) :].lower() in _LIST_SEGMENTS
        ):
            scope["path_params"] = {"module": path[len(_LIST_PREFIX) :]}
            try:
                response = await crm_records.list_records(Request(scope, receive))
            except ApiError as exc:
                response = json_reply(exc.body, exc.status, exc.headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _api_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return json_reply(exc.body, exc.status, exc.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods, in the family's own error shape."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(BILLING):
        message = "Invalid URL Passed" if exc.status_code == 404 else "Method not allowed"
        return json_reply(
            {"code": 5 if exc.status_code == 404 else 37, "message": message}, exc.status_code
        )
    if exc.status_code == 405:
        body = crm_error_body(
            "INVALID_REQUEST_METHOD", "The http request method type is not a valid one", {}
        )
    else:
        body = crm_error_body(
            "INVALID_URL_PATTERN", "Please check if the URL trying to access is a correct one", {}
        )
    return json_reply(body, exc.status_code)


async def _crash(request: Request, exc: Exception) -> Response:
    """A bug in the sandbox still answers in Zoho's shape (and the test sees a 500)."""
    if request.url.path.startswith(BILLING):
        return json_reply({"code": 1000, "message": f"Internal error: {type(exc).__name__}"}, 500)
    return json_reply(
        crm_error_body("INTERNAL_ERROR", f"Internal error: {type(exc).__name__}", {}), 500
    )


def create_app(options: SandboxOptions | None = None, sandbox: Sandbox | None = None) -> Starlette:
    """The sandbox application; `app.state.sandbox` is the world it serves."""
    sandbox = sandbox or Sandbox(options or SandboxOptions())
    routes: list[BaseRoute] = [
        Route("/oauth/v2/token", accounts.token, methods=["POST"]),
        Route("/oauth/v2/token/revoke", accounts.revoke, methods=["POST"]),
        *_crm_routes(),
        *_billing_routes(),
        *_admin_routes(),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={ApiError: _api_error, HTTPException: _http_error, Exception: _crash},
    )
    app.state.sandbox = sandbox
    # The last added is the outermost: the pipeline runs first, then the direct route.
    app.add_middleware(DirectListRoute)
    app.add_middleware(SandboxPipeline, sandbox=sandbox)
    return app
