"""Monthly partitions of the tables that grow without end (migration 0023): a patrol's points
(``patrol_track``), visits and audit events.

Months are made ahead (``ensure_ahead``) so that normal traffic never lands in the DEFAULT
partition; months older than a table's retention are written to a gzip'd CSV in the archive
folder (``archive``: every row, geometry as EWKB hex, with a manifest naming the row count and
the file's SHA-256), then detached and dropped whole (``drop``): no row-by-row DELETE, which
the append-only guards refuse anyway. DDL: these run as the owner (``shuijian db partitions``).
Partition bounds are calendar months in UTC (``shuijian_month_partition`` in the database).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, text

from core import settings
from core.errors import ConfigurationError

# table -> partition key (the same pairs as migration 0023)
PARTITIONED: dict[str, str] = {
    "patrol_track": "recorded_at",
    "visit": "arrived",
    "audit_event": "at",
}

# table -> the setting holding its retention in months (0: kept for ever)
RETENTION: dict[str, str] = {
    "patrol_track": "keep_track_months",
    "visit": "keep_visit_months",
    "audit_event": "keep_audit_months",
}

_MONTH_NAME = re.compile(r"^(?P<table>[a-z_]+)_(?P<year>\d{4})(?P<month>\d{2})$")


@dataclass(frozen=True)
class MonthPartition:
    table: str
    name: str
    month: date  # its first day

    @property
    def ends(self) -> date:
        return add_months(self.month, 1)


def add_months(day: date, months: int) -> date:
    """The first day of the month ``months`` after ``day``'s (negative: before)."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_partitions(conn: Connection, table: str) -> list[MonthPartition]:
    """The monthly partitions of ``table``, oldest first (the DEFAULT one is not listed)."""
    names = conn.scalars(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:t) ORDER BY c.relname"
        ),
        {"t": f"public.{table}"},
    )
    found = []
    for name in names:
        match = _MONTH_NAME.match(name)
        if match and match["table"] == table:
            found.append(
                MonthPartition(table, name, date(int(match["year"]), int(match["month"]), 1))
            )
    return found


def ensure_ahead(conn: Connection, today: date, ahead: int) -> dict[str, dict[str, str]]:
    """Make this month's partition and the next ``ahead`` months' of every partitioned table;
    per table, month → ``created``, ``exists`` or ``in_default`` (rows of that month already
    sit in the DEFAULT partition: left there, still read, just not pruned)."""
    done: dict[str, dict[str, str]] = {}
    first = today.replace(day=1)
    for table in PARTITIONED:
        done[table] = {}
        for step in range(ahead + 1):
            month = add_months(first, step)
            status = conn.scalar(
                text("SELECT shuijian_month_partition(:t, :m)"), {"t": table, "m": month}
            )
            done[table][month.strftime("%Y-%m")] = str(status)
    return done


def retention_months(table: str) -> int:
    """Months of ``table`` kept (0: for ever), from its setting."""
    months = settings.integer(RETENTION[table])
    if months < 0:
        env = f"SHUIJIAN_{RETENTION[table].upper()}"
        raise ConfigurationError(
            f"{env} must be 0 (keep for ever) or a number of months, not {months}",
            code="bad_retention",
            env=env,
            value=months,
        )
    return months


def expired(conn: Connection, today: date) -> list[MonthPartition]:
    """Monthly partitions whose whole month lies more than their table's retention before
    this month (a retention of 12 on 2026-12-06 expires November 2025 and earlier)."""
    out: list[MonthPartition] = []
    for table in PARTITIONED:
        keep = retention_months(table)
        if keep == 0:
            continue
        cutoff = add_months(today.replace(day=1), -keep)
        out.extend(p for p in month_partitions(conn, table) if p.ends <= cutoff)
    return out


def archive_dir() -> Path:
    """Where archived months go: ``SHUIJIAN_ARCHIVE_DIR``, else archive/ in SHUIJIAN_HOME."""
    configured = settings.optional_text("archive_dir")
    if configured:
        return Path(configured)
    from db.cluster import home_dir

    return home_dir() / "archive"


def archive(conn: Connection, part: MonthPartition, directory: Path) -> Path:
    """Write every row of one month to ``directory/<partition>.csv.gz`` with a manifest
    (``.json``: rows, SHA-256, columns); raise unless the file holds as many rows as the
    partition. The caller's scope must be the city's (row-level security binds the owner)."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"{part.name}.csv.gz"
    rows = int(conn.scalar(text(f'SELECT count(*) FROM "{part.name}"')) or 0)
    columns = list(
        conn.scalars(
            text(
                "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(:t) "
                "AND attnum > 0 AND NOT attisdropped ORDER BY attnum"
            ),
            {"t": f"public.{part.name}"},
        )
    )
    digest = hashlib.sha256()
    written = 0
    raw = conn.connection.driver_connection
    assert raw is not None
    sql = f'COPY (SELECT * FROM "{part.name}") TO STDOUT WITH (FORMAT csv, HEADER true)'
    with (
        open(target, "wb") as handle,
        gzip.GzipFile(fileobj=handle, mode="wb") as out,
        raw.cursor().copy(sql) as copy,
    ):
        for chunk in copy:
            data = bytes(chunk)
            written += data.count(b"\n")
            out.write(data)
    digest.update(target.read_bytes())
    if written - 1 < rows:  # the header line; a field may hold a newline, never fewer
        target.unlink()
        raise ConfigurationError(
            f"archiving {part.name} wrote {written - 1} lines for {rows} rows: not dropped",
            code="archive_short",
            partition=part.name,
            written=written - 1,
            rows=rows,
        )
    manifest = {
        "table": part.table,
        "partition": part.name,
        "month": part.month.strftime("%Y-%m"),
        "rows": rows,
        "columns": columns,
        "sha256": digest.hexdigest(),
        "format": "csv with header, gzip; geometry as EWKB hex; times in ISO 8601 with offset",
    }
    (directory / f"{part.name}.json").write_text(json.dumps(manifest, indent=2), "utf-8")
    return target


def drop(conn: Connection, part: MonthPartition) -> None:
    """Detach one month and drop it (after ``archive``). A month of visits takes its rows of
    the ``counted_visit`` summary with it (0027): dropping a partition fires no trigger."""
    if part.table == "visit":
        conn.execute(
            text(
                f'DELETE FROM counted_visit c USING "{part.name}" v '
                "WHERE c.patrol_id = v.patrol_id AND c.visit_id = v.id"
            )
        )
    conn.execute(text(f'ALTER TABLE "{part.table}" DETACH PARTITION "{part.name}"'))
    conn.execute(text(f'DROP TABLE "{part.name}"'))


__all__ = [
    "PARTITIONED",
    "RETENTION",
    "MonthPartition",
    "add_months",
    "archive",
    "archive_dir",
    "drop",
    "ensure_ahead",
    "expired",
    "month_partitions",
    "retention_months",
]
