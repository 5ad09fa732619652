#!/usr/bin/env python
"""Speed and peak memory of preprocessing one subject, against merely reading it.

    .venv/bin/python bench/preprocess_speed.py [--dataset khushaba_2ch] [--source PATH]

(a) read: the reader's ``read_subject`` (raw files -> Recording), best of N runs;
(b) preprocess: ``emgrepro.preprocess.subject.preprocess_subject`` (read + MNE filter
    + write signal.npy + window index), best of N runs;
    ratio read/preprocess, target >= 0.5 (preprocessing at least half as fast as reading);
(c) peak memory of preprocessing the subject in a fresh child process (VmHWM), minus
    the VmHWM of a child that only imports the same modules, compared with the raw
    signal size (n_samples x n_channels x 4 or 8 bytes); target peak < 3 x raw signal
    size of the source's dtype (float64 for Ninapro .mat files, float32 for the Khushaba
    CSV text, which the reader parses straight to float32).

Data (``--source`` overrides; ``synthetic`` forces a twin):
  khushaba_2ch  real subject 1 from ../shared/data/khushaba-2ch-dev.zip (its 60 CSVs are
                extracted into a temp folder); synthetic twin at real size if absent;
  ninapro_db2   synthetic twin at real size (exercise 1, 17 movements x 6 repetitions,
                5 s hold + 3 s rest): no real DB2 file is available;
  ninapro_db1   real ../shared/data/ninapro-db1-S1_A1_E1.mat; synthetic twin if absent.

Timings are machine-dependent: this is a script, never a test. Raw files sit in the page
cache after the first run, so "read" measures parsing, not disk.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"

TARGET_RATIO = 0.5  # read time / preprocess time
TARGET_PEAK = 3.0  # peak memory / raw signal size

# Settings for the data sets that config/config.yaml has no preprocessing entry for.
PREP_DB2 = {
    "dataset": "ninapro_db2",
    "filter": {"l_freq": 20.0, "h_freq": 450.0, "notch": [50.0], "method": "iir", "order": 4},
    "window": {"length_ms": 300, "step_ms": 10, "label_rule": "endpoints"},
    "exercises": [1],
}
PREP_DB1 = {
    "dataset": "ninapro_db1",
    "filter": None,  # the DB1 signal is already a rectified, smoothed 100 Hz envelope
    "window": {"length_ms": 150, "step_ms": 10, "label_rule": "constant"},
    "exercises": [1],
}
# Real-size twin scales (one subject, exercise 1).
TWIN_SCALE = {
    "khushaba_2ch": {"n_samples_per_file": 20000},
    "ninapro_db2": {"hold_s": 5.0, "rest_s": 3.0, "n_repetitions": 6, "exercises": [1]},
    "ninapro_db1": {"hold_s": 5.0, "rest_s": 3.0, "n_repetitions": 10, "exercises": [1]},
}
DEFAULT_SOURCE = {
    "khushaba_2ch": SHARED / "khushaba-2ch-dev.zip",
    "ninapro_db2": None,
    "ninapro_db1": SHARED / "ninapro-db1-S1_A1_E1.mat",
}
MB = 1024 * 1024


# ----------------------------------------------------------------------------- memory


def _status_kb(*keys: str) -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as fh:
        for line in fh:
            name, _, rest = line.partition(":")
            if name in keys:
                out[name] = int(rest.split()[0])
    return out


class _Sampler(threading.Thread):
    """Samples RssAnon / RssFile every ~1 ms: shows whether a peak is heap or mapped file."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = {"RssAnon": 0, "RssFile": 0}

    def run(self) -> None:
        while not self.stop.is_set():
            s = _status_kb("RssAnon", "RssFile")
            for k in self.peak:
                self.peak[k] = max(self.peak[k], s.get(k, 0))
            time.sleep(0.001)


