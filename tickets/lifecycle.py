"""The ticket lifecycle (上报 → 交办 → 承办 → 反馈 → 复查 → 评价 → 办结) as data.

Every move is an (action, from, to) row with the actors allowed to make it; anything not in
the table is refused. The status of a ticket is the `to` of its latest event, so the event log
is the only truth and nothing is updated in place. One move changes no status: ``designate``
(an analyst names the deputy who re-inspects a ticket nobody reported) is appended as an
event from a status to the same status, so the choice is history like every other step.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ShuijianError

# Codes only: their words are ``ticket_status.<code>``, ``rating.<code>`` and
# ``ticket_action.<action>`` in the catalogue (i18n).
STATUSES: tuple[str, ...] = (
    "reported",
    "assigned",
    "accepted",
    "fed_back",
    "reinspected",
    "rated",
    "closed",
    "withdrawn",
)
OPEN_STATUSES = ("reported", "assigned", "accepted", "fed_back", "reinspected", "rated")
# 反馈 or later: the platform's feedback stands (tickets.figures counts these as handled).
FED_BACK_OR_LATER = ("fed_back", "reinspected", "rated", "closed")
# Moves that undo a feedback: the re-inspection found it unresolved, or a 不满意 reopened it.
UNDOING_MOVES = ("reinspect_fail", "reopen")
# While the platform works on a ticket or has fed back, an analyst may name its re-inspector;
# once re-inspected, the same deputy rates it.
DESIGNATE_FROM = ("assigned", "accepted", "fed_back")
RATINGS: tuple[str, ...] = ("satisfied", "basically_satisfied", "dissatisfied")

# Actors: "reporter" (the deputy who reported), "reinspector" (for a ticket nobody reported,
# e.g. one a platform created through the API: the deputy an analyst designated, else the
# site's deputy of the day — tickets.service.reinspector_of), "analyst" (人大 staff, also
# admin), "platform" (the platform the ticket is routed to, through the API), "system"
# (automatic steps).
DEPUTY_ACTORS = ("reporter", "reinspector")


@dataclass(frozen=True)
class Move:
    action: str
    source: str | None
    target: str
    actors: tuple[str, ...]


MOVES: tuple[Move, ...] = (
    Move("report", None, "reported", ("reporter", "analyst", "platform")),
    Move("dispatch", "reported", "assigned", ("system", "analyst")),
    # The reporter's alone (accounts.permissions "withdraw_report"): a report is the deputy's
    # record of what they found, counted in their evaluation; staff route it, never erase it.
    Move("withdraw", "reported", "withdrawn", ("reporter",)),
    Move("withdraw", "assigned", "withdrawn", ("reporter",)),
    Move("accept", "assigned", "accepted", ("platform", "analyst")),
    Move("reject", "assigned", "reported", ("platform", "analyst")),
    Move("feedback", "accepted", "fed_back", ("platform", "analyst")),
    Move("reinspect", "fed_back", "reinspected", DEPUTY_ACTORS),
    Move("reinspect_fail", "fed_back", "assigned", DEPUTY_ACTORS),
    Move("rate", "reinspected", "rated", DEPUTY_ACTORS),
    Move("close", "rated", "closed", ("system", "analyst")),
    Move("reopen", "rated", "assigned", ("system", "analyst")),
    *(Move("designate", status, status, ("analyst",)) for status in DESIGNATE_FROM),
)
_BY_KEY = {(m.action, m.source): m for m in MOVES}


class TransitionRefused(ShuijianError):
    """The move is not allowed from the ticket's status, or not for this actor."""


def move_for(action: str, current: str | None, actor: str) -> Move:
    """The allowed move, or a refusal that says what is allowed instead."""
    move = _BY_KEY.get((action, current))
    if move is None:
        allowed = sorted({m.action for m in MOVES if m.source == current})
        raise TransitionRefused(
            f"cannot {action} a ticket in status {current}; "
            f"allowed from there: {', '.join(allowed) or 'nothing (final)'}",
            code="transition_not_allowed",
            action=action,
            status=current or "",
            allowed=", ".join(allowed) or "—",
        )
    if actor not in move.actors:
        raise TransitionRefused(
            f"{actor} may not {action} a ticket; only {', '.join(move.actors)} may",
            code="actor_not_allowed",
            actor=actor,
            action=action,
            allowed=", ".join(move.actors),
        )
    return move


def allowed_actions(current: str | None, actor: str) -> list[str]:
    return [m.action for m in MOVES if m.source == current and actor in m.actors]
