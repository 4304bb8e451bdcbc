"""Importers for the county, townships, grid cells, sites, deputies, assignments and the
townships' people's congress offices.

Each importer validates the whole frame first, in small named steps, and only then writes, all
in the caller's transaction: a bad file is refused as a whole with a message naming the feature
and the fault, and the database is left as it was. The demo generator loads through the same
functions.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.shape import from_shape
from pyproj import CRS
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import clock
from core.errors import FeatureRef, ImportRefused, ShuijianError
from core.vocab import CLASS_BASES, kind_from_label, level_from_label
from db.lookups import deputy_code_key
from db.models import (
    Assignment,
    County,
    Deputy,
    GridCell,
    Site,
    SiteClassChange,
    Township,
    TownshipOffice,
)
from geo import crs as crs_helper

AREA_TOLERANCE_M2 = 1.0  # floating-point slivers below this are not faults
NESTING_TOLERANCE = 1e-4  # a cell may stick out of its parent by 0.01 % of its area
REPAIR_MAX_AREA_CHANGE = 0.01  # a repair may change a polygon's area by at most 1 %
POLYGONAL = ("Polygon", "MultiPolygon")
PHONE = re.compile(r"\+?[0-9][0-9 -]{4,30}[0-9]")  # a number the SMS hook and @-mention can use


@dataclass
class ImportReport:
    kind: str
    source: str
    count: int
    warnings: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        extra = f"; {len(self.warnings)} warning(s)" if self.warnings else ""
        return f"{self.source}: imported {self.count} {self.kind}{extra}"


# ---------------------------------------------------------------- validation steps


def _feature(frame: pd.DataFrame, pos: int) -> FeatureRef:
    row = frame.iloc[pos]
    code = row.get("code") if "code" in frame.columns else None
    return FeatureRef(pos + 1, None if code is None or pd.isna(code) else str(code) or None)


def require_columns(frame: pd.DataFrame, required: Iterable[str], source: str) -> None:
    missing = [c for c in required if c not in frame.columns]
    if missing:
        found = ", ".join(str(c) for c in frame.columns if c != "geometry")
        raise ImportRefused(
            source,
            f"missing column(s): {', '.join(missing)}; found: {found or '(none)'}",
            code="missing_columns",
            columns=", ".join(missing),
            found=found or "—",
        )


def require_values(frame: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    for col in columns:
        empty = frame[col].isna() | (frame[col].astype(str).str.strip() == "")
        if empty.any():
            raise ImportRefused(
                source,
                f"empty value in column {col!r}",
                feature=_feature(frame, int(np.argmax(empty.to_numpy()))),
                code="empty_value",
                column=str(col),
            )


def require_unique_codes(session: Session, frame: pd.DataFrame, model, source: str) -> None:
    codes = frame["code"].astype(str)
    dup = codes.duplicated()
    if dup.any():
        first = str(codes[dup].iloc[0])
        raise ImportRefused(
            source,
            f"code {first!r} appears twice in the file",
            code="duplicate_code",
            item_code=first,
        )
    stored = set(session.scalars(select(model.code).where(model.code.in_(codes.tolist()))))
    if stored:
        first = sorted(stored)[0]
        raise ImportRefused(
            source,
            f"code {first!r} is already stored ({len(stored)} code(s) clash); nothing was imported",
            code="code_already_stored",
            item_code=str(first),
            clashes=len(stored),
        )


def to_storage_crs(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Refuse a missing CRS (never guess), convert to EPSG:4326, and catch a wrong one."""
    if gdf.crs is None:
        raise ImportRefused(
            source,
            "the file declares no coordinate reference system (CRS); "
            "add one (e.g. a .prj file, or EPSG:4326 for lon/lat)",
            code="no_crs",
        )
    try:
        gdf = crs_helper.to_storage(gdf)
    except Exception as exc:
        name = CRS.from_user_input(gdf.crs).name
        raise ImportRefused(
            source,
            f"cannot convert from {name}: {exc}",
            code="crs_conversion_failed",
            crs=name,
            detail=str(exc),
        ) from None
    bounds = gdf.geometry.bounds
    bad = ~(
        bounds.minx.between(-180, 180)
        & bounds.maxx.between(-180, 180)
        & bounds.miny.between(-90, 90)
        & bounds.maxy.between(-90, 90)
    )
    bad = bad & gdf.geometry.notna()
    if bad.any():
        raise ImportRefused(
            source,
            "coordinates are outside longitude/latitude range after conversion to "
            "EPSG:4326: the declared CRS is wrong",
            feature=_feature(gdf, int(np.argmax(bad.to_numpy()))),
            code="wrong_crs",
        )
    return gdf


