"""The published specs load offline and document every operation the product calls."""

from __future__ import annotations

from typing import Any


def test_every_used_operation_is_documented_with_a_success_answer(specs: Any) -> None:
    operations = list(specs)
    assert len(operations) == len(specs.operations) >= 36
    for operation in operations:
        success = [s for s in operation.responses if 200 <= s < 300]
        assert success, f"{operation.used.key}: the spec documents no success answer"
        if operation.used.method in ("POST", "PUT") and operation.used.side == "crm":
            assert operation.request_body, f"{operation.used.key}: no request body schema"


def test_every_schema_reference_resolves(specs: Any, checker: Any) -> None:
    # Every `$ref` reachable from the used operations' schemas resolves offline (a cross-file
    # reference the local copy lost raises here instead of mid-test).
    reached: set[str] = set()
    for operation in specs:
        for uri in [*operation.responses.values(), operation.request_body]:
            if uri:
                reached |= specs.reachable(uri)
                checker.validator(uri).is_valid({})
    files = {uri.split("#")[0] for uri in reached}
    assert len(reached) > 500 and len(files) >= 14, (len(reached), sorted(files))


def test_request_paths_map_to_their_operation(specs: Any) -> None:
    cases = {
        ("GET", "/crm/v8/Accounts"): "crm GET /crm/v8/{module_api_name}",
        (
            "GET",
            "/crm/v8/Accounts/actions/count",
        ): "crm GET /crm/v8/{module_api_name}/actions/count",
        ("GET", "/crm/v8/Accounts/4876876000000013001/Contacts"): (
            "crm GET /crm/v8/{module_api_name}/{record_id}/{related_list_api_name}"
        ),
        ("GET", "/crm/v8/settings/fields"): "crm GET /crm/v8/settings/fields",
        ("GET", "/crm/v8/Deals/search"): "crm GET /crm/v8/{module}/search",
        ("POST", "/billing/v1/estimates/1/status/sent"): (
            "billing POST /billing/v1/estimates/{estimate_id}/status/sent"
        ),
    }
    for (method, path), key in cases.items():
        operation = specs.match(method, path)
        assert operation is not None and operation.used.key == key, (method, path)
    assert specs.match("PATCH", "/crm/v8/Accounts") is None


def test_crm_success_or_exception_is_decided_by_status(specs: Any, checker: Any) -> None:
    """The loose `oneOf [wrapper, API_Exception]` is split: an error must look like one."""
    operation = specs.match("GET", "/crm/v8/Accounts")
    uri = operation.responses[200]
    assert not checker.schema_errors(uri, {"data": [{"id": "1"}], "info": {"count": 1}}, "ok")
    assert checker.schema_errors(uri, {"data": [{"id": 1}]}, "an id must be a string")
    assert checker.schema_errors(uri, {"status": "error", "code": 7}, "a code must be a string")
    assert checker.schema_errors(
        oas_common_exception(specs), {"status": "error"}, "code, message, details are required"
    )


def oas_common_exception(specs: Any) -> str:
    return specs.uri("crm-v8/common.json", "#/components/schemas/API_Exception")
