"""The audit log: every administrative action, appended to ``audit_event`` by the service that
takes it, in the same transaction (an action that fails leaves no row, a row means it was done).

Two kinds of actor call the admin services. A signed-in user of the app (``SignedIn``) must
hold the action in the permission table (``accounts.permissions``); they are recorded as
``user:<name>`` with their account's id. The command line is an operator with shell access
to the server — and so to the database's URL, which is more than any role of the app — and
is recorded as ``cli:<os user>`` (``Operator``). Details never hold a password or a key:
``record`` refuses such a field, so a slip in a new service fails in its first test.
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from accounts.permissions import require
from core import clock
from db.models import AuditEvent
from db.query import query_frame

# The actions recorded, one code each (their words are in the catalogue, audit_action.<code>).
ACTIONS: tuple[str, ...] = (
    "user_add",
    "user_password",
    "user_lock",
    "user_unlock",
    "user_role",
    "assignment_set",
    "platform_endpoint",
    "platform_key",
    "grid_head_import",
    "ogc_client_key",
    "ogc_client_revoke",
    "public_report_accept",
    "public_report_reject",
    "reward_ledger_export",
    "city_ranking_publish",  # 一月一通报: a month's ranking of the counties frozen for the public
    "city_ranking_supersede",  # a published month replaced by a correction, with its reason
    "water_section_import",
    "water_sample_import",
)
# A details field whose name says it holds one of these is refused: the log keeps no secret.
SECRET_WORDS = ("password", "secret", "token", "hash", "api_key", "apikey")


@dataclass(frozen=True)
class Operator:
    """Someone at the server's shell (the command line): trusted as the owner of the
    deployment, recorded by the OS user name."""

    name: str

    @property
    def label(self) -> str:
        return f"cli:{self.name}"


def shell_operator() -> Operator:
    """The operator running this command, by their OS user name."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # a container's uid without a passwd entry
        name = os.environ.get("USER") or f"uid{os.getuid()}"
    return Operator(name[:100])


Actor = SignedIn | Operator


def authorize(actor: Actor | None, action: str) -> None:
    """A signed-in user needs ``action`` in the permission table (PermissionDenied otherwise);
    the shell's operator may take every administrative action."""
    if isinstance(actor, Operator):
        return
    require(actor, action)


def actor_label(actor: Actor) -> str:
    return actor.label if isinstance(actor, Operator) else f"user:{actor.username}"


def record(
    session: Session, actor: Actor, action: str, target: str, details: dict[str, Any] | None = None
) -> AuditEvent:
    """Append one audit event (flushed with the action it records)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    details = dict(details or {})
    secret = [k for k in details if any(w in k.lower() for w in SECRET_WORDS)]
    if secret:
        raise ValueError(f"the audit log keeps no secret; refused fields: {secret}")
    event = AuditEvent(
        at=clock.now(),
        actor=actor_label(actor)[:120],
        actor_user_id=actor.user_id if isinstance(actor, SignedIn) else None,
        action=action,
        target=str(target)[:200],
        details=details,
    )
    session.add(event)
    session.flush()
    return event


def audit_events(
    session: Session,
    reader: Actor,
    *,
    actions: list[str] | tuple[str, ...] = (),
    actor: str = "",
    since: date | None = None,
    until: date | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """The log, newest first: at, actor, action, target, details. Filters: the actions (none:
    all), a part of the actor's label, the local days ``since`` … ``until`` (inclusive)."""
    authorize(reader, "read_audit_log")
    where, params = ["TRUE"], {"limit": int(limit)}
    if actions:
        where.append("action = ANY(:actions)")
        params["actions"] = list(actions)
    if actor.strip():
        where.append("actor ILIKE :actor")
        params["actor"] = "%" + actor.strip().replace("%", r"\%").replace("_", r"\_") + "%"
    if since is not None:
        where.append("at >= :since")
        params["since"] = clock.local_midnight(since)
    if until is not None:
        where.append("at < :until")
        params["until"] = clock.local_midnight(until + timedelta(days=1))
    return query_frame(
        session,
        "SELECT id, at, actor, action, target, details FROM audit_event "
        f"WHERE {' AND '.join(where)} ORDER BY at DESC, id DESC LIMIT :limit",
        params,
    )


__all__ = [
    "ACTIONS",
    "Actor",
    "Operator",
    "actor_label",
    "audit_events",
    "authorize",
    "record",
    "shell_operator",
]