def require_geometry(gdf: gpd.GeoDataFrame, allowed: tuple[str, ...], source: str) -> None:
    missing = gdf.geometry.isna() | gdf.geometry.is_empty
    if missing.any():
        raise ImportRefused(
            source,
            "feature has no geometry",
            feature=_feature(gdf, int(np.argmax(missing.to_numpy()))),
            code="no_geometry",
        )
    types = gdf.geometry.geom_type
    wrong = ~types.isin(allowed)
    if wrong.any():
        pos = int(np.argmax(wrong.to_numpy()))
        raise ImportRefused(
            source,
            f"geometry is a {types.iloc[pos]}, expected {' or '.join(allowed)}",
            feature=_feature(gdf, pos),
            code="wrong_geometry",
            geometry=str(types.iloc[pos]),
            expected="/".join(allowed),
        )


def repair_polygons(gdf: gpd.GeoDataFrame, source: str, warnings: list[str]) -> gpd.GeoDataFrame:
    """Repair invalid polygons when the repair keeps the area; refuse them otherwise."""
    geoms = gdf.geometry.to_numpy()
    invalid = ~shapely.is_valid(geoms)
    if not invalid.any():
        return gdf
    gdf = gdf.copy()
    metric = crs_helper.metric_epsg()
    for pos in np.flatnonzero(invalid):
        original = geoms[pos]
        reason = shapely.is_valid_reason(original)
        repaired = shapely.make_valid(original)
        polygons = [g for g in getattr(repaired, "geoms", [repaired]) if g.geom_type in POLYGONAL]
        fixed = (
            shapely.multipolygons([p for g in polygons for p in getattr(g, "geoms", [g])])
            if polygons
            else None
        )
        areas = gpd.GeoSeries([original, fixed], crs=4326).to_crs(metric).area
        if (
            fixed is None
            or fixed.is_empty
            or areas.iloc[0] == 0
            or abs(areas.iloc[1] - areas.iloc[0]) / areas.iloc[0] > REPAIR_MAX_AREA_CHANGE
        ):
            raise ImportRefused(
                source,
                f"invalid polygon that cannot be repaired safely ({reason})",
                feature=_feature(gdf, int(pos)),
                code="invalid_polygon",
                reason=str(reason),
            )
        warnings.append(f"{_feature(gdf, int(pos))}: repaired invalid polygon ({reason})")
        gdf.iloc[pos, gdf.columns.get_loc(gdf.geometry.name)] = fixed
    return gdf


def as_multipolygons(geoms: gpd.GeoSeries) -> np.ndarray:
    values = geoms.to_numpy()
    single = shapely.get_type_id(values) == 3
    out = values.copy()
    out[single] = [shapely.MultiPolygon([g]) for g in values[single]]
    return out


def _polygon_layer(
    gdf: gpd.GeoDataFrame, source: str, required: tuple[str, ...], warnings: list[str]
) -> gpd.GeoDataFrame:
    require_columns(gdf, required, source)
    require_values(gdf, required, source)
    gdf = to_storage_crs(gdf, source)
    require_geometry(gdf, POLYGONAL, source)
    return repair_polygons(gdf, source, warnings)


def _wkb(geom) -> object:
    return from_shape(geom, srid=4326)


def _write(session: Session, model, rows: list[dict], source: str) -> None:
    if not rows:
        return
    if model is not County:
        require_county(session, source)  # after the file's own checks: they say more
    try:
        with session.begin_nested():
            session.execute(insert(model), rows)
    except IntegrityError as exc:
        raise ImportRefused(
            source,
            f"the database refused the rows: {exc.orig}",
            code="rows_refused_by_database",
            detail=str(exc.orig),
        ) from None


# ---------------------------------------------------------------- importers


