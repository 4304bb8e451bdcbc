"""GPX bytes as hostile input: the refusal type, the guards run before any parser sees the
bytes (size, DOCTYPE/ENTITY, binary), and the encodings (BOM, declaration, UTF-8, GB18030;
only ASCII-compatible declarations, the DOCTYPE check repeated on every decoded text)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass

from core.errors import ShuijianError

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
    "time_range",
    "far_away",
    "no_fix",
)


_DECL_RE = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_DECL_TEXT_RE = re.compile(r"^\s*<\?xml[^>]*?\?>", re.DOTALL)
_DECL_ENC_RE = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_DANGER_RE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_DANGER_TEXT_RE = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


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
    """The GPX file was refused as a whole; ``reason`` is a stable code for the UI and logs,
    ``params`` the values its message names (for the UI's own sentence in zh or en)."""

    def __init__(
        self, reason: str, message: str, line: int | None = None, **params: object
    ) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown refusal reason {reason!r}")
        self.reason = reason
        self.code = reason
        self.line = line
        self.params = {"line": line, **params} if line is not None else dict(params)
        super().__init__(f"refused: {message}")


def refuse_before_parsing(data: bytes, max_bytes: int) -> None:
    if not data or not data.strip():
        raise GpxRefused("empty", "the file is empty")
    if len(data) > max_bytes:
        raise GpxRefused(
            "too_large",
            f"the file is {len(data) / 1e6:,.1f} MB, more than the limit of "
            f"{max_bytes / 1e6:,.1f} MB",
            limit_mb=round(max_bytes / 1024 / 1024),
        )
    if _DANGER_RE.search(data):
        raise _doctype_refusal()


def _doctype_refusal() -> GpxRefused:
    return GpxRefused(
        "doctype",
        "the file declares a DOCTYPE/ENTITY (XML entity expansion is not allowed)",
    )


@dataclass(frozen=True)
class Payload:
    """UTF-8 bytes for lxml without an XML declaration: ``head`` (newlines standing in for the
    declaration, so line numbers hold) then ``body[start:]``. Kept in two pieces so the common
    case, a UTF-8 upload, is fed to lxml without copying it whole."""

    head: bytes
    body: bytes
    start: int = 0

    def chunks(self, size: int) -> Iterator[bytes]:
        if self.head:
            yield self.head
        for i in range(self.start, len(self.body), size):
            yield self.body[i : i + size]

    def whole(self) -> bytes:
        """The payload in one piece (error path only: finding a line number)."""
        return self.head + self.body[self.start :]


def to_parser_bytes(data: bytes) -> tuple[Payload, str, str | None]:
    """Detect the encoding and return UTF-8 bytes without an XML declaration for lxml, the
    codec's name, and a note when the codec was guessed.

    Order: a BOM (the only way to read UTF-16/32), else the declaration's encoding, else UTF-8,
    and if UTF-8 fails GB18030 (Chinese apps that write GBK without declaring it). A declared
    encoding must be ASCII-compatible (UTF-7, UTF-16 without BOM, EBCDIC are refused), and the
    DOCTYPE/ENTITY check is repeated on every decoded text, so no encoding can hide one.
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
        return _text_payload(text), bom_encoding, None
    if bom_encoding == "UTF-8":
        data = data[len(codecs.BOM_UTF8) :]
    declared = _declared_encoding(data)
    if declared is None or _codec_name(declared) == "utf-8":
        if not _is_utf8(data):
            if declared is not None:
                note = "declared UTF-8 but not valid UTF-8; read as GB18030"
            else:
                note = "no encoding declared and not valid UTF-8; read as GB18030"
            return _text_payload(_decode(data, "gb18030", "GB18030")), "GB18030", note
        return _strip_decl_bytes(data), "UTF-8", None
    codec = _ascii_compatible_codec(declared)
    text = _decode(data, codec, declared)
    return _text_payload(text), _label(declared), None


def _text_payload(text: str) -> Payload:
    """A decoded text as parser bytes, after the DOCTYPE/ENTITY check on the text itself."""
    if _DANGER_TEXT_RE.search(text):
        raise _doctype_refusal()
    return Payload(b"", _strip_decl_text(text).encode("utf-8"))


_ASCII = bytes(range(0x20, 0x7F)) + b"\t\n\r"


def _ascii_compatible_codec(declared: str) -> str:
    """The codec of a declared encoding, if it reads ASCII as ASCII; else refused by name.

    The declaration itself was found by an ASCII pattern, so any other codec (UTF-7, UTF-16
    or UTF-32 without a BOM, EBCDIC) would be read differently from how it was checked."""
    codec = _codec_name(declared)
    if codec is None:
        raise GpxRefused(
            "encoding", f"the file declares an unknown encoding {declared!r}", encoding=declared
        )
    if codec.replace("_", "-") in _GB_FAMILY or declared.lower() in _GB_FAMILY:
        return "gb18030"
    try:
        compatible = _ASCII.decode(codec) == _ASCII.decode("ascii")
    except (UnicodeDecodeError, LookupError):
        compatible = False
    if not compatible:
        raise GpxRefused(
            "encoding",
            f"the file declares the encoding {declared!r}, which is not ASCII-compatible; "
            "save it as UTF-8",
            encoding=declared,
        )
    return codec


def _label(declared: str) -> str:
    """The declared encoding as stored (``gbk`` → ``GBK``), at most 20 characters: the
    declaration is the file's own word; GB family names are read as GB18030 regardless."""
    return declared.upper()[:20]


def _is_utf8(data: bytes, chunk: int = 1 << 20) -> bool:
    """Valid UTF-8? ASCII (most GPX) is checked without decoding; otherwise decoded in chunks so
    a 100 MB upload never becomes a 100 MB string."""
    if data.isascii():
        return True
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    try:
        for i in range(0, len(data), chunk):
            decoder.decode(view[i : i + chunk], final=i + chunk >= len(data))
    except UnicodeDecodeError:
        return False
    return True


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
        raise GpxRefused(
            "encoding", f"the file declares an unknown encoding {encoding!r}", encoding=encoding
        )
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
            encoding=label,
        ) from None


def _strip_decl_bytes(data: bytes) -> Payload:
    """Replace the XML declaration by blank space, keeping line numbers for messages."""
    decl = _DECL_RE.match(data)
    if decl is None:
        return Payload(b"", data)
    return Payload(b"\n" * decl.group(0).count(b"\n"), data, decl.end())


def _strip_decl_text(text: str) -> str:
    decl = _DECL_TEXT_RE.match(text)
    if decl is None:
        return text
    return "\n" * decl.group(0).count("\n") + text[decl.end() :]
