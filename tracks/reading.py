"""GPX reading: an uploaded file is hostile input until proven otherwise.

One parser: a guarded streaming ``lxml.etree.iterparse`` that fills numpy arrays. gpxpy builds a
Python object per point (~23 k points/s, ~2 GB for 1 M points); this reads ~190 k points/s.
Everything dangerous is refused *before* lxml sees the bytes: DOCTYPE/ENTITY declarations
(billion laughs, XXE), oversize files, binary junk. lxml is then run with entity resolution,
network access, DTD loading and huge trees all switched off, as a second line of defence.
"""

from __future__ import annotations

import codecs
import io
import re
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from lxml import etree

from core import settings
from core.errors import ShuijianError

GPX_NAMESPACES = {
    "http://www.topografix.com/GPX/1/1": "1.1",
    "http://www.topografix.com/GPX/1/0": "1.0",
    "": None,
}

REASONS = (
    "empty",
    "too_large",
    "doctype",
    "not_xml",
    "not_gpx",
    "bad_coordinate",
    "bad_time",
    "no_points",
    "encoding",
)

_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_DECL_TEXT_RE = re.compile(r"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_DECL_ENC_RE = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DANGER_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DANGER_TEXT_RE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_AWARE_RE = r"(?:[Zz]|[+-]\d{2}(?::?\d{2})?)$"

# Chinese apps declare GB2312/GBK but write characters only GB18030 (their superset) has.
_GB_FAMILY = {"gb2312", "gbk", "gb18030", "cp936", "euc-cn", "x-gbk", "ms936"}
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32-LE"),
    (codecs.BOM_UTF32_BE, "UTF-32-BE"),
    (codecs.BOM_UTF8, "UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16-LE"),
    (codecs.BOM_UTF16_BE, "UTF-16-BE"),
)


class GpxRefused(ShuijianError):
    """The GPX file was refused as a whole; ``reason`` is a stable code for the UI and logs."""

    def __init__(self, reason: str, message: str, line: int | None = None) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        self.reason = reason
        self.line = line
        super().__init__(f"refused: {message}")


@dataclass(frozen=True, eq=False)
class Waypoint:
    """A ``<wpt>``: kept with the patrol, never proof of a visit (it can be typed in)."""

    lon: float
    lat: float
    ele: float
    time: np.datetime64  # UTC, NaT when missing
    name: str | None

    @property
    def time_s(self) -> float | None:
        """Epoch seconds, or None when the waypoint has no time."""
        if np.isnat(self.time):
            return None
        return float(self.time.astype("datetime64[ns]").astype(np.int64)) / 1e9


@dataclass(frozen=True, eq=False)
class Route:
    """A ``<rte>``: a planned path, not a recording; kept separately from the track."""

    name: str | None
    lon: np.ndarray
    lat: np.ndarray
    ele: np.ndarray
    time: np.ndarray


@dataclass(frozen=True, eq=False)
class ParsedGpx:
    """Track points as flat arrays (one row per ``<trkpt>``), plus waypoints and routes."""

    version: str
    creator: str | None
    encoding: str
    name: str | None
    lon: np.ndarray
    lat: np.ndarray
    ele: np.ndarray
    time: np.ndarray  # datetime64[ns], UTC, NaT where missing
    track: np.ndarray  # int32, index of the <trk>
    segment: np.ndarray  # int32, global index of the <trkseg>
    waypoints: list[Waypoint] = field(default_factory=list)
    routes: list[Route] = field(default_factory=list)
    has_times: bool = False

    @property
    def n_points(self) -> int:
        return int(self.lon.shape[0])

    @property
    def t_s(self) -> np.ndarray:
        """Times as float64 epoch seconds, NaN where missing (what cleaning and visits use)."""
        return datetime_to_seconds(self.time)


def datetime_to_seconds(time: np.ndarray) -> np.ndarray:
    """datetime64 → float64 epoch seconds with NaN for NaT."""
    ns = time.astype("datetime64[ns]")
    out = ns.astype(np.int64).astype(np.float64) / 1e9
    out[np.isnat(ns)] = np.nan
    return out


def read_gpx_file(path: str | Path, **kwargs: object) -> ParsedGpx:
    """Read and parse a GPX file from disk (same guards as :func:`parse_gpx`)."""
    return parse_gpx(Path(path).read_bytes(), **kwargs)  # type: ignore[arg-type]


