"""Delivery of dispatch messages to the platforms, against a fake platform on 127.0.0.1.

Each scenario ends in the same tally, counted at the platform by idempotency key: every
dispatched message processed (lost 0), none processed twice (doubled 0), and redeliveries only
where the sender could not know its message had arrived (a timeout, a kill mid-call). Time is
advanced by passing `now`, never by sleeping.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine, text

from core import clock
from db.database import session_scope
from tests.fake_platform import FakePlatform
from tickets.outbox import DeliveryReport, backoff_seconds, deliver_due, run_sender
from tickets.service import Actor, NewProblem, get_ticket, move, report_problem

# Reads today's date: run again under each frozen date (tests/clock.py).
pytestmark = pytest.mark.clock

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 26)
ANALYST = Actor("analyst")
N_TICKETS = 30
PLATFORMS = ("bianmin", "shichang", "zhifa", "zongzhi")


# ------------------------------------------------------------------ fixtures and helpers


@pytest.fixture
def fake() -> Iterator[FakePlatform]:
    platform = FakePlatform().start()
    try:
        yield platform
    finally:
        platform.stop()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, trust_env=False) as c:
        yield c


def create_tickets(engine: Engine, n: int = N_TICKETS) -> list[str]:
    """n tickets over every category (so every platform), one in each township in turn."""
    with engine.connect() as conn:
        points = conn.execute(
            text(
                "SELECT ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) "
                "FROM township ORDER BY id"
            )
        ).all()
        categories = list(
            conn.scalars(text("SELECT code FROM problem_category WHERE active ORDER BY code"))
        )
    numbers = []
    with session_scope(engine) as s:
        for i in range(n):
            lon, lat = points[i % len(points)]
            problem = NewProblem(categories[i % len(categories)], f"测试问题 {i}", lon, lat)
            ticket = report_problem(s, problem, ANALYST, reporter_deputy_id=None, today=TODAY)
            numbers.append(ticket.number)
    return numbers


def route_to(engine: Engine, fake: FakePlatform, codes: tuple[str, ...] = PLATFORMS) -> None:
    """Point the platforms at the fake, one path per platform so routing can be checked."""
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE platform SET endpoint_url = :base || '/' || code WHERE code = ANY(:c)"),
            {"base": fake.url, "c": list(codes)},
        )


def outbox(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT o.id, o.ticket_id, t.number, o.platform_code, o.idempotency_key, "
                "o.attempts, o.next_attempt_at, o.delivered_at, o.last_error "
                "FROM outbox o JOIN ticket t ON t.id = o.ticket_id ORDER BY o.id"
            )
        ).mappings()
        return [dict(r) for r in rows]


def later(engine: Engine) -> datetime:
    """The moment every undelivered message is due again."""
    with engine.connect() as conn:
        return conn.scalar(
            text("SELECT max(next_attempt_at) FROM outbox WHERE delivered_at IS NULL")
        )


def drain(engine: Engine, client: httpx.Client, now: datetime, passes: int = 10) -> datetime:
    """Passes at ever later times until nothing is left (bounded: a stuck row fails the test)."""
    for _ in range(passes):
        if later(engine) is None:
            return now
        now = max(now, later(engine))
        deliver_due(engine, now=now, client=client)
    assert later(engine) is None, "messages still undelivered after the bounded passes"
    return now


@dataclass
class Tally:
    sent: int
    lost: int
    doubled: int
    redelivered: int

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, lost {self.lost}, doubled {self.doubled} "
            f"({self.redelivered} redelivery(ies) dropped by the platform's de-dup)"
        )


def tally(engine: Engine, fake: FakePlatform) -> Tally:
    """Compare the outbox with what the platform processed, by idempotency key."""
    rows = outbox(engine)
    keys = {r["idempotency_key"] for r in rows}
    with fake.lock:
        accepted = set(fake.accepted)
        doubled = len(fake.accepted_order) - len(accepted)
        redelivered = fake.duplicates
    assert accepted <= keys, "the platform received a message the outbox never held"
    assert all(r["delivered_at"] is not None for r in rows), "outbox rows left undelivered"
    result = Tally(len(accepted & keys), len(keys - accepted), doubled, redelivered)
    print(result)
    return result


def check_requests(engine: Engine, fake: FakePlatform) -> None:
    """Each request carried its key and ticket number, and went to its ticket's platform."""
    by_key = {r["idempotency_key"]: r for r in outbox(engine)}
    with fake.lock:
        received = list(fake.received)
    for r in received:
        row = by_key[r.key]
        assert r.ticket == row["number"] == r.payload["ticket_number"]
        assert r.key == f"{row['number']}:{r.payload['event_id']}"
        assert r.path == f"/dispatch/{row['platform_code']}"


