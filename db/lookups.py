"""Finding a record by the code a person typed: deputy codes in any case (``d0001`` finds
``D0001``, as the sign-in name ``d0001`` suggests), surrounding spaces ignored."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import Deputy


def deputy_code_key(code: object) -> str:
    """The form in which two deputy codes are compared: trimmed, upper case."""
    return str(code).strip().upper()


def deputy_id_by_code(session: Session, code: str) -> int | None:
    """The id of the deputy with this code, whatever its case; None when there is none."""
    return session.scalar(
        select(Deputy.id).where(func.upper(Deputy.code) == deputy_code_key(code)).limit(1)
    )


__all__ = ["deputy_code_key", "deputy_id_by_code"]
