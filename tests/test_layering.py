"""The house rules of ARCHITECTURE.md, checked on the import graph of the source tree."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "zsync_tui"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
                names.add(module)
                names.update(f"{module}.{alias.name}" for alias in node.names)
            elif node.module:
                names.add(node.module)
    return names


def _files(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        target = SRC / part
        found += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return [path for path in found if path.exists()]


def _offenders(files: list[Path], forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(SRC)} imports {name}"
        for path in files
        for name in sorted(_imports(path))
        if any(name == bad or name.startswith(bad + ".") for bad in forbidden)
    ]


def test_domain_code_never_imports_textual():
    files = _files("sync", "zoho", "store", "settings.py", "secrets.py", "logs.py")
    assert _offenders(files, ("textual", "rich")) == []


def test_sandbox_imports_nothing_of_the_client_side():
    client_side = tuple(
        f"zsync_tui.{name}"
        for name in (
            "zoho",
            "sync",
            "store",
            "screens",
            "widgets",
            "app",
            "settings",
            "secrets",
            "runtime",
            "cli",
            "commands",
            "logs",
            "resources",
        )
    )
    assert _offenders(_files("sandbox"), client_side) == []


def test_screens_and_widgets_never_call_the_wire():
    assert _offenders(_files("screens", "widgets"), ("httpx", "zsync_tui.zoho")) == []


def test_the_checker_sees_a_violation(tmp_path: Path):
    offender = SRC / "sync" / "_layering_probe.py"
    offender.write_text("import textual\n")
    try:
        assert _offenders(_files("sync"), ("textual",)) != []
    finally:
        offender.unlink()
