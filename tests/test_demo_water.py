"""The demo's cross-sections on the demo county: on the townships' common boundaries (the
importer holds them to 1 km of both), twelve months each, two townships on the 约谈 list, a
third whose run of two stays below it, a fourth whose misses around an unsampled month stay
unjoined; the warnings scan raises them; the same seed gives the same values."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from data.demo_water import _samples, _sections, add_demo_water
from reports.early_warning import scan
from water import quality

UNTIL = date(2026, 11, 25)


@pytest.mark.slow
def test_demo_sections_months_and_summons(demo_copy: Engine) -> None:
    with time_machine.travel(datetime(2026, 11, 26, 2, 0, tzinfo=UTC), tick=False):
        done = add_demo_water(demo_copy, 2026, UNTIL)
        assert (done.first, done.last) == (date(2025, 12, 1), date(2026, 11, 1))
        with Session(demo_copy) as s:
            runs = quality.summons(s)
            two = quality.summons(s, at_least=2)
            shares = quality.attainment_by_county(s, date(2026, 6, 1))
            report = scan(s, UNTIL, push=False)
    assert 15 <= done.sections <= 22
    with demo_copy.connect() as conn:
        kinds = dict(
            conn.execute(text("SELECT waterbody, count(*) FROM water_section GROUP BY 1")).all()
        )
        entries = conn.scalar(
            text("SELECT count(*) FROM water_section WHERE upstream_township_id IS NULL")
        )
        per_section = set(
            conn.scalars(text("SELECT count(*) FROM water_sample GROUP BY section_id"))
        )
    assert kinds["lake"] == 2 and entries == 2
    assert per_section <= {11, 12} and 12 in per_section  # the gap township's sections: 11
    assert sorted(len(r.months) for r in runs) == [3, 4]
    assert [r.ongoing for r in sorted(runs, key=lambda r: len(r.months))] == [True, False]
    assert sorted(len(r.months) for r in two) == [2, 2, 3, 4]  # the spell of 2, the gap's 2
    assert report.by_rule.get("water_quality") == 2
    assert all(0.0 < v < 1.0 for v in shares.values() if v is not None)


def test_the_demo_draw_is_deterministic(demo_engine: Engine) -> None:
    first = _sections(demo_engine, 2026)
    assert first.equals(_sections(demo_engine, 2026))
    assert _samples(first, 2026, UNTIL).equals(_samples(first, 2026, UNTIL))
    assert not _samples(first, 2026, UNTIL).equals(_samples(first, 7, UNTIL))
