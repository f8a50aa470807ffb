"""One writer per profile at a time, across processes: the run lock.

`zsync sync`, the `zsync run` scheduler, the TUI's sync child and the bulk actions (push,
unlink, links import, fetch one, CRM import) each run in a process of their own. Two of them
writing the same profile at once could both create one record remotely, or one could delete a
link the other is about to save. So every writer holds the profile's lock file for as long as
it writes:

    with RunLock.for_profile(runtime.paths.data_dir, profile, "sync"):
        interrupted = mark_interrupted_runs(store, profile_id)
        ...

The lock is an OS lock on an open file (`flock` on POSIX, `msvcrt.locking` on Windows), so it
belongs to the process: when the process ends, however it ends (SIGKILL, a power loss ends
every process), the OS frees it and no stale lock is ever left behind. A run row still marked
"running" when the lock is free therefore belongs to a process that died:
`mark_interrupted_runs` says so.

The file also names its holder (pid, action, command line, start time) so whoever finds it
taken can say who holds it. It is not re-entrant: a second acquisition in the same process
(another thread, another service object) is refused like one from another process.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from sqlmodel import select

from zsync_tui.store import Store, SyncRun

log = logging.getLogger(__name__)

#: The holder's description is written at the start of the file, padded to this size; on
#: Windows the byte just after it is the one locked (a locked range cannot be read there).
HOLDER_BYTES = 1024
#: The customer writers' lock, and the deal pollers' (a poll takes the customers' too, through
#: fetch_one, when it must import a deal's customer first: two locks, so that nests).
CUSTOMERS, DEALS = "customers", "deals"
#: The status of a run whose process ended before the run did.
INTERRUPTED = "interrupted"
INTERRUPTED_MESSAGE = (
    "the process running it ended before it finished (killed, crashed or powered off); "
    "what it committed is kept and the next run resumed from there"
)


@dataclass(frozen=True)
class LockHolder:
    """Who holds a profile's lock: written into the lock file when it is taken."""

    pid: int
    action: str
    command: str
    started_at: datetime
    profile: str = ""

    def describe(self) -> str:
        """`zsync sync` (pid 4242, a sync, since 2026-11-25 15:20:01 UTC)."""
        since = self.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
        return f"`{self.command}` (pid {self.pid}, {self.action}, since {since} UTC)"

    def to_json(self) -> str:
        return json.dumps(
            {
                "pid": self.pid,
                "action": self.action,
                "command": self.command,
                "started_at": self.started_at.isoformat(),
                "profile": self.profile,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> LockHolder | None:
        """The holder written in a lock file; None when it is blank or unreadable."""
        try:
            data: Any = json.loads(text)
            return cls(
                pid=int(data["pid"]),
                action=str(data["action"]),
                command=str(data["command"]),
                started_at=datetime.fromisoformat(str(data["started_at"])),
                profile=str(data.get("profile") or ""),
            )
        except (ValueError, TypeError, KeyError):
            return None


class RunLocked(RuntimeError):
    """Another process (or another writer in this one) holds the profile's lock."""

    def __init__(self, profile: str, wanted: str, holder: LockHolder | None) -> None:
        self.profile = profile
        self.wanted = wanted
        self.holder = holder
        who = holder.describe() if holder else "another zsync process"
        super().__init__(
            f"profile {profile!r} is busy: {who} is writing to it, so the {wanted} did not "
            "start; try again when it has finished (a process that ends, even killed, frees "
            "the profile at once)"
        )


def current_command() -> str:
    """This process's command line, short: `zsync sync --json`, `zsync` (the TUI), or the
    TUI's sync child by that name (its arguments say nothing to an admin)."""
    argv = list(sys.argv) or ["?"]
    program = Path(argv[0]).name
    if program in ("__main__.py", "-c", "-m") or program.endswith(".py"):
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        name = spec.name if spec is not None else ""
        if name == "zsync_tui.operate_sync_child":
            return "zsync (the TUI's sync)"
        if name == "zsync_tui.__main__":
            program = "zsync"
        else:
            program = f"python -m {name}" if name else f"python {program}"
    return " ".join([program, *argv[1:]])[:200]


class RunLock:
    """The lock file of one profile; `acquire()` never waits (`RunLocked` says who holds it)."""

    def __init__(self, path: Path, *, profile: str, action: str) -> None:
        self.path = path
        self.profile = profile
        self.action = action
        self._fd: int | None = None

    @classmethod
    def for_profile(
        cls, data_dir: Path, profile_id: int, profile: str, action: str, kind: str = CUSTOMERS
    ) -> RunLock:
        """The lock of a stored profile (its customer writers', or its deal pollers' with
        `kind=DEALS`), beside the store in the data directory."""
        return cls(lock_path(data_dir, profile_id, kind), profile=profile, action=action)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> LockHolder:
        """Take the lock and write this process as its holder; `RunLocked` when taken."""
        if self._fd is not None:
            raise RuntimeError("this RunLock is already held")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # O_BINARY (Windows): a text-mode write would turn the holder's newline into two bytes.
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0)
        fd = os.open(self.path, flags, 0o600)
        try:
            taken = _try_lock(fd)
        except OSError:
            os.close(fd)
            raise
        if not taken:
            os.close(fd)
            raise RunLocked(self.profile, self.action, self.holder())
        self._fd = fd
        me = LockHolder(
            pid=os.getpid(),
            action=self.action,
            command=current_command(),
            started_at=datetime.now(UTC),
            profile=self.profile,
        )
        self._write_holder(me.to_json())
        return me

    def release(self) -> None:
        """Free the lock (the OS does it too when the process ends)."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            # Blanked: someone refused a moment before must not be told of a process gone.
            self._write_holder("", fd)
            _unlock(fd)
        finally:
            os.close(fd)

    def holder(self) -> LockHolder | None:
        """Who the file names as holder (meaningful only while the lock is taken)."""
        try:
            with open(self.path, "rb") as file:
                text = file.read(HOLDER_BYTES).decode("utf-8", errors="replace")
        except OSError:
            return None
        return LockHolder.from_json(text.strip())

    def holder_alive(self) -> bool:
        """Whether the process the file names as holder still runs (read only, no lock taken).
        A release blanks the name, so a name whose process is gone was left by one that died;
        a run it left "running" was interrupted. Unknown on Windows (assumed alive there)."""
        holder = self.holder()
        if holder is None:
            return False
        if sys.platform == "win32":
            return True  # os.kill(pid, 0) would end the process there
        try:
            os.kill(holder.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # someone else's process: alive
        return True

    def _write_holder(self, text: str, fd: int | None = None) -> None:
        target = self._fd if fd is None else fd
        assert target is not None
        data = text.encode("utf-8")[: HOLDER_BYTES - 1].ljust(HOLDER_BYTES - 1) + b"\n"
        with contextlib.suppress(OSError):  # who holds it is a courtesy; the lock is the OS's
            os.lseek(target, 0, os.SEEK_SET)
            os.write(target, data)

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def lock_path(data_dir: Path, profile_id: int, kind: str = CUSTOMERS) -> Path:
    """Where a profile's lock file lives: beside the store."""
    suffix = "" if kind == CUSTOMERS else f"-{kind}"
    return data_dir / f"profile-{profile_id}{suffix}.lock"


def mark_interrupted_runs(store: Store, profile_id: int) -> list[int]:
    """Mark the profile's runs still "running" as interrupted; call it only while holding the
    profile's lock (then no live process is running them). Their ids."""
    dead = select(SyncRun).where(SyncRun.profile_id == profile_id, SyncRun.status == "running")
    with store.read() as session:  # nearly always none: no write transaction for nothing
        if session.exec(dead).first() is None:
            return []
    with store.write() as session:
        rows = session.exec(dead).all()
        for row in rows:
            row.status = INTERRUPTED
            row.message = INTERRUPTED_MESSAGE
            session.add(row)
    ids = [int(row.id or 0) for row in rows]
    if ids:
        log.warning(
            "runs %s of profile %s were left running by a process that died", ids, profile_id
        )
    return ids


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, HOLDER_BYTES, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as exc:
            # LK_NBLCK fails with EACCES (or EDEADLOCK after its retries) when it is taken.
            if exc.errno in (errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK)):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, HOLDER_BYTES, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock belongs to the open file, not the process: two opens in one process exclude
        # each other too (fcntl's record locks would not).
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
