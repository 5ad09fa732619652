"""The cost model's arithmetic on constructed jobs, calibrations and job records (no
timing is asserted), and the plan command's table for the demo and the full config."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from conftest import REPO
from emgrepro.cli import main
from emgrepro.errors import ConfigError
from emgrepro.job_plan import JobSpec
from emgrepro.paths import PAPERS_DIR
from emgrepro.planning import calibration as calib
from emgrepro.planning.cost import job_cost, variant_key
from emgrepro.planning.per_result import cost_per_result
from emgrepro.planning.plan import Machine, Plan, _makespan, wall_seconds
from emgrepro.planning.sizes import JobWindows, job_windows, per_segment, recording

WINDOW = {"length_ms": 250, "step_ms": 50, "label_rule": "constant"}


def _job(**changes) -> JobSpec:
    spec = dict(
        paper="hristov2026",
        experiment="e",
        dataset="khushaba_2ch",
        preprocessing="khushaba_250ms",
        protocol="within_subject",
        protocol_params={"train_repetitions": [1, 2, 3, 4], "test_repetitions": [5, 6]},
        model="csae",
        model_params={},
        fold="1",
        seed=0,
        classes=[1, 2, 3, 4, 5, 6],
        subjects=[1, 2, 4, 5],
        training={"batch_size": 32, "max_epochs": 10, "patience": 3},
        window={"dataset": "khushaba_2ch", "exercises": None, "window": WINDOW},
    )
    spec.update(changes)
    return JobSpec(**spec)


def _calibration(**entry) -> dict:
    job = _job()
    model = {
        "model": "csae",
        "n_chans": 2,
        "n_times": 1000,
        "windows": 100,
        "train_s": 12.0,  # of which fixed_s once per job
        "fixed_s": 2.0,
        "predict_s": 1.0,
        "exponent": 1.0,
        "peak_rss_mb": 500.0,
        "data_mb": 100.0,
        **entry,
    }
    return {
        "machine": {"cpu": "x", "cores": 2, "torch": "0", "date": "2026-12-04"},
        "self_benchmark_s": 1.0,
        "startup_s": {"torch": 4.0, "classical": 1.0},
        "rules": {
            "snakemake": {"start_s": 3.0, "per_job_s": 0.5},
            "report_s": 6.0,
            "preprocess_s_per_msample": 0.25,
        },
        "models": {variant_key(job): model},
    }


def test_windows_follow_the_documented_size_and_the_protocols_split():
    job = _job()
    rec = recording(job)
    assert (rec.movement_s, rec.fs, rec.repetitions) == (5, 4000.0, (1, 2, 3, 4, 5, 6))
    # 5 s = 20,000 samples; windows of 1,000 every 200: 96 per trial
    assert per_segment(rec, 5, WINDOW) == 96
    w = job_windows(job)
    assert (w.n_train, w.n_val, w.n_test) == (6 * 4 * 96, 0, 6 * 2 * 96)
    assert (w.subjects, w.n_chans, w.n_times) == (1, 2, 1000)
    assert w.samples == 10 * 6 * 20_000  # the subject's whole recording is read
    twin = recording(job, {"n_samples_per_file": 4000})
    assert twin.movement_s == 1.0 and per_segment(twin, 1.0, WINDOW) == 16


def test_a_network_job_costs_its_epochs_and_its_memory():
    w = JobWindows(n_train=300, n_val=0, n_test=50, subjects=1, samples=1_000_000, n_chans=2,
                   n_times=1000)  # fmt: skip
    c = job_cost(_job(), w, _calibration())
    # per training window (12 - 2) / 100 s, per predicted window 1 / 100 s; no validation
    # windows: every one of the 10 epochs runs
    assert c.low == c.high == pytest.approx(2 + 10 * 300 * 0.1 + 50 * 0.01)
    assert c.gpu and c.calibrated == "exact"
    assert c.memory_mb == pytest.approx(400 + 1_000_000 * 2 * 4 / 2**20)
    # validation windows: early stopping may end it after patience + 1 = 4 epochs
    w_val = JobWindows(300, 100, 50, 1, 1_000_000, 2, 1000)
    c = job_cost(_job(), w_val, _calibration(), scale=2.0)
    epoch = 300 * 0.1 + 100 * 0.01
    assert c.low == pytest.approx(2 * (2 + 4 * epoch + 0.5))
    assert c.high == pytest.approx(2 * (2 + 10 * epoch + 0.5))
    assert c.seconds == pytest.approx((c.low + c.high) / 2)


def test_a_batch_that_grows_memory_is_added_at_the_jobs_own_size():
    """Measured at 100 windows in one batch (0.5 MB each), a job whose batch holds 4,000
    windows (Wu 2024's) needs 40 times that batch memory; one of 32 windows less."""
    w = JobWindows(5000, 0, 50, 1, 1_000_000, 2, 1000)
    data = 1_000_000 * 2 * 4 / 2**20
    big = job_cost(_job(training={"batch_size": 4000, "max_epochs": 1}), w,
                   _calibration(batch_mb_per_window=0.5))  # fmt: skip
    assert big.memory_mb == pytest.approx(500 - 100 - 0.5 * 100 + data + 0.5 * 4000)
    small = job_cost(_job(), w, _calibration(batch_mb_per_window=0.5))
    assert small.memory_mb == pytest.approx(500 - 100 - 0.5 * 32 + data + 0.5 * 32)
    # windows of a tenth the samples (Wu 2024's 300 ms at DB1's 100 Hz, not DB2's 2 kHz)
    # hold a tenth the batch memory each
    short = JobWindows(5000, 0, 50, 1, 1_000_000, 2, 100)
    less = job_cost(_job(training={"batch_size": 4000, "max_epochs": 1}), short,
                    _calibration(batch_mb_per_window=0.5))  # fmt: skip
    assert less.memory_mb == pytest.approx(500 - 100 - 0.5 * 100 + data + 0.05 * 4000)


def test_samples_per_window_and_the_exponent_scale_the_cost():
    # half the samples per window, windows at the power 1.5 (an SVM-like fit)
    w = JobWindows(400, 0, 0, 1, 0, 2, 500)
    c = job_cost(_job(), w, _calibration(exponent=1.5))
    assert c.high == pytest.approx(2 + 10 * 10 * (400 / 100) ** 1.5 * 0.5)


def test_an_uncalibrated_model_is_a_clear_error():
    with pytest.raises(ConfigError, match="'cnn'.*not in the cost calibration"):
        job_cost(_job(model="cnn"), JobWindows(1, 0, 1, 1, 1, 2, 1000), _calibration())


def test_wall_time_places_jobs_on_slots():
    assert _makespan([3, 3, 2, 2, 2], 2) == 7  # 3+2+2 | 3+2
    assert _makespan([5, 1], 4) == 5 and _makespan([], 2) == 0
    cal = _calibration()
    w = JobWindows(300, 0, 50, 1, 0, 2, 1000)
    costs = [job_cost(_job(), w, cal)] * 4
    p = Plan(costs, {"hristov2026": [1.0, 1.0]}, 1.0)
    one = costs[0].seconds + 0.5
    # start 3 s; two preprocess jobs side by side; 4 jobs on 2 cores; gather/provenance/audit
    assert wall_seconds(p, Machine(cores=2), cal) == pytest.approx(3 + 1.5 + 2 * one + 3)


def test_cost_per_result_sums_records_with_their_parents():
    def record(protocol, fold, seconds, hardware="CPU x (1 thread(s))", parent=None):
        job = {"experiment": "e", "protocol": protocol, "model": "csae", "fold": fold,
               "seed": 0, "extra": {"parent": parent} if parent else {}}  # fmt: skip
        return {"job": job, "fit_seconds": seconds, "predict_seconds": 1.0, "hardware": hardware}

    parent = {"experiment": "e", "protocol": "loso", "fold": "2"}
    records = [
        record("loso", "2", 9.0),
        record("loso", "3", 5.0, hardware="GPU H100"),
        record("few_shot", "2", 2.0, parent=parent),
    ]
    audit = pd.DataFrame(
        [
            {"paper": "p", "table": "t", "row": "a", "column": "c", "experiment": "e",
             "protocol": "few_shot", "model": "csae"},
            {"paper": "p", "table": "t", "row": "b", "column": "c", "experiment": "e",
             "protocol": "loso", "model": "csae"},
            {"paper": "p", "table": "t", "row": "c", "column": "c", "experiment": "e",
             "protocol": "loso", "model": "cnn"},
        ]
    )  # fmt: skip
    out = cost_per_result(audit, records, predict=lambda r: 2 * r["fit_seconds"])
    few, loso, none = out.to_dict("records")
    assert (few["jobs"], few["cpu_seconds"], few["gpu_seconds"]) == (2, 13.0, 0.0)
    assert few["predicted_seconds"] == 22.0
    assert (loso["jobs"], loso["cpu_seconds"], loso["gpu_seconds"]) == (2, 10.0, 6.0)
    assert none["jobs"] == 0 and math.isnan(none["cpu_seconds"])
    assert math.isnan(none["predicted_seconds"])  # nothing computed: not computed
    unknown = cost_per_result(audit, records, predict=lambda r: None)
    assert unknown["predicted_seconds"].isna().all()


def test_a_missing_calibration_says_how_to_make_it(tmp_path):
    with pytest.raises(ConfigError, match="bench/calibrate_cost.py"):
        calib.load(tmp_path / "none.yaml")


# The full config plans 3,100 jobs, each split by its protocol: about 15 s, so slow.
@pytest.mark.parametrize("extra", [["demo.yaml"], pytest.param([], marks=pytest.mark.slow)])
def test_plan_prints_its_table(extra, capsys):
    files = [str(REPO / "config" / f) for f in extra]
    assert main(["plan", "--cost", "--cores", "2", "--configfile", *files]) == 0
    out = capsys.readouterr().out
    papers = sorted(p.stem for p in PAPERS_DIR.glob("*.yaml"))  # every paper file's
    assert len(papers) >= 6
    for paper in papers:
        assert f"| {paper} |" in out
    assert "| **total** |" in out and "CPU-hours" in out and "rests on:" in out
    assert "calibrated on" in out  # the machine the figures were measured on
