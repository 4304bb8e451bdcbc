"""Grid heads (小微水体网格长): the person who answers for one small grid cell, with history.

"全面设立小微水体网格长": every small cell has a head (name and mobile phone). Heads are
imported from a table (CSV or Excel) by cell code, like deputies, through one function for the
command line (``shuijian grid-heads import``, the shell's operator) and the administration
page (``manage_grid_heads``), audited. History is kept as assignments keep it: a new head for
a cell closes the current row the day before (``valid_to``, exclusive) and opens a new one;
nothing is rewritten or deleted. Importing the same head again changes nothing.

A bad row refuses the whole file by its line (the header is line 1), column and reason, and
nothing of the file is stored (one transaction, validated before anything is written).

Who sees the phone: the coverage map names a cell's head to everyone who may open it; the
phone goes only to roles with ``read_grid_head_contact`` (analyst, admin): a leader needs to
know who answers for a cell, the analysts are the ones who call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.audit import Actor, authorize, record
from accounts.permissions import may
from core import clock
from core.errors import ImportRefused
from db.models import GridCell, GridHead
from db.query import county_clause, query_frame
from geo.importers import PHONE

SMALL = 3  # the grid level that has heads
NAME_CHARS = 40  # grid_head.name
# Each column under its English or Chinese header (a county's own sheet is headed in Chinese).
HEADERS: dict[str, tuple[str, ...]] = {
    "cell": ("cell", "cell_code", "网格编码"),
    "name": ("name", "姓名"),
    "phone": ("phone", "手机"),
    "valid_from": ("valid_from", "起始日"),
}
REQUIRED = ("cell", "name", "phone")


@dataclass(frozen=True)
class GridHeadImport:
    """What an import did: heads added to cells that had none, heads changed (the old period
    closed), rows that named the current head again (nothing done)."""

    source: str
    added: int
    changed: int
    unchanged: int

    def __str__(self) -> str:
        return (
            f"{self.source}: {self.added} grid head(s) added, {self.changed} changed "
            f"(previous period closed), {self.unchanged} unchanged"
        )


def _at(line: int, column: str, value: object) -> dict[str, object]:
    """Where a refused row's fault is: its line (the header is line 1), column and value."""
    return {"line": line, "column": column, "value": str(value)}


def clean_phone(value: object) -> str | None:
    """Digits only (and a leading +), as the SMS hook and DingTalk's @-mention want it; None
    when it is no usable number."""
    phone = str(value).strip()
    return re.sub(r"[ -]", "", phone) if PHONE.fullmatch(phone) else None


def _day(value: object) -> date | None:
    text = str(value).strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None


def _rows(session: Session, frame: pd.DataFrame, source: str, default_day: date) -> list[dict]:
    """Validate every row; return (cell id, code, name, phone, valid_from) per row."""
    header = {
        field: next((h for h in names if h in frame.columns), None)
        for field, names in HEADERS.items()
    }
    missing = [field for field in REQUIRED if header[field] is None]
    if missing:
        found = ", ".join(str(c) for c in frame.columns)
        raise ImportRefused(
            source,
            f"missing column(s): {', '.join(missing)}; found: {found or '(none)'}",
            code="missing_columns",
            columns=", ".join(missing),
            found=found or "—",
        )
    cell_column, name_column, phone_column = (str(header[f]) for f in REQUIRED)
    start_column = header["valid_from"] or "valid_from"
    cells = {
        code.upper(): (id_, code, level)
        for id_, code, level in session.execute(select(GridCell.id, GridCell.code, GridCell.level))
    }
    out: list[dict] = []
    seen: dict[int, int] = {}
    starts = frame[start_column] if header["valid_from"] else [""] * len(frame)
    for pos, (cell, name, phone, start) in enumerate(
        zip(frame[cell_column], frame[name_column], frame[phone_column], starts, strict=True)
    ):
        line = pos + 2  # the header is line 1, in a CSV and a sheet alike
        for column, value in ((cell_column, cell), (name_column, name), (phone_column, phone)):
            if not str(value).strip():
                raise ImportRefused(
                    source, "empty value", code="grid_head_empty", **_at(line, column, value)
                )
        found = cells.get(str(cell).strip().upper())
        if found is None:
            raise ImportRefused(
                source,
                "no such grid cell",
                code="grid_head_unknown_cell",
                **_at(line, cell_column, cell),
            )
        cell_id, code, level = found
        if level != SMALL:
            raise ImportRefused(
                source,
                f"a level {level} cell; grid heads are for small (level 3) cells",
                code="grid_head_not_small",
                **_at(line, cell_column, cell),
                level=int(level),
            )
        if cell_id in seen:
            raise ImportRefused(
                source,
                f"the cell has another head on line {seen[cell_id]}",
                code="grid_head_duplicate_cell",
                **_at(line, cell_column, cell),
                other=seen[cell_id],
            )
        seen[cell_id] = line
        clean_name = str(name).strip()
        if len(clean_name) > NAME_CHARS:
            raise ImportRefused(
                source,
                f"longer than {NAME_CHARS} characters",
                code="grid_head_name_too_long",
                **_at(line, name_column, name),
                limit=NAME_CHARS,
            )
        clean = clean_phone(phone)
        if clean is None:
            raise ImportRefused(
                source, "not a phone", code="grid_head_bad_phone", **_at(line, phone_column, phone)
            )
        first = _day(start) if str(start).strip() else default_day
        if first is None:
            raise ImportRefused(
                source,
                "not a date (YYYY-MM-DD)",
                code="grid_head_bad_date",
                **_at(line, start_column, start),
            )
        out.append(
            {
                "line": line,
                "cell_id": cell_id,
                "cell": code,
                "name": clean_name,
                "phone": clean,
                "valid_from": first,
                "start_column": start_column,
            }
        )
    return out


