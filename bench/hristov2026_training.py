"""What the full Hristov 2026 run costs: training throughput of the CSAE and its CNN
ablation at the paper's input (250 ms = 1000 x 2 samples, batch 32), and the run's total
training time for all 8 Khushaba subjects projected from it, job by job.

Throughput: one training epoch and one inference pass of each model, as the ``train`` rule
runs it (``TorchEstimator.fit``; one thread unless --threads; CUDA with mixed precision
with --device cuda). Jobs: ``emgrepro.config.jobs`` of ``config/config.yaml`` with every
one of the 8 subjects, so every protocol, fold, model and seed of the reference settings;
each job's split is made by its protocol on a window index of real size (each subject 10
movements x 6 trials of 5 s at 4 kHz, 250 ms windows every 50 ms), which gives its
training, validation and test windows. A job trained from scratch costs between
``patience + 1`` and ``max_epochs`` epochs (early stopping decides), each a training epoch
plus a validation pass, then one test pass; a few-shot or incremental job costs its
adaptation epochs, which train only some layers: between a forward pass and a full
training epoch each. The projection is a range, not a measured run: ../shared holds 4 of
the 8 real subjects.

``--configfile`` projects another configuration instead (its subjects and settings), and
``--measured WORKDIR`` prints beside each row the job-seconds that a finished run of that
configuration took (its Snakemake ``benchmarks/train`` records): the check of the method.

    .venv/bin/python bench/hristov2026_training.py [--device cuda] [--threads 1] [--cores 2]
    .venv/bin/python bench/hristov2026_training.py --configfile WORKDIR/real.yaml \
        --measured WORKDIR
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import numpy as np
import torch
from job_resources import read_benchmarks

from emgrepro.config import load
from emgrepro.datasets.registry import dataset_subjects
from emgrepro.evaluation.run import hardware
from emgrepro.job_plan import jobs
from emgrepro.models import MODELS, build_model
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows, write_windows
from emgrepro.protocols import PROTOCOLS
from emgrepro.recording import Recording

REPO = Path(__file__).resolve().parents[1]
EIGHT = [1, 2, 4, 5, 6, 8, 9, 10]  # REFERENCE.md: the 8 subjects of the 2-channel data
FS, TRIAL_S, N_MOVEMENTS, N_TRIALS = 4000.0, 5.0, 10, 6


def subject_windows(root: Path, subject: int, window: dict) -> SubjectWindows:
    """A subject's window index at the real data's size (the signal's values do not matter
    to the split or to the cost of an epoch)."""
    n = int(FS * TRIAL_S)
    labels = np.repeat(np.tile(np.arange(1, N_MOVEMENTS + 1), N_TRIALS), n).astype(np.int16)
    reps = np.repeat(np.repeat(np.arange(1, N_TRIALS + 1), N_MOVEMENTS), n).astype(np.int16)
    signal = np.random.default_rng(subject).standard_normal((labels.size, 2), np.float32)
    rec = Recording("khushaba_2ch", subject, signal, FS, labels, reps, ["c1", "c2"])
    folder = root / f"sub-{subject}"
    folder.mkdir(parents=True)
    np.save(folder / "signal.npy", signal)
    write_windows(rec, folder / "signal.npy", folder / "windows.npz", window)
    return SubjectWindows.load(folder)


def throughput(spec, table: WindowTable, device: str, n: int) -> tuple[float, float]:
    """Windows per second of one training epoch and of one inference pass."""
    model = build_model(
        spec.model,
        n_chans=table.n_chans,
        n_outputs=N_MOVEMENTS,
        n_times=table.n_times,
        fs=table.fs,
        training={**spec.training, "max_epochs": 1},
        device=device,
        seed=0,
        **spec.model_params,
    )
    part = table.subset(np.arange(min(n, len(table))))
    model.fit(part, None)
    epoch = model.history[-1]
    t0 = time.perf_counter()
    model.predict(part)
    if model.device.type == "cuda":
        torch.cuda.synchronize()
    return epoch["n_train"] / epoch["seconds"], len(part) / (time.perf_counter() - t0)


def adaptation_epochs(spec) -> int:
    """Epochs of a job that adapts its parent's model: few-shot fine-tuning or incremental
    extension, as the protocol parses its parameters (defaults included)."""
    params = PROTOCOLS.get(spec.protocol).params(spec.protocol_params)
    return int(getattr(params, "fine_tune", params).epochs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1, help="threads per job")
    ap.add_argument("--cores", type=int, default=2, help="jobs at a time (snakemake --cores)")
    ap.add_argument("--windows", type=int, default=3000, help="windows of the timed epoch")
    ap.add_argument("--configfile", type=Path, help="project this config instead")
    ap.add_argument("--measured", type=Path, help="a finished run of it: its job-seconds")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    config = load_config(args.configfile)
    deep = [j for j in jobs(config) if j.paper == "hristov2026" and MODELS.get(j.model).uses_gpu]
    with tempfile.TemporaryDirectory() as tmp:
        window = config["preprocessing"]["khushaba_250ms"]["window"]
        ids = dataset_subjects(config, "khushaba_2ch")
        subjects = [subject_windows(Path(tmp), s, window) for s in ids]
        full = WindowTable(subjects, list(range(1, N_MOVEMENTS + 1)))
        rates = {}
        for spec in deep:
            if spec.model not in rates:
                rates[spec.model] = throughput(spec, full, args.device, args.windows)
        where = hardware(torch.device(args.device), args.threads)
        rows: dict = defaultdict(lambda: [0, 0, 0.0, 0.0])  # jobs, train windows, low, high
        tables: dict = {}
        for spec in deep:
            train_rate, infer_rate = rates[spec.model]
            protocol = PROTOCOLS.get(spec.protocol)
            parent = spec.extra.get("parent")
            n_base = len(parent["classes"]) if parent else None
            classes = tuple(spec.classes)
            if classes not in tables:
                tables[classes] = WindowTable(subjects, list(classes))
            table = tables[classes]
            split = protocol.split(
                table, spec.fold, spec.subjects, spec.protocol_params, spec.seed, n_base
            )
            n_train, n_val, n_test = split.train.size, split.val.size, split.test.size
            test = n_test / infer_rate
            if parent:  # between forward passes only and full training epochs
                epochs = adaptation_epochs(spec)
                low = epochs * n_train / infer_rate + test
                high = epochs * n_train / train_rate + test
            else:
                epoch = n_train / train_rate + n_val / infer_rate
                t = spec.training
                low = min(int(t["patience"]) + 1, int(t["max_epochs"])) * epoch + test
                high = int(t["max_epochs"]) * epoch + test
            row = rows[(spec.experiment, spec.protocol, spec.model)]
            row[0] += 1
            row[1] += n_train
            row[2] += low
            row[3] += high
    print(f"hardware: {where}; {args.cores} jobs at a time")
    print()
    print("| model | training windows / s | inference windows / s |")
    print("|---|---|---|")
    for model, (tr, inf) in rates.items():
        print(f"| {model} | {tr:,.0f} | {inf:,.0f} |")
    print()
    unit, per = ("job-seconds", 1) if args.measured else ("job-hours", 3600)
    head = f"| experiment | protocol | model | jobs | training windows per job | {unit} |"
    line = "|---|---|---|---|---|---|"
    if args.measured:
        head, line = head + " measured |", line + "---|"
    print(head)
    print(line)
    low = high = took = 0.0
    done = read_benchmarks(args.measured) if args.measured else None
    for (exp, proto, model), (n, windows, lo, hi) in sorted(rows.items()):
        cells = f"| {exp} | {proto} | {model} | {n} | {windows / n:,.0f} "
        cells += f"| {lo / per:,.2f}-{hi / per:,.2f} |"
        if args.measured:
            mine = (done.experiment == exp) & (done.protocol == proto) & (done.model == model)
            seconds = float(done.loc[mine, "s"].sum())
            took += seconds
            cells += f" {seconds:,.1f} |"
        print(cells)
        low, high = low + lo, high + hi
    print()
    if args.measured:
        print(f"projected {low:,.0f}-{high:,.0f} job-seconds; the run took {took:,.0f}")
    print(
        f"{len(deep)} PyTorch jobs: {low / 3600:.2f}-{high / 3600:.2f} job-hours, "
        f"{low / 3600 / args.cores:.2f}-{high / 3600 / args.cores:.2f} h of wall time "
        f"with {args.cores} jobs at a time"
    )


def load_config(configfile: Path | None) -> dict:
    """config/config.yaml with ``configfile``, or with Hristov 2026 and all 8 subjects."""
    if configfile is not None:
        return load([REPO / "config" / "config.yaml", configfile])
    with tempfile.TemporaryDirectory() as tmp:
        user = Path(tmp) / "eight.yaml"
        user.write_text(f"papers: [hristov2026]\nsubjects: {{khushaba_2ch: {EIGHT}}}\n")
        return load([REPO / "config" / "config.yaml", user])


if __name__ == "__main__":
    main()
