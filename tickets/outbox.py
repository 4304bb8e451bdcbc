"""The sender: delivers outbox messages (交办单) to the platforms, at least once and in order.

`tickets.service` writes an outbox row in the same transaction as every dispatch, so a message
exists exactly when its ticket was dispatched. This module sends those rows by HTTP POST and
marks them delivered. Guarantees:

- nothing is lost: a row is marked delivered only after a 2xx answer, in the same transaction
  that held its lock during the call; any failure only schedules a retry (exponential backoff);
- little is repeated: each row is claimed, sent and committed on its own, so a crash repeats at
  most the one in flight, and the `Idempotency-Key` header lets the platform drop that repeat;
- no row is sent by two senders at once: a row is claimed with `FOR UPDATE SKIP LOCKED`;
- per ticket, messages go in order: only a ticket's oldest undelivered row is ever eligible.

Run it with `shuijian send` (a loop, or `--once`) or `python -m tickets.outbox`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from core import clock, settings

log = logging.getLogger("shuijian.outbox")

JITTER = 0.1  # a retry waits up to 10 % less than its backoff, so failed rows spread out
ERROR_CHARS = 300  # how much of a platform's error answer is kept in last_error

# One row per transaction: the ticket's oldest undelivered message, due, of a platform with an
# endpoint, not locked by another sender. The lock is held during the HTTP call.
_CLAIM = text(
    """
    SELECT o.id, o.idempotency_key, o.payload, o.attempts, o.platform_code,
           p.endpoint_url, t.number
    FROM outbox o
    JOIN platform p ON p.code = o.platform_code
    JOIN ticket t ON t.id = o.ticket_id
    WHERE o.delivered_at IS NULL
      AND o.next_attempt_at <= :now
      AND coalesce(p.endpoint_url, '') <> ''
      AND NOT EXISTS (
          SELECT 1 FROM outbox earlier
          WHERE earlier.ticket_id = o.ticket_id
            AND earlier.delivered_at IS NULL
            AND earlier.id < o.id
      )
    ORDER BY o.id
    LIMIT 1
    FOR UPDATE OF o SKIP LOCKED
    """
)
_DELIVERED = text(
    "UPDATE outbox SET delivered_at = :now, attempts = attempts + 1, last_error = NULL "
    "WHERE id = :id"
)
_FAILED = text(
    "UPDATE outbox SET attempts = :attempts, last_error = :error, next_attempt_at = :next "
    "WHERE id = :id"
)
# Due messages that wait only because their platform has no endpoint configured.
_WAITING_FOR_ENDPOINT = text(
    """
    SELECT o.platform_code, count(*) FROM outbox o JOIN platform p ON p.code = o.platform_code
    WHERE o.delivered_at IS NULL AND o.next_attempt_at <= :now
      AND coalesce(p.endpoint_url, '') = ''
    GROUP BY o.platform_code ORDER BY o.platform_code
    """
)


@dataclass
class DeliveryReport:
    """What one pass did: sent (2xx), failed (retry scheduled), skipped (no endpoint)."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        text_ = f"sent {self.sent}, failed {self.failed}, skipped {self.skipped}"
        return "; ".join([text_, *self.notes])


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    error: str | None = None


def backoff_seconds(attempts: int, key: str, max_s: float | None = None) -> float:
    """Wait before the next try after `attempts` failures: 2 ** attempts s, capped, minus a
    jitter of up to 10 % derived from the key (deterministic, so tests can predict it, yet
    different per message, so failed rows do not all come back in the same second)."""
    cap = float(settings.number("outbox_max_backoff_s") if max_s is None else max_s)
    base = min(2.0 ** min(max(attempts, 0), 30), cap)
    fraction = (zlib.crc32(key.encode()) % 1000) / 1000.0
    return base * (1.0 - JITTER * fraction)


