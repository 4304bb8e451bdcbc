"""Photos as hostile input: type by content, size, hash, and the EXIF time and place.

Shared by patrol records and tickets, so a photo is judged the same way everywhere.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from core.errors import ShuijianError

PHOTO_MAX_BYTES = 10 * 1024 * 1024
PHOTO_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
_GPS_IFD = 0x8825
_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 0x9003
_DATETIME = 0x0132


class PhotoRefused(ShuijianError):
    """Not an acceptable photo; the message names the file and the reason."""


@dataclass(frozen=True)
class PhotoInfo:
    filename: str
    mime: str
    sha256: str
    size: int
    taken_at: datetime | None  # from EXIF, read in the given zone (cameras write local time)
    lon: float | None
    lat: float | None


def photo_mime(data: bytes, filename: str) -> str:
    """JPEG or PNG by the file's first bytes; the name's extension proves nothing."""
    if len(data) > PHOTO_MAX_BYTES:
        size_mb = len(data) / 1024 / 1024
        limit_mb = PHOTO_MAX_BYTES // 1024 // 1024
        raise PhotoRefused(
            f"{filename}: photo is {size_mb:.1f} MB; at most {limit_mb} MB",
            code="photo_too_large",
            filename=filename,
            size_mb=f"{size_mb:.1f}",
            limit_mb=limit_mb,
        )
    for magic, mime in PHOTO_MAGIC:
        if data.startswith(magic):
            return mime
    raise PhotoRefused(
        f"{filename}: not a JPEG or PNG image (checked by content, not by name)",
        code="not_a_photo",
        filename=filename,
    )


def inspect_photo(data: bytes, filename: str, tz: str = "Asia/Shanghai") -> PhotoInfo:
    mime = photo_mime(data, filename)
    taken_at, lon, lat = _exif(data, tz, filename)
    return PhotoInfo(
        filename=filename,
        mime=mime,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        taken_at=taken_at,
        lon=lon,
        lat=lat,
    )


def _exif(
    data: bytes, tz: str, filename: str = ""
) -> tuple[datetime | None, float | None, float | None]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise PhotoRefused(
            f"image cannot be read: {exc}",
            code="photo_unreadable",
            filename=filename,
            detail=str(exc),
        ) from None
    raw_time = exif.get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL) or exif.get(_DATETIME)
    taken_at = None
    if raw_time:
        try:
            taken_at = datetime.strptime(str(raw_time).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
            taken_at = taken_at.replace(tzinfo=ZoneInfo(tz))
        except ValueError:
            taken_at = None
    gps = exif.get_ifd(_GPS_IFD)
    lat = _degrees(gps.get(2), gps.get(1), "S")
    lon = _degrees(gps.get(4), gps.get(3), "W")
    if lat is None or lon is None:
        return taken_at, None, None
    return taken_at, lon, lat


def _degrees(value: object, ref: object, negative: str) -> float | None:
    try:
        d, m, s = (float(v) for v in value)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    out = d + m / 60.0 + s / 3600.0
    return -out if str(ref).upper().startswith(negative) else out


def jpeg_with_exif(
    lon: float | None,
    lat: float | None,
    taken_at: datetime | None,
    size: int = 32,
    tz: str = "Asia/Shanghai",
) -> bytes:
    """A small JPEG with EXIF GPS and time (written as local time in `tz`, as cameras do):
    for the demo and the tests."""
    from PIL import Image

    if taken_at is not None and taken_at.tzinfo is not None:
        taken_at = taken_at.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    image = Image.new("RGB", (size, size), (40, 120, 160))
    exif = Image.Exif()
    if taken_at is not None:
        exif[_DATETIME] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
        exif.get_ifd(_EXIF_IFD)[_DATETIME_ORIGINAL] = taken_at.strftime("%Y:%m:%d %H:%M:%S")
    if lon is not None and lat is not None:
        exif[_GPS_IFD] = {
            1: "N" if lat >= 0 else "S",
            2: _dms(abs(lat)),
            3: "E" if lon >= 0 else "W",
            4: _dms(abs(lon)),
        }
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    d = int(value)
    m = int((value - d) * 60)
    s = round(((value - d) * 60 - m) * 60, 4)
    return (float(d), float(m), s)