def parse_gpx(
    data: bytes, *, naive_tz: str | None = None, max_bytes: int | None = None
) -> ParsedGpx:
    """Parse GPX bytes into arrays, or raise :class:`GpxRefused` naming the fault.

    ``naive_tz`` is the zone in which times without offset are read (default: the ``timezone``
    setting, Asia/Shanghai); ``max_bytes`` defaults to the ``gpx_max_mb`` setting.
    """
    naive_tz = naive_tz or str(settings.get("timezone"))
    if max_bytes is None:
        max_bytes = int(float(settings.get("gpx_max_mb")) * 1024 * 1024)
    _refuse_before_parsing(data, max_bytes)
    payload, encoding = _to_parser_bytes(data)
    return _iterparse(payload, encoding, naive_tz)


# --- guards -------------------------------------------------------------------------------


def _refuse_before_parsing(data: bytes, max_bytes: int) -> None:
    if not data or not data.strip():
        raise GpxRefused("empty", "the file is empty")
    if len(data) > max_bytes:
        raise GpxRefused(
            "too_large",
            f"the file is {len(data) / 1e6:,.1f} MB, more than the limit of "
            f"{max_bytes / 1e6:,.1f} MB",
        )
    if _DANGER_RE.search(data):
        raise _doctype_refusal()


def _doctype_refusal() -> GpxRefused:
    return GpxRefused(
        "doctype",
        "the file declares a DOCTYPE/ENTITY (XML entity expansion is not allowed)",
    )


def _to_parser_bytes(data: bytes) -> tuple[bytes, str]:
    """Detect the encoding and return UTF-8 bytes without an XML declaration for lxml.

    Order: a BOM (the only way to read UTF-16/32), else the declaration's encoding, else UTF-8,
    and if UTF-8 fails GB18030 (Chinese apps that write GBK without declaring it).
    """
    bom_encoding = next((name for bom, name in _BOMS if data.startswith(bom)), None)
    if bom_encoding is None:
        head = data[:64].lstrip()
        if b"\x00" in data[:1024] or not head.startswith(b"<"):
            raise GpxRefused(
                "not_xml", "the file is not XML (it does not start with '<'; binary or text?)"
            )
    if bom_encoding is not None and bom_encoding != "UTF-8":
        text = _decode(data[_bom_len(data) :], bom_encoding, bom_encoding)
        if _DANGER_TEXT_RE.search(text):
            raise _doctype_refusal()
        return _strip_decl_text(text).encode("utf-8"), bom_encoding
    if bom_encoding == "UTF-8":
        data = data[len(codecs.BOM_UTF8) :]
    declared = _declared_encoding(data)
    if declared is None or _codec_name(declared) == "utf-8":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            if declared is not None:
                name = "GB18030 (declared UTF-8 but not valid UTF-8)"
            else:
                name = "GB18030 (undeclared; not valid UTF-8)"
            text = _decode(data, "gb18030", name)
            return _strip_decl_text(text).encode("utf-8"), name
        return _strip_decl_bytes(data), "UTF-8" if declared is None else declared.upper()
    text = _decode(data, declared, declared.upper())
    return _strip_decl_text(text).encode("utf-8"), declared.upper()


def _bom_len(data: bytes) -> int:
    return next(len(bom) for bom, _ in _BOMS if data.startswith(bom))


def _declared_encoding(data: bytes) -> str | None:
    decl = _DECL_RE.match(data[:512])
    if decl is None:
        return None
    enc = _DECL_ENC_RE.search(decl.group(0))
    return enc.group(1).decode("ascii") if enc else None


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _decode(data: bytes, encoding: str, label: str) -> str:
    codec = _codec_name(encoding)
    if codec is None:
        raise GpxRefused("encoding", f"the file declares an unknown encoding {encoding!r}")
    if codec.replace("_", "-") in _GB_FAMILY or encoding.lower() in _GB_FAMILY:
        codec = "gb18030"
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise GpxRefused(
            "encoding",
            f"the file is not valid {label} (undecodable bytes at line {line})",
            line=line,
        ) from None


def _strip_decl_bytes(data: bytes) -> bytes:
    """Replace the XML declaration by blank space, keeping line numbers for messages."""
    decl = _DECL_RE.match(data)
    if decl is None:
        return data
    return b"\n" * decl.group(0).count(b"\n") + data[decl.end() :]


def _strip_decl_text(text: str) -> str:
    decl = _DECL_TEXT_RE.match(text)
    if decl is None:
        return text
    return "\n" * decl.group(0).count("\n") + text[decl.end() :]


# --- parsing ------------------------------------------------------------------------------


