"""Reading the database into frames: the one way to do it.

``query_frame`` for tables, ``read_geoframe`` for layers (always in EPSG:4326, the storage
CRS), and ``where_equal`` for the optional ``column = :param`` filters pages combine. Each takes
a Session or a Connection (or an Engine, for which a connection is opened), so a page read
model and a service transaction use the same helpers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text
from sqlalchemy.orm import Session

STORAGE_EPSG = 4326

Source = Session | Connection | Engine


def query_frame(source: Source, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Rows of a SELECT (named ``:params``) as a DataFrame, fetched through the DBAPI cursor.

    SQLAlchemy compiles the text and binds the parameters as usual; only the fetch bypasses its
    Row objects, which cost 5–10× more than psycopg's tuples and make the DataFrame constructor
    probe every row (seconds for a province's 100,000 cells). On a Session it runs on the
    session's connection, so it sees the transaction's TEMP TABLEs.
    """
    if isinstance(source, Engine):
        with source.connect() as conn:
            return query_frame(conn, sql, params)
    connection = source.connection() if isinstance(source, Session) else source
    compiled = text(sql).compile(dialect=connection.dialect)
    values = compiled.construct_params(dict(params or {}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, values)
        keys = [column[0] for column in cursor.description]
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return pd.DataFrame.from_records(rows, columns=keys)


# COPY's binary format: a signature, flags, a header extension of a given length; then per row
# a field count and per field a length and the bytes; a -1 count ends it.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def query_arrays(
    source: Session | Connection, sql: str, params: Mapping[str, Any] | None, columns: Sequence[str]
) -> dict[str, np.ndarray]:
    """Rows of a SELECT whose columns are all ``bigint`` and never NULL, as one int64 array per
    column (named ``columns``, in the SELECT's order), read with ``COPY ... TO STDOUT (FORMAT
    binary)``: every row then has the same bytes, and one ``np.frombuffer`` reads them all.

    For the province's status reads (100,000 rows of ids and days): the server sends no text,
    psycopg builds no tuple and pandas infers no column, where those cost more than the query.
    A NULL or a column of another type is refused (the rows would not be of one size); write
    ``COALESCE`` and casts in the SQL. Parameters are merged by psycopg (COPY takes none).
    """
    connection = source.connection() if isinstance(source, Session) else source
    compiled = text(sql).compile(dialect=connection.dialect)
    values = compiled.construct_params(dict(params or {}))
    data = bytearray()
    cursor = connection.connection.cursor()
    try:
        statement = f"COPY ({compiled.string}) TO STDOUT (FORMAT binary)"
        with cursor.copy(statement, values) as copy:
            for block in copy:
                data += block
    finally:
        cursor.close()
    if not data.startswith(_COPY_SIGNATURE):
        raise ValueError("not COPY's binary format")
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[19 + extension : len(data) - 2]
    fields = [("count", ">i2")]
    for i in range(len(columns)):
        fields += [(f"size{i}", ">i4"), (f"value{i}", ">i8")]
    row = np.dtype(fields)
    if len(body) % row.itemsize:
        raise ValueError(f"{sql!r}: a NULL or a column not bigint (rows of unequal size)")
    rows = np.frombuffer(body, dtype=row)
    sizes_ok = all((rows[f"size{i}"] == 8).all() for i in range(len(columns)))
    if not (rows["count"] == len(columns)).all() or not sizes_ok:
        raise ValueError(f"{sql!r}: every column must be a bigint, never NULL")
    return {name: rows[f"value{i}"].astype(np.int64) for i, name in enumerate(columns)}


def read_geoframe(
    source: Source, sql: str, params: Mapping[str, Any] | None = None, geom: str = "geom"
) -> gpd.GeoDataFrame:
    """A SELECT with a geometry column ``geom`` as a GeoDataFrame in EPSG:4326 (an empty
    result has no CRS of its own, so it is set rather than left None)."""
    if isinstance(source, Engine):
        with source.connect() as conn:
            return read_geoframe(conn, sql, params, geom)
    connection = source.connection() if isinstance(source, Session) else source
    frame = gpd.read_postgis(text(sql), connection, geom_col=geom, params=dict(params or {}))
    if frame.crs is None:
        return frame.set_crs(STORAGE_EPSG)
    return frame if frame.crs.to_epsg() == STORAGE_EPSG else frame.to_crs(STORAGE_EPSG)


def where_equal(conditions: Mapping[str, object | None]) -> tuple[str, dict[str, object]]:
    """AND of ``column = :param`` for every condition whose value is set.

    Keys are qualified columns (``s.township_id``); the parameter is named after the column
    part, so one township id can filter several tables. Returns ("TRUE", {}) when nothing is
    set, so the caller can always write ``WHERE {where}``.
    """
    clauses: list[str] = []
    params: dict[str, object] = {}
    for column, value in conditions.items():
        if value is None:
            continue
        name = column.rsplit(".", 1)[-1]
        clauses.append(f"{column} = :{name}")
        params[name] = value
    return (" AND ".join(clauses) or "TRUE"), params


@contextmanager
def without_jit(source: Session | Connection) -> Iterator[None]:
    """Run the block's queries with PostgreSQL's JIT off, then restore the setting (both
    transaction-local). For many short index lookups (a LATERAL per site) the planner's cost
    passes the JIT thresholds, and compiling costs seconds where the query takes tenths
    (bench/EXPLAIN-coverage.md)."""
    previous = source.execute(
        text("SELECT current_setting('jit'), set_config('jit', 'off', true)")
    ).scalar_one()
    try:
        yield
    finally:
        source.execute(text("SELECT set_config('jit', :v, true)"), {"v": previous})


__all__ = [
    "county_clause",
    "query_arrays",
    "query_frame",
    "read_geoframe",
    "township_label",
    "where_equal",
    "without_jit",
]


def township_label(alias: str) -> str:
    """A township's name as the scope reads it (SQL over the table alias ``alias``): alone in
    a county's scope; after its county's name (东溪县·定阳街道) in the city's, where two counties
    may each have a 定阳街道 and a table by name would add them together. ``alias`` is a
    trusted identifier, never input."""
    return (
        f"(CASE WHEN {alias}.id IS NULL THEN NULL "
        "WHEN (SELECT shuijian_scope_all()) AND (SELECT count(*) > 1 FROM county) "
        f"THEN (SELECT c.name FROM county c WHERE c.id = {alias}.county_id) || '·' || {alias}.name "
        f"ELSE {alias}.name END)"
    )


def county_clause(alias: str | None = None, column: str = "county_id") -> str:
    """The county a statement reads, named in its SQL: ``alias.county_id = <id>`` in one
    county's scope (``db.scope``), ``TRUE`` in the city's or none (row-level security
    still confines the rows; this puts the county where a planner and a distributed
    database can see it — Citus sends a query naming its ``county_id`` to that county's
    shard alone). The id is an integer from the scope, never input, so it is written
    inline; ``alias`` is a trusted identifier. A query names the county once per
    county-owned table, or once and joins the others on ``county_id``."""
    from db import scope

    county = scope.current_county()
    if county is None:
        return "TRUE"
    qualified = f"{alias}.{column}" if alias else column
    return f"{qualified} = {int(county)}"
