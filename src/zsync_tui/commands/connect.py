"""`zsync connect`: the headless twin of the connect screen.

Secrets come from ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN (or ZSYNC_GRANT_CODE), else a
prompt that does not echo; never from the command line, where `ps` and shell history see them.
"""

from __future__ import annotations

import asyncio
import os

import click

from zsync_tui.connection import ConnectFailed, ConnectRequest, connect
from zsync_tui.runtime import Runtime
from zsync_tui.zoho.datacentres import DC_CODES
from zsync_tui.zoho.oauth import Secret


def _secret_from_env_or_prompt(env: str, prompt: str) -> Secret:
    value = os.environ.get(env)
    if not value:
        try:
            value = click.prompt(prompt, hide_input=True, default="", show_default=False)
        except click.Abort:
            value = ""  # no terminal or Ctrl-C: say what to set instead of a bare "Aborted!"
    if not value:
        raise ConnectFailed(f"no {prompt.lower()} given: set {env} or type it at the prompt")
    return Secret(value.strip())


@click.command()
@click.option(
    "--dc",
    "data_centre",
    type=click.Choice(DC_CODES, case_sensitive=False),
    default="us",
    show_default=True,
    help="Zoho data centre of the account; `custom` for the sandbox or a proxy.",
)
@click.option("--accounts-url", help="Accounts (OAuth) server, with --dc custom.")
@click.option("--api-domain", help="API domain, with --dc custom.")
@click.option("--client-id", help="Self Client ID from api-console.zoho.com (else a prompt).")
@click.option("--billing-org", "billing_org", help="Billing organization ID to sync.")
@click.option(
    "--pick-first-org", is_flag=True, help="Use the first Billing organization the token sees."
)
@click.option("--owner-email", help="CRM user who will own records zsync creates in CRM.")
@click.option("--profile", "profile_name", help="Profile name (one per Billing organization).")
@click.pass_obj
def connect_command(
    runtime: Runtime,
    data_centre: str,
    accounts_url: str | None,
    api_domain: str | None,
    client_id: str | None,
    billing_org: str | None,
    pick_first_org: bool,
    owner_email: str | None,
    profile_name: str | None,
) -> None:
    """Check Zoho credentials, show what they reach, and keep them in the keyring."""
    try:
        if not client_id:
            try:
                client_id = str(click.prompt("Client ID", default="", show_default=False))
            except click.Abort:
                client_id = ""
        if not client_id.strip():
            raise ConnectFailed("no client ID given: pass --client-id (from api-console.zoho.com)")
        client_secret = _secret_from_env_or_prompt("ZSYNC_CLIENT_SECRET", "Client secret")
        grant_code = os.environ.get("ZSYNC_GRANT_CODE")
        refresh_token = None
        if not grant_code:
            refresh_token = _secret_from_env_or_prompt("ZSYNC_REFRESH_TOKEN", "Refresh token")
        request = ConnectRequest(
            profile=profile_name or runtime.profile_name,
            data_centre=data_centre.lower(),
            client_id=client_id.strip(),
            client_secret=client_secret,
            refresh_token=refresh_token,
            grant_code=Secret(grant_code.strip()) if grant_code else None,
            accounts_url=accounts_url,
            api_domain=api_domain,
            billing_org_id=billing_org,
            pick_first_org=pick_first_org,
            owner_email=owner_email,
        )
        report = asyncio.run(connect(runtime, request))
    except ConnectFailed as exc:
        click.echo(f"zsync connect: {exc}", err=True)
        raise SystemExit(2) from None
    for line in report.lines():
        click.echo(line)
    if runtime.credentials.status().usable:
        click.echo(f"Secrets kept in the keyring for profile {request.profile!r}.")
    else:
        click.echo(
            f"Profile {request.profile!r} saved. No usable keyring here, so no secret was kept: "
            "set ZSYNC_CLIENT_SECRET and ZSYNC_REFRESH_TOKEN for every zsync process."
        )
