#!/usr/bin/env python3
"""The README's two commands, needing nothing but Python 3.11 and pip.

python3 dev.py run    create .venv if needed, install zsync, open the TUI on the demo sandbox
python3 dev.py test   create .venv if needed, install zsync with its test tools, run every check
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".zsync-installed"


def _python() -> str:
    return str(BIN / "python")


def ensure_environment(extras: str) -> None:
    """Create the virtual environment and (re)install when pyproject.toml changed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be started by an older python3
        sys.exit("zsync needs Python 3.11 or newer; run this with python3.11")
    if not (BIN / "python").exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print(f"Installing zsync{extras} into .venv …", flush=True)
    subprocess.run([_python(), "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run(
        [_python(), "-m", "pip", "install", "-q", "-e", f".{extras}"], cwd=ROOT, check=True
    )
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    ensure_environment("[test]")
    # The README's run command: the TUI on a seeded sandbox, with a throwaway data directory.
    return subprocess.call([str(BIN / "zsync"), *(args or ["demo"])], cwd=ROOT)


def test(args: list[str]) -> int:
    ensure_environment("[test]")
    sources = [name for name in ("src", "tests", "benchmarks", "dev.py") if (ROOT / name).exists()]
    steps = [
        [_python(), "-m", "ruff", "check", *sources],
        [_python(), "-m", "ruff", "format", "--check", *sources],
        [_python(), "-m", "mypy"],
        # Two workers (one per core on the reference machine), whole files per worker so a
        # module's shared sandbox stays in one process; a hung test fails instead of the run.
        [
            _python(),
            "-m",
            "pytest",
            "-q",
            "-n",
            "2",
            "--dist",
            "loadfile",
            "--timeout",
            "300",
            *args,
        ],
    ]
    for step in steps:
        print(
            "$",
            " ".join(Path(part).name if i == 0 else part for i, part in enumerate(step)),
            flush=True,
        )
        code = subprocess.call(step, cwd=ROOT)
        if code:
            return code
    return 0


def main() -> int:
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        return 2
    return commands[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