# ------------------------------------------------------------------ scenarios


def test_happy_path_every_ticket_delivered_once(
    demo_copy: Engine, fake: FakePlatform, client: httpx.Client
) -> None:
    numbers = create_tickets(demo_copy)
    assert {r["platform_code"] for r in outbox(demo_copy)} == set(PLATFORMS)
    route_to(demo_copy, fake)
    now = clock.now() + timedelta(seconds=1)

    report = deliver_due(demo_copy, now=now, client=client)

    assert (report.sent, report.failed, report.skipped) == (N_TICKETS, 0, 0)
    assert deliver_due(demo_copy, now=now, client=client).sent == 0  # nothing sent again
    assert set(fake.keys_received().values()) == {1}
    assert sorted(fake.event_ids_per_ticket()) == sorted(numbers)
    assert all(r["attempts"] == 1 and r["last_error"] is None for r in outbox(demo_copy))
    check_requests(demo_copy, fake)
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (N_TICKETS, 0, 0, 0)


def test_500s_then_recovery_delivers_each_once_with_backoff(
    demo_copy: Engine, fake: FakePlatform, client: httpx.Client
) -> None:
    create_tickets(demo_copy)
    route_to(demo_copy, fake)
    fake.fail_next(45)  # the whole first pass and half the second answer 500
    now = clock.now() + timedelta(seconds=1)

    first = deliver_due(demo_copy, now=now, client=client)
    assert (first.sent, first.failed) == (0, N_TICKETS)
    rows = outbox(demo_copy)
    assert all(r["attempts"] == 1 and r["last_error"].startswith("HTTP 500") for r in rows)
    waits = [(r["next_attempt_at"] - now).total_seconds() for r in rows]
    assert all(1.8 <= w <= 2.0 for w in waits) and len(set(waits)) > 1  # 2 s, jittered
    assert deliver_due(demo_copy, now=now + timedelta(seconds=1), client=client).sent == 0

    second = deliver_due(demo_copy, now=later(demo_copy), client=client)
    assert (second.sent, second.failed) == (15, 15)
    failed_again = [r for r in outbox(demo_copy) if r["delivered_at"] is None]
    assert all(r["attempts"] == 2 for r in failed_again)

    drain(demo_copy, client, later(demo_copy))
    assert Counter(fake.keys_received().values()) == {2: 15, 3: 15}  # 500s included
    check_requests(demo_copy, fake)
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (N_TICKETS, 0, 0, 0)


def test_platform_down_then_up_delivers_later_once(
    demo_copy: Engine, fake: FakePlatform, client: httpx.Client
) -> None:
    create_tickets(demo_copy)
    route_to(demo_copy, fake)
    fake.stop()
    now = clock.now() + timedelta(seconds=1)

    down = deliver_due(demo_copy, now=now, client=client)
    assert (down.sent, down.failed) == (0, N_TICKETS)
    assert all("ConnectError" in r["last_error"] for r in outbox(demo_copy))
    assert fake.request_count() == 0

    fake.start()
    up = deliver_due(demo_copy, now=later(demo_copy), client=client)
    assert (up.sent, up.failed) == (N_TICKETS, 0)
    assert set(fake.keys_received().values()) == {1}
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (N_TICKETS, 0, 0, 0)


def test_timeout_is_retried_and_the_platform_drops_the_repeat(
    demo_copy: Engine, fake: FakePlatform
) -> None:
    create_tickets(demo_copy, 3)
    route_to(demo_copy, fake)
    fake.delay_s = 0.6  # processed on arrival, answered after the sender stopped waiting
    now = clock.now() + timedelta(seconds=1)
    with httpx.Client(timeout=0.15, trust_env=False) as impatient:
        slow = deliver_due(demo_copy, now=now, client=impatient)
    assert (slow.sent, slow.failed) == (0, 3)
    assert all(r["last_error"].startswith("timeout") for r in outbox(demo_copy))

    fake.delay_s = 0.0
    with httpx.Client(timeout=5.0, trust_env=False) as patient:
        drain(demo_copy, patient, now)
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (3, 0, 0, 3)