class _Collector:
    """Columns filled during the single streaming pass (Python lists of strings, converted to
    numpy in one vectorised step at the end). Line numbers are not recorded per point: on an
    error a second pass finds the line of the offending point (cheaper on the normal path)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.lat: list[str | None] = []
        self.lon: list[str | None] = []
        self.ele: list[str | None] = []
        self.time: list[str | None] = []
        self.names: list[str | None] = []
        self.group = array("i")  # segment (trkpt) or route (rtept) index; unused for wpt
        self.track = array("i")
        self.payload = b""

    def add(self, el: etree._Element, ele_tag: str, time_tag: str, name_tag: str) -> None:
        attrib = el.attrib
        self.lat.append(attrib.get("lat"))
        self.lon.append(attrib.get("lon"))
        ele = time = name = None
        for child in el:
            tag = child.tag
            if tag == time_tag:
                time = child.text
            elif tag == ele_tag:
                ele = child.text
            elif tag == name_tag:
                name = child.text
        self.ele.append(ele)
        self.time.append(time)
        self.names.append(name)

    def add_batch(self, anchor: etree._Element, xp: _BatchXPath, group: int, track: int) -> int:
        """Read a batch of track points, then free them.

        ``anchor`` is either a closed container (<trkseg>, <trk>: read all its points) or the
        point just closed (read it and the points before it: the parser may already have
        started later points, which must not be touched). Texts are gathered with
        ``iter(tag)`` over the batch (C iteration) rather than a Python step per child.
        """
        if tags_local(anchor.tag) == "trkpt":
            container = anchor.getparent()
            if container is None:
                return 0
            upto = container.index(anchor) + 1
        else:
            container, upto = anchor, len(anchor)
        pts = [c for c in container[:upto] if c.tag == xp.trkpt_tag]
        n = len(pts)
        if n:
            self.lat.extend([p.get("lat") for p in pts])
            self.lon.extend([p.get("lon") for p in pts])
            self.time.extend(_aligned_texts(container, xp.time_tag, pts))
            self.ele.extend(_aligned_texts(container, xp.ele_tag, pts))
            self.names.extend([None] * n)
            self.group.extend(array("i", [group]) * n)
            self.track.extend(array("i", [track]) * n)
        del container[:upto]
        return n

    def line_of(self, index: int) -> int:
        """Source line of the index-th point of this kind (error path only: a second pass)."""
        parser = etree.iterparse(
            io.BytesIO(self.payload), events=("end",), **_PARSER_GUARDS, tag=(f"{{*}}{self.kind}",)
        )
        for i, (_event, el) in enumerate(parser):
            if i == index:
                return int(el.sourceline or 0)
        return 0

    def __len__(self) -> int:
        return len(self.lat)


def tags_local(tag: object) -> str:
    """Local name of an element tag ('{ns}trkpt' → 'trkpt')."""
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


class _BatchXPath:
    """Full tag names in the root's namespace."""

    def __init__(self, ns: str) -> None:
        prefix = f"{{{ns}}}" if ns else ""
        self.trkpt_tag = f"{prefix}trkpt"
        self.ele_tag, self.time_tag = f"{prefix}ele", f"{prefix}time"
        self.name_tag = f"{prefix}name"


def _aligned_texts(
    container: etree._Element, tag: str, pts: list[etree._Element]
) -> list[str | None]:
    """Text of each point's ``tag`` child, one per point.

    Fast path: all ``tag`` descendants in one C iteration, accepted when they line up with the
    points (the first belongs to the first point, the n-th to the last). Otherwise one
    ``findtext`` per point (points without times, or irregular files).
    """
    n = len(pts)
    elems = list(container.iter(tag))
    if (
        len(elems) >= n
        and elems[0].getparent() is pts[0]
        and elems[n - 1].getparent() is pts[-1]
        and (len(elems) == n or elems[n].getparent() is not pts[-1])
    ):
        return [e.text for e in elems[:n]]
    return [p.findtext(tag) for p in pts]


_PARSER_GUARDS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "remove_comments": True,
    "remove_pis": True,
}
_BATCH = 4096
_KINDS = ("trkpt", "trkseg", "trk", "rtept", "rte", "wpt", "name")


