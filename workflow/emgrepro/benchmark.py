"""A job's own benchmark record, in the columns of Snakemake's ``benchmark:`` files.

On a workstation a job's Python runs in a fork of the warm server (warm.py), outside the
process tree that Snakemake's ``benchmark:`` directive measures: it would record the small
client (15 MB, no CPU time), not the job. So the measured rules pass ``--benchmark FILE``
before the command (``python -m emgrepro --benchmark FILE train ...``), and the job, warm or
cold, measures itself and writes that file when it succeeds.
"""

from __future__ import annotations

import datetime
import resource
import time
from collections.abc import Callable
from pathlib import Path

from emgrepro.io import write_text

HEADER = ("s", "h:m:s", "max_rss", "max_vms", "max_uss", "max_pss", "io_in", "io_out")
HEADER += ("mean_load", "cpu_time")
OPTION = "--benchmark"


def split_argv(argv: list[str]) -> tuple[Path | None, list[str]]:
    """``(FILE, the rest)`` for ``--benchmark FILE ...``, else ``(None, argv)``."""
    if len(argv) >= 2 and argv[0] == OPTION:
        return Path(argv[1]), argv[2:]
    return None, argv


def _proc_mb(path: str, key: str, unit: int) -> float | None:
    """A figure of /proc (Linux) given in ``unit`` bytes, in MB (MiB, as Snakemake
    counts), or None elsewhere."""
    try:
        for line in Path(path).read_text().splitlines():
            name, _, value = line.partition(":")
            if name.strip() == key:
                return int(value.split()[0]) * unit / 2**20
    except (OSError, ValueError):
        pass
    return None


def record(started: float) -> dict[str, float | str | None]:
    """This process's figures since ``started`` (time.monotonic()): wall seconds, peak
    resident and virtual memory in MB (this process or its largest child), bytes read and
    written in MB, CPU seconds and their mean share of one core in %."""
    wall = time.monotonic() - started
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime
    return {
        "s": round(wall, 4),
        "h:m:s": str(datetime.timedelta(seconds=round(wall))),
        "max_rss": max(me.ru_maxrss, kids.ru_maxrss) / 1024,  # KiB on Linux
        "max_vms": _proc_mb("/proc/self/status", "VmPeak", 1024),
        "max_uss": None,
        "max_pss": None,
        "io_in": _proc_mb("/proc/self/io", "read_bytes", 1),
        "io_out": _proc_mb("/proc/self/io", "write_bytes", 1),
        "mean_load": round(100 * cpu / wall, 2) if wall > 0 else None,
        "cpu_time": round(cpu, 2),
    }


def to_tsv(rec: dict) -> str:
    """Header and one row, formatted as Snakemake writes them (None as "-")."""

    def cell(x: object) -> str:
        if x is None:
            return "-"
        return f"{x:.2f}" if isinstance(x, float) else str(x)

    return "\t".join(HEADER) + "\n" + "\t".join(cell(rec[k]) for k in HEADER) + "\n"


def run_measured(main: Callable[[list[str]], int | None], argv: list[str]) -> int:
    """Run ``main(argv)``; with ``--benchmark FILE`` first, write FILE when it succeeds."""
    path, argv = split_argv(argv)
    started = time.monotonic()
    code = main(argv) or 0
    if path is not None and code == 0:
        write_text(path, to_tsv(record(started)))
    return code
