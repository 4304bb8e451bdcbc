"""The ticket lifecycle (上报 → 交办 → 承办 → 反馈 → 复查 → 评价 → 办结) as data.

Every move is an (action, from, to) row with the actors allowed to make it; anything not in
the table is refused. The status of a ticket is the `to` of its latest event, so the event log
is the only truth and nothing is updated in place.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.errors import ShuijianError

STATUS_LABELS: dict[str, tuple[str, str]] = {
    "reported": ("上报", "Reported"),
    "assigned": ("交办", "Dispatched"),
    "accepted": ("承办", "Accepted"),
    "fed_back": ("反馈", "Handled (fed back)"),
    "reinspected": ("复查", "Re-inspected"),
    "rated": ("评价", "Rated"),
    "closed": ("办结", "Closed"),
    "withdrawn": ("撤回", "Withdrawn"),
}
OPEN_STATUSES = ("reported", "assigned", "accepted", "fed_back", "reinspected", "rated")
RATINGS: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
}

# Actors: "reporter" (the deputy who reported), "analyst" (人大 staff, also admin), "platform"
# (the platform the ticket is routed to, through the API), "system" (automatic steps).


@dataclass(frozen=True)
class Move:
    action: str
    source: str | None
    target: str
    actors: tuple[str, ...]
    label_zh: str


MOVES: tuple[Move, ...] = (
    Move("report", None, "reported", ("reporter", "analyst", "platform"), "上报问题"),
    Move("dispatch", "reported", "assigned", ("system", "analyst"), "交办至平台"),
    Move("withdraw", "reported", "withdrawn", ("reporter", "analyst"), "撤回"),
    Move("withdraw", "assigned", "withdrawn", ("reporter", "analyst"), "撤回"),
    Move("accept", "assigned", "accepted", ("platform", "analyst"), "平台承办"),
    Move("reject", "assigned", "reported", ("platform", "analyst"), "平台退回（非本平台职责）"),
    Move("feedback", "accepted", "fed_back", ("platform", "analyst"), "办理反馈"),
    Move("reinspect", "fed_back", "reinspected", ("reporter",), "代表复查：已整改"),
    Move("reinspect_fail", "fed_back", "assigned", ("reporter",), "代表复查：未整改，重新交办"),
    Move("rate", "reinspected", "rated", ("reporter",), "代表评价"),
    Move("close", "rated", "closed", ("system", "analyst"), "办结"),
    Move("reopen", "rated", "assigned", ("system", "analyst"), "不满意，重新交办"),
)
_BY_KEY = {(m.action, m.source): m for m in MOVES}


class TransitionRefused(ShuijianError):
    """The move is not allowed from the ticket's status, or not for this actor."""


def move_for(action: str, current: str | None, actor: str) -> Move:
    """The allowed move, or a refusal that says what is allowed instead."""
    move = _BY_KEY.get((action, current))
    if move is None:
        allowed = sorted({m.action for m in MOVES if m.source == current})
        shown = STATUS_LABELS.get(current, (str(current), ""))[0] if current else "(new)"
        raise TransitionRefused(
            f"cannot {action} a ticket in status {current} ({shown}); "
            f"allowed from there: {', '.join(allowed) or 'nothing (final)'}"
        )
    if actor not in move.actors:
        raise TransitionRefused(
            f"{actor} may not {action} a ticket; only {', '.join(move.actors)} may"
        )
    return move


def allowed_actions(current: str | None, actor: str) -> list[str]:
    return [m.action for m in MOVES if m.source == current and actor in m.actors]
