"""Zoho CRM v8: records (read, write, search, count), metadata, org and users."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from zsync_tui.zoho.budget import write_cost
from zsync_tui.zoho.crm_meta import CrmMetadata
from zsync_tui.zoho.crm_query import (
    all_of,
    checked_id,
    criterion,
    escape_criteria_value,
    field_chunks,
    http_date,
    module_name,
)
from zsync_tui.zoho.crm_walk import RecordWalk
from zsync_tui.zoho.errors import AmbiguousWrite, MalformedResponse, NotFound, ValidationFailed
from zsync_tui.zoho.models import CallCounts, RecordResult
from zsync_tui.zoho.pages import ListAnswer
from zsync_tui.zoho.transport import error_for, json_body

__all__ = ["CrmClient", "all_of", "criterion", "escape_criteria_value", "field_chunks"]

PER_PAGE = 200
MAX_WRITE_BATCH = 100
MAX_IDS_PER_CALL = 100


def _batches(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class CrmClient(CrmMetadata):
    """Zoho CRM v8 over one transport. Lists are async iterators of pages (lists of dicts)."""

    @property
    def counts(self) -> CallCounts:
        t = self.transport
        return CallCounts(t.calls, t.write_calls, t.retries)

    # -- reading records -------------------------------------------------------------------

    async def _page(
        self,
        module: str,
        params: dict[str, Any],
        headers: dict[str, str],
        sent: asyncio.Event | None = None,
    ) -> ListAnswer | None:
        return await self.transport.read_list(
            f"/{module}", params=params, headers=headers, sent=sent
        )

    async def _page_whole(
        self, module: str, params: dict[str, Any], headers: dict[str, str]
    ) -> ListAnswer | None:
        """The page read again and parsed whole before anything else is sent (with the usual
        retries on a body that is not JSON)."""
        body = await self.transport.read_json(f"/{module}", params=params, headers=headers)
        return None if body is None else ListAnswer.parsed(body, "crm")

    async def _complete(
        self, module: str, page: list[dict[str, Any]], extra_chunks: list[list[str]]
    ) -> list[dict[str, Any]]:
        """Fetch the fields beyond the first 50 for this page's records, merged by id."""
        if not extra_chunks or not page:
            return page
        by_id = {str(record.get("id")): record for record in page}
        for chunk in extra_chunks:
            for ids in _batches(list(by_id), MAX_IDS_PER_CALL):
                body = await self._get(
                    f"/{module}", {"ids": ",".join(ids), "fields": ",".join(chunk)}
                )
                for extra in self._list(body, "data"):
                    target = by_id.get(str(extra.get("id")))
                    if target is not None:
                        target.update(extra)
        return page

    async def iter_records(
        self,
        module: str,
        fields: Sequence[str],
        *,
        modified_since: datetime | str | None = None,
        cvid: str | None = None,
        per_page: int = PER_PAGE,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Every record of `module`, a page at a time, oldest change first.

        The next page is already being fetched while the caller works on this one. A 304 or
        204 (nothing changed since `modified_since`) yields nothing. With `cvid` the view's
        own order applies (Zoho refuses `sort_by` with a view). A full walk (no
        `modified_since`) of more than one page costs one more call, the record count, which
        lets the numbered pages (the first 2,000 records) be asked for together (`crm_walk`).
        """
        module = module_name(module)
        chunks = field_chunks(fields)
        params: dict[str, Any] = {"fields": ",".join(chunks[0]), "per_page": per_page}
        if cvid:
            params["cvid"] = cvid
        else:
            params["sort_by"] = "Modified_Time"
            params["sort_order"] = "asc"
        headers = {"If-Modified-Since": http_date(modified_since)} if modified_since else {}

        async def read_page(asked: dict[str, Any], sent: asyncio.Event | None) -> Any:
            return await self._page(module, asked, headers, sent)

        async def read_whole(asked: dict[str, Any]) -> ListAnswer | None:
            return await self._page_whole(module, asked, headers)

        async def complete(data: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return await self._complete(module, data, chunks[1:])

        async def count() -> int:
            return await self.count(module, cvid=cvid)

        walk = RecordWalk(
            module,
            params,
            per_page,
            read_page,
            read_whole,
            lambda body: self._list(body, "data"),
            complete,
            None if modified_since else count,
        )
        async for page in walk.pages():
            yield page

    async def get_record(
        self, module: str, record_id: str, fields: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """One record; `NotFound` when Zoho has no such record."""
        params = {"fields": ",".join(fields)} if fields else None
        path = f"/{module_name(module)}/{checked_id(record_id)}"
        try:
            body = await self._get(path, params)
        except ValidationFailed as exc:
            if exc.field != "id":
                raise
            body = None  # Zoho calls an unknown ID "invalid data" rather than 404
        data = self._list(body, "data") if body is not None else []
        if not data:
            raise NotFound(f"CRM {module} record {record_id} does not exist", side="crm")
        return data[0]

    async def deleted_records(
        self, module: str, *, kind: str = "all", modified_since: datetime | str | None = None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Deleted records (`id`, `deleted_time`, …) a page at a time."""
        headers = {"If-Modified-Since": http_date(modified_since)} if modified_since else None
        page = 1
        while True:
            params = {"type": kind, "page": page, "per_page": PER_PAGE}
            body = await self._get(f"/{module_name(module)}/deleted", params, headers)
            data = self._list(body, "data")
            if data:
                yield data
            if not ((body or {}).get("info") or {}).get("more_records"):
                return
            page += 1

    async def search(
        self,
        module: str,
        *,
        criteria: str | None = None,
        email: str | None = None,
        phone: str | None = None,
        word: str | None = None,
        fields: Sequence[str] | None = None,
        max_pages: int = 10,
    ) -> list[dict[str, Any]]:
        """Records matching one of `criteria` (see `criterion`/`all_of`), `email`, `phone` or
        `word`. Search reads an index that may lag fresh writes by a little."""
        given = {
            k: v
            for k, v in (("criteria", criteria), ("email", email), ("phone", phone), ("word", word))
            if v
        }
        if len(given) != 1:
            raise ValueError("search takes exactly one of criteria, email, phone or word")
        found: list[dict[str, Any]] = []
        for page in range(1, max_pages + 1):
            params: dict[str, Any] = {**given, "page": page, "per_page": PER_PAGE}
            if fields:
                params["fields"] = ",".join(fields)
            body = await self._get(f"/{module_name(module)}/search", params)
            found += self._list(body, "data")
            if not ((body or {}).get("info") or {}).get("more_records"):
                break
        return found

    async def count(
        self,
        module: str,
        *,
        criteria: str | None = None,
        cvid: str | None = None,
        email: str | None = None,
        word: str | None = None,
    ) -> int:
        """How many records (in a view, or matching a search)."""
        params = {
            k: v
            for k, v in (("criteria", criteria), ("cvid", cvid), ("email", email), ("word", word))
            if v
        }
        body = await self._get(f"/{module_name(module)}/actions/count", params or None)
        value = (body or {}).get("count", 0)
        if not isinstance(value, int):
            raise MalformedResponse("the CRM count answer has no integer count", str(body))
        return value

    async def account_contacts(
        self, account_id: str, fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The contacts related to one account."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"fields": ",".join(fields), "page": page, "per_page": PER_PAGE}
            body = await self._get(f"/Accounts/{checked_id(account_id)}/Contacts", params)
            found += self._list(body, "data")
            if not ((body or {}).get("info") or {}).get("more_records"):
                return found
            page += 1

    # -- writing records -------------------------------------------------------------------

    async def _write(
        self, method: str, path: str, records: Sequence[dict[str, Any]], extra: dict[str, Any]
    ) -> list[RecordResult]:
        results: list[RecordResult] = []
        for batch in _batches(records, MAX_WRITE_BATCH):
            body = {"data": list(batch), **extra}
            try:
                response = await self.transport.request(
                    method,
                    path,
                    json=body,
                    write=True,
                    cost=write_cost(len(batch)),
                    accept={200, 201, 202, 207, 400},
                )
            except AmbiguousWrite as exc:
                exc.completed = list(results)
                raise
            try:
                answer = json_body(response, "crm")
            except MalformedResponse as exc:
                raise AmbiguousWrite(
                    f"the answer could not be read ({exc.excerpt!r})",
                    method=method,
                    path=path,
                    completed=list(results),
                    side="crm",
                ) from None
            data = answer.get("data")
            if not isinstance(data, list) or len(data) != len(batch):
                if response.status_code == 400:
                    raise error_for(response, "crm")
                raise AmbiguousWrite(
                    f"the answer has {len(data) if isinstance(data, list) else 'no'} results "
                    f"for {len(batch)} records",
                    method=method,
                    path=path,
                    completed=list(results),
                    side="crm",
                )
            results += [RecordResult.from_wire(item) for item in data]
        return results

    @staticmethod
    def _trigger(trigger: Sequence[str] | None) -> dict[str, Any]:
        return {} if trigger is None else {"trigger": list(trigger)}

    async def insert(
        self,
        module: str,
        records: Sequence[dict[str, Any]],
        *,
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Create records, 100 a call; one `RecordResult` per record, in order.

        `trigger=None` lets Zoho run workflows as usual; `[]` runs none.
        """
        return await self._write("POST", f"/{module_name(module)}", records, self._trigger(trigger))

    async def update(
        self,
        module: str,
        records: Sequence[dict[str, Any]],
        *,
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Update records (each carries its `id`), 100 a call."""
        if any("id" not in record for record in records):
            raise ValueError("every record to update needs its id")
        return await self._write("PUT", f"/{module_name(module)}", records, self._trigger(trigger))

    async def upsert(
        self,
        module: str,
        records: Sequence[dict[str, Any]],
        *,
        duplicate_check_fields: Sequence[str] | None = None,
        trigger: Sequence[str] | None = None,
    ) -> list[RecordResult]:
        """Insert or update by the duplicate-check fields; `RecordResult.action` says which."""
        extra = self._trigger(trigger)
        if duplicate_check_fields:
            extra["duplicate_check_fields"] = list(duplicate_check_fields)
        return await self._write("POST", f"/{module_name(module)}/upsert", records, extra)

    async def delete(
        self, module: str, ids: Sequence[str], *, wf_trigger: bool | None = None
    ) -> list[RecordResult]:
        """Delete records (to the recycle bin), 100 a call."""
        results: list[RecordResult] = []
        for batch in _batches([checked_id(i) for i in ids], MAX_WRITE_BATCH):
            params: dict[str, Any] = {"ids": ",".join(batch)}
            if wf_trigger is not None:
                params["wf_trigger"] = str(wf_trigger).lower()
            try:
                response = await self.transport.request(
                    "DELETE", f"/{module_name(module)}", params=params, write=True
                )
            except AmbiguousWrite as exc:
                exc.completed = list(results)
                raise
            data = json_body(response, "crm").get("data")
            if not isinstance(data, list):
                raise MalformedResponse("the CRM delete answer has no data list", response.content)
            results += [RecordResult.from_wire(item) for item in data]
        return results
