"""The README stays true: every setting and every CLI command is documented there."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main

from cli.main import app
from core import settings
from core.errors import ConfigurationError

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("setting", settings.SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_in_the_readme(setting: settings.Setting) -> None:
    assert f"`{setting.env}`" in README


def _command_paths() -> list[str]:
    group = typer.main.get_command(app)
    paths = []
    for name, cmd in group.commands.items():
        sub = getattr(cmd, "commands", None)
        if sub:
            paths.extend(f"shuijian {name} {s}" for s in sub)
        else:
            paths.append(f"shuijian {name}")
    return paths


@pytest.mark.parametrize("command", _command_paths())
def test_every_cli_command_is_in_the_readme(command: str) -> None:
    assert command in README


def test_unknown_setting_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ConfigurationError, match="known settings: .*database_url"):
        settings.text("databse_url")


def test_bad_setting_value_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("SHUIJIAN_METRIC_EPSG", "utm")
    with pytest.raises(ConfigurationError, match="SHUIJIAN_METRIC_EPSG='utm'"):
        settings.integer("metric_epsg")
    with pytest.raises(ConfigurationError, match="three whole numbers"):
        settings.parse_grid_counts("15/192")


def test_settings_are_read_typed(monkeypatch) -> None:
    """No untyped get(): each accessor returns its type, an unset key is None, not ''."""
    assert not hasattr(settings, "get")
    monkeypatch.setenv("SHUIJIAN_VISIT_DISTANCE_M", "75")
    assert settings.number("visit_distance_m") == 75.0
    assert settings.integer("metric_epsg") == 32650
    assert settings.text("timezone") == "Asia/Shanghai"
    monkeypatch.setenv("TIANDITU_KEY", "")
    assert settings.optional_text("tianditu_key") is None
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigurationError, match="DATABASE_URL is not set"):
        settings.text("database_url")


def test_the_seed_rules_table_names_tests_and_modules_that_exist() -> None:
    """Every test the README's "Seed rules" table cites exists, and every module it names."""
    import re

    root = Path(__file__).resolve().parent.parent
    section = README[README.index("## Seed rules and where they live") : README.index("## Layout")]
    cited = 0
    for cell in re.findall(r"\| ([^|]*tests/[^|]*) \|\s*$", section, re.M):
        current = None
        for match in re.finditer(r"`(tests/[\w/]+\.py)?::(test_\w+)`", cell):
            current = match.group(1) or current
            assert current is not None, cell
            source = (root / current).read_text(encoding="utf-8")
            assert f"def {match.group(2)}(" in source, f"{current}::{match.group(2)}"
            cited += 1
    modules = re.findall(r"`((?:[a-z_]+/)+[a-z_]+\.py)`", section)
    missing = [m for m in modules if not (root / m).exists()]
    assert cited >= 20 and not missing, missing


def test_the_uploader_promises_the_gpx_limit() -> None:
    """Streamlit's uploader prints its own size limit; it must be the GPX limit, not 200 MB."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    shipped = next(s for s in settings.SETTINGS if s.name == "gpx_max_mb").default
    assert config["server"]["maxUploadSize"] == shipped
