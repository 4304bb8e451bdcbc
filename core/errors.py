"""One error family, so pages and the CLI can catch ours and nothing else.

Each class carries what the user needs: a sentence naming the fault and, where it applies,
the feature (row, code) that caused it.
"""

from __future__ import annotations


class ShuijianError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code = 1


class ConfigurationError(ShuijianError):
    """A setting is missing or malformed, or a system package is absent."""

    exit_code = 2


class DatabaseUnavailable(ShuijianError):
    """The database cannot be reached or started."""

    exit_code = 3


class ImportRefused(ShuijianError):
    """A file was refused as a whole; nothing of it was stored."""

    def __init__(self, source: str, fault: str, feature: str | None = None) -> None:
        self.source = source
        self.fault = fault
        self.feature = feature
        where = f" ({feature})" if feature else ""
        super().__init__(f"{source}: refused{where}: {fault}")


class AuthenticationFailed(ShuijianError):
    """Wrong user name or password; deliberately does not say which."""


class PermissionDenied(ShuijianError):
    """The signed-in user's role may not do this."""
