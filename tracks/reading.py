"""GPX reading: an uploaded file is hostile input until proven otherwise.

One parser: a guarded streaming lxml pull parser that fills numpy arrays. gpxpy builds a
Python object per point (~23 k points/s, ~2 GB for 1 M points), so it only writes GPX
(``tracks.synth``). Everything dangerous is refused *before* lxml sees the bytes: DOCTYPE/ENTITY
declarations (billion laughs, XXE), oversize files, binary junk. lxml is then run with entity
resolution, network access, DTD loading and huge trees all switched off, as a second line of
defence.

Why it is fast: Python never touches a track point one by one. The bytes are fed to lxml in
chunks; per ``<trkseg>`` (or per batch of finished points of a long one) compiled XPath
expressions pull the lat/lon/ele/time strings out in C, numpy/pandas convert them in one
vectorised call, and the elements are deleted, so memory stays bounded by a chunk."""

from __future__ import annotations

import io
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from lxml import etree

from core import settings
from tracks.gpx_input import GpxRefused, Payload, refuse_before_parsing, to_parser_bytes
from tracks.gpx_values import (
    bad_position,
    bad_time_refusal,
    datetime_to_seconds,
    floats,
    parse_times,
    time_range_refusal,
)

GPX_NAMESPACES = {
    "http://www.topografix.com/GPX/1/1": "1.1",
    "http://www.topografix.com/GPX/1/0": "1.0",
    "": None,
}


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
    """Track points as flat arrays (one row per ``<trkpt>``), plus waypoints and routes.

    ``encoding`` is the codec the bytes were read with (``UTF-8``, ``GB18030``, ...);
    ``encoding_note`` says why when it was guessed rather than declared."""

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
    encoding_note: str | None = None

    @property
    def n_points(self) -> int:
        return int(self.lon.shape[0])

    @property
    def t_s(self) -> np.ndarray:
        """Times as float64 epoch seconds, NaN where missing (what cleaning and visits use)."""
        return datetime_to_seconds(self.time)


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
    naive_tz = naive_tz or settings.text("timezone")
    if max_bytes is None:
        max_bytes = int(settings.number("gpx_max_mb") * 1024 * 1024)
    refuse_before_parsing(data, max_bytes)
    payload, encoding, note = to_parser_bytes(data)
    parsed = _pull_parse(payload, encoding, naive_tz)
    return replace(parsed, encoding_note=note) if note else parsed


_PARSER_GUARDS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "huge_tree": False,
    "load_dtd": False,
    "remove_comments": True,
    "remove_pis": True,
}
_CHUNK = 1 << 20  # bytes fed to lxml at a time (~10,000 track points)
_KINDS = ("trkseg", "trk", "rtept", "rte", "wpt", "name")


class _Collector:
    """Route points or waypoints, one Python step per element: files hold few of them, so the
    simple path is the right one. On an error a second pass finds the line of the point."""

    def __init__(self, kind: str, payload: Payload) -> None:
        self.kind = kind
        self.payload = payload
        self.lat: list[str | None] = []
        self.lon: list[str | None] = []
        self.ele: list[str | None] = []
        self.time: list[str | None] = []
        self.names: list[str | None] = []
        self.group: list[int] = []  # route index (rtept); unused for wpt

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

    def line_of(self, index: int) -> int:
        return _line_of(self.payload, self.kind, index)

    def __len__(self) -> int:
        return len(self.lat)


def _line_of(payload: Payload, kind: str, index: int) -> int:
    """Source line of the index-th element ``kind`` (error path only: a second pass)."""
    parser = etree.iterparse(
        io.BytesIO(payload.whole()), events=("end",), tag=(f"{{*}}{kind}",), **_PARSER_GUARDS
    )
    for i, (_event, el) in enumerate(parser):
        if i == index:
            return int(el.sourceline or 0)
    return 0


