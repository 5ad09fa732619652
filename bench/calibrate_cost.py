"""Calibrate the cost model (``emgrepro plan --cost``): measure, on this machine, what one
training window and one inference window cost each model variant of the demo and full
configs, at the input shape of its jobs, and the fixed costs of a job and of the rules
around training. Writes ``config/cost_calibration.yaml`` with the machine it ran on.

Per model variant (model, hyper-parameters, batch size), in a fresh process each (so its
peak resident memory is the job's own): ``fit`` (one epoch for PyTorch models) and
``predict`` on N constructed windows of the variant's shape (random signal: values do not
change the arithmetic), N chosen so that an epoch takes about ``--seconds``. A network's
epoch is linear in N; a classical model is fitted on 300, 1,000 and 2,000 windows, which
give the fixed part of its fit and the exponent of the rest in the window count (above 1
for an SVM). Fixed costs: a fresh job process's start-up
(imports), Snakemake's own overhead per job (a workflow of trivial jobs), a report
notebook's kernel and export, and the filtering and windowing rate of preprocessing.

    .venv/bin/python bench/calibrate_cost.py [--seconds 1.0] [--only csae cnn]
    .venv/bin/python bench/calibrate_cost.py --missing --configfile my-site.yaml

``--missing`` (variants not in the file, or whose measurement failed) and ``--only`` keep
the file's fixed costs and machine: they add variants measured on the same machine.

Takes a few minutes on 2 cores; one thread per model, as jobs run. Fits and predictions
are timed in CPU seconds of the process (one thread: the wall time of an idle core), so
that other work on a shared machine does not inflate them; fixed costs are wall times.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow"))

from emgrepro.config import load  # noqa: E402
from emgrepro.job_plan import jobs  # noqa: E402
from emgrepro.planning import calibration  # noqa: E402
from emgrepro.planning.cost import variant_key  # noqa: E402
from emgrepro.planning.sizes import job_windows  # noqa: E402

CONFIGS = [[REPO / "config" / "demo.yaml"], []]
MAX_WINDOWS = 2048
CLASSICAL_SIZES = (300, 1000, 2000)


def variants(config_sets: list[list[Path]]) -> dict[str, dict]:
    """One representative job per model variant of each set of config files (after
    config/config.yaml)."""
    from emgrepro.datasets.registry import is_synthetic
    from emgrepro.selection import twin_scale

    out: dict[str, dict] = {}
    for extra in config_sets:
        config = load([REPO / "config" / "config.yaml", *extra])
        for job in jobs(config):
            key = variant_key(job)
            if key in out:
                continue
            scale = twin_scale(config, job.dataset) if is_synthetic(config, job.dataset) else None
            w = job_windows(job, scale)
            out[key] = {
                "model": job.model,
                "model_params": job.model_params,
                "training": job.training,
                "n_chans": w.n_chans,
                "n_times": w.n_times,
                "n_classes": len(job.classes),
                "fs": job.window.get("fs") or _fs(job.dataset),
            }
    return out


def _fs(dataset: str) -> float:
    from emgrepro.datasets.registry import get_dataset

    return get_dataset(dataset).fs


def table(n: int, n_chans: int, n_times: int, n_classes: int, fs: float):
    """A window table of ``n`` non-overlapping windows over 6 repetitions, in memory."""
    from emgrepro.preprocess.table import WindowTable
    from emgrepro.preprocess.windows import SubjectWindows

    rng = np.random.default_rng(0)
    labels = (np.arange(n) % n_classes + 1).astype(np.int16)
    reps = (np.arange(n) // max(1, n // 6) % 6 + 1).astype(np.int16)
    signal = rng.standard_normal((n * n_times, n_chans)).astype(np.float32)
    subject = SubjectWindows(
        subject=1,
        signal=signal,
        starts=np.arange(n, dtype=np.int64) * n_times,
        labels=labels,
        repetition=reps,
        length=n_times,
        fs=fs,
        channel_names=[f"c{i}" for i in range(n_chans)],
        sample_labels=np.repeat(labels, n_times),
        sample_repetition=np.repeat(reps, n_times),
        step=n_times,
    )
    return WindowTable([subject], list(range(1, n_classes + 1)))


def _time_fit(v: dict, n: int) -> tuple[float, float]:
    from emgrepro.models import EVALUATE, build_model, capabilities

    t = table(n, v["n_chans"], v["n_times"], v["n_classes"], v["fs"])
    part = t.subset(np.arange(len(t)))
    model = build_model(
        v["model"],
        n_chans=v["n_chans"],
        n_outputs=v["n_classes"],
        n_times=v["n_times"],
        fs=v["fs"],
        training={**v["training"], "max_epochs": 1},
        device="cpu",
        seed=0,
        **v["model_params"],
    )
    t0 = time.process_time()
    model.fit(part, None)
    fit = time.process_time() - t0
    t0 = time.process_time()
    if EVALUATE in capabilities(model):  # scores itself (a grid, feature imitation)
        ids = {k: "calibration" for k in ("paper", "experiment", "dataset", "protocol")}
        ids.update(model=v["model"], fold="1", seed=0, condition="", data="synthetic")
        model.evaluate(part, {**ids, "n_classes": v["n_classes"]})
    else:
        model.predict(part)
    return fit, time.process_time() - t0


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _memory_budget_mb() -> float:
    """What one measurement may hold: a quarter of this machine's memory (several run at
    a time)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20 / 4


