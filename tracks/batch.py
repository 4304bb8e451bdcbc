"""A batch of uploaded files: one verdict per file, whatever happens to the others.

The files go in together, up to ``FILES_PER_TRANSACTION`` in one transaction, each in its own
savepoint. A refusal (:class:`GpxRefused`, rights, an unknown deputy) is that file's verdict and
rolls back its savepoint only: the files before and after it are stored. Anything unexpected is
logged with its traceback under an id, the file's savepoint rolled back, and its verdict names
only the id. A database outage loses the transaction: every file of it not refused is "not
stored, send it again" (nothing of them was stored). The command line, the upload page and the
demo all go through :func:`ingest_files`, so they give the same verdicts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import islice
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from accounts.auth import SignedIn
from core.errors import PermissionDenied, ShuijianError, is_database_outage, log_unexpected
from db.database import session_scope
from tracks.gpx_input import GpxRefused
from tracks.ingest import GpxFile, IngestBatch, IngestParams, IngestResult, UploadRefused

# PostgreSQL keeps the first 64 subtransactions of a transaction in shared memory; past that
# every other session's visibility checks read pg_subtrans. A transaction holds at most this
# many files (one savepoint each), so a large batch commits in parts of this size.
FILES_PER_TRANSACTION = 50

# The refusals that are not the GPX reader's (tracks.gpx_input.REASONS), each with its sentence.
VERDICT_CODES = ("permission", "no_deputy", "db_unavailable", "internal", "other")

Status = Literal["stored", "duplicate", "refused", "unavailable", "error"]


@dataclass
class FileVerdict:
    """What became of one file. ``reason`` is a stable code (a GpxRefused reason, or
    ``permission``, ``no_deputy``, ``db_unavailable``, ``internal``), ``params`` the values
    its sentence names, ``message`` the English sentence for the command line and logs."""

    filename: str
    status: Status
    result: IngestResult | None = None
    reason: str | None = None
    params: dict[str, object] = field(default_factory=dict)
    message: str = ""
    error_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("stored", "duplicate")


def ingest_file(
    engine: Engine,
    data: bytes,
    filename: str,
    *,
    deputy_id: int,
    uploader: SignedIn | None = None,
    gcj02: bool = False,
    params: IngestParams | None = None,
    now: datetime | None = None,
    after: Callable[[Session, IngestResult], object] | None = None,
) -> FileVerdict:
    """One file in its own transaction (a batch of one); never raises."""
    (verdict,) = ingest_files(
        engine,
        [GpxFile(data, filename, deputy_id, gcj02)],
        uploader=uploader,
        params=params,
        now=now,
        after=after,
    )
    return verdict


def ingest_files(
    engine: Engine,
    files: Iterable[GpxFile],
    *,
    uploader: SignedIn | None = None,
    params: IngestParams | None = None,
    now: datetime | None = None,
    after: Callable[[Session, IngestResult], object] | None = None,
    progress: Callable[[GpxFile], object] | None = None,
    per_transaction: int = FILES_PER_TRANSACTION,
) -> list[FileVerdict]:
    """Ingest the files, ``per_transaction`` to a transaction and each in a savepoint, and say
    what became of each, in order; never raises.

    ``after(session, result)`` runs in the file's savepoint once it is stored (the page reads
    the visits it will show there); ``progress(file)`` before each file is read. ``files`` is
    read lazily, one transaction's worth at a time."""
    return list(
        iter_ingest_files(
            engine,
            files,
            uploader=uploader,
            params=params,
            now=now,
            after=after,
            progress=progress,
            per_transaction=per_transaction,
        )
    )


def iter_ingest_files(
    engine: Engine,
    files: Iterable[GpxFile],
    *,
    uploader: SignedIn | None = None,
    params: IngestParams | None = None,
    now: datetime | None = None,
    after: Callable[[Session, IngestResult], object] | None = None,
    progress: Callable[[GpxFile], object] | None = None,
    per_transaction: int = FILES_PER_TRANSACTION,
) -> Iterator[FileVerdict]:
    """:func:`ingest_files`, yielding each transaction's verdicts once it has committed."""
    params = params or IngestParams.from_settings()
    pending = iter(files)
    while chunk := list(islice(pending, max(1, per_transaction))):
        yield from _one_transaction(engine, chunk, uploader, params, now, after, progress)


def _one_transaction(
    engine: Engine,
    chunk: list[GpxFile],
    uploader: SignedIn | None,
    params: IngestParams,
    now: datetime | None,
    after: Callable[[Session, IngestResult], object] | None,
    progress: Callable[[GpxFile], object] | None,
) -> list[FileVerdict]:
    verdicts: list[FileVerdict] = []
    try:
        with session_scope(engine) as session:
            batch = IngestBatch(session, uploader=uploader, params=params, now=now)
            for f in chunk:
                if progress is not None:
                    progress(f)
                verdicts.append(_one_file(session, batch, f, after))
    except Exception as exc:  # the transaction is lost: nothing of it was stored
        if is_database_outage(exc):
            lost = FileVerdict(
                "",
                "unavailable",
                reason="db_unavailable",
                message="the database is unavailable; nothing of this file was stored",
            )
        else:
            error = log_unexpected(exc, f"storing {len(chunk)} GPX file(s) together")
            lost = FileVerdict(
                "",
                "error",
                reason="internal",
                params={"error_id": error.error_id},
                message=str(error),
                error_id=error.error_id,
            )
        done = [v if v.status == "refused" else _lost(v.filename, lost) for v in verdicts]
        return done + [_lost(f.filename, lost) for f in chunk[len(verdicts) :]]
    return verdicts


def _lost(filename: str, lost: FileVerdict) -> FileVerdict:
    return replace(lost, filename=filename, params=dict(lost.params))


def _one_file(
    session: Session,
    batch: IngestBatch,
    f: GpxFile,
    after: Callable[[Session, IngestResult], object] | None,
) -> FileVerdict:
    """One file in a savepoint: stored, or refused with the savepoint rolled back. An outage
    is raised (the whole transaction is gone)."""
    filename = f.filename
    try:
        with session.begin_nested():
            result = batch.add(f)
            if after is not None:
                after(session, result)
    except GpxRefused as exc:
        return FileVerdict(
            filename, "refused", reason=exc.reason, params=exc.params, message=str(exc)
        )
    except PermissionDenied as exc:
        return FileVerdict(filename, "refused", reason="permission", message=str(exc))
    except UploadRefused as exc:
        return FileVerdict(filename, "refused", reason="no_deputy", message=str(exc))
    except Exception as exc:  # the batch boundary: every file must get a verdict
        if is_database_outage(exc):
            raise
        if isinstance(exc, ShuijianError):
            return FileVerdict(filename, "refused", reason="other", message=str(exc))
        error = log_unexpected(exc, f"ingesting {filename!r}")
        return FileVerdict(
            filename,
            "error",
            reason="internal",
            params={"error_id": error.error_id},
            message=str(error),
            error_id=error.error_id,
        )
    status: Status = "duplicate" if result.duplicate else "stored"
    return FileVerdict(filename, status, result=result, message=result.summary())


__all__ = [
    "FILES_PER_TRANSACTION",
    "FileVerdict",
    "ingest_file",
    "ingest_files",
    "iter_ingest_files",
]
