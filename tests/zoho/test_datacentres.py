"""Data centres: the right hosts per DC, and a token never goes to a host the user did not pick."""

from __future__ import annotations

import pytest

from zsync_tui.zoho.datacentres import (
    DATA_CENTRES,
    DataCentreError,
    normalise_url,
    resolve_data_centre,
)


def test_every_data_centre_has_its_documented_hosts():
    assert {code: dc.accounts_url for code, dc in DATA_CENTRES.items()} == {
        "us": "https://accounts.zoho.com",
        "eu": "https://accounts.zoho.eu",
        "in": "https://accounts.zoho.in",
        "au": "https://accounts.zoho.com.au",
        "jp": "https://accounts.zoho.jp",
        "ca": "https://accounts.zohocloud.ca",
        "sa": "https://accounts.zoho.sa",
        "cn": "https://accounts.zoho.com.cn",
    }
    assert DATA_CENTRES["au"].api_domain == "https://www.zohoapis.com.au"
    assert DATA_CENTRES["ca"].api_domain == "https://www.zohoapis.ca"


@pytest.mark.parametrize(
    "offered",
    ["https://www.zohoapis.eu", "https://sandbox.zohoapis.eu", "https://developer.zohoapis.eu/"],
)
def test_api_hosts_of_the_data_centre_are_trusted(offered: str):
    assert resolve_data_centre("eu").trusted_api_base(offered) == offered.rstrip("/")


@pytest.mark.parametrize(
    "offered",
    [
        "https://www.zohoapis.com",  # another data centre
        "http://www.zohoapis.eu",  # not https
        "https://www.zohoapis.eu.evil.example",
        "https://evilzohoapis.eu",
        "https://www.zohoapis.eu:8443",
        "https://user:pw@www.zohoapis.eu",
        "https://www.zohoapis.eu/crm",
        "ftp://www.zohoapis.eu",
    ],
)
def test_other_hosts_are_refused(offered: str):
    with pytest.raises(DataCentreError):
        resolve_data_centre("eu").trusted_api_base(offered)


def test_missing_api_domain_falls_back_to_the_data_centre():
    assert resolve_data_centre("in").trusted_api_base(None) == "https://www.zohoapis.in"


def test_custom_accepts_only_the_configured_domain():
    dc = resolve_data_centre("custom", "http://127.0.0.1:8123", "http://127.0.0.1:8123/")
    assert dc.api_domain == "http://127.0.0.1:8123"
    assert dc.trusted_api_base("http://127.0.0.1:8123") == "http://127.0.0.1:8123"
    with pytest.raises(DataCentreError):
        dc.trusted_api_base("http://127.0.0.1:9999")
    with pytest.raises(DataCentreError):
        dc.trusted_api_base("https://www.zohoapis.com")


def test_custom_needs_both_urls_and_plain_http_only_on_loopback():
    with pytest.raises(DataCentreError, match="needs both"):
        resolve_data_centre("custom", "http://127.0.0.1:1")
    with pytest.raises(DataCentreError, match="https"):
        resolve_data_centre("custom", "http://zoho.example", "https://zoho.example")
    with pytest.raises(DataCentreError, match="only for --dc custom"):
        resolve_data_centre("us", api_domain="https://www.zohoapis.com")
    with pytest.raises(DataCentreError, match="unknown data centre"):
        resolve_data_centre("mars")
    assert normalise_url("HTTP://LOCALHOST:80", what="x") == "http://localhost:80"