def _smallest_fit(v: dict, n: int) -> int:
    """The smallest window count from ``n`` up (doubling) that the model can fit: a model
    that needs more windows than that (a PCA of 25 components) says so with a ConfigError."""
    from emgrepro.errors import ConfigError

    while True:
        try:
            _time_fit(v, n)
            return n
        except ConfigError:
            if n >= MAX_WINDOWS // 4:
                raise
            n *= 2


def measure_one(v: dict, seconds: float) -> dict:
    """Run in its own process: the variant's fit and predict, and its peak memory.

    A network's epoch is linear in its windows: after a warm-up fit, timed on a few
    windows, on four times as many (which give the size that fills ``seconds``) and on N;
    the fixed part (building the model, the first batch) is extrapolated. A classical
    model's fit has a fixed part and may grow faster than its windows (an SVM): it is timed
    on CLASSICAL_SIZES windows, the fixed part extrapolated from the two smaller and the
    exponent taken between the two larger."""
    from emgrepro.evaluation.run import seed_everything
    from emgrepro.models import MODELS

    network = bool(MODELS.get(v["model"]).uses_gpu)  # imports torch if the model needs it
    seed_everything(0, 1)  # then one thread for torch too, as a job has
    fixed, exponent = 0.0, 1.0
    batch_mb = 0.0
    if network:
        batch = int(v["training"].get("batch_size", 32))
        tiny = _smallest_fit(v, 2)  # warm-up: the first fit pays one-off costs
        before = _peak_rss_mb()
        _time_fit(v, 2 * tiny)
        if batch >= 2 * tiny:  # one batch held every window: the memory grew with them
            batch_mb = max(_peak_rss_mb() - before, 0.0) / tiny
        # the windows one batch may hold here (Wu 2024's LSTM-FIN: hundreds of MB each)
        room = _memory_budget_mb() - _peak_rss_mb()
        fits = max(tiny, int(room / batch_mb)) if batch_mb else MAX_WINDOWS
        small = max(tiny, min(max(min(batch, 16), 2 * v["n_classes"]), fits // 4))
        t_small, _ = _time_fit(v, small)
        t_probe, _ = _time_fit(v, 4 * small) if 4 * small <= fits else (t_small, None)
        probed = 4 * small if 4 * small <= fits else small
        per_window = max((t_probe - t_small) / max(probed - small, 1), t_small / small, 1e-6)
        n = int(min(MAX_WINDOWS, fits, max(probed, seconds / per_window)))
        fit, pred = _time_fit(v, n)
        slope = (fit - t_small) / (n - small) if n > small else 0.0
        fixed = float(np.clip(t_small - slope * small, 0.0, t_small))
    else:
        (n1, t1, _), (n2, t2, _), (n, fit, pred) = [(k, *_time_fit(v, k)) for k in CLASSICAL_SIZES]
        fixed = float(np.clip(t1 - (t2 - t1) * n1 / (n2 - n1), 0.0, t1))
        ratio = np.log(max(fit - fixed, 1e-6) / max(t2 - fixed, 1e-6)) / np.log(n / n2)
        exponent = float(np.clip(ratio, 1, 2))
    return {
        "windows": n,
        "train_s": round(fit, 4),
        "fixed_s": round(fixed, 4),
        "predict_s": round(pred, 4),
        "exponent": round(exponent, 3),
        "peak_rss_mb": round(_peak_rss_mb(), 1),
        "data_mb": round(n * v["n_times"] * v["n_chans"] * 4 / 2**20, 1),
        # memory a network's batch adds per window it holds (0: not measured, or batches
        # smaller than the probe); the plan adds it for the job's own batch size
        "batch_mb_per_window": round(batch_mb, 4),
    }


def _child(v: dict, seconds: float) -> dict:
    """One variant measured in a fresh process (its peak memory is then its own)."""
    cmd = [sys.executable, __file__, "--seconds", str(seconds), "--one", json.dumps(v)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    entry = {k: v[k] for k in ("model", "n_chans", "n_times", "n_classes")}
    entry["batch_size"] = v["training"].get("batch_size")
    if done.returncode == 0:
        entry.update(json.loads(done.stdout.strip().splitlines()[-1]))
    else:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        entry["error"] = last[:200]
    return entry


def startup_s(module: str) -> float:
    """Seconds a fresh process takes to import what a job of that kind imports."""
    code = f"import emgrepro.evaluation.run, {module}"
    env = {"PYTHONPATH": str(REPO / "workflow")}
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, env=env)
        best = min(best, time.perf_counter() - t0)
    return round(best, 3)


def snakemake_overhead(n_jobs: int = 16) -> dict:
    """Snakemake's start (parsing, DAG) and its overhead per job, on trivial jobs."""
    with tempfile.TemporaryDirectory() as tmp:
        snakefile = Path(tmp) / "Snakefile"
        snakefile.write_text(
            f"rule all:\n    input: expand('out/{{i}}', i=range({n_jobs}))\n"
            "rule one:\n    output: 'out/{i}'\n    shell: 'touch {output}'\n"
        )
        base = [sys.executable, "-m", "snakemake", "-s", str(snakefile), "--directory", tmp]
        t0 = time.perf_counter()
        subprocess.run([*base, "-n", "--quiet", "all"], check=True, capture_output=True)
        start = time.perf_counter() - t0
        t0 = time.perf_counter()
        subprocess.run([*base, "--cores", "1", "--quiet", "all"], check=True, capture_output=True)
        run = time.perf_counter() - t0
    return {"start_s": round(start, 3), "per_job_s": round(max(0.0, run - start) / n_jobs, 3)}


def report_s() -> float:
    """A report job's fixed cost: a one-cell notebook through papermill and HTML export."""
    from emgrepro.notebook import run_notebook

    with tempfile.TemporaryDirectory() as tmp:
        nb = Path(tmp) / "one.py"
        nb.write_text("# %% tags=['parameters']\nx = 1\n\n# %%\nimport pandas\nprint(x)\n")
        t0 = time.perf_counter()
        run_notebook(nb, {"x": 2}, Path(tmp) / "one.ipynb", Path(tmp) / "one.html")
        return round(time.perf_counter() - t0, 3)


def preprocess_rate() -> float:
    """Seconds per million samples x channels to filter and window a recording."""
    from emgrepro.preprocess.filtering import filter_recording
    from emgrepro.preprocess.windows import write_windows
    from emgrepro.recording import Recording

    n, ch = 1_200_000, 2
    labels = np.repeat(np.arange(1, 61) % 10 + 1, n // 60).astype(np.int16)
    reps = np.repeat(np.arange(60) // 10 + 1, n // 60).astype(np.int16)
    signal = np.random.default_rng(0).standard_normal((n, ch)).astype(np.float32)
    rec = Recording("khushaba_2ch", 1, signal, 4000.0, labels, reps, ["c1", "c2"])
    spec = {"l_freq": 20.0, "h_freq": 450.0, "notch": [50.0], "method": "iir", "order": 4}
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        out = np.lib.format.open_memmap(Path(tmp) / "s.npy", "w+", np.float32, signal.shape)
        filter_recording(rec, spec, out)
        window = {"length_ms": 250, "step_ms": 50, "label_rule": "constant"}
        write_windows(rec, Path(tmp) / "s.npy", Path(tmp) / "w.npz", window)
        return round((time.perf_counter() - t0) / (n * ch / 1e6), 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=1.0, help="target seconds per fit")
    ap.add_argument("--only", nargs="*", default=[], help="only these models")
    ap.add_argument("--out", type=Path, default=calibration.CALIBRATION_YAML)
    ap.add_argument("--jobs", type=int, default=3, help="variants measured at a time")
    ap.add_argument("--no-models", action="store_true", help="keep the models' figures")
    ap.add_argument("--missing", action="store_true", help="only variants not in --out yet")
    ap.add_argument(
        "--configfile", nargs="+", action="append", type=Path, default=[],
        help="also the model variants of these config files (repeat for several runs)",
    )  # fmt: skip
    ap.add_argument(
        "--workloads", action="store_true",
        help="also the variants of bench/cost_vs_measured.py's real workloads",
    )  # fmt: skip
    ap.add_argument("--one", type=json.loads, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one is not None:  # a child process: one variant
        print(json.dumps(measure_one(a.one, a.seconds)))
        return
    t_start = time.perf_counter()
    models = {}
    config_sets = CONFIGS + a.configfile
    with tempfile.TemporaryDirectory() as tmp:
        if a.workloads:
            from cost_vs_measured import WORKLOADS

            for name, make in WORKLOADS.items():
                (Path(tmp) / name).mkdir()
                config_sets.append(make(Path(tmp) / name))
        found = {} if a.no_models else variants(config_sets)
    earlier = calibration.load(a.out) if a.out.is_file() else {}
    known = earlier.get("models", {})
    todo = {
        key: v
        for key, v in found.items()
        if not (a.only and v["model"] not in a.only)
        and not (a.missing and key in known and "error" not in known[key])
        and not a.no_models
    }
    with ThreadPoolExecutor(a.jobs) as pool:  # CPU seconds do not depend on neighbours
        for key, entry in zip(todo, pool.map(lambda v: _child(v, a.seconds), todo.values())):
            models[key] = entry
            print(key, json.dumps(entry), flush=True)
    if a.only or a.missing or a.no_models:  # measure some variants (again), keep the others
        models = {**known, **models}
    fixed = ("machine", "self_benchmark_s", "startup_s", "rules")
    if (a.only or a.missing) and all(k in earlier for k in fixed):
        data = {k: earlier[k] for k in fixed}  # some variants added: the file's fixed costs
    else:
        data = {
            "machine": {**calibration.machine(), "date": datetime.date.today().isoformat()},
            "self_benchmark_s": round(calibration.self_benchmark(), 4),
            "startup_s": {
                "torch": startup_s("torch"),
                "classical": startup_s("sklearn"),
            },
            "rules": {
                "snakemake": snakemake_overhead(),
                "report_s": report_s(),
                "preprocess_s_per_msample": preprocess_rate(),
            },
        }
    data["models"] = models
    data["took_s"] = round(time.perf_counter() - t_start, 1)
    calibration.save(data, a.out)
    print(f"wrote {a.out} in {data['took_s']} s")


if __name__ == "__main__":
    main()