def import_county(
    session: Session, gdf: gpd.GeoDataFrame, source: str, code: str, name: str
) -> ImportReport:
    """The county outline: all rows of the file dissolved into one multipolygon."""
    warnings: list[str] = []
    gdf = to_storage_crs(gdf, source)
    require_geometry(gdf, POLYGONAL, source)
    gdf = repair_polygons(gdf, source, warnings)
    if session.scalar(select(County.id).where(County.code == code)) is not None:
        raise ImportRefused(
            source, f"county {code} is already stored", code="county_already_stored", county=code
        )
    outline = shapely.union_all(gdf.geometry.to_numpy())
    outline = outline if outline.geom_type == "MultiPolygon" else shapely.MultiPolygon([outline])
    _write(session, County, [{"code": code, "name": name, "geom": _wkb(outline)}], source)
    return ImportReport("county", source, 1, warnings)


def require_county(session: Session, source: str) -> int:
    """The county the rows of a file will belong to: the one in scope (``db.scope``; in a
    database of one county, that one). Refused by name before anything is read when there is
    none yet, or several and the scope names none (``shuijian --county CODE import …``)."""
    county = session.scalar(text("SELECT shuijian_scope_county()"))
    if county is not None:
        return int(county)
    if not session.scalar(text("SELECT count(*) FROM county")):
        raise ImportRefused(
            source, "no county is stored yet: import the county outline first", code="no_county_yet"
        )
    raise ImportRefused(
        source,
        "the database holds several counties: say which one the file is for (--county)",
        code="county_not_chosen",
    )


def import_townships(session: Session, gdf: gpd.GeoDataFrame, source: str) -> ImportReport:
    warnings: list[str] = []
    gdf = _polygon_layer(gdf, source, ("code", "name"), warnings)
    require_unique_codes(session, gdf, Township, source)
    names = gdf["name"].astype(str)
    if names.duplicated().any():
        twice = str(names[names.duplicated()].iloc[0])
        raise ImportRefused(
            source,
            f"township name {twice!r} appears twice",
            code="duplicate_township_name",
            name=twice,
        )
    rows = [
        {"code": str(c), "name": str(n), "geom": _wkb(g)}
        for c, n, g in zip(gdf["code"], names, as_multipolygons(gdf.geometry), strict=True)
    ]
    _write(session, Township, rows, source)
    return ImportReport("townships", source, len(rows), warnings)


def _check_nesting(session: Session, gdf: gpd.GeoDataFrame, source: str) -> None:
    """Every non-top cell names a parent one level up that covers it."""
    levels = pd.to_numeric(gdf["level"], errors="coerce")
    bad = ~levels.isin([1, 2, 3])
    if bad.any():
        pos = int(np.argmax(bad.to_numpy()))
        raise ImportRefused(
            source,
            f"level must be 1, 2 or 3, not {gdf['level'].iloc[pos]!r}",
            feature=_feature(gdf, pos),
            code="bad_cell_level",
            value=str(gdf["level"].iloc[pos]),
        )
    gdf["level"] = levels.astype(int)
    raw = gdf["parent_code"].tolist() if "parent_code" in gdf.columns else [None] * len(gdf)
    gdf["parent_code"] = pd.Series([_text_or_none(v) for v in raw], index=gdf.index, dtype=object)

    stored = pd.read_sql(
        text("SELECT code, level, ST_AsBinary(geom) AS wkb FROM grid_cell"), session.connection()
    )
    known = {
        **{c: (lvl, shapely.from_wkb(bytes(w))) for c, lvl, w in stored.itertuples(index=False)},
        **{
            c: (lvl, g)
            for c, lvl, g in zip(gdf["code"].astype(str), gdf["level"], gdf.geometry, strict=True)
        },
    }
    metric = crs_helper.metric_epsg()
    for pos, (level, parent) in enumerate(zip(gdf["level"], gdf["parent_code"], strict=True)):
        if level == 1:
            if parent is not None:
                raise ImportRefused(
                    source,
                    "a large (level 1) cell has no parent, but one is given",
                    feature=_feature(gdf, pos),
                    code="top_cell_has_parent",
                    parent=str(parent),
                )
            continue
        if parent is None:
            raise ImportRefused(
                source,
                f"level {level} cell has no parent_code (orphan cell)",
                feature=_feature(gdf, pos),
                code="orphan_cell",
                level=int(level),
            )
        if str(parent) not in known:
            raise ImportRefused(
                source,
                f"parent cell {parent!r} is neither in the file nor stored",
                feature=_feature(gdf, pos),
                code="unknown_parent_cell",
                parent=str(parent),
            )
        parent_level, _ = known[str(parent)]
        if parent_level != level - 1:
            raise ImportRefused(
                source,
                f"parent {parent!r} is level {parent_level}, expected level {level - 1}",
                feature=_feature(gdf, pos),
                code="parent_wrong_level",
                parent=str(parent),
                parent_level=int(parent_level),
                expected=int(level - 1),
            )
    # Containment, vectorised: the part of each cell outside its parent, in square metres.
    children = gdf[gdf["level"] > 1]
    if children.empty:
        return
    parents = gpd.GeoSeries([known[str(p)][1] for p in children["parent_code"]], crs=4326)
    outside = (
        gpd.GeoSeries(
            shapely.difference(children.geometry.to_numpy(), parents.to_numpy()), crs=4326
        )
        .to_crs(metric)
        .area.to_numpy()
    )
    child_area = children.geometry.to_crs(metric).area.to_numpy()
    tolerance = np.maximum(AREA_TOLERANCE_M2, child_area * NESTING_TOLERANCE)
    bad = outside > tolerance
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise ImportRefused(
            source,
            f"cell lies outside its parent {children['parent_code'].iloc[pos]!r} "
            f"by {outside[pos]:,.0f} m²",
            feature=_feature(children, pos),
            code="cell_outside_parent",
            parent=str(children["parent_code"].iloc[pos]),
            area_m2=f"{outside[pos]:,.0f}",
        )