class _PointXPath:
    """Compiled XPath expressions reading the ``trkpt`` children of a container in C.

    ``ele[1]``/``time[1]`` give at most one value per point, so a result as long as the point
    list is aligned with it; a shorter one (a point without a time, an empty ``<time/>``) sends
    that batch down the per-point path.
    """

    def __init__(self, ns: str) -> None:
        spaces = {"g": ns} if ns else None
        q = "g:" if ns else ""
        self.trkpt_tag = f"{{{ns}}}trkpt" if ns else "trkpt"
        self.ele_tag = f"{{{ns}}}ele" if ns else "ele"
        self.time_tag = f"{{{ns}}}time" if ns else "time"

        def xp(path: str) -> etree.XPath:
            return etree.XPath(path, namespaces=spaces, smart_strings=False)

        self.columns = {
            "lat": xp(f"{q}trkpt/@lat"),
            "lon": xp(f"{q}trkpt/@lon"),
            "ele": xp(f"{q}trkpt/{q}ele[1]/text()"),
            "time": xp(f"{q}trkpt/{q}time[1]/text()"),
        }

    def counted_in(self, el: etree._Element) -> dict[str, bool]:
        """How many values ``el`` (one child) adds to each of ``columns`` right now."""
        if el.tag != self.trkpt_tag:
            return {"lat": False, "lon": False, "ele": False, "time": False}
        ele, time = el.find(self.ele_tag), el.find(self.time_tag)
        return {
            "lat": el.get("lat") is not None,
            "lon": el.get("lon") is not None,
            "ele": ele is not None and ele.text is not None,
            "time": time is not None and time.text is not None,
        }


class _TrackPoints:
    """Track point columns, converted to numpy one batch (segment) at a time.

    Bad coordinates and times are counted over the whole file and the first of each is kept
    with its raw text, so the refusal names the same point and count as a one-shot reading.
    """

    def __init__(self, payload: Payload, naive_tz: str) -> None:
        self.payload = payload
        self.naive_tz = naive_tz
        self.n = 0
        self.parts: dict[str, list[np.ndarray]] = {
            k: [] for k in ("lon", "lat", "ele", "time", "track", "segment")
        }
        self.bad_coord: tuple[int, str | None, str | None] | None = None
        self.n_bad_coord = 0
        self.bad_time: tuple[int, str | None] | None = None
        self.n_bad_time = 0
        self.far_time: tuple[int, str | None] | None = None
        self.n_far_time = 0

    def take(
        self, container: etree._Element, xp: _PointXPath, segment: int, track: int, *, open_: bool
    ) -> int:
        """Read the ``trkpt`` children of ``container``; delete them if it is still open.

        A closed container gives all of them (the caller then drops it whole). An open one
        (still being parsed) gives all but its last child, which lxml may still be filling:
        the columns are read over all children and the last child's share, counted at the
        same moment, is cut off the end.
        """
        n_children = len(container)
        k = n_children - 1 if open_ else n_children
        if k <= 0:
            return 0
        cols = {part: f(container) for part, f in xp.columns.items()}
        if open_:
            for part, extra in xp.counted_in(container[-1]).items():
                if extra:
                    cols[part] = cols[part][:-1]
        # Only <trkpt> children carry lat/lon: k of each means every child is a point with
        # both. Otherwise (other elements among the points, a point without lat) per point.
        if len(cols["lat"]) != k or len(cols["lon"]) != k:
            return self._take_irregular(container, xp, segment, track, n_children, open_=open_)
        for part in ("ele", "time"):
            if 0 < len(cols[part]) != k:
                cols.update(_per_point(list(container[:k]), xp, (part,)))
        if open_:
            del container[:k]
        self._add(cols, k, segment, track)
        return k

    def _take_irregular(
        self,
        container: etree._Element,
        xp: _PointXPath,
        segment: int,
        track: int,
        n_children: int,
        *,
        open_: bool,
    ) -> int:
        """Other elements among the points (<name>, <extensions>, a <trkseg> inside <trk>):
        the rare irregular container, read point by point."""
        stop = n_children - 1 if open_ else n_children
        pts = [c for c in container[:stop] if c.tag == xp.trkpt_tag]
        if not pts:
            return 0
        cols = _per_point(pts, xp, ("lat", "lon", "ele", "time"))
        for p in pts:
            container.remove(p)
        self._add(cols, len(pts), segment, track)
        return len(pts)

    def _add(self, cols: dict[str, list], k: int, segment: int, track: int) -> None:
        lat = floats(cols["lat"])
        lon = floats(cols["lon"])
        bad = bad_position(lat, lon)
        if bad.any():
            if self.bad_coord is None:
                i = int(np.flatnonzero(bad)[0])
                self.bad_coord = (self.n + i, cols["lat"][i], cols["lon"][i])
            self.n_bad_coord += int(bad.sum())
        ele = floats(cols["ele"]) if len(cols["ele"]) else np.full(k, np.nan)
        if len(cols["time"]):
            time, bad_t, far_t = parse_times(cols["time"], self.naive_tz)
            if bad_t.any():
                if self.bad_time is None:
                    i = int(np.flatnonzero(bad_t)[0])
                    self.bad_time = (self.n + i, cols["time"][i])
                self.n_bad_time += int(bad_t.sum())
            if far_t.any():
                if self.far_time is None:
                    i = int(np.flatnonzero(far_t)[0])
                    self.far_time = (self.n + i, cols["time"][i])
                self.n_far_time += int(far_t.sum())
        else:
            time = np.full(k, np.datetime64("NaT"), dtype="datetime64[ns]")
        for name, values in (
            ("lon", lon),
            ("lat", lat),
            ("ele", ele),
            ("time", time),
            ("track", np.full(k, track, dtype=np.int32)),
            ("segment", np.full(k, segment, dtype=np.int32)),
        ):
            self.parts[name].append(values)
        self.n += k

    def column(self, name: str, dtype: str) -> np.ndarray:
        parts = self.parts[name]
        if not parts:
            return np.empty(0, dtype=dtype)
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def refuse_if_bad(self) -> None:
        if self.bad_coord is not None:
            i, lat, lon = self.bad_coord
            line = _line_of(self.payload, "trkpt", i)
            raise GpxRefused(
                "bad_coordinate",
                f"track point at line {line} has an invalid position "
                f"(lat={lat!r}, lon={lon!r}); {self.n_bad_coord} such point(s)",
                line=line,
            )
        if self.bad_time is not None:
            i, raw = self.bad_time
            line = _line_of(self.payload, "trkpt", i)
            raise bad_time_refusal(line, raw, self.n_bad_time)
        if self.far_time is not None:
            i, raw = self.far_time
            line = _line_of(self.payload, "trkpt", i)
            raise time_range_refusal(line, raw, self.n_far_time)


