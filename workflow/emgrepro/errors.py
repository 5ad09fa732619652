"""Errors that carry what went wrong, where, and what to do about it."""


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
