"""Sign-in throttling: per account name and per client, a growing wait after a few failures,
then a lock for a set time; an administrator can unlock an account.

Failures count by the name as typed, whether or not such an account exists, so neither the
wait nor its sentence tells an attacker which names are real. A success or an unlock starts
the count afresh. Every attempt is appended to ``login_attempt`` (in its own transaction: a
failure is recorded even though the sign-in is refused) and throttling decisions are written
to ``security.log``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import clock, settings
from core.errors import ShuijianError
from core.logs import security_logger
from db.database import session_scope
from db.models import LoginAttempt

UNKNOWN_CLIENT = "unknown"


class LoginThrottled(ShuijianError):
    """Too many failed sign-ins for this name or from this client: wait, then try again."""

    code = "login_throttled"


@dataclass(frozen=True)
class Policy:
    """The throttling settings, read once per attempt."""

    free: int
    delay_s: float
    delay_max_s: float
    lock_after: int
    lock_s: float
    window_s: float

    @classmethod
    def from_settings(cls) -> Policy:
        return cls(
            free=settings.integer("login_free_attempts"),
            delay_s=settings.number("login_delay_s"),
            delay_max_s=settings.number("login_delay_max_s"),
            lock_after=settings.integer("login_lock_after"),
            lock_s=settings.number("login_lock_min") * 60.0,
            window_s=settings.number("login_window_min") * 60.0,
        )


def wait_after(failures: Sequence[datetime], now: datetime, policy: Policy) -> float:
    """Seconds until the next attempt is allowed, given the failures that count (oldest
    first): none for the first ``free``, then ``delay_s`` doubling up to ``delay_max_s``
    after the latest, and ``lock_s`` from the latest once ``lock_after`` are reached."""
    n = len(failures)
    if n == 0 or n < policy.free:
        return 0.0
    if n >= policy.lock_after:
        pause = policy.lock_s
    else:
        pause = min(policy.delay_s * 2.0 ** (n - policy.free), policy.delay_max_s)
    return max(0.0, (failures[-1] + timedelta(seconds=pause) - now).total_seconds())


_FAILURES_SQL = """
SELECT at FROM login_attempt
WHERE {column} = :value AND outcome = 'failure' AND at > :since
  AND at > COALESCE((SELECT max(at) FROM login_attempt
                     WHERE {column} = :value AND outcome IN ('success', 'unlock')),
                    '-infinity')
ORDER BY at
"""


def _failures(session: Session, column: str, value: str, since: datetime) -> list[datetime]:
    sql = _FAILURES_SQL.format(column=column)
    return list(session.scalars(text(sql), {"value": value, "since": since}))


def _key(username: str) -> str:
    return username.strip()[:120]


def check(session: Session, username: str, client: str | None) -> None:
    """Refuse (LoginThrottled, with the seconds to wait) when the name or the client must
    wait; the larger wait wins."""
    policy = Policy.from_settings()
    now = clock.now()
    since = now - timedelta(seconds=policy.window_s)
    who = client or UNKNOWN_CLIENT
    wait = max(
        wait_after(_failures(session, "username", _key(username), since), now, policy),
        wait_after(_failures(session, "client", who, since), now, policy),
    )
    if wait > 0:
        security_logger().warning(
            "sign-in throttled: name %r from %s must wait %.0f s", _key(username), who, wait
        )
        seconds = math.ceil(wait)
        raise LoginThrottled(f"too many failed sign-ins; wait {seconds} s", seconds=seconds)


def record(session: Session, username: str, client: str | None, outcome: str) -> None:
    """Append an attempt in its own transaction, so a refused sign-in still leaves it."""
    row = LoginAttempt(
        username=_key(username), client=client or UNKNOWN_CLIENT, outcome=outcome, at=clock.now()
    )
    with session_scope(session.get_bind()) as own:
        own.add(row)
    if outcome == "failure":
        security_logger().info("sign-in failed: name %r from %s", row.username, row.client)


def waits(session: Session) -> dict[str, float]:
    """Every account name that must wait now before its next sign-in, with the seconds (the
    administration page's "throttled" column; per client waits are not shown)."""
    policy = Policy.from_settings()
    now = clock.now()
    rows = session.execute(
        text(
            "SELECT username, array_agg(at ORDER BY at) FROM login_attempt a "
            "WHERE outcome = 'failure' AND at > :since AND at > COALESCE((SELECT max(at) "
            "FROM login_attempt b WHERE b.username = a.username "
            "AND outcome IN ('success', 'unlock')), '-infinity') GROUP BY username"
        ),
        {"since": now - timedelta(seconds=policy.window_s)},
    ).all()
    found = {name: wait_after(list(failures), now, policy) for name, failures in rows}
    return {name: wait for name, wait in found.items() if wait > 0}


def unlock(session: Session, username: str) -> None:
    """An administrator lifts the wait and the lock of an account name, and of the clients
    that failed on it since its last success (the user's own browser among them)."""
    name, now = _key(username), clock.now()
    since = now - timedelta(seconds=Policy.from_settings().window_s)
    clients = session.scalars(
        text(
            "SELECT DISTINCT client FROM login_attempt WHERE username = :name "
            "AND outcome = 'failure' AND at > :since"
        ),
        {"name": name, "since": since},
    ).all()
    session.add(LoginAttempt(username=name, client="admin", outcome="unlock", at=now))
    session.add_all(
        LoginAttempt(username=name, client=client, outcome="unlock", at=now) for client in clients
    )
    session.flush()
    security_logger().info("sign-in unlocked: name %r and %d client(s)", name, len(clients))


__all__ = ["LoginThrottled", "Policy", "check", "record", "unlock", "wait_after", "waits"]
