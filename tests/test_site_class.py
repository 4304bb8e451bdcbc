"""A site's class and its basis: set from the pollution risk on import, changed only by
appending to its history (with the day it takes effect), refused clearly otherwise."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cli.main import app
from db.database import session_scope
from duty.site_class import SiteClassRefused, change_site_class, class_history


def _site(engine: Engine) -> tuple[str, int, str]:
    with engine.connect() as conn:
        code, site_class, basis = conn.execute(
            text("SELECT code, site_class, class_basis FROM site ORDER BY code LIMIT 1")
        ).one()
    return code, site_class, basis


def test_the_demo_sites_carry_their_basis_and_a_first_history_row(demo_copy: Engine) -> None:
    with demo_copy.connect() as conn:
        missing = conn.scalar(text("SELECT count(*) FROM site WHERE class_basis IS NULL"))
        mismatched = conn.scalar(
            text(
                "SELECT count(*) FROM site s JOIN site_class_change c ON c.site_id = s.id "
                "WHERE c.site_class <> s.site_class OR c.basis <> s.class_basis"
            )
        )
        rows = conn.scalar(text("SELECT count(*) FROM site_class_change"))
        sites = conn.scalar(text("SELECT count(*) FROM site"))
    assert missing == 0 and mismatched == 0 and rows == sites == 537


def test_a_class_change_is_appended_with_its_day(demo_copy: Engine) -> None:
    code, old, basis = _site(demo_copy)
    new = 1 if old != 1 else 3
    with session_scope(demo_copy) as s:
        change_site_class(s, code, new, "reassessed", date(2027, 1, 5), "新建排污口")
    with session_scope(demo_copy) as s:
        history = class_history(s, code)
        current = s.execute(
            text("SELECT site_class, class_basis FROM site WHERE code = :c"), {"c": code}
        ).one()
    assert history["site_class"].tolist() == [old, new]
    assert history["basis"].tolist() == [basis, "reassessed"]
    assert history["valid_from"].iloc[-1] == date(2027, 1, 5)
    assert tuple(current) == (new, "reassessed")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        (
            {"site_class": None, "basis": "reassessed", "day": date(2027, 1, 5)},
            "site_class_unchanged",
        ),
        ({"site_class": 4, "basis": "reassessed", "day": date(2027, 1, 5)}, "bad_site_class_value"),
        (
            {"site_class": "other", "basis": "hearsay", "day": date(2027, 1, 5)},
            "unknown_class_basis_value",
        ),
        (
            {"site_class": "other", "basis": "reassessed", "day": date(2020, 1, 1)},
            "site_class_change_too_early",
        ),
    ],
)
def test_a_bad_change_is_refused_by_name_and_writes_nothing(
    demo_copy: Engine, change: dict, code: str
) -> None:
    site, old, _ = _site(demo_copy)
    target = {None: old, "other": 1 if old != 1 else 2}.get(
        change["site_class"], change["site_class"]
    )
    with pytest.raises(SiteClassRefused) as refused, session_scope(demo_copy) as s:
        change_site_class(s, site, target, change["basis"], change["day"])
    assert refused.value.code == code
    with session_scope(demo_copy) as s:
        assert len(class_history(s, site)) == 1


def test_the_command_line_sets_and_lists(
    demo_copy: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from db import database

    monkeypatch.setenv("DATABASE_URL", demo_copy.url.render_as_string(hide_password=False))
    database.get_engine.cache_clear()  # the command line's engine: this test's database
    site, old, _ = _site(demo_copy)
    new = 1 if old != 1 else 2
    runner = CliRunner()
    done = runner.invoke(app, ["site-class", "set", site, str(new), "--from", "2027-02-01"])
    assert done.exit_code == 0, done.output
    listed = runner.invoke(app, ["site-class", "history", site])
    assert listed.exit_code == 0 and "2027-02-01" in listed.output
    again = runner.invoke(app, ["site-class", "set", site, str(new), "--from", "2027-03-01"])
    database.get_engine.cache_clear()
    assert again.exit_code == 1 and "already" in again.output and "Traceback" not in again.output
