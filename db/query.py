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


def query_arrays(
    source: Session | Connection, sql: str, params: Mapping[str, Any] | None, columns: Sequence[str]
) -> dict[str, np.ndarray]:
    """Rows of a SELECT whose columns are all integers, never NULL, as one int64 array per
    column (named ``columns``, in the SELECT's order).

    The server packs the rows into one ``bytea`` (``int8send`` per value, ``string_agg`` over
    the rows) and one ``np.frombuffer`` reads it: for the province's status reads (100,000
    rows of ids and days) no tuple is built per row and pandas infers no column, where those
    cost more than the query (COPY's binary format would do as well in bytes, but psycopg
    hands COPY's rows to Python one at a time). A NULL is refused (its row would vanish from
    the aggregate): write ``COALESCE`` in the SQL.
    """
    connection = source.connection() if isinstance(source, Session) else source
    names = [f"c{i}" for i in range(len(columns))]
    packed = " || ".join(f"int8send(q.{n})" for n in names)
    wrapped = (
        f"SELECT count(*), string_agg({packed}, ''::bytea) FROM ({sql}) AS q({', '.join(names)})"
    )
    compiled = text(wrapped).compile(dialect=connection.dialect)
    values = compiled.construct_params(dict(params or {}))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(compiled.string, values)
        count, data = cursor.fetchone()
    finally:
        cursor.close()
    if count and (data is None or len(data) != count * 8 * len(columns)):
        raise ValueError(f"{sql!r}: a NULL in the rows (write COALESCE)")
    flat = np.frombuffer(data or b"", dtype=">i8").astype(np.int64)
    table = flat.reshape(-1, len(columns)) if len(columns) else flat.reshape(0, 0)
    return {name: table[:, i].copy() for i, name in enumerate(columns)}


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