def _text_or_none(value: object) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return None
    text_value = str(value).strip()
    return text_value or None


def import_cells(session: Session, gdf: gpd.GeoDataFrame, source: str) -> ImportReport:
    """Grid cells of any levels in one file; parents are inserted before their children."""
    warnings: list[str] = []
    gdf = _polygon_layer(gdf, source, ("code", "level"), warnings)
    require_unique_codes(session, gdf, GridCell, source)
    _check_nesting(session, gdf, source)
    has_township = "township_code" in gdf.columns
    township_ids = dict(session.execute(select(Township.code, Township.id)).all())
    if has_township:
        unknown = ~gdf["township_code"].astype(str).isin(township_ids)
        if unknown.any():
            pos = int(np.argmax(unknown.to_numpy()))
            raise ImportRefused(
                source,
                f"unknown township_code {gdf['township_code'].iloc[pos]!r}",
                feature=_feature(gdf, pos),
                code="unknown_township_code",
                value=str(gdf["township_code"].iloc[pos]),
            )
    geoms = as_multipolygons(gdf.geometry)
    for level in (1, 2, 3):
        mask = (gdf["level"] == level).to_numpy()
        if not mask.any():
            continue
        ids = dict(session.execute(select(GridCell.code, GridCell.id)).all())
        sub = gdf[mask]
        rows = [
            {
                "code": str(row.code),
                "name": str(row.name) if "name" in sub.columns and pd.notna(row.name) else None,
                "level": level,
                "parent_id": ids[str(row.parent_code)] if level > 1 else None,
                "township_id": township_ids[str(row.township_code)] if has_township else None,
                "geom": _wkb(geom),
            }
            for row, geom in zip(sub.itertuples(index=False), geoms[mask], strict=True)
        ]
        _write(session, GridCell, rows, source)
    if not has_township:
        session.execute(
            text(
                "UPDATE grid_cell c SET township_id = t.id FROM township t "
                "WHERE c.township_id IS NULL AND ST_Contains(t.geom, ST_PointOnSurface(c.geom))"
            )
        )
    return ImportReport("grid cells", source, len(gdf), warnings)


