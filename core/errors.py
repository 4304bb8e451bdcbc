"""One error family, so pages and the CLI can catch ours and nothing else.

Each error carries a ``code`` naming the fault and the ``params`` its sentence needs (the
row, the value, the limit); the edges say it in the user's language from the catalogue
(``i18n``, key ``error.<code>``). The English message passed to the constructor is for the
log and for developers. A test fails when a raise gives no code or a code has no text.
"""

from __future__ import annotations


class ShuijianError(Exception):
    """Base of every error this project raises on purpose.

    ``code`` names the fault for the interface, which says it in the user's language with
    ``params``; the message is the English sentence for the log. A subclass that stands for
    one fault sets ``code`` itself; every other raise passes ``code=``."""

    exit_code = 1
    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None, **params: object) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.params: dict[str, object] = {**getattr(self, "params", {}), **params}


class ConfigurationError(ShuijianError):
    """A setting is missing or malformed, or a system package is absent."""

    exit_code = 2


class DatabaseUnavailable(ShuijianError):
    """The database cannot be reached or started."""

    exit_code = 3
    code = "db_unavailable"


class FeatureRef(str):
    """Which row of a file a fault is in: reads as "feature 3, code T1" in the log, and
    carries the row number and code so the user's sentence says it in their language."""

    row: int
    item_code: str | None

    def __new__(cls, row: int, item_code: str | None = None) -> FeatureRef:
        text = f"feature {row}" + (f", code {item_code}" if item_code else "")
        made = super().__new__(cls, text)
        made.row = row
        made.item_code = item_code or None
        return made


class ImportRefused(ShuijianError):
    """A file was refused as a whole; nothing of it was stored. ``code`` names the fault,
    ``feature`` the row or code that caused it."""

    def __init__(
        self, source: str, fault: str, feature: str | None = None, *, code: str, **params: object
    ) -> None:
        self.source = source
        self.fault = fault
        self.feature = feature
        where = f" ({feature})" if feature else ""
        if isinstance(feature, FeatureRef):
            params = {"row": feature.row, "row_code": feature.item_code, **params}
        super().__init__(
            f"{source}: refused{where}: {fault}",
            code=code,
            source=source,
            feature=feature,
            **params,
        )


class AuthenticationFailed(ShuijianError):
    """Wrong user name or password; deliberately does not say which."""

    code = "login_failed"


class PermissionDenied(ShuijianError):
    """The signed-in user's role may not do this."""


class InternalError(ShuijianError):
    """An unexpected fault: users see only its id; the traceback is in the error log."""

    exit_code = 2
    code = "internal"

    def __init__(self, error_id: str) -> None:
        self.error_id = error_id
        super().__init__(f"internal error, logged as {error_id}", error_id=error_id)


def is_database_outage(exc: BaseException) -> bool:
    """The database cannot be reached (refused, gone away, timed out), as opposed to a query
    that the database answered with an error."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, DatabaseUnavailable):
        return True
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return True
    if isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated:
        return True
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return False
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def log_unexpected(exc: BaseException, where: str) -> InternalError:
    """Log an unexpected exception with its traceback under a short random id, and return
    the error to show instead (the id lets an admin find the traceback)."""
    import secrets

    from core.logs import error_logger

    error_id = secrets.token_hex(4)
    error_logger().error("internal error %s in %s", error_id, where, exc_info=exc)
    return InternalError(error_id)