def child_main(a: argparse.Namespace) -> None:
    """Runs in a fresh interpreter: either preprocess once, or import the same modules.

    VmHWM (peak resident set of this process image) is used, not ru_maxrss: Linux carries
    the forking parent's resident size into the child's ru_maxrss across fork+exec, so a
    child of this (already large) benchmark process would report the parent's size.
    """
    import importlib

    sampler = _Sampler()
    if a.child == "preprocess":
        from emgrepro.preprocess.subject import preprocess_subject

        prep = json.loads(a.prep)
        sampler.start()
        n = preprocess_subject(prep["dataset"], a.subject, Path(a.raw), prep, Path(a.out))
        modules = sorted(m for m in sys.modules if m != "__main__")
    else:
        wanted = json.loads(Path(a.modules).read_text())
        sampler.start()
        n, failed = 0, []
        for name in wanted:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - a few private modules refuse a direct import
                failed.append(name)
        modules = failed
    sampler.stop.set()
    sampler.join()
    hwm = _status_kb("VmHWM")["VmHWM"]
    print(
        json.dumps(
            {
                "vmhwm_kb": hwm,
                "peak_anon_kb": sampler.peak["RssAnon"],
                "peak_file_kb": sampler.peak["RssFile"],
                "n_windows": n,
                "modules": modules,
            }
        )
    )