def _per_point(
    pts: list[etree._Element], xp: _PointXPath, parts: tuple[str, ...]
) -> dict[str, list[str | None]]:
    """The slow, always-right reading: one lookup per point."""
    out: dict[str, list[str | None]] = {}
    if "lat" in parts:
        out["lat"] = [p.get("lat") for p in pts]
    if "lon" in parts:
        out["lon"] = [p.get("lon") for p in pts]
    if "ele" in parts:
        out["ele"] = [p.findtext(xp.ele_tag) for p in pts]
    if "time" in parts:
        out["time"] = [p.findtext(xp.time_tag) for p in pts]
    return out


def _pull_parse(payload: Payload, encoding: str, naive_tz: str) -> ParsedGpx:
    trk = _TrackPoints(payload, naive_tz)
    rte, wpt = _Collector("rtept", payload), _Collector("wpt", payload)
    route_names: list[str | None] = []
    meta_name: str | None = None
    first_trk_name: str | None = None
    root: etree._Element | None = None
    tags: dict[str, str] = {}
    ns = ""
    xp: _PointXPath | None = None
    ele_tag = time_tag = name_tag = meta_tag = ""
    track_i = seg_i = 0
    open_trk: etree._Element | None = None
    open_seg: etree._Element | None = None
    loose = False  # points directly under the open <trk> (outside any <trkseg>) were read
    parser = etree.XMLPullParser(
        events=("start", "end"), tag=tuple(f"{{*}}{k}" for k in _KINDS), **_PARSER_GUARDS
    )
    try:
        for chunk in payload.chunks(_CHUNK):
            parser.feed(chunk)
            for event, el in parser.read_events():
                if root is None:
                    root = el.getroottree().getroot()
                    ns = _check_root(root)
                    q = f"{{{ns}}}" if ns else ""
                    tags = {f"{q}{k}": k for k in _KINDS}
                    ele_tag, time_tag, name_tag = f"{q}ele", f"{q}time", f"{q}name"
                    meta_tag = f"{q}metadata"
                    xp = _PointXPath(ns)
                assert xp is not None
                kind = tags.get(el.tag)
                if event == "start":
                    if kind == "trk":
                        open_trk, loose = el, False
                    elif kind == "trkseg":
                        if open_trk is not None and loose:
                            seg_i += 1  # loose points before this segment were their own
                            loose = False
                        open_seg = el
                    continue
                if kind == "trkseg":
                    trk.take(el, xp, seg_i, track_i, open_=False)
                    seg_i += 1
                    open_seg = None
                    _drop(el)
                elif kind == "trk":
                    if trk.take(el, xp, seg_i, track_i, open_=False) or loose:
                        seg_i += 1  # points written directly under <trk> form their own segment
                    track_i += 1
                    open_trk, loose = None, False
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
            # A long segment: read its finished points after every chunk, so memory stays
            # bounded by a chunk whatever the file's size.
            if xp is not None:
                if open_seg is not None:
                    trk.take(open_seg, xp, seg_i, track_i, open_=True)
                elif open_trk is not None:
                    loose = trk.take(open_trk, xp, seg_i, track_i, open_=True) > 0 or loose
        closed = parser.close()
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else None
        where = f" at line {line}" if line else ""
        raise GpxRefused(
            "not_xml", f"the file is not well-formed XML{where}: {exc.msg}", line=line
        ) from None
    if root is None:
        root = closed
        if root is None:
            raise GpxRefused("not_xml", "the file holds no XML element")
        ns = _check_root(root)

    if trk.n == 0 and len(rte) == 0 and len(wpt) == 0:
        raise GpxRefused("no_points", "the file has no track points, route points or waypoints")

    trk.refuse_if_bad()
    time = trk.column("time", "datetime64[ns]")
    routes = _routes(rte, route_names, naive_tz)
    waypoints = _waypoints(wpt, naive_tz)
    version = GPX_NAMESPACES.get(ns) or root.get("version") or "unknown"
    return ParsedGpx(
        version=version,
        creator=root.get("creator"),
        encoding=encoding,
        name=meta_name or first_trk_name,
        lon=trk.column("lon", "float64"),
        lat=trk.column("lat", "float64"),
        ele=trk.column("ele", "float64"),
        time=time,
        track=_renumber(trk.column("track", "int32")),
        segment=_renumber(trk.column("segment", "int32")),
        waypoints=waypoints,
        routes=routes,
        has_times=bool(trk.n > 0 and not np.isnat(time).any()),
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


def _drop(el: etree._Element) -> None:
    """Remove a read <trkseg> from its <trk>, leaving its siblings (points written directly
    under <trk> before it are still to be read)."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def _renumber(group: np.ndarray) -> np.ndarray:
    """Segment ids 0..k-1 in order of appearance (empty segments leave no hole)."""
    if group.size == 0:
        return group.astype(np.int32).copy()
    _, inverse = np.unique(group, return_inverse=True)
    return inverse.astype(np.int32)


def _coordinates(col: _Collector, what: str) -> tuple[np.ndarray, np.ndarray]:
    lat = floats(col.lat)
    lon = floats(col.lon)
    bad = bad_position(lat, lon)
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


def _times(values: list[str | None], col: _Collector, naive_tz: str) -> np.ndarray:
    """Times of route points or waypoints, refusing the file on an unreadable one."""
    out, bad, far = parse_times(values, naive_tz)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise bad_time_refusal(col.line_of(i), values[i], int(bad.sum()))
    if far.any():
        i = int(np.flatnonzero(far)[0])
        raise time_range_refusal(col.line_of(i), values[i], int(far.sum()))
    return out


def _routes(col: _Collector, names: list[str | None], naive_tz: str) -> list[Route]:
    if len(col) == 0:
        return []
    lon, lat = _coordinates(col, "route point")
    ele = floats(col.ele)
    time = _times(col.time, col, naive_tz)
    group = np.asarray(col.group, dtype=np.int32)
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
    ele = floats(col.ele)
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
