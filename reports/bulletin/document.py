"""A bulletin as a document, whatever writes it: a title, a salutation and an opening, sections
of paragraphs, tables and notes, a closing, the issuer and the day, and the map picture that a
section may show. The county's monthly bulletin and the city's ranking bulletin are both
composed into one, and ``word.py`` and ``pdf.py`` write either the same way."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass
class Section:
    """A heading, paragraphs of text and tables (header row first), in order."""

    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[tuple[str, list[list[str]]]] = field(default_factory=list)
    image: bool = False
    notes: list[str] = field(default_factory=list)  # footnotes under the tables: definitions


@dataclass
class Composed:
    """Everything a bulletin file says, in order."""

    title: str
    salutation: str
    opening: str
    sections: list[Section]
    closing: str
    issuer: str
    issued: date
    image: Path | None = None  # drawn where a section says ``image``

    @property
    def issued_text(self) -> str:
        return f"{self.issued.year}年{self.issued.month}月{self.issued.day}日"