def _run_child(args: list[str]) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), *args]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        sys.exit(f"memory child failed ({' '.join(args[:2])}):\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure_memory(dataset: str, subject: int, raw: Path, prep: dict, work: Path) -> dict:
    out = work / "mem_out"
    shutil.rmtree(out, ignore_errors=True)
    prep_run = _run_child(
        [
            "--child",
            "preprocess",
            "--raw",
            str(raw),
            "--out",
            str(out),
            "--subject",
            str(subject),
            "--prep",
            json.dumps(prep),
        ]
    )
    mod_file = work / "modules.json"
    mod_file.write_text(json.dumps(prep_run["modules"]))
    base = _run_child(["--child", "baseline", "--modules", str(mod_file)])
    shutil.rmtree(out, ignore_errors=True)
    return {"prep": prep_run, "base": base}


# ----------------------------------------------------------------------------- data


def _extract(zip_path: Path, dataset: str, subject: int, raw: Path) -> None:
    """Extract the subject's files from a real or twin archive into ``raw`` in the reader's
    layout (Khushaba keeps its EMG-S{n}/ folder; Ninapro files go to the top level)."""
    from emgrepro.datasets.registry import get_dataset, reader_module

    info = get_dataset(dataset)
    mod = reader_module(info)
    wanted = mod.required_files(info, subject, PREP_EXERCISES.get(dataset))
    with zipfile.ZipFile(zip_path) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
        for rel in wanted:
            cands = [rel, *mod.aliases(rel)]
            hit = next((n for n in names for c in cands if n == c or n.endswith("/" + c)), None)
            if hit is None:
                sys.exit(f"{zip_path}: no member for {rel}")
            dest = raw / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(hit) as src, open(dest, "wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)


PREP_EXERCISES = {"ninapro_db1": [1], "ninapro_db2": [1]}


def prepare_raw(dataset: str, subject: int, source: str | None, work: Path) -> tuple[Path, str]:
    """Return (raw folder for read_subject, description of the data)."""
    from emgrepro.datasets.registry import get_dataset, reader_module

    raw = work / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    if source is None:
        default = DEFAULT_SOURCE[dataset]
        if default is not None and default.exists():
            source = str(default)
        else:
            if default is not None:
                print(f"NOTE: {default} is absent: falling back to a synthetic twin at real size")
            source = "synthetic"
    if source == "synthetic":
        from emgrepro.datasets.synthetic import write_twin

        zpath = work / f"{dataset}_twin.zip"
        t0 = time.perf_counter()
        write_twin(dataset, zpath, subjects=[subject], seed=0, scale=TWIN_SCALE[dataset])
        print(
            f"wrote synthetic {dataset} twin (scale {TWIN_SCALE[dataset]}) "
            f"in {time.perf_counter() - t0:.1f} s"
        )
        _extract(zpath, dataset, subject, raw)
        return raw, f"synthetic twin, real size {TWIN_SCALE[dataset]}"
    src = Path(source)
    if not src.exists():
        sys.exit(f"--source {src} does not exist")
    if src.is_dir():
        return src, f"folder {src}"
    if zipfile.is_zipfile(src):
        _extract(src, dataset, subject, raw)
        return raw, f"real, {src.name}"
    # A single raw file (a Ninapro .mat): put it under the name the reader expects.
    info = get_dataset(dataset)
    rels = reader_module(info).required_files(info, subject, PREP_EXERCISES.get(dataset))
    if len(rels) != 1:
        sys.exit(f"--source {src}: a single file cannot hold {rels}")
    shutil.copyfile(src, raw / rels[0])
    return raw, f"real, {src.name}"


def prep_settings(dataset: str) -> tuple[dict, str]:
    if dataset == "khushaba_2ch":
        from emgrepro.config import load
        from emgrepro.paths import CONFIG_DIR

        cfg = load([CONFIG_DIR / "config.yaml"])
        return dict(cfg["preprocessing"]["khushaba_250ms"]), "config.yaml khushaba_250ms"
    if dataset == "ninapro_db2":
        return dict(PREP_DB2), "bench PREP_DB2"
    return dict(PREP_DB1), "bench PREP_DB1"


def source_itemsize(dataset: str, raw: Path, subject: int, prep: dict) -> int:
    """Bytes per value of the source data: the .mat 'emg' class, or 4 for CSV text
    (which the Khushaba reader parses straight to float32)."""
    if dataset == "khushaba_2ch":
        return 4
    import scipy.io

    from emgrepro.datasets.registry import get_dataset, reader_module

    info = get_dataset(dataset)
    rel = reader_module(info).required_files(info, subject, prep.get("exercises"))[0]
    path = next(p for p in [raw / rel, raw / (rel + ".mat")] if p.exists())
    cls = dict((n, c) for n, _, c in scipy.io.whosmat(path)).get("emg", "double")
    return {"double": 8, "single": 4, "int16": 2}.get(cls, 8)


# ----------------------------------------------------------------------------- timing


def interleaved_best(n: int, fns: dict, before: dict | None = None) -> dict[str, dict]:
    """Run each function ``n`` times, alternating between them so that both see the same
    background load; keep every wall and CPU (process_time) duration, and the last result."""
    before = before or {}
    res = {k: {"wall": [], "cpu": [], "result": None} for k in fns}
    for _ in range(n):
        for k, fn in fns.items():
            if k in before:
                before[k]()
            c0, t0 = time.process_time(), time.perf_counter()
            res[k]["result"] = fn()
            res[k]["wall"].append(time.perf_counter() - t0)
            res[k]["cpu"].append(time.process_time() - c0)
    return res


def step_breakdown(dataset, subject, raw, prep, out: Path, repeats: int) -> dict[str, float]:
    """The three steps of preprocess_subject timed one by one (same calls, no atomic
    rename/fsync of signal.npy), best of ``repeats`` each."""
    import numpy as np

    from emgrepro.preprocess.filtering import filter_recording
    from emgrepro.preprocess.subject import read_subject
    from emgrepro.preprocess.windows import write_windows

    res = {"read": [], "filter+write signal.npy": [], "window index": []}
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        t0 = time.perf_counter()
        rec = read_subject(dataset, subject, raw, prep.get("exercises"))
        t1 = time.perf_counter()
        sig = np.lib.format.open_memmap(
            out / "signal.npy", mode="w+", dtype=np.float32, shape=rec.signal.shape
        )
        filter_recording(rec, prep.get("filter"), sig)
        sig.flush()
        del sig
        t2 = time.perf_counter()
        write_windows(rec, out / "signal.npy", out / "windows.npz", prep["window"])
        t3 = time.perf_counter()
        res["read"].append(t1 - t0)
        res["filter+write signal.npy"].append(t2 - t1)
        res["window index"].append(t3 - t2)
    shutil.rmtree(out, ignore_errors=True)
    return {k: min(v) for k, v in res.items()}


def profile_once(dataset, subject, raw, prep, out: Path, top: int) -> None:
    import cProfile
    import pstats

    from emgrepro.preprocess.subject import preprocess_subject

    shutil.rmtree(out, ignore_errors=True)
    pr = cProfile.Profile()
    pr.enable()
    preprocess_subject(dataset, subject, raw, prep, out)
    pr.disable()
    shutil.rmtree(out, ignore_errors=True)
    print(f"\ncProfile of one preprocess_subject (top {top} by cumulative time):")
    pstats.Stats(pr).sort_stats("cumulative").print_stats(top)
    print(f"cProfile (top {top} by own time):")
    pstats.Stats(pr).sort_stats("tottime").print_stats(top)


# ----------------------------------------------------------------------------- main


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--dataset", default="khushaba_2ch", choices=["khushaba_2ch", "ninapro_db2", "ninapro_db1"]
    )
    p.add_argument(
        "--source",
        default=None,
        help="zip archive, raw folder, single .mat file, or 'synthetic' "
        "(default: the real file in ../shared/data, else a twin)",
    )
    p.add_argument("--subject", type=int, default=1)
    p.add_argument("--repeats", type=int, default=3, help="runs per timing (best is kept)")
    p.add_argument("--profile", action="store_true", help="also cProfile one preprocess run")
    p.add_argument("--workdir", default=None, help="temp folder (default: system temp)")
    # internal: the memory-measuring child process
    p.add_argument("--child", choices=["preprocess", "baseline"], help=argparse.SUPPRESS)
    p.add_argument("--raw", help=argparse.SUPPRESS)
    p.add_argument("--out", help=argparse.SUPPRESS)
    p.add_argument("--prep", help=argparse.SUPPRESS)
    p.add_argument("--modules", help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        child_main(a)
        return

    import mne
    import numpy as np

    from emgrepro.preprocess.subject import preprocess_subject, read_subject

    work = Path(tempfile.mkdtemp(prefix="emgrepro-bench-", dir=a.workdir))
    try:
        prep, prep_from = prep_settings(a.dataset)
        raw, data_desc = prepare_raw(a.dataset, a.subject, a.source, work)
        ds, subj = a.dataset, a.subject

        out = work / "out"
        load0 = os.getloadavg()[0]
        runs = interleaved_best(
            a.repeats,
            {
                "read": lambda: read_subject(ds, subj, raw, prep.get("exercises")).signal.shape,
                "prep": lambda: preprocess_subject(ds, subj, raw, prep, out),
            },
            before={"prep": lambda: shutil.rmtree(out, ignore_errors=True)},
        )
        load1 = os.getloadavg()[0]
        shutil.rmtree(out, ignore_errors=True)
        rec = read_subject(ds, subj, raw, prep.get("exercises"))
        n_samples, n_ch = rec.signal.shape
        n_seg = int(rec.segments.size)
        del rec
        reads, preps = runs["read"]["wall"], runs["prep"]["wall"]
        t_read, t_prep, n_win = min(reads), min(preps), runs["prep"]["result"]
        c_read, c_prep = min(runs["read"]["cpu"]), min(runs["prep"]["cpu"])
        steps = step_breakdown(ds, subj, raw, prep, work / "steps", a.repeats)

        mem = measure_memory(ds, subj, raw, prep, work)
        itemsize = source_itemsize(ds, raw, subj, prep)
    finally:
        if not a.profile:
            shutil.rmtree(work, ignore_errors=True)

    ratio = t_read / t_prep
    raw32 = n_samples * n_ch * 4
    raw64 = n_samples * n_ch * 8
    raw_target = n_samples * n_ch * itemsize
    pk, bs = mem["prep"], mem["base"]
    peak = (pk["vmhwm_kb"] - bs["vmhwm_kb"]) * 1024
    peak_anon = (pk["peak_anon_kb"] - bs["peak_anon_kb"]) * 1024
    ok_ratio = ratio >= TARGET_RATIO
    ok_peak = peak < TARGET_PEAK * raw_target
    basis = f"float{itemsize * 8}"
    other = f"{peak / raw64:.2f}x f64" if itemsize == 4 else f"{peak / raw32:.2f}x f32"

    print(f"\n== preprocess_speed: {ds}, subject {subj} ==")
    print(f"data         : {data_desc}")
    print(f"settings     : {prep_from}: {json.dumps(prep)}")
    print(
        f"signal       : {n_samples} samples x {n_ch} channels, {n_seg} segment(s), {n_win} windows"
    )
    print(
        f"machine      : {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, numpy {np.__version__}, mne {mne.__version__}"
    )
    print(
        f"load average : {load0:.2f} before, {load1:.2f} after the timed runs "
        f"(other processes skew wall times; CPU times are steadier)"
    )
    print(
        f"(a) read        best of {a.repeats}: {t_read:.3f} s  "
        f"(runs: {', '.join(f'{t:.3f}' for t in reads)})"
    )
    print(
        f"(b) preprocess  best of {a.repeats}: {t_prep:.3f} s  "
        f"(runs: {', '.join(f'{t:.3f}' for t in preps)})"
    )
    print(
        f"    CPU time (process_time, best): read {c_read:.3f} s, preprocess {c_prep:.3f} s, "
        f"ratio {c_read / c_prep:.2f}"
    )
    print("    steps (best of each): " + ", ".join(f"{k} {v:.3f} s" for k, v in steps.items()))
    print(
        f"    ratio read/preprocess = {ratio:.2f}  (target >= {TARGET_RATIO}: "
        f"{'met' if ok_ratio else 'MISSED'})"
    )
    print("(c) peak memory of preprocessing (fresh child, VmHWM minus import-only child):")
    print(
        f"    child VmHWM {pk['vmhwm_kb'] / 1024:.1f} MiB, import-only baseline "
        f"{bs['vmhwm_kb'] / 1024:.1f} MiB -> peak {peak / MB:.1f} MiB"
    )
    print(
        f"    of which heap (sampled peak RssAnon above baseline) ~{peak_anon / MB:.1f} MiB; "
        f"sampled peak RssFile {pk['peak_file_kb'] / 1024:.1f} MiB vs "
        f"{bs['peak_file_kb'] / 1024:.1f} MiB (signal.npy memmap pages count here)"
    )
    print(
        f"    raw signal: float32 {raw32 / MB:.1f} MiB, float64 {raw64 / MB:.1f} MiB; "
        f"peak = {peak / raw32:.2f} x float32 = {peak / raw64:.2f} x float64"
    )
    print(
        f"    target peak < {TARGET_PEAK:g} x raw at the source dtype ({basis}, "
        f"{raw_target / MB:.1f} MiB): {peak / raw_target:.2f} x "
        f"({'met' if ok_peak else 'MISSED'})"
    )
    if bs["modules"]:
        print(
            f"    ({len(bs['modules'])} module(s) not re-importable by the baseline: "
            f"{', '.join(bs['modules'][:9])})"
        )

    print(
        "\n| dataset | data | samples x ch | read (s) | preprocess (s) | read/prep (>= 0.5) "
        "| peak (MiB) | raw f32 / f64 (MiB) | peak / raw (< 3x) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {ds} | {data_desc.split(',')[0]} | {n_samples} x {n_ch} | {t_read:.3f} | "
        f"{t_prep:.3f} | {ratio:.2f} {'ok' if ok_ratio else 'MISSED'} | {peak / MB:.1f} | "
        f"{raw32 / MB:.1f} / {raw64 / MB:.1f} | {peak / raw_target:.2f}x {basis} "
        f"({other}) {'ok' if ok_peak else 'MISSED'} |"
    )

    if a.profile:
        profile_once(ds, subj, raw, prep, work / "prof", 25)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
