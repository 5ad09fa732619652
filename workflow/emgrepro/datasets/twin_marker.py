"""How a raw file says that it is a synthetic twin: a marker that every twin writes into
its data and every reader looks for, so that a twin reached through any ``sources:`` path,
mirror or repacked archive is never taken for real data.

Khushaba CSV files carry it as their first sample (a value pair no real recording holds);
Ninapro .mat files in their header text and as a variable of their own.
"""

from __future__ import annotations

from pathlib import Path

import scipy.io

CSV_FIRST_LINE = b"1.234567e-009,-7.654321e-009\r\n"
MAT_HEADER_TEXT = b"emgrepro synthetic twin"
MAT_VARIABLE = "emgrepro_twin"


def mark_csv(rows: bytes) -> bytes:
    """A twin CSV body with the marker as its first sample."""
    return CSV_FIRST_LINE + rows


def csv_is_twin(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(len(CSV_FIRST_LINE)) == CSV_FIRST_LINE


def mat_is_twin(path: Path) -> bool:
    with open(path, "rb") as fh:
        if MAT_HEADER_TEXT in fh.read(116):
            return True
    try:
        return any(name == MAT_VARIABLE for name, _, _ in scipy.io.whosmat(path))
    except Exception:  # an unreadable file is the reader's to report, not the marker's
        return False
