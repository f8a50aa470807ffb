"""Where the Textual stylesheets are: inside the wheel, or at the top of a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def styles_dir() -> Path:
    bundled = _PACKAGE_DIR / "styles"
    if bundled.is_dir():
        return bundled
    checkout = _PACKAGE_DIR.parent.parent / "styles"
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError("zsync's stylesheets are missing; reinstall zsync")


def stylesheet(name: str) -> Path:
    return styles_dir() / name