def import_grid_heads(
    session: Session,
    actor: Actor,
    frame: pd.DataFrame,
    source: str,
    default_day: date | None = None,
) -> GridHeadImport:
    """Import heads by cell code: columns ``cell`` (or ``cell_code``), ``name``, ``phone``,
    optional ``valid_from`` (or 网格编码, 姓名, 手机, 起始日; the first day defaults to
    ``default_day``, else today). A cell whose current head is the same person with the same
    phone is left as it is; a different one closes the current period the day before the new
    head's first day. Refused as a whole, by line, column and reason: also a first day not
    after the current head's."""
    authorize(actor, "manage_grid_heads")
    result = store_grid_heads(session, frame, source, default_day)
    if result.added or result.changed:
        record(
            session,
            actor,
            "grid_head_import",
            source,
            {"added": result.added, "changed": result.changed, "unchanged": result.unchanged},
        )
    return result


def store_grid_heads(
    session: Session, frame: pd.DataFrame, source: str, default_day: date | None = None
) -> GridHeadImport:
    """The import itself, without a user: for ``import_grid_heads`` and the demo loader
    (which loads the county through the importers, unaudited like its deputies)."""
    rows = _rows(session, frame, source, default_day or clock.today())
    current = {
        head.grid_cell_id: head
        for head in session.scalars(
            select(GridHead)
            .where(GridHead.grid_cell_id.in_([r["cell_id"] for r in rows] or [-1]))
            .where(GridHead.valid_to.is_(None))
            .with_for_update()
        )
    }
    # Every row is judged before anything is written: a refusal leaves the session as it was.
    changes: list[tuple[dict, GridHead | None]] = []
    unchanged = 0
    for row in rows:
        head = current.get(row["cell_id"])
        if head is not None and (head.name, head.phone) == (row["name"], row["phone"]):
            unchanged += 1
            continue
        if head is not None and row["valid_from"] <= head.valid_from:
            raise ImportRefused(
                source,
                f"the current head's period began {head.valid_from}; a new head must start later",
                code="grid_head_not_after",
                **_at(row["line"], row["start_column"], row["valid_from"].isoformat()),
                current=head.valid_from,
            )
        changes.append((row, head))
    for row, head in changes:
        if head is not None:
            head.valid_to = row["valid_from"]  # the period ends the day before (exclusive)
    session.flush()  # the closed periods first: one head per cell on any day
    for row, _ in changes:
        session.add(
            GridHead(
                grid_cell_id=row["cell_id"],
                name=row["name"],
                phone=row["phone"],
                valid_from=row["valid_from"],
            )
        )
    changed = sum(head is not None for _, head in changes)
    added = len(changes) - changed
    session.flush()
    return GridHeadImport(source, added, changed, unchanged)


_HEADS_SQL = """
SELECT c.code AS cell, coalesce(t.name, '') AS township, h.name, h.phone,
       h.valid_from, h.valid_to
FROM grid_head h JOIN grid_cell c ON c.id = h.grid_cell_id
LEFT JOIN township t ON t.id = c.township_id
WHERE {where}
ORDER BY c.code, h.valid_from DESC
"""


def list_grid_heads(
    session: Session, actor: Actor, cell: str | None = None, history: bool = False
) -> pd.DataFrame:
    """Heads by cell code (cell, township, name, phone, valid_from, valid_to exclusive): the
    current ones, or with ``history`` every period, newest first; ``cell`` narrows to one
    cell (its code in any case). Phones are contact data: ``read_grid_head_contact``."""
    authorize(actor, "read_grid_head_contact")
    where, params = [], {}
    if not history:
        where.append("h.valid_to IS NULL")
    if cell and cell.strip():
        where.append("upper(c.code) = :cell")
        params["cell"] = cell.strip().upper()
    return query_frame(session, _HEADS_SQL.format(where=" AND ".join(where) or "TRUE"), params)


def current_heads(session: Session, on: date, role: str | None) -> pd.DataFrame:
    """Each small cell's head on ``on``: grid_cell_id, head_name, head_phone — the phone only
    for a role that may read contacts (None otherwise), so a popup cannot leak it."""
    frame = query_frame(
        session,
        "SELECT grid_cell_id, name AS head_name, phone AS head_phone FROM grid_head "
        f"WHERE {county_clause()} AND valid_from <= :on "
        "AND (valid_to IS NULL OR valid_to > :on)",
        {"on": on},
    )
    if not may(role, "read_grid_head_contact"):
        frame["head_phone"] = None
    return frame


__all__ = [
    "GridHeadImport",
    "clean_phone",
    "current_heads",
    "import_grid_heads",
    "list_grid_heads",
    "store_grid_heads",
]
