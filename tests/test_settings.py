from __future__ import annotations

from pathlib import Path

import pytest

from zsync_tui.settings import AppSettings, Paths, SettingsError


def test_zsync_home_redirects_every_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZSYNC_HOME", str(tmp_path / "h"))
    paths = Paths.resolve().ensure()
    for directory in (paths.config_dir, paths.data_dir, paths.state_dir, paths.log_dir):
        assert directory.is_relative_to(tmp_path / "h")
        assert directory.stat().st_mode & 0o777 == 0o700


def test_data_dir_flag_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ZSYNC_HOME", str(tmp_path / "env"))
    paths = Paths.resolve(tmp_path / "flag")
    assert paths.data_dir == (tmp_path / "flag" / "data").resolve()


def test_platform_directories_without_redirection(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("ZSYNC_HOME")
    paths = Paths.resolve()
    assert "zsync" in str(paths.config_dir) and "zsync" in str(paths.data_dir)


def test_settings_round_trip(tmp_path: Path):
    path = tmp_path / "settings.toml"
    AppSettings(log_level="DEBUG", deal_poll_seconds=30).save(path)
    loaded = AppSettings.load(path)
    assert loaded.log_level == "DEBUG" and loaded.deal_poll_seconds == 30
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('log_level = "LOUD"\n', "log_level: must be one of DEBUG, INFO, WARNING, ERROR"),
        ("deal_poll_seconds = 1\n", r"deal_poll_seconds: must be at least 5 \(got 1\)"),
        ('log_backup_count = "many"\n', "log_backup_count: must be a whole number"),
        ('default_profile = "a b"\n', "default_profile: 1 to 64 letters"),
        ("colour = 3\n", "colour: unknown key"),
        ("log_level = \n", "not valid TOML"),
    ],
)
def test_invalid_settings_name_the_key_and_reason(tmp_path: Path, text: str, expected: str):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(SettingsError, match=expected):
        AppSettings.load(path)


def test_with_value_validates_and_rejects_unknown_keys():
    assert AppSettings().with_value("keyring_timeout_s", "2.5").keyring_timeout_s == 2.5
    with pytest.raises(SettingsError, match="nope: unknown setting"):
        AppSettings().with_value("nope", "1")
    with pytest.raises(SettingsError, match="keyring_timeout_s"):
        AppSettings().with_value("keyring_timeout_s", "-1")
    assert AppSettings().with_value("deal_poll_seconds", "30").deal_poll_seconds == 30
    with pytest.raises(SettingsError, match="must be a number"):
        AppSettings().with_value("http_timeout_s", "nan")


def test_every_refused_key_is_listed_at_once(tmp_path: Path):
    path = tmp_path / "settings.toml"
    path.write_text('log_level = "LOUD"\nhttp_timeout_s = 0\ncolour = 3\n')
    with pytest.raises(SettingsError) as refused:
        AppSettings.load(path)
    lines = str(refused.value).splitlines()
    assert len(lines) == 3
    assert any("colour: unknown key" in line for line in lines)
    assert any("http_timeout_s: must be greater than 0" in line for line in lines)
