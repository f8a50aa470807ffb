"""Read-ahead for record walks: the page a walk asks for next, rendered while the sandbox idles.

A client walking a module asks for page after page with the same fields and order, each time
with the `next_page_token` the previous answer gave it (or the next page number below 2,000
records). So once a page has been sent, its successor's answer is known but for the writes that
may come in between. Rendering it then, while the client is busy with the page it got, takes
the projection and the JSON encoding (most of a list call's work) off the path between the
client's request and the answer. The injected latency is still waited in full.

An answer rendered ahead is served only when nothing could make a fresh one differ: the same
module object at the same version (no write, reset or state load since), the same query
(fields, order, page size, If-Modified-Since) and a sandbox clock that has not moved by more
than `MAX_AGE_S` (the next page token it carries expires a day later; a moved clock may have
expired the one the client sent). Anything else is answered the usual way.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from zsync_tui.sandbox.world import CrmModule

if TYPE_CHECKING:
    from zsync_tui.sandbox.state import Stats

#: Parameters that say which page; everything else in a list query says what the pages hold.
PAGE_PARAMS = frozenset({"page", "page_token"})
MAX_ENTRIES = 8
MAX_AGE_S = 5.0

Key = tuple[str, str, tuple[tuple[str, str], ...]]


def walk_key(module: str, query: Iterable[tuple[str, str]], if_modified_since: str) -> Key:
    """Identifies one page of one walk: module, If-Modified-Since, and the query, any order."""
    return (module, if_modified_since, tuple(sorted(query)))


def follow_up_keys(
    module: str,
    query: Iterable[tuple[str, str]],
    if_modified_since: str,
    next_token: str,
    next_page: int | None,
) -> list[Key]:
    """The keys a walk's next request may have: with the token, or the page number if allowed."""
    kept = [(name, value) for name, value in query if name not in PAGE_PARAMS]
    keys = [walk_key(module, [*kept, ("page_token", next_token)], if_modified_since)]
    if next_page is not None:
        keys.append(walk_key(module, [*kept, ("page", str(next_page))], if_modified_since))
    return keys


@dataclass
class Rendered:
    """An answer body rendered ahead, and what it was rendered against."""

    module: CrmModule
    version: int
    rendered_at: float
    body: bytes
    #: Plans the render of the page after this one, when this one is served.
    follow_up: Callable[[], None] | None = None


class ReadAhead:
    """Answers rendered ahead (a few walks' next pages) and the renders still to do."""

    def __init__(self, stats: Stats) -> None:
        self._ready: OrderedDict[Key, Rendered] = OrderedDict()
        self._planned: list[Callable[[], None]] = []
        self._stats = stats

    @property
    def planned(self) -> bool:
        """Whether renders wait for the next idle moment."""
        return bool(self._planned)

    def plan(self, render: Callable[[], None]) -> None:
        """Queue a render for the next idle moment (`run_planned`)."""
        self._planned.append(render)

    def run_planned(self) -> None:
        """Do the queued renders; called once the current answer has left."""
        planned, self._planned = self._planned, []
        for render in planned:
            started = time.perf_counter()
            render()
            self._stats.timing["read_ahead_s"] += time.perf_counter() - started

    def store(self, keys: list[Key], rendered: Rendered) -> None:
        """Keep `rendered` for whichever of `keys` the walk's next request turns out to have."""
        self._stats.timing["read_ahead_renders"] += 1
        for key in keys:
            self._ready[key] = rendered
            self._ready.move_to_end(key)
        while len(self._ready) > MAX_ENTRIES:
            self._ready.popitem(last=False)

    def take(self, key: Key, module: CrmModule, now: float) -> bytes | None:
        """The body rendered ahead for `key`, if it is still what a fresh render would give."""
        rendered = self._ready.pop(key, None)
        if rendered is None:
            return None
        fresh = (
            rendered.module is module
            and rendered.version == module.version
            and 0.0 <= now - rendered.rendered_at <= MAX_AGE_S
        )
        if not fresh:
            return None
        self._stats.timing["read_ahead_hits"] += 1
        if rendered.follow_up is not None:
            rendered.follow_up()
        return rendered.body

    def clear(self) -> None:
        """Forget everything (a reset or a state load replaces the world)."""
        self._ready.clear()
        self._planned.clear()
