from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from zsync_tui import __version__
from zsync_tui.cli import main


def test_version_and_help_list_only_real_commands():
    runner = CliRunner()
    assert runner.invoke(main, ["--version"]).output.strip().endswith(__version__)
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    for name, command in main.commands.items():
        assert name in result.output
        assert command.callback is not None or getattr(command, "commands", None)


def test_python_dash_m_runs_the_same_cli(tmp_path):
    output = subprocess.run(
        [sys.executable, "-m", "zsync_tui", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert __version__ in output


def test_doctor_reports_the_redirected_paths(tmp_path, memory_keyring):
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "doctor", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["data_dir"].startswith(str(tmp_path / "d"))
    assert report["schema_version"] >= 2
    assert report["keyring_usable"] is True


def test_settings_set_rejects_invalid_value_with_exit_2(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(main, ["settings", "set", "log_level", "LOUD"])
    assert bad.exit_code == 2
    assert "log_level" in bad.output
    good = runner.invoke(main, ["settings", "set", "log_level", "DEBUG"])
    assert good.exit_code == 0
    assert 'log_level = "DEBUG"' in runner.invoke(main, ["settings", "show"]).output