def import_sites(session: Session, gdf: gpd.GeoDataFrame, source: str) -> ImportReport:
    """Sites; township and small cell are found in the database from a representative point."""
    warnings: list[str] = []
    require_columns(gdf, ("code", "name", "kind", "site_class"), source)
    require_values(gdf, ("code", "name", "kind", "site_class"), source)
    gdf = to_storage_crs(gdf, source)
    require_geometry(gdf, ("Point", *POLYGONAL), source)
    kinds = gdf["kind"].astype(str).map(kind_from_label)
    if kinds.isna().any():
        pos = int(np.argmax(kinds.isna().to_numpy()))
        raise ImportRefused(
            source,
            f"unknown site kind {gdf['kind'].iloc[pos]!r}",
            feature=_feature(gdf, pos),
            code="unknown_site_kind",
            value=str(gdf["kind"].iloc[pos]),
        )
    classes = pd.to_numeric(gdf["site_class"], errors="coerce")
    bad = ~classes.isin([1, 2, 3])
    if bad.any():
        pos = int(np.argmax(bad.to_numpy()))
        raise ImportRefused(
            source,
            f"site_class must be 1, 2 or 3, not {gdf['site_class'].iloc[pos]!r}",
            feature=_feature(gdf, pos),
            code="bad_site_class",
            value=str(gdf["site_class"].iloc[pos]),
        )
    is_point = (gdf.geometry.geom_type == "Point").to_numpy()
    is_farm = (kinds == "livestock_farm").to_numpy()
    mismatch = is_point != is_farm
    if mismatch.any():
        pos = int(np.argmax(mismatch))
        raise ImportRefused(
            source,
            "livestock farms are points and water sites are polygons; this one is a "
            f"{gdf.geometry.geom_type.iloc[pos]} of kind {kinds.iloc[pos]}",
            feature=_feature(gdf, pos),
            code="site_geometry_mismatch",
            geometry=str(gdf.geometry.geom_type.iloc[pos]),
            kind=str(gdf["kind"].iloc[pos]),
        )
    polys = gdf[~is_point]
    if not polys.empty:
        gdf = pd.concat([repair_polygons(polys, source, warnings), gdf[is_point]]).loc[gdf.index]
    require_unique_codes(session, gdf, Site, source)
    bases = _class_bases(gdf, source)
    starts = [
        _as_date(v, source, _feature(gdf, pos)) if v is not None and not pd.isna(v) else None
        for pos, v in enumerate(
            gdf["class_from"] if "class_from" in gdf.columns else [None] * len(gdf)
        )
    ]
    rows = [
        {
            "code": str(c),
            "name": str(n),
            "kind": k,
            "site_class": int(sc),
            "class_basis": b,
            "geom": _wkb(g),
        }
        for c, n, k, sc, b, g in zip(
            gdf["code"], gdf["name"], kinds, classes, bases, gdf.geometry, strict=True
        )
    ]
    _write(session, Site, rows, source)
    ids = dict(session.execute(select(Site.code, Site.id)).all())
    today = clock.today()
    history = [
        {
            "site_id": ids[row["code"]],
            "site_class": row["site_class"],
            "basis": row["class_basis"] or "reassessed",
            "valid_from": start or today,
        }
        for row, start in zip(rows, starts, strict=True)
    ]
    _write(session, SiteClassChange, history, source)
    locate_sites(session)
    return ImportReport("sites", source, len(rows), warnings)


def _class_bases(gdf: gpd.GeoDataFrame, source: str) -> list[str | None]:
    """The optional ``class_basis`` column: a code of core.vocab.CLASS_BASES or empty."""
    if "class_basis" not in gdf.columns:
        return [None] * len(gdf)
    out: list[str | None] = []
    for pos, value in enumerate(gdf["class_basis"]):
        if value is None or pd.isna(value) or not str(value).strip():
            out.append(None)
            continue
        if str(value).strip() not in CLASS_BASES:
            raise ImportRefused(
                source,
                f"unknown class basis {value!r}; known: {', '.join(CLASS_BASES)}",
                feature=_feature(gdf, pos),
                code="unknown_class_basis",
                value=str(value),
                known=", ".join(CLASS_BASES),
            )
        out.append(str(value).strip())
    return out


def locate_sites(session: Session) -> None:
    """Township and small cell of each site: the ones containing its representative point."""
    session.execute(
        text(
            "UPDATE site s SET grid_cell_id = c.id FROM grid_cell c "
            "WHERE s.grid_cell_id IS NULL AND c.level = 3 "
            "AND ST_Intersects(c.geom, ST_PointOnSurface(s.geom))"
        )
    )
    session.execute(
        text(
            "UPDATE site s SET township_id = t.id FROM township t "
            "WHERE s.township_id IS NULL AND ST_Intersects(t.geom, ST_PointOnSurface(s.geom))"
        )
    )