def _iterparse(payload: bytes, encoding: str, naive_tz: str) -> ParsedGpx:
    trk, rte, wpt = _Collector("trkpt"), _Collector("rtept"), _Collector("wpt")
    for col in (trk, rte, wpt):
        col.payload = payload
    route_names: list[str | None] = []
    meta_name: str | None = None
    first_trk_name: str | None = None
    root: etree._Element | None = None
    tags: dict[str, str] = {}
    ns = ""
    track_i = 0
    seg_i = 0
    pending = 0
    xp: _BatchXPath | None = None  # tag names in the root's namespace, set at the first event
    ele_tag = time_tag = name_tag = meta_tag = ""
    parser = etree.iterparse(
        io.BytesIO(payload),
        events=("end",),
        tag=tuple(f"{{*}}{k}" for k in _KINDS),
        **_PARSER_GUARDS,
    )
    try:
        for _event, el in parser:
            if root is None:
                root = el.getroottree().getroot()
                ns = _check_root(root)
                q = f"{{{ns}}}" if ns else ""
                tags = {f"{q}{k}": k for k in _KINDS}
                ele_tag, time_tag, name_tag, meta_tag = (
                    f"{q}ele",
                    f"{q}time",
                    f"{q}name",
                    f"{q}metadata",
                )
                xp = _BatchXPath(ns)
            kind = tags.get(el.tag)
            if kind == "trkpt":
                pending += 1  # read in batches, see _Collector.add_batch
                if pending >= _BATCH:
                    if xp is not None:
                        trk.add_batch(el, xp, seg_i, track_i)
                    pending = 0
            elif kind == "trkseg":
                if xp is not None:
                    trk.add_batch(el, xp, seg_i, track_i)
                pending = 0
                seg_i += 1
                _free(el)
            elif kind == "trk":
                if xp is not None and trk.add_batch(el, xp, seg_i, track_i):
                    seg_i += 1  # points written directly under <trk> form their own segment
                pending = 0
                track_i += 1
                _free(el)
            elif kind == "rtept":
                rte.add(el, ele_tag, time_tag, name_tag)
                rte.group.append(len(route_names))
            elif kind == "rte":
                route_names.append(el.findtext(name_tag))
                _free(el)
            elif kind == "wpt":
                wpt.add(el, ele_tag, time_tag, name_tag)
                _free(el)
            elif kind == "name":
                parent = el.getparent()
                text = (el.text or "").strip() or None
                if parent is not None and (parent is root or parent.tag == meta_tag):
                    meta_name = meta_name or text
                elif parent is not None and tags.get(parent.tag) == "trk":
                    first_trk_name = first_trk_name or text
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        where = f" at line {line}" if line else ""
        raise GpxRefused(
            "not_xml", f"the file is not well-formed XML{where}: {exc.msg}", line=line
        ) from None
    if root is None:
        root = parser.root
        if root is None:
            raise GpxRefused("not_xml", "the file holds no XML element")
        ns = _check_root(root)

    if len(trk) == 0 and len(rte) == 0 and len(wpt) == 0:
        raise GpxRefused("no_points", "the file has no track points, route points or waypoints")

    lon, lat = _coordinates(trk, "track point")
    ele = _floats(trk.ele)
    time = _times(trk.time, trk, naive_tz)
    routes = _routes(rte, route_names, naive_tz)
    waypoints = _waypoints(wpt, naive_tz)
    version = GPX_NAMESPACES.get(ns) or root.get("version") or "unknown"
    return ParsedGpx(
        version=version,
        creator=root.get("creator"),
        encoding=encoding,
        name=meta_name or first_trk_name,
        lon=lon,
        lat=lat,
        ele=ele,
        time=time,
        track=_renumber(np.frombuffer(trk.track, dtype=np.int32)),
        segment=_renumber(np.frombuffer(trk.group, dtype=np.int32)),
        waypoints=waypoints,
        routes=routes,
        has_times=bool(len(trk) > 0 and not np.isnat(time).any()),
    )


def _check_root(root: etree._Element) -> str:
    tag = root.tag if isinstance(root.tag, str) else ""
    qname = etree.QName(tag) if tag else None
    local = qname.localname if qname else ""
    ns = (qname.namespace or "") if qname else ""
    if local != "gpx":
        raise GpxRefused("not_gpx", f"the root element is <{local or '?'}>, not <gpx>")
    if ns not in GPX_NAMESPACES:
        raise GpxRefused(
            "not_gpx", f"the <gpx> element has an unknown namespace {ns!r} (GPX 1.0 or 1.1 only)"
        )
    return ns