def _post(client: httpx.Client, row: Mapping[str, Any]) -> _Outcome:
    """One HTTP delivery; every way it can fail becomes a short reason, never an exception."""
    headers = {
        "Idempotency-Key": row["idempotency_key"],
        "X-Shuijian-Ticket": row["number"],
    }
    try:
        response = client.post(row["endpoint_url"], json=row["payload"], headers=headers)
    except httpx.TimeoutException as exc:
        return _Outcome(False, f"timeout ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return _Outcome(False, f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
    except httpx.InvalidURL as exc:
        return _Outcome(False, f"invalid endpoint_url: {exc}"[:ERROR_CHARS])
    if response.is_success:
        return _Outcome(True)
    body = " ".join(response.text.split())
    return _Outcome(False, f"HTTP {response.status_code}: {body}"[:ERROR_CHARS])


def _deliver_one(
    conn: Connection, client: httpx.Client, now: datetime, max_backoff: float
) -> _Outcome | None:
    """Claim, send and record one row inside the caller's transaction; None when none is due."""
    row = conn.execute(_CLAIM, {"now": now}).mappings().first()
    if row is None:
        return None
    outcome = _post(client, row)
    if outcome.ok:
        conn.execute(_DELIVERED, {"id": row["id"], "now": now})
    else:
        attempts = row["attempts"] + 1
        delay = backoff_seconds(attempts, row["idempotency_key"], max_backoff)
        conn.execute(
            _FAILED,
            {
                "id": row["id"],
                "attempts": attempts,
                "error": outcome.error,
                "next": now + timedelta(seconds=delay),
            },
        )
        log.warning(
            "delivery %s to %s failed (attempt %d, next in %.0f s): %s",
            row["idempotency_key"],
            row["platform_code"],
            attempts,
            delay,
            outcome.error,
        )
    return outcome


def make_client(timeout_s: float | None = None) -> httpx.Client:
    """The HTTP client the sender uses: one timeout for connect, read and write."""
    timeout = float(settings.number("outbox_timeout_s") if timeout_s is None else timeout_s)
    return httpx.Client(timeout=timeout, follow_redirects=False)


def deliver_due(
    engine: Engine,
    *,
    now: datetime | None = None,
    batch: int = 50,
    client: httpx.Client | None = None,
) -> DeliveryReport:
    """One pass: send up to `batch` due messages, each in its own transaction (claimed with
    FOR UPDATE SKIP LOCKED, posted, marked, committed), so a crash repeats at most one."""
    now = now or clock.now()
    max_backoff = settings.number("outbox_max_backoff_s")
    report = DeliveryReport()
    own_client = client is None
    http = make_client() if client is None else client
    try:
        for _ in range(batch):
            with engine.begin() as conn:
                outcome = _deliver_one(conn, http, now, max_backoff)
            if outcome is None:
                break
            if outcome.ok:
                report.sent += 1
            else:
                report.failed += 1
    finally:
        if own_client:
            http.close()
    with engine.connect() as conn:
        waiting = conn.execute(_WAITING_FOR_ENDPOINT, {"now": now}).all()
    for platform, count in waiting:
        report.skipped += count
        report.notes.append(
            f"{count} message(s) to platform {platform} wait: it has no endpoint_url"
        )
    return report


def run_sender(
    engine: Engine,
    interval_s: float,
    stop_event: threading.Event,
    *,
    batch: int = 50,
    client: httpx.Client | None = None,
) -> None:
    """Deliver until `stop_event` is set: a full batch goes on at once, otherwise wait
    `interval_s`. A database outage is waited out, not fatal: the rows are still there."""
    own_client = client is None
    http = make_client() if client is None else client
    try:
        while not stop_event.is_set():
            try:
                report = deliver_due(engine, batch=batch, client=http)
            except OperationalError as exc:
                log.error("database unavailable, retrying in %.0f s: %s", interval_s, exc)
                stop_event.wait(interval_s)
                continue
            if report.sent or report.failed:
                log.info("%s", report)
            if report.sent + report.failed < batch:
                stop_event.wait(interval_s)
    finally:
        if own_client:
            http.close()


def main(argv: list[str] | None = None) -> int:
    """`python -m tickets.outbox`: the sender without the CLI's imports (used by the tests
    that kill it); SIGTERM and Ctrl-C stop it between two messages."""
    from db.database import get_engine, normalise_url

    parser = argparse.ArgumentParser(prog="python -m tickets.outbox", description=__doc__)
    parser.add_argument("--database-url", help="default: DATABASE_URL or the local cluster")
    parser.add_argument("--once", action="store_true", help="one pass, then exit")
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between passes")
    parser.add_argument("--batch", type=int, default=50, help="messages per pass at most")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    engine = get_engine(normalise_url(args.database_url) if args.database_url else None)
    if args.once:
        print(deliver_due(engine, batch=args.batch), flush=True)
        return 0
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_sender(engine, args.interval, stop, batch=args.batch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
