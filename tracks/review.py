"""An analyst's decision on a flagged patrol: appended, never overwriting an earlier one.

Township staff review their own township's patrols only (``accounts.scope``)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.permissions import TOWNSHIP, may
from accounts.scope import outside_township
from core.errors import PermissionDenied, ShuijianError
from db.models import Patrol, PatrolFlag, PatrolReview
from tracks.records import patrol_in_township

DECISIONS = ("accept", "reject")


class ReviewRefused(ShuijianError):
    """The review is not possible (unknown patrol, nothing flagged, no reason)."""


def review_patrol(
    session: Session,
    patrol_id: int,
    decision: str,
    reason: str,
    reviewer_id: int,
    role: str,
    township_id: int | None = None,
) -> PatrolReview:
    """Append a review. ``township_id``: the township a township account is confined to
    (``SignedIn.township_id``); such a reviewer without one is refused, as is a patrol of
    another township."""
    if not may(role, "review_patrol") or (role == TOWNSHIP and township_id is None):
        raise PermissionDenied(
            f"role {role!r} may not review patrols", code="not_allowed", action="review_patrol"
        )
    if decision not in DECISIONS:
        raise ReviewRefused(
            f"decision must be accept or reject, not {decision!r}",
            code="decision_invalid",
            decision=str(decision),
        )
    if not reason.strip():
        raise ReviewRefused("a review needs a reason", code="review_needs_reason")
    if session.get(Patrol, patrol_id) is None:
        raise ReviewRefused(f"no patrol #{patrol_id}", code="patrol_not_found", patrol=patrol_id)
    if township_id is not None and not patrol_in_township(session, patrol_id, township_id):
        raise outside_township(None, f"patrol #{patrol_id}", township_id)
    flagged = session.scalar(select(PatrolFlag.id).where(PatrolFlag.patrol_id == patrol_id))
    if flagged is None:
        raise ReviewRefused(
            f"patrol #{patrol_id} is not flagged; it counts without review",
            code="patrol_not_flagged",
            patrol=patrol_id,
        )
    review = PatrolReview(
        patrol_id=patrol_id, decision=decision, reason=reason.strip(), reviewer_id=reviewer_id
    )
    session.add(review)
    session.flush()
    return review
