"""Reading vector files (GeoJSON, GeoPackage, zipped or plain Shapefile, CSV with lon/lat).

Uploads arrive as bytes, so bytes are parsed here and reading a path is a thin wrapper. Nothing
is validated beyond "this is a readable table with geometry"; the importers judge the content.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from core.errors import ImportRefused

LON_NAMES = ("lon", "lng", "longitude", "x", "经度")
LAT_NAMES = ("lat", "latitude", "y", "纬度")
VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".zip", ".shp"}
TABLE_SUFFIXES = (".csv", ".xlsx")


def _decode_text(data: bytes, source: str) -> str:
    """UTF-8 first (with or without BOM), then GB18030, which Chinese office tools write."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused(source, "text is neither UTF-8 nor GBK/GB18030", code="text_encoding")


def read_csv_points(data: bytes, source: str, geometry_optional: bool = False) -> gpd.GeoDataFrame:
    """A CSV whose lon/lat columns (WGS84 degrees) become point geometry."""
    text = _decode_text(data, source)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ImportRefused(
            source, f"not a readable CSV table: {exc}", code="not_a_csv", detail=str(exc)
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    lower = {c.lower(): c for c in frame.columns}
    lon_col = next((lower[n] for n in LON_NAMES if n in lower), None)
    lat_col = next((lower[n] for n in LAT_NAMES if n in lower), None)
    if lon_col is None or lat_col is None:
        if geometry_optional:
            return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([None] * len(frame)), crs=4326)
        raise ImportRefused(
            source,
            "missing column(s) for coordinates: a CSV needs lon and lat (or 经度/纬度) columns",
            code="missing_coordinates",
        )
    coords = {}
    for col in (lon_col, lat_col):
        values = pd.to_numeric(frame[col].replace("", None), errors="coerce")
        bad = values.isna() & (frame[col] != "")
        if bad.any():
            row = int(bad.idxmax()) + 2  # header is line 1
            value = str(frame[col][bad.idxmax()])
            raise ImportRefused(
                source,
                f"column {col!r} is not a number: {value!r}",
                feature=f"line {row}",
                code="not_a_number",
                line=row,
                column=str(col),
                value=value,
            )
        coords[col] = values
    geometry = gpd.points_from_xy(coords[lon_col], coords[lat_col])
    rest = frame.drop(columns=[lon_col, lat_col])
    return gpd.GeoDataFrame(rest, geometry=geometry, crs=4326)


def read_vector(data: bytes, filename: str) -> gpd.GeoDataFrame:
    """Parse an uploaded file by its name's suffix; refuse what cannot be read, naming why."""
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        return read_csv_points(data, filename, geometry_optional=True)
    if suffix not in VECTOR_SUFFIXES:
        raise ImportRefused(
            filename,
            f"unsupported file type {suffix or '(none)'}: use GeoJSON, GeoPackage, "
            "a zipped Shapefile or CSV with lon/lat",
            code="unsupported_file_type",
            suffix=suffix or "—",
        )
    if not data.strip():
        raise ImportRefused(filename, "the file is empty", code="empty_file")
    try:
        with warnings.catch_warnings():
            # GDAL notes that an in-memory GeoPackage has no .gpkg name; that is expected here.
            warnings.filterwarnings("ignore", message=".*non conformant file extension.*")
            gdf = pyogrio.read_dataframe(io.BytesIO(data))
    except Exception as exc:  # pyogrio raises several GDAL error types; the message is what matters
        raise ImportRefused(
            filename,
            f"not a readable {suffix[1:]} file: {exc}",
            code="unreadable_file",
            format=suffix[1:],
            detail=str(exc),
        ) from None
    return _with_text_columns(gdf)


def read_vector_file(path: str | Path) -> gpd.GeoDataFrame:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in VECTOR_SUFFIXES and path.stat().st_size > 0:
        try:
            return _with_text_columns(pyogrio.read_dataframe(path))
        except Exception as exc:  # GDAL raises several error types; the message is what matters
            raise ImportRefused(
                path.name,
                f"not a readable {suffix[1:]} file: {exc}",
                code="unreadable_file",
                format=suffix[1:],
                detail=str(exc),
            ) from None
    return read_vector(path.read_bytes(), path.name)


def read_table(data: bytes, filename: str) -> pd.DataFrame:
    """A plain table (CSV in UTF-8 or GBK, or an Excel .xlsx workbook's first sheet), every
    value as text and empty cells as "": the importers judge the content, row by row."""
    suffix = Path(filename).suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise ImportRefused(
            filename,
            f"unsupported table type {suffix or '(none)'}: use CSV or Excel (.xlsx)",
            code="unsupported_table_type",
            suffix=suffix or "—",
        )
    if not data.strip():
        raise ImportRefused(filename, "the file is empty", code="empty_file")
    try:
        if suffix == ".csv":
            frame = pd.read_csv(
                io.StringIO(_decode_text(data, filename)), dtype=str, keep_default_na=False
            )
        else:
            frame = pd.read_excel(
                io.BytesIO(data), dtype=str, keep_default_na=False, engine="openpyxl"
            )
    except ImportRefused:
        raise
    except Exception as exc:  # pandas and openpyxl raise many types; the message is what matters
        raise ImportRefused(
            filename,
            f"not a readable {suffix[1:]} file: {exc}",
            code="unreadable_file",
            format=suffix[1:],
            detail=str(exc),
        ) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _with_text_columns(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    gdf.columns = [str(c).strip() for c in gdf.columns]
    return gdf
