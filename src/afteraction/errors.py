"""The one exception tree of afteraction.

Every error a user can cause or meet carries enough structure for the CLI to print one clear
line (what was wrong and where) and pick an exit code; tracebacks are for ``--debug`` only::

    AfteractionError
    ├── ConfigError          the configuration file or environment is wrong
    ├── InputError           something the user handed us is unusable
    │   ├── BundleError      a bundle directory, its manifest or one of its files
    │   └── TimeError        a naive timestamp, an empty or inverted window
    ├── SourceError          a source could not be collected (recorded in the draft, not fatal)
    │   ├── AuthError        the source refused our credentials
    │   ├── RateLimitError   rate-limited past the source's time budget
    │   └── SourceTimeout    the source did not answer within its budget
    ├── NotFoundError        an incident, postmortem or object that does not exist
    └── CorpusError          the corpus store refused an operation
"""

from __future__ import annotations

__all__ = [
    "AfteractionError",
    "AuthError",
    "BundleError",
    "ConfigError",
    "CorpusError",
    "InputError",
    "NotFoundError",
    "RateLimitError",
    "SourceError",
    "SourceTimeout",
    "TimeError",
]


class AfteractionError(Exception):
    """Root of every deliberate afteraction error.

    ``where`` names the file, URL, field or line the problem is at, so the message is actionable.
    """

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ConfigError(AfteractionError):
    exit_code = 3


class InputError(AfteractionError):
    exit_code = 2


class BundleError(InputError):
    pass


class TimeError(InputError):
    pass


class SourceError(AfteractionError):
    """A source failed. ``source`` is its config name; collection records it and moves on."""

    exit_code = 4

    def __init__(self, message: str, *, source: str, where: str | None = None) -> None:
        super().__init__(message, where=where)
        self.source = source


class AuthError(SourceError):
    pass


class RateLimitError(SourceError):
    pass


class SourceTimeout(SourceError):
    pass


class NotFoundError(AfteractionError):
    exit_code = 5


class CorpusError(AfteractionError):
    exit_code = 6
