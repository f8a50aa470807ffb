"""One walk through a CRM module's records, a page at a time, oldest change first.

Each next request goes out as soon as the answer before it names it (its trailing `info`), and
the caller's work on a page overlaps the server's on the next. Pages are numbered up to 2,000
records and follow `next_page_token`s after that, so past the first ten pages every request
waits for the one before. A full walk (no If-Modified-Since) with more than one page asks
the module's record count alongside page 2; the numbered pages that count says exist are then
all asked at once, and are handed over in order. A count that is wrong by the time the pages
are read costs at most the pages asked for nothing; the walk itself still ends on
`more_records`.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from zsync_tui.zoho.errors import MalformedResponse, ZohoError
from zsync_tui.zoho.pages import ListAnswer

#: Past this many records `page` stops working and `page_token` takes over.
PAGE_LIMIT_RECORDS = 2_000

ReadPage = Callable[[dict[str, Any], asyncio.Event | None], Awaitable[ListAnswer | None]]
Records = list[dict[str, Any]]


class RecordWalk:
    """The pages of one list query (see `CrmClient.iter_records`)."""

    def __init__(
        self,
        module: str,
        params: dict[str, Any],
        per_page: int,
        read_page: ReadPage,
        read_whole: Callable[[dict[str, Any]], Awaitable[ListAnswer | None]],
        records_of: Callable[[dict[str, Any]], Records],
        complete: Callable[[Records], Awaitable[Records]],
        count: Callable[[], Awaitable[int]] | None,
    ) -> None:
        self.module = module
        self.params = params
        self.per_page = per_page
        self._read_page = read_page
        self._read_whole = read_whole
        self._records_of = records_of
        self._complete = complete
        self._count = count
        self._ahead: dict[int, asyncio.Task[ListAnswer | None]] = {}

    def _next_params(self, page: int, info: dict[str, Any]) -> dict[str, Any] | None:
        if not info.get("more_records"):
            return None
        if (page + 1) * self.per_page <= PAGE_LIMIT_RECORDS:
            return {**self.params, "page": page + 1}
        token = info.get("next_page_token")
        if not token:
            raise MalformedResponse(
                f"CRM {self.module}: more records past {page * self.per_page} but no "
                "next_page_token",
                str(info),
                side="crm",
            )
        return {**self.params, "page_token": token}

    async def _send(self, asked: dict[str, Any]) -> asyncio.Task[ListAnswer | None]:
        """The request for `asked`, once it is on the wire (or asked for already)."""
        ahead = self._ahead.pop(asked["page"], None) if "page" in asked else None
        if ahead is not None:
            return ahead
        sent = asyncio.Event()
        task = asyncio.ensure_future(self._read_page(asked, sent))
        await sent.wait()
        return task

    async def _known_pages(self, counting: asyncio.Task[int]) -> int:
        """Numbered pages the count says exist; 0 when the count could not be read."""
        try:
            total = await counting
        except ZohoError:
            return 0
        return min(math.ceil(total / self.per_page), PAGE_LIMIT_RECORDS // self.per_page)

    def _ask_ahead(self, first: int, last: int) -> None:
        for number in range(first, last + 1):
            asked = {**self.params, "page": number}
            self._ahead[number] = asyncio.ensure_future(self._read_page(asked, None))

    async def pages(self) -> AsyncIterator[Records]:
        page = 1
        asked: dict[str, Any] | None = {**self.params, "page": 1}
        pending: asyncio.Task[ListAnswer | None] | None = asyncio.ensure_future(
            self._read_page({**self.params, "page": 1}, None)
        )
        counting: asyncio.Task[int] | None = None
        try:
            while pending is not None and asked is not None:
                answer = await pending
                pending = None
                more = answer is not None and bool(answer.info.get("more_records"))
                if counting is not None:
                    if more:
                        # The next page goes out below, as every next page does.
                        self._ask_ahead(page + 2, await self._known_pages(counting))
                    counting.cancel()
                    counting = None
                elif page == 1 and more and self._count is not None:
                    counting = asyncio.ensure_future(self._count())
                for whole in (False, True):
                    following = self._next_params(page, answer.info if answer else {})
                    if following:
                        # The caller's work and ours overlap the server's only once the next
                        # request is on the wire: the page is parsed after that.
                        pending = await self._send(following)
                    try:
                        data = self._records_of(answer.body()) if answer else []
                        break
                    except MalformedResponse:
                        if whole:
                            raise
                        # The body broke behind a good-looking tail: drop the request sent on
                        # its strength and read this page again, whole.
                        if pending is not None:
                            pending.cancel()
                            pending = None
                        answer = await self._read_whole(asked or {})
                asked = following
                page += 1
                if data:
                    yield await self._complete(data)
        finally:
            for task in (pending, counting, *self._ahead.values()):
                if task is None:
                    continue
                if task.done() and not task.cancelled():
                    task.exception()  # the caller stopped early: nothing left to report
                else:
                    task.cancel()