def import_deputies(session: Session, gdf: gpd.GeoDataFrame, source: str) -> ImportReport:
    """Deputies; the home point is optional, the township is given by code or name."""
    require_columns(gdf, ("code", "name", "level", "township"), source)
    require_values(gdf, ("code", "name", "level", "township"), source)
    if "geometry" in gdf.columns and gdf.geometry.notna().any():
        gdf = to_storage_crs(gdf, source)
        present = gdf.geometry.notna()
        wrong = present & (gdf.geometry.geom_type != "Point")
        if wrong.any():
            raise ImportRefused(
                source,
                "a deputy's home must be a point",
                feature=_feature(gdf, int(np.argmax(wrong.to_numpy()))),
                code="home_not_a_point",
            )
    levels = gdf["level"].astype(str).map(level_from_label)
    if levels.isna().any():
        pos = int(np.argmax(levels.isna().to_numpy()))
        raise ImportRefused(
            source,
            f"unknown deputy level {gdf['level'].iloc[pos]!r}; "
            "use 省/市/县/乡 or province/city/county/township",
            feature=_feature(gdf, pos),
            code="unknown_deputy_level",
            value=str(gdf["level"].iloc[pos]),
        )
    townships = {
        **dict(session.execute(select(Township.name, Township.id)).all()),
        **dict(session.execute(select(Township.code, Township.id)).all()),
    }
    ids = gdf["township"].astype(str).str.strip().map(townships)
    if ids.isna().any():
        pos = int(np.argmax(ids.isna().to_numpy()))
        raise ImportRefused(
            source,
            f"unknown township {gdf['township'].iloc[pos]!r}",
            feature=_feature(gdf, pos),
            code="unknown_township",
            value=str(gdf["township"].iloc[pos]),
        )
    require_unique_codes(session, gdf, Deputy, source)
    contacts = gdf["contact"] if "contact" in gdf.columns else pd.Series([None] * len(gdf))
    geoms = gdf.geometry if "geometry" in gdf.columns else pd.Series([None] * len(gdf))
    rows = [
        {
            "code": str(c),
            "name": str(n),
            "level": lvl,
            "township_id": int(t),
            "contact": str(ph) if ph not in (None, "") and pd.notna(ph) else None,
            "home": _wkb(g) if g is not None and not g.is_empty else None,
        }
        for c, n, lvl, t, ph, g in zip(
            gdf["code"], gdf["name"], levels, ids, contacts, geoms, strict=True
        )
    ]
    _write(session, Deputy, rows, source)
    return ImportReport("deputies", source, len(rows))


def import_assignments(session: Session, frame: pd.DataFrame, source: str) -> ImportReport:
    """Deputy ↔ site links from a table (deputy_code, site_code, valid_from[, valid_to])."""
    require_columns(frame, ("deputy_code", "site_code", "valid_from"), source)
    require_values(frame, ("deputy_code", "site_code", "valid_from"), source)
    # A deputy code in any case (d0001 is D0001, as at sign-in).
    deputies = {
        deputy_code_key(code): id_ for code, id_ in session.execute(select(Deputy.code, Deputy.id))
    }
    sites = dict(session.execute(select(Site.code, Site.id)).all())
    rows = []
    for pos, rec in enumerate(frame.itertuples(index=False)):
        where = _feature(frame, pos)
        if deputy_code_key(rec.deputy_code) not in deputies:
            raise ImportRefused(
                source,
                f"unknown deputy {rec.deputy_code!r}",
                feature=where,
                code="unknown_deputy",
                value=str(rec.deputy_code),
            )
        if str(rec.site_code) not in sites:
            raise ImportRefused(
                source,
                f"unknown site {rec.site_code!r}",
                feature=where,
                code="unknown_site",
                value=str(rec.site_code),
            )
        valid_from = _as_date(rec.valid_from, source, where)
        valid_to = getattr(rec, "valid_to", None)
        valid_to = (
            _as_date(valid_to, source, where)
            if valid_to not in (None, "") and pd.notna(valid_to)
            else None
        )
        rows.append(
            {
                "deputy_id": deputies[deputy_code_key(rec.deputy_code)],
                "site_id": sites[str(rec.site_code)],
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
        )
    _write(session, Assignment, rows, source)
    return ImportReport("assignments", source, len(rows))


def _as_date(value, source: str, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ImportRefused(
            source,
            f"{value!r} is not a date (YYYY-MM-DD)",
            feature=where,
            code="not_a_date",
            value=str(value),
        ) from None


# ---------------------------------------------------------------- township offices


def _township_ids(session: Session) -> dict[str, int]:
    """A township by its name or its code."""
    return {
        **dict(session.execute(select(Township.name, Township.id)).all()),
        **dict(session.execute(select(Township.code, Township.id)).all()),
    }


def _clean_phone(value: object) -> str | None:
    """The phone as stored — digits only (and a leading +), as DingTalk's @-mention and an SMS
    gateway want it — or None when it is no usable number."""
    phone = str(value).strip()
    return re.sub(r"[ -]", "", phone) if PHONE.fullmatch(phone) else None


def _store_offices(session: Session, rows: list[dict]) -> None:
    """Insert or replace each township's office (contact data change; history is not kept)."""
    stamp = clock.now()
    statement = upsert(TownshipOffice).values([{**r, "updated_at": stamp} for r in rows])
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[TownshipOffice.township_id],
            set_={
                c: statement.excluded[c] for c in ("name", "contact_name", "phone", "updated_at")
            },
        )
    )