def _subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", **extra)
    return env


def wait_for_dead_transactions(engine: Engine, timeout_s: float = 10.0) -> None:
    """Until the server has rolled back the killed sender's transaction (its row lock would
    otherwise make the restarted sender skip that row in its one pass)."""
    deadline = time.monotonic() + timeout_s
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
    )
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.scalar(query) == 0:
                return
        time.sleep(0.05)
    raise AssertionError("the killed sender's transaction is still open")


def test_sender_killed_mid_batch_loses_nothing_and_repeats_one(
    demo_copy: Engine, fake: FakePlatform
) -> None:
    create_tickets(demo_copy)
    route_to(demo_copy, fake)
    url = demo_copy.url.render_as_string(hide_password=False)
    fake.delay_s = 0.02
    fake.hold_at = 9  # the 9th message is processed, then its answer held: in flight

    sender = subprocess.Popen(
        [sys.executable, "-m", "tests.frozen", "tickets.outbox", "--database-url", url, "--once"],
        cwd=ROOT,
        env=_subprocess_env(SHUIJIAN_OUTBOX_TIMEOUT_S="20"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert fake.holding.wait(timeout=30), "the sender never reached the 9th message"
        sender.kill()  # SIGKILL: no cleanup, the open transaction dies with the connection
    finally:
        if sender.poll() is None:
            sender.kill()
        sender.wait(timeout=10)
    fake.hold_at = None
    fake.release.set()
    wait_for_dead_transactions(demo_copy)
    delivered = [r for r in outbox(demo_copy) if r["delivered_at"] is not None]
    assert len(delivered) == 8  # committed ones; the in-flight one was rolled back

    fake.delay_s = 0.0
    restarted = subprocess.run(
        [sys.executable, "-m", "tests.frozen", "cli.main", "send", "--once"],
        cwd=ROOT,
        env=_subprocess_env(DATABASE_URL=url, SHUIJIAN_OUTBOX_TIMEOUT_S="20"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert restarted.returncode == 0, restarted.stderr
    assert f"sent {N_TICKETS - 8}, failed 0, skipped 0" in restarted.stdout

    received = fake.keys_received()
    assert len(received) == N_TICKETS and min(received.values()) >= 1
    assert sorted(received.values()).count(2) == 1  # only the in-flight one came twice
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (N_TICKETS, 0, 0, 1)


def test_a_second_sender_skips_the_row_another_holds(demo_copy: Engine, fake: FakePlatform) -> None:
    create_tickets(demo_copy, 12)
    route_to(demo_copy, fake)
    now = clock.now() + timedelta(seconds=1)
    fake.hold_at = 1  # sender A's first message stays in flight, its row locked
    reports: dict[str, DeliveryReport] = {}

    def sender_a() -> None:
        with httpx.Client(timeout=20.0, trust_env=False) as c:
            reports["a"] = deliver_due(demo_copy, now=now, client=c)

    thread = threading.Thread(target=sender_a)
    thread.start()
    try:
        assert fake.holding.wait(timeout=10)
        with httpx.Client(timeout=5.0, trust_env=False) as c:
            reports["b"] = deliver_due(demo_copy, now=now, client=c)
    finally:
        fake.release.set()
        thread.join(timeout=20)
    assert not thread.is_alive()
    assert (reports["a"].sent, reports["b"].sent) == (1, 11)
    assert set(fake.keys_received().values()) == {1}
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (12, 0, 0, 0)


def test_two_senders_racing_never_send_a_row_twice(demo_copy: Engine, fake: FakePlatform) -> None:
    create_tickets(demo_copy)
    route_to(demo_copy, fake)
    fake.delay_s = 0.01
    now = clock.now() + timedelta(seconds=1)
    start = threading.Barrier(2, timeout=10)
    reports: list[DeliveryReport] = []

    def sender() -> None:
        with httpx.Client(timeout=5.0, trust_env=False) as c:
            start.wait()
            reports.append(deliver_due(demo_copy, now=now, client=c))

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=30)
    assert len(reports) == 2 and sum(r.sent for r in reports) == N_TICKETS
    assert fake.request_count() == N_TICKETS
    assert set(fake.keys_received().values()) == {1}
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (N_TICKETS, 0, 0, 0)


def test_order_per_ticket_is_kept_when_an_earlier_message_fails(
    demo_copy: Engine, fake: FakePlatform, client: httpx.Client
) -> None:
    numbers = create_tickets(demo_copy, 6)
    for round_ in range(2):  # 退回 then 再交办, twice: three dispatch messages per ticket
        with session_scope(demo_copy) as s:
            for i, number in enumerate(numbers):
                ticket = get_ticket(s, number)
                move(s, ticket, "reject", ANALYST, comment="非本平台职责")
                payload = {"platform": PLATFORMS[(i + round_) % 4]}
                move(s, ticket, "dispatch", ANALYST, payload=payload)
    rows = outbox(demo_copy)
    assert len(rows) == 18
    route_to(demo_copy, fake)
    fake.fail_next(1)  # the very first message (ticket 1's first) fails
    now = clock.now() + timedelta(seconds=1)

    first = deliver_due(demo_copy, now=now, client=client)
    assert (first.sent, first.failed) == (15, 1)
    assert numbers[0] not in fake.event_ids_per_ticket()  # its later messages waited

    drain(demo_copy, client, now)
    expected: dict[str, list[int]] = {}
    for r in rows:
        expected.setdefault(r["number"], []).append(int(r["idempotency_key"].split(":")[1]))
    assert fake.event_ids_per_ticket() == expected
    assert all(ids == sorted(ids) for ids in expected.values())
    check_requests(demo_copy, fake)  # rerouted messages went to their new platform
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (18, 0, 0, 0)


def test_platform_without_endpoint_is_skipped_not_lost(
    demo_copy: Engine, fake: FakePlatform, client: httpx.Client
) -> None:
    create_tickets(demo_copy, 12)
    route_to(demo_copy, fake, ("bianmin", "shichang", "zhifa"))
    waiting = sum(r["platform_code"] == "zongzhi" for r in outbox(demo_copy))
    assert waiting > 0
    now = clock.now() + timedelta(seconds=1)

    report = deliver_due(demo_copy, now=now, client=client)
    assert (report.sent, report.failed, report.skipped) == (12 - waiting, 0, waiting)
    assert any("zongzhi" in note and "endpoint_url" in note for note in report.notes)
    untouched = [r for r in outbox(demo_copy) if r["platform_code"] == "zongzhi"]
    assert all(r["attempts"] == 0 and r["delivered_at"] is None for r in untouched)

    route_to(demo_copy, fake, ("zongzhi",))
    assert deliver_due(demo_copy, now=now, client=client).sent == waiting
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (12, 0, 0, 0)


def test_run_sender_loop_delivers_and_stops_when_told(
    demo_copy: Engine, fake: FakePlatform, client: httpx.Client
) -> None:
    create_tickets(demo_copy, 6)
    route_to(demo_copy, fake)
    stop = threading.Event()
    loop = threading.Thread(
        target=run_sender, args=(demo_copy, 0.05, stop), kwargs={"client": client}
    )
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while later(demo_copy) is not None and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        loop.join(timeout=10)
    assert not loop.is_alive()
    t = tally(demo_copy, fake)
    assert (t.sent, t.lost, t.doubled, t.redelivered) == (6, 0, 0, 0)


def test_backoff_doubles_is_capped_and_jitter_is_deterministic() -> None:
    waits = [backoff_seconds(n, "330822-202611-0001:7", 300) for n in range(1, 12)]
    assert 1.8 <= waits[0] <= 2.0 and 3.6 <= waits[1] <= 4.0
    assert all(b > a for a, b in zip(waits[:7], waits[1:8], strict=True))
    assert max(waits) <= 300 and waits[-1] >= 270  # capped, minus at most 10 %
    assert backoff_seconds(3, "k:1", 300) == backoff_seconds(3, "k:1", 300)
    assert len({backoff_seconds(3, f"k:{i}", 300) for i in range(20)}) > 10
