"""A property-based OpenAPI driver on the sandbox: malformed requests never earn a 5xx.

Hypothesis draws requests from the published specs of the operations we use: each declared
path, query and header parameter is left out, given a value of its schema's type, or given junk;
bodies are the documented shape with wrong values, arbitrary JSON, or bytes that are not JSON.
The sandbox (in process) must answer every one with a status the spec (or Zoho's API-wide
status list) documents, never 5xx, and with a body that validates like any other answer.
(Not schemathesis: it would need the same spec patches and a large new dependency; hypothesis is
already a test dependency and drives our operation index directly.)
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ORG_HEADER = "X-com-zoho-subscriptions-organizationid"
JUNK_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=24,
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | JUNK_TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(JUNK_TEXT, inner, max_size=3),
    max_leaves=8,
)


def _value_for(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    """A well-typed value for a parameter schema, as the string it travels as."""
    if "enum" in schema:
        return st.sampled_from([str(v) for v in schema["enum"] if v is not None])
    kind = schema.get("type")
    if kind == "integer":
        return st.integers(-5, 300).map(str)
    if kind == "number":
        return st.floats(-1e6, 1e6, allow_nan=False).map(str)
    if kind == "boolean":
        return st.sampled_from(["true", "false"])
    if schema.get("format") == "date-time":
        return st.sampled_from(["2026-01-02T03:04:05+05:30", "2099-01-01T00:00:00Z"])
    return st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_,()0123456789:")


def _parameter(schema: dict[str, Any]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), _value_for(schema), JUNK_TEXT)


def _body(specs: Any, operation: Any) -> st.SearchStrategy[Any]:
    if operation.request_body is None:
        return st.none()
    schema = specs.resolve(operation.request_body)
    names = sorted((schema.get("properties") or {}).keys()) or ["data"]
    shaped = st.fixed_dictionaries({}, optional={name: JSON_VALUES for name in names})
    raw = st.binary(max_size=40).map(lambda b: ("raw", b))
    return st.one_of(shaped, JSON_VALUES, raw)


def _segment(name: str, known: dict[str, list[str]]) -> st.SearchStrategy[str]:
    real = known.get(name) or ["4876876000000013001"]
    return st.one_of(st.sampled_from(real), JUNK_TEXT.map(lambda s: quote(s, safe="")))


def _known_values(app: Any) -> dict[str, list[str]]:
    """Real ids and names from the sandbox world, so some requests reach deep branches."""
    world = app.state.sandbox.world
    accounts = list(world.crm["Accounts"].records)[:3]
    customers = list(world.customers)[:3]
    persons = list(world.contact_persons)[:3]
    modules = ["Accounts", "Contacts", "Deals", "Leads"]
    return {
        "module_api_name": modules,
        "module": modules,
        "id": accounts,
        "record_id": accounts,
        "related_list_api_name": ["Contacts", "Deals", "Notes"],
        "customer_id": customers,
        "reference_id": accounts,
        "contactperson_id": persons,
        "estimate_id": list(world.estimates)[:3],
        "invoice_id": list(world.invoices)[:3],
    }


@st.composite
def _requests(draw: Any, specs: Any, known: dict[str, list[str]]) -> dict[str, Any]:
    operation = draw(st.sampled_from(sorted(specs, key=lambda op: op.used.key)))
    path = "/".join(
        draw(_segment(part[1:-1], known)) if part.startswith("{") else part
        for part in operation.used.template.split("/")
    )
    params: dict[str, str] = {}
    headers: dict[str, str] = {}
    for param in operation.parameters:
        if param.location not in ("query", "header") or param.name == ORG_HEADER:
            continue
        value = draw(_parameter(param.schema))
        if value is not None:
            target = params if param.location == "query" else headers
            target[param.name] = (
                value if param.location == "query" else value.encode("ascii", "replace").decode()
            )
    body = draw(_body(specs, operation))
    return {
        "operation": operation,
        "path": path,
        "params": params,
        "headers": headers,
        "body": body,
    }


def test_sandbox_survives_malformed_requests(
    specs: Any, checker: Any, sandbox_app: Any, beyond_known_gaps: Any
) -> None:
    known = _known_values(sandbox_app)
    seen: dict[str, set[int]] = {}
    # A sync test with its own loop: hypothesis drives plain functions, the sandbox is ASGI.
    loop = asyncio.new_event_loop()
    client = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=sandbox_app), base_url="http://127.0.0.1"
    )
    try:
        creds = sandbox_app.state.sandbox.credentials
        token = loop.run_until_complete(
            client.post(
                "/oauth/v2/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": creds["client_id"],
                    "client_secret": creds["client_secret"],
                    "refresh_token": creds["refresh_token"],
                },
            )
        ).json()["access_token"]
        base_headers = {
            "Authorization": f"Zoho-oauthtoken {token}",
            ORG_HEADER: creds["billing_organization_id"],
        }

        @settings(
            max_examples=250,
            derandomize=True,
            database=None,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(request=_requests(specs, known))
        def drive(request: dict[str, Any]) -> None:
            operation = request["operation"]
            body = request["body"]
            kwargs: dict[str, Any] = {
                "params": request["params"],
                "headers": {**base_headers, **request["headers"]},
            }
            if isinstance(body, tuple):
                kwargs["content"] = body[1]
                kwargs["headers"]["content-type"] = "application/json"
            elif body is not None or operation.request_body is not None:
                kwargs["json"] = body
            response = loop.run_until_complete(
                client.request(operation.used.method, request["path"], **kwargs)
            )
            status = response.status_code
            seen.setdefault(operation.used.key, set()).add(status)
            assert status < 500, (operation.used.key, request, response.text[:300])
            problems = checker.check_answer(operation, status, response.content)
            problems = beyond_known_gaps(problems)
            assert not problems, (request, problems)

        drive()
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    # The driver must have reached most operations, with both refusals and successes.
    assert len(seen) >= 30, sorted(seen)
    statuses = {s for codes in seen.values() for s in codes}
    assert any(s < 300 for s in statuses) and any(400 <= s < 500 for s in statuses), statuses
