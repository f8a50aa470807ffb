"""Deal-stage automation: triggers that turn CRM deal stages into Billing quotes and invoices,
at most once per deal, action and generation, and the deal ↔ transaction links.

Modules: `config` (the `[triggers]` table), `stages` (the CRM stage→probability map),
`decide` (pure: deal + history + stages → actions), `executor` (at-most-once writes),
`watcher` (the poll loop `zsync run` calls), `links` (link/unlink rules), `simulate`.

This package's `__init__` imports nothing: `sync/config.py` imports `deals.config`, and the
other modules import `sync/config.py`, so eager imports here would be circular.
"""
