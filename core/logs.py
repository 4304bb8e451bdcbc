"""Where unexpected errors go: a log file with their tracebacks, never the user's screen.

The file is ``errors.log`` in ``SHUIJIAN_LOG_DIR`` (default ``.shuijian/logs`` in the
checkout, or ``$SHUIJIAN_HOME/logs``), rotated at 5 MB. Each entry starts with the error id a
user was shown, so the traceback behind "internal error, logged as 3f9a01bc" is one grep away.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from core import settings

LOGGER = "shuijian.errors"
SECURITY_LOGGER = "shuijian.security"
_ROOT = Path(__file__).resolve().parent.parent


def log_dir() -> Path:
    configured = settings.optional_text("log_dir")
    if configured:
        return Path(configured)
    home = settings.optional_text("home")
    return (Path(home) if home else _ROOT / ".shuijian") / "logs"


def error_logger() -> logging.Logger:
    """The error logger, with its file handler attached on first use (to stderr if the
    folder cannot be written, so the traceback is never lost)."""
    return _file_logger(LOGGER, "errors.log")


def security_logger() -> logging.Logger:
    """Sign-in throttling and locks (``security.log`` beside ``errors.log``)."""
    return _file_logger(SECURITY_LOGGER, "security.log")


def _file_logger(name: str, filename: str) -> logging.Logger:
    logger = logging.getLogger(name)
    if not any(getattr(h, "_shuijian", False) for h in logger.handlers):
        try:
            folder = log_dir()
            folder.mkdir(parents=True, exist_ok=True)
            handler: logging.Handler = logging.handlers.RotatingFileHandler(
                folder / filename, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"
            )
        except OSError:
            handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        handler._shuijian = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger
