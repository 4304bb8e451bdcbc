"""One uploaded file's outcome as a page shows it: stored (with its visits and flags), already
uploaded, or not stored and why (a code the page translates)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from tracks.batch import FileVerdict, ingest_files
from tracks.ingest import GpxFile, IngestResult
from tracks.patrol_queries import visits_of


@dataclass
class UploadOutcome:
    """One uploaded file's result as a page shows it: stored, duplicate, or not stored (why:
    ``reason`` a code the page translates, ``params`` its values, ``refused`` the English
    sentence)."""

    filename: str
    patrol_id: int | None = None
    duplicate: bool = False
    refused: str | None = None
    reason: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    summary: str = ""
    n_points: int = 0
    n_kept: int = 0
    visits: pd.DataFrame = field(default_factory=pd.DataFrame)
    # code, English message, measured details ((code, params) pairs for i18n.details)
    flags: list[tuple[str, str, tuple]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        """A new patrol was written by this upload (not refused, not a re-upload)."""
        return self.patrol_id is not None and not self.duplicate


def ingest_upload(
    engine: Engine,
    data: bytes,
    filename: str,
    *,
    deputy_id: int,
    uploader: SignedIn,
    gcj02: bool = False,
) -> UploadOutcome:
    """One file in its own transaction; never raises (see :func:`ingest_uploads`)."""
    (outcome,) = ingest_uploads(
        engine, [(data, filename)], deputy_id=deputy_id, uploader=uploader, gcj02=gcj02
    )
    return outcome


def ingest_uploads(
    engine: Engine,
    files: list[tuple[bytes, str]],
    *,
    deputy_id: int,
    uploader: SignedIn,
    gcj02: bool = False,
    progress: Callable[[int, str], object] | None = None,
) -> list[UploadOutcome]:
    """Ingest the files (bytes, name) together, each in its own savepoint, so a refused file
    stops none of the others; never raises (see :func:`tracks.batch.ingest_files`).
    ``progress(i, name)`` before the i-th file (from 0) is read."""
    read: dict[int, pd.DataFrame] = {}

    def read_visits(s: Session, result: IngestResult) -> None:
        if not result.duplicate:
            read[result.patrol_id] = visits_of(s, [result.patrol_id])

    seen = iter(range(len(files)))

    def step(f: GpxFile) -> None:
        if progress is not None:
            progress(next(seen), f.filename)

    verdicts = ingest_files(
        engine,
        [GpxFile(data, name, deputy_id, gcj02) for data, name in files],
        uploader=uploader,
        after=read_visits,
        progress=step,
    )
    return [_outcome(v, read) for v in verdicts]


def _outcome(verdict: FileVerdict, read: dict[int, pd.DataFrame]) -> UploadOutcome:
    result = verdict.result
    if result is None:
        return UploadOutcome(
            verdict.filename, refused=verdict.message, reason=verdict.reason, params=verdict.params
        )
    return UploadOutcome(
        verdict.filename,
        patrol_id=result.patrol_id,
        duplicate=result.duplicate,
        summary=result.summary(),
        n_points=result.n_points,
        n_kept=result.n_kept,
        visits=read.get(result.patrol_id, pd.DataFrame())
        if not result.duplicate
        else pd.DataFrame(),
        flags=[(f.code, f.message, f.details) for f in result.flags],
        notes=list(result.notes),
    )
