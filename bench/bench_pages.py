"""Page benchmark: each page's server run on the demo county, cold and warm, per role.

Run by hand: ``python -m bench.bench_pages [--database-url URL] [--out bench/RESULTS.md]``.
Builds the demo county with two months of demo patrols and tickets in a scratch database
(dropped at the end), then runs every page script the way the server does — Streamlit's
``AppTest`` executes the same script with a signed-in user in the session — and times one
run with empty caches (cold: Streamlit's ``st.cache_data``/``st.cache_resource`` cleared, as
after a restart) and the best of ``--repeat`` runs after it (warm: what a user meets on the
next click). The reference, measured in the same run, is a page that only writes a title
through the same harness: what AppTest itself costs. Browser rendering is not timed here.

Targets (issue [5/8]): every page warm under 1 s; the leader's landing page cold under 1.5 s.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine, text
from streamlit.testing.v1 import AppTest

from accounts.auth import SignedIn
from accounts.permissions import may
from bench.bench_ingest import (
    DEFAULT_OUT,
    exit_on_term,
    machine_line,
    scratch_database,
    server_url,
    verdict,
    write_section,
)
from core import clock
from ui import session
from ui.page import GLANCE, PAGES, PUBLIC, TICKET, PageSpec

ROOT = Path(__file__).resolve().parent.parent
WARM_TARGET_S, COLD_LANDING_TARGET_S = 1.0, 1.5
PATROL_MONTHS = 2
TIMEOUT = 120
REFERENCE = 'import streamlit as st\nst.title("reference")\n'


def _build(engine: Engine) -> None:
    """The demo county, two months of demo patrols up to yesterday and their tickets: what
    `shuijian demo --patrol-months 2` stores."""
    from data.demo import generate_demo
    from data.demo_tickets import add_demo_tickets
    from data.demo_tracks import add_demo_patrols, tracks_start
    from data.loader import load_demo
    from db.database import session_scope

    last_day = clock.yesterday()
    county = generate_demo(2026, assignments_from=tracks_start(last_day, PATROL_MONTHS))
    with session_scope(engine) as s:
        load_demo(s, county, "demo seed 2026")
    add_demo_patrols(engine, 2026, last_day, PATROL_MONTHS)
    add_demo_tickets(engine, 2026, tracks_start(last_day, PATROL_MONTHS), last_day)


def _users(engine: Engine) -> dict[str, SignedIn]:
    """One demo account per role (the deputy with the most sites, the heaviest case)."""
    sql = """
        SELECT u.id, u.username, u.role, u.deputy_id, u.display_name FROM app_user u
        WHERE u.is_active AND u.username IN ('leader', 'analyst', 'admin')
        UNION ALL (
          SELECT u.id, u.username, u.role, u.deputy_id, u.display_name FROM app_user u
          JOIN assignment a ON a.deputy_id = u.deputy_id AND a.valid_to IS NULL
          WHERE u.role = 'deputy' GROUP BY u.id ORDER BY count(*) DESC, u.id LIMIT 1)
    """
    with engine.connect() as conn:
        return {r.role: SignedIn(r.id, r.username, r.role, r.deputy_id, r.display_name)
                for r in conn.execute(text(sql))}  # fmt: skip


def _ticket(engine: Engine) -> str:
    with engine.connect() as conn:
        return str(conn.scalar(text("SELECT number FROM ticket ORDER BY id DESC LIMIT 1")))


def _run(path: str, user: SignedIn | None, query: dict[str, str]) -> AppTest:
    at = AppTest.from_file(path, default_timeout=TIMEOUT)
    if user is not None:
        at.session_state[session.USER] = user
    for key, value in query.items():
        at.query_params[key] = value
    return at


def _time(
    path: str, user: SignedIn | None, query: dict[str, str], repeat: int
) -> tuple[float, float]:
    """(cold, warm best-of-repeat) seconds of one page's script run."""
    st.cache_data.clear()
    st.cache_resource.clear()
    at = _run(path, user, query)
    started = time.perf_counter()
    at.run()
    cold = time.perf_counter() - started
    if at.exception:
        raise RuntimeError(f"{path} as {user.role if user else 'nobody'}: {at.exception[0].value}")
    warm = []
    for _ in range(repeat):
        again = _run(path, user, query)
        started = time.perf_counter()
        again.run()
        warm.append(time.perf_counter() - started)
    return cold, min(warm)


def _roles_for(page: PageSpec) -> list[str]:
    roles = ("leader", "analyst", "deputy", "admin")
    return [r for r in roles if page.action is None or may(r, page.action)]


def measure(engine: Engine, repeat: int) -> str:
    users = _users(engine)
    query_for = {TICKET.path: {"number": _ticket(engine)}}
    with tempfile.TemporaryDirectory() as folder:
        reference = Path(folder) / "reference.py"
        reference.write_text(REFERENCE, encoding="utf-8")
        ref_cold, ref_warm = _time(str(reference), None, {}, repeat)
    rows = [f"| reference: a title only | — | {ref_cold:.3f} s | {ref_warm:.3f} s | — | — |"]
    failures = 0
    for page in (*PAGES, PUBLIC):
        path = str(ROOT / page.path)
        for role in _roles_for(page):
            cold, warm = _time(path, users[role], query_for.get(page.path, {}), repeat)
            ok = warm < WARM_TARGET_S
            target = f"warm < {WARM_TARGET_S:g} s"
            if page is GLANCE and role == "leader":
                ok = ok and cold < COLD_LANDING_TARGET_S
                target += f", cold < {COLD_LANDING_TARGET_S:g} s"
            failures += not ok
            rows.append(
                f"| {page.path} | {role} | {cold:.3f} s | {warm:.3f} s | {target} | {verdict(ok)} |"
            )
    return "\n".join(
        [
            f"- Date and machine: {machine_line()}",
            f"- Data: the demo county with {PATROL_MONTHS} months of demo patrols and tickets up "
            f"to {clock.yesterday().isoformat()}; warm = best of {repeat} runs after the cold one",
            f"- Pages over their target: {failures}",
            "",
            "| page | role | cold | warm | target | result |",
            "|---|---|---:|---:|---|---|",
            *rows,
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url")
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, exit_on_term)
    os.environ.pop("TIANDITU_KEY", None)
    with scratch_database(server_url(args.database_url), "bench_pages") as engine:
        started = time.perf_counter()
        _build(engine)
        built = timedelta(seconds=round(time.perf_counter() - started))
        os.environ["DATABASE_URL"] = engine.url.render_as_string(hide_password=False)
        body = measure(engine, args.repeat) + f"\n- Demo built in {built} (not timed above)\n"
    write_section(args.out, "Pages (bench/bench_pages.py)", body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
