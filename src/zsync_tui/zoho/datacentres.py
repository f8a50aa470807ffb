"""Zoho data centres: where to get tokens and which API hosts may receive them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

LOOPBACK_NAMES = {"localhost"}


class DataCentreError(ValueError):
    """A data centre code or URL was refused; the message says which and why."""


@dataclass(frozen=True)
class DataCentre:
    """One data centre: its accounts (OAuth) server and the API hosts a token may go to."""

    code: str
    accounts_url: str
    api_domain: str
    #: Suffix shared by this DC's API hosts (www., sandbox., developer.), None for custom.
    api_suffix: str | None = None

    def trusted_api_base(self, offered: str | None) -> str:
        """The API base URL to use given the token answer's `api_domain`.

        The offered domain is used only when it is an API host of this data centre (or, for
        custom, exactly the configured one); anything else raises, so a token is never sent to
        a host the user did not choose.
        """
        if not offered:
            return self.api_domain
        candidate = normalise_url(offered, what="api_domain from the token server")
        if candidate == self.api_domain:
            return candidate
        if self.api_suffix is not None:
            parts = urlsplit(candidate)
            allowed = {f"{prefix}.{self.api_suffix}" for prefix in ("www", "sandbox", "developer")}
            if parts.scheme == "https" and parts.port is None and parts.hostname in allowed:
                return candidate
        raise DataCentreError(
            f"the token server named {candidate!r} as the API domain, which is not an API host "
            f"of data centre {self.code!r}"
        )


_TLDS = {
    "us": ("com", "com"),
    "eu": ("eu", "eu"),
    "in": ("in", "in"),
    "au": ("com.au", "com.au"),
    "jp": ("jp", "jp"),
    "sa": ("sa", "sa"),
    "cn": ("com.cn", "com.cn"),
}

DATA_CENTRES: dict[str, DataCentre] = {
    code: DataCentre(
        code, f"https://accounts.zoho.{accounts}", f"https://www.zohoapis.{api}", f"zohoapis.{api}"
    )
    for code, (accounts, api) in _TLDS.items()
}
# Canada's accounts server lives under a different second-level domain.
DATA_CENTRES["ca"] = DataCentre(
    "ca", "https://accounts.zohocloud.ca", "https://www.zohoapis.ca", "zohoapis.ca"
)

DC_CODES = ("us", "eu", "in", "au", "jp", "ca", "sa", "cn", "custom")


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalise_url(url: str, *, what: str) -> str:
    """`scheme://host[:port]` with no path, query or credentials; https unless loopback."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DataCentreError(f"{what} {url!r} is not an http(s) URL")
    if parts.username or parts.password or parts.query or parts.fragment:
        raise DataCentreError(f"{what} {url!r} must not carry credentials, a query or a fragment")
    if parts.path not in ("", "/"):
        raise DataCentreError(f"{what} {url!r} must be a bare host, without a path")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise DataCentreError(f"{what} {url!r} must use https (http is allowed on loopback only)")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host.lower()}{port}"


def resolve_data_centre(
    code: str, accounts_url: str | None = None, api_domain: str | None = None
) -> DataCentre:
    """The data centre for `--dc`; `custom` needs both URLs (the sandbox, a proxy)."""
    code = code.strip().lower()
    if code == "custom":
        if not accounts_url or not api_domain:
            raise DataCentreError(
                "--dc custom needs both --accounts-url and --api-domain (for example the URLs "
                "printed by `zsync sandbox serve`)"
            )
        return DataCentre(
            "custom",
            normalise_url(accounts_url, what="--accounts-url"),
            normalise_url(api_domain, what="--api-domain"),
        )
    if code not in DATA_CENTRES:
        raise DataCentreError(f"unknown data centre {code!r}; choose one of {', '.join(DC_CODES)}")
    if accounts_url or api_domain:
        raise DataCentreError("--accounts-url and --api-domain are only for --dc custom")
    return DATA_CENTRES[code]
