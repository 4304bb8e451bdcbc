"""The bulletin's fonts: a CJK TrueType for the PDF and the map, East Asian fonts named in
Word. Chinese text must never turn into tofu (□)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from core.errors import ConfigurationError

FONT_CANDIDATES: tuple[Path, ...] = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/wqy-zenhei/wqy-zenhei.ttc"),
)
PDF_FONT = "WQY"
# Word picks these for CJK text (w:eastAsia); every Chinese Windows and WPS has them.
DOCX_BODY_FONT = "仿宋"
DOCX_HEADING_FONT = "黑体"
DOCX_LATIN_FONT = "Times New Roman"


def font_path() -> Path:
    """The CJK TrueType font embedded in PDFs and used on the map; refused clearly if absent."""
    for path in FONT_CANDIDATES:
        if path.is_file():
            return path
    looked = ", ".join(str(p) for p in FONT_CANDIDATES)
    raise ConfigurationError(
        "no Chinese TrueType font found for the bulletin; install the Debian package "
        "fonts-wqy-zenhei (looked for: " + looked + ")",
        code="cjk_font_missing",
        paths=looked,
    )


@lru_cache(maxsize=1)
def register_pdf_font() -> str:
    pdfmetrics.registerFont(TTFont(PDF_FONT, str(font_path()), subfontIndex=0))
    return PDF_FONT
