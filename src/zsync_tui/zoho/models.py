"""Typed results where they help; records themselves stay plain dicts on the wire side."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordResult:
    """One record's outcome in a CRM batch write (`data[i]` of a 201/207 answer)."""

    code: str
    status: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    #: For upserts: `insert` or `update`, and the field that matched (top level, per the OAS).
    action: str | None = None
    duplicate_field: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    @property
    def id(self) -> str | None:
        value = self.details.get("id")
        return str(value) if value is not None else None

    @property
    def field(self) -> str | None:
        """The field an error names (`details.api_name`), if any."""
        value = self.details.get("api_name")
        return str(value) if value is not None else None

    @classmethod
    def from_wire(cls, item: Any) -> RecordResult:
        if not isinstance(item, dict):
            return cls("MALFORMED", "error", f"unexpected result {type(item).__name__}")
        details = item.get("details")
        details = details if isinstance(details, dict) else {}
        return cls(
            code=str(item.get("code", "")),
            status=str(item.get("status", "error")),
            message=str(item.get("message", "")),
            details=details,
            action=item.get("action") or details.get("action"),
            duplicate_field=item.get("duplicate_field"),
        )


@dataclass(frozen=True)
class CrmOrg:
    """The CRM organization: what the connect screen shows and the governor sizes from."""

    id: str
    name: str
    base_currency: str | None
    multi_currency: bool
    edition: str | None
    licensed_users: int
    time_zone: str | None = None

    @classmethod
    def from_wire(cls, org: dict[str, Any]) -> CrmOrg:
        license_details = org.get("license_details") or {}
        return cls(
            id=str(org.get("id", "")),
            name=str(org.get("company_name") or org.get("alias") or ""),
            base_currency=org.get("iso_code") or org.get("currency"),
            multi_currency=bool(org.get("mc_status")),
            edition=license_details.get("paid_type") or org.get("type"),
            licensed_users=int(license_details.get("users_license_purchased") or 1),
            time_zone=org.get("time_zone"),
        )


@dataclass(frozen=True)
class CrmUser:
    """A CRM user (the connected one, or the owner of records pushed to CRM)."""

    id: str
    full_name: str
    email: str
    status: str | None = None

    @classmethod
    def from_wire(cls, user: dict[str, Any]) -> CrmUser:
        return cls(
            id=str(user.get("id", "")),
            full_name=str(user.get("full_name") or user.get("name") or ""),
            email=str(user.get("email") or ""),
            status=user.get("status"),
        )


@dataclass(frozen=True)
class StageInfo:
    """A Deals stage with the probability and forecast type its picklist carries."""

    name: str
    probability: int | None
    forecast_type: str | None
    sequence: int | None = None

    @classmethod
    def from_wire(cls, value: dict[str, Any]) -> StageInfo:
        probability = value.get("probability")
        sequence = value.get("sequence_number")
        return cls(
            name=str(value.get("actual_value") or value.get("display_value") or ""),
            probability=int(probability) if probability is not None else None,
            forecast_type=value.get("forecast_type"),
            sequence=int(sequence) if sequence is not None else None,
        )


@dataclass(frozen=True)
class BillingOrganization:
    """A Billing organization the token can see."""

    id: str
    name: str
    currency_code: str | None
    is_default: bool = False

    @classmethod
    def from_wire(cls, org: dict[str, Any]) -> BillingOrganization:
        return cls(
            id=str(org.get("organization_id", "")),
            name=str(org.get("name", "")),
            currency_code=org.get("currency_code"),
            is_default=bool(org.get("is_default_org")),
        )


@dataclass
class CallCounts:
    """Calls made through a client, for the engine's run report."""

    api_calls: int = 0
    write_calls: int = 0
    retries: int = 0