def _free(el: etree._Element) -> None:
    """Drop a processed element and its already-processed siblings: memory stays flat."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _renumber(group: np.ndarray) -> np.ndarray:
    """Segment ids 0..k-1 in order of appearance (empty segments leave no hole)."""
    if group.size == 0:
        return group.astype(np.int32).copy()
    _, inverse = np.unique(group, return_inverse=True)
    return inverse.astype(np.int32)


def _coordinates(col: _Collector, what: str) -> tuple[np.ndarray, np.ndarray]:
    lat = _floats(col.lat)
    lon = _floats(col.lon)
    bad = ~np.isfinite(lat) | ~np.isfinite(lon) | (np.abs(lat) > 90) | (np.abs(lon) > 180)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        line = col.line_of(i)
        raise GpxRefused(
            "bad_coordinate",
            f"{what} at line {line} has an invalid position "
            f"(lat={col.lat[i]!r}, lon={col.lon[i]!r}); {int(bad.sum())} such point(s)",
            line=line,
        )
    return lon, lat


def _floats(values: list[str | None]) -> np.ndarray:
    """Strings → float64, NaN for missing or non-numeric (checked by the caller if needed)."""
    if not values:
        return np.empty(0, dtype=np.float64)
    try:  # fast path: numpy parses a list of clean numeric strings in C
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        return pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )


def _times(values: list[str | None], col: _Collector, naive_tz: str) -> np.ndarray:
    """ISO 8601 strings → datetime64[ns] UTC; naive ones read in ``naive_tz``; NaT if absent.

    Fast path: one ``to_datetime`` over all strings, which succeeds when they are all aware
    (one offset) or all naive. Files mixing the two, or with unreadable times, take the slow
    path that classifies each string.
    """
    n = len(values)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if n == 0:
        return out
    s = pd.Series(values, dtype=object)
    present = s.notna().to_numpy()
    if not present.any():
        return out
    try:
        parsed = pd.to_datetime(s[present], format="ISO8601")
    except (ValueError, TypeError):
        utc = _times_mixed(s, present, col, naive_tz)
    else:
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            utc = parsed.dt.tz_convert("UTC")
        else:
            utc = _localize(parsed, naive_tz)
        if utc.isna().any():
            utc = _times_mixed(s, present, col, naive_tz)
    out[present] = utc.dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
    return out


def _localize(naive: pd.Series, tz: str) -> pd.Series:
    return naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT").dt.tz_convert("UTC")


def _times_mixed(s: pd.Series, present: np.ndarray, col: _Collector, naive_tz: str) -> pd.Series:
    """Slow path: classify each string as aware or naive, parse each group, name a bad one."""
    sp = s[present].astype(str).str.strip()
    aware = sp.str.contains(_AWARE_RE, regex=True, na=False)
    parsed = pd.Series(pd.NaT, index=sp.index, dtype="datetime64[ns, UTC]")
    if aware.any():
        a = pd.to_datetime(
            sp[aware].str.replace("z", "Z"), format="ISO8601", utc=True, errors="coerce"
        )
        parsed[aware] = a.astype("datetime64[ns, UTC]")
    if (~aware).any():
        b = pd.to_datetime(sp[~aware], format="ISO8601", errors="coerce")
        parsed[~aware] = _localize(b, naive_tz).astype("datetime64[ns, UTC]")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(sp.index[np.flatnonzero(bad)[0]])
        line = col.line_of(i)
        raise GpxRefused(
            "bad_time",
            f"the point at line {line} has an unreadable time {s.iloc[i]!r} "
            f"({int(bad.sum())} such point(s))",
            line=line,
        )
    return parsed


def _routes(col: _Collector, names: list[str | None], naive_tz: str) -> list[Route]:
    if len(col) == 0:
        return []
    lon, lat = _coordinates(col, "route point")
    ele = _floats(col.ele)
    time = _times(col.time, col, naive_tz)
    group = np.frombuffer(col.group, dtype=np.int32)
    bounds = np.searchsorted(group, np.arange(len(names) + 1))
    return [
        Route(
            name=(names[i] or "").strip() or None,
            lon=lon[bounds[i] : bounds[i + 1]],
            lat=lat[bounds[i] : bounds[i + 1]],
            ele=ele[bounds[i] : bounds[i + 1]],
            time=time[bounds[i] : bounds[i + 1]],
        )
        for i in range(len(names))
    ]


def _waypoints(col: _Collector, naive_tz: str) -> list[Waypoint]:
    if len(col) == 0:
        return []
    lon, lat = _coordinates(col, "waypoint")
    ele = _floats(col.ele)
    time = _times(col.time, col, naive_tz)
    return [
        Waypoint(
            lon=float(lon[i]),
            lat=float(lat[i]),
            ele=float(ele[i]),
            time=time[i],
            name=(col.names[i] or "").strip() or None,
        )
        for i in range(len(col))
    ]