def import_township_offices(session: Session, frame: pd.DataFrame, source: str) -> ImportReport:
    """Each township's people's congress office (乡镇人大办公室), where overdue sites are
    escalated: ``township`` (code or name), ``name``, ``phone``, optional ``contact`` (the
    person). A township that has an office already gets it replaced."""
    require_columns(frame, ("township", "name", "phone"), source)
    require_values(frame, ("township", "name", "phone"), source)
    townships = _township_ids(session)
    contacts = frame["contact"] if "contact" in frame.columns else pd.Series([None] * len(frame))
    rows: list[dict] = []
    seen: set[int] = set()
    for pos, (township, name, phone, contact) in enumerate(
        zip(frame["township"], frame["name"], frame["phone"], contacts, strict=True)
    ):
        where = FeatureRef(pos + 1)
        township_id = townships.get(str(township).strip())
        if township_id is None:
            raise ImportRefused(
                source,
                f"unknown township {township!r}",
                feature=where,
                code="unknown_township",
                value=str(township),
            )
        if township_id in seen:
            raise ImportRefused(
                source,
                f"township {township!r} has two offices in the file",
                feature=where,
                code="duplicate_township_office",
                value=str(township),
            )
        seen.add(township_id)
        clean = _clean_phone(phone)
        if clean is None:
            raise ImportRefused(
                source,
                f"{phone!r} is not a phone number",
                feature=where,
                code="bad_phone",
                value=str(phone),
            )
        rows.append(
            {
                "township_id": township_id,
                "name": str(name).strip(),
                "contact_name": _text_or_none(contact),
                "phone": clean,
            }
        )
    if rows:
        _store_offices(session, rows)
    return ImportReport("township offices", source, len(rows))


def set_township_office(
    session: Session, township: str, name: str, phone: str, contact: str | None = None
) -> int:
    """Set one township's office (by township code or name); returns the township's id."""
    township_id = _township_ids(session).get(township.strip())
    if township_id is None:
        raise ShuijianError(
            f"unknown township {township!r} (give its name or code)",
            code="office_township_unknown",
            township=township,
        )
    clean = _clean_phone(phone)
    if clean is None:
        raise ShuijianError(
            f"{phone!r} is not a phone number", code="office_phone_invalid", phone=phone
        )
    if not name.strip():
        raise ShuijianError("the office needs a name", code="office_name_missing")
    _store_offices(
        session,
        [
            {
                "township_id": township_id,
                "name": name.strip(),
                "contact_name": _text_or_none(contact),
                "phone": clean,
            }
        ],
    )
    return township_id


def township_offices(session: Session) -> pd.DataFrame:
    """Every township with its office's contact (empty where it has none), by code."""
    rows = session.execute(
        select(
            Township.code,
            Township.name,
            TownshipOffice.name,
            TownshipOffice.contact_name,
            TownshipOffice.phone,
        )
        .outerjoin(TownshipOffice, TownshipOffice.township_id == Township.id)
        .order_by(Township.code)
    ).all()
    return pd.DataFrame(
        [tuple(r) for r in rows],
        columns=["township_code", "township", "office", "contact", "phone"],
    )


def import_county_file(session: Session, gdf: gpd.GeoDataFrame, source: str) -> ImportReport:
    """A county outline from a file whose (first) feature names its ``code`` and ``name``:
    the first thing a deployment imports, since every township, site, deputy and account is
    a county's (migration 0020); a city imports one per county."""
    require_columns(gdf, ("code", "name"), source)
    first = gdf.iloc[0]
    return import_county(session, gdf, source, str(first["code"]).strip(), str(first["name"]))


IMPORTERS: dict[str, Callable[[Session, gpd.GeoDataFrame, str], ImportReport]] = {
    "county": import_county_file,
    "townships": import_townships,
    "cells": import_cells,
    "sites": import_sites,
    "deputies": import_deputies,
    "assignments": import_assignments,
    "township-offices": import_township_offices,
}
