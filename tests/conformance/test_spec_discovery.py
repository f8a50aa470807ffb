"""How the conformance tests find the specs: skip without them, fail when CI requires them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


def _fake_specs(root: Path) -> Path:
    (root / "crm-v8").mkdir(parents=True)
    (root / "crm-v8" / "record.json").write_text("{}", encoding="utf-8")
    (root / "billing-v1").mkdir()
    return root


def test_without_the_variable_the_tests_skip_and_say_why(
    find_spec_dir: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ZSYNC_OAS_DIR", raising=False)
    monkeypatch.delenv("ZSYNC_REQUIRE_OAS", raising=False)
    with pytest.raises(pytest.skip.Exception, match="ZSYNC_OAS_DIR is not set"):
        find_spec_dir()


def test_required_specs_that_are_missing_fail(
    find_spec_dir: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ZSYNC_REQUIRE_OAS", "1")
    monkeypatch.delenv("ZSYNC_OAS_DIR", raising=False)
    with pytest.raises(pytest.fail.Exception, match="ZSYNC_REQUIRE_OAS=1"):
        find_spec_dir()
    monkeypatch.setenv("ZSYNC_OAS_DIR", str(tmp_path / "empty"))
    with pytest.raises(pytest.fail.Exception, match="holds no crm-v8"):
        find_spec_dir()


def test_a_folder_with_both_spec_sets_is_used(
    find_spec_dir: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    root = _fake_specs(tmp_path / "oas")
    monkeypatch.setenv("ZSYNC_OAS_DIR", str(root))
    monkeypatch.setenv("ZSYNC_REQUIRE_OAS", "1")
    assert find_spec_dir() == root
