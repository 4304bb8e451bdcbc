"""A batch of uploaded files: one verdict per file, whatever happens to the others.

Each file is ingested in its own transaction. A refusal (:class:`GpxRefused`, rights, an
unknown deputy) is that file's verdict; a database outage is too (nothing of the file was
stored, it can be sent again); anything unexpected is logged with its traceback under an id
and the file's verdict names only the id. The command line and the upload page both go
through :func:`ingest_file`, so they give the same verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy import Engine

from accounts.auth import SignedIn
from core.errors import PermissionDenied, ShuijianError, is_database_outage, log_unexpected
from db.database import session_scope
from tracks.gpx_input import GpxRefused
from tracks.ingest import IngestParams, IngestResult, UploadRefused, ingest_gpx

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
    after: Callable[[object, IngestResult], object] | None = None,
) -> FileVerdict:
    """Ingest one file in its own transaction and say what became of it; never raises.

    ``after(session, result)`` runs in the same transaction once the file is stored (the
    page reads the visits it will show there)."""
    try:
        with session_scope(engine) as session:
            result = ingest_gpx(
                session,
                data,
                filename,
                deputy_id=deputy_id,
                uploader=uploader,
                gcj02=gcj02,
                params=params,
            )
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
            return FileVerdict(
                filename,
                "unavailable",
                reason="db_unavailable",
                message="the database is unavailable; nothing of this file was stored",
            )
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


__all__ = ["FileVerdict", "ingest_file"]
