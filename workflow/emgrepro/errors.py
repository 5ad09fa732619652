"""Errors that carry what went wrong, where, and what to do about it."""

import difflib


class EmgreproError(Exception):
    """Base class: every error the pipeline raises on bad input."""


class ConfigError(EmgreproError):
    """The configuration names something unknown or breaks the schema."""


class DataFormatError(EmgreproError):
    """A raw data file is malformed."""


class DownloadError(EmgreproError):
    """A download failed after its retries."""


class ChecksumMismatch(EmgreproError):
    """A file's sha256 differs from the published or locked value."""


class ManualDownloadRequired(EmgreproError):
    """The dataset cannot be fetched automatically."""


class UnsafeArchiveError(EmgreproError):
    """An archive member would escape the extraction folder."""


def did_you_mean(name: str, known: list[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest known name, or nothing."""
    close = difflib.get_close_matches(name, known, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
