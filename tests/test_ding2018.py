"""Ding et al. 2018: every variant's layers against the paper's description (the 520-unit
concatenation, kernels, pooling), electrode mixing only where it belongs, DB2 splits that
share no repetition, the twin's Exercise C and D labels, a one-subject job on the twin, the
published numbers, and the paper's demo through Snakemake."""

from __future__ import annotations

import zipfile

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from conftest import job_files_in, window_files
from emgrepro.analyses import ding2018 as analysis
from emgrepro.checks import check_parameters
from emgrepro.config import load
from emgrepro.datasets.synthetic import write_twin
from emgrepro.errors import ConfigError
from emgrepro.evaluation.audit import read_published
from emgrepro.evaluation.comparisons import paired_comparisons
from emgrepro.evaluation.run import run_job
from emgrepro.models import MODELS, build_model
from emgrepro.paths import CONFIG_DIR, published_csv
from emgrepro.preprocess.subject import preprocess_subject
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows
from emgrepro.protocols import PROTOCOLS
from emgrepro.report import comparison_view

VARIANTS = ("c_b1pb2", "c_sk", "c_sk2", "c_2b1", "c_2b2", "c_dk")
# (time kernel, pool) per block, electrode extent of the first three layers, FC input units
EXPECTED = {
    "c_b1pb2": ([(13, 2), (57, 1)], 1, 40 * (5 + 8)),
    "c_sk": ([(13, 2)], 3, 40 * 5),
    "c_sk2": ([(13, 2)], 1, 40 * 5),
    "c_2b1": ([(13, 2), (13, 2)], 1, 40 * (5 + 5)),
    "c_2b2": ([(57, 1), (57, 1)], 1, 40 * (8 + 8)),
    "c_dk": ([(13, 2), (57, 1)], 3, 40 * (5 + 8)),
}
SPLIT = {"train_repetitions": [1, 3, 4, 6], "test_repetitions": [2, 5], "val_repetitions": [6]}
PREP = {
    "dataset": "ninapro_db2",
    "exercises": [1, 2, 3],
    "rest_repetition": "none",
    "filter": None,
    "window": {"length_ms": 100, "step_ms": 50, "label_rule": "constant"},
}


def net(name: str, **kw) -> nn.Module:
    return build_model(name, 12, 17, 200, device="cpu", **kw).module


@pytest.mark.parametrize("name", VARIANTS)
def test_each_variant_has_its_layers(name):
    blocks, early, units = EXPECTED[name]
    model = net(name)
    assert [(b.kernel, b.pool) for b in model.blocks] == blocks
    for block in model.blocks:
        convs = [block.conv1, block.conv2, block.conv3]
        for unit in [*convs, block.mix1, block.mix2]:
            conv, bn, act = unit  # batch norm between every convolution and its activation
            assert isinstance(bn, nn.BatchNorm2d) and isinstance(act, nn.ReLU)
            assert conv.out_channels == 40 and conv.stride == (1, 1)
        assert [u[0].kernel_size for u in convs] == [(early, block.kernel)] * 3
        assert [block.mix1[0].kernel_size, block.mix2[0].kernel_size] == [(6, 13), (7, 13)]
        pools = [n for n, m in block.named_children() if isinstance(m, nn.MaxPool2d)]
        # pooling 1 x 2 after the first and the second convolution, in small-kernel blocks only
        assert pools == (["pool1", "pool2"] if block.pool == 2 else [])
        names = list(dict(block.named_children()))
        if pools:
            assert names.index("pool1") == names.index("conv1") + 1
            assert names.index("pool2") == names.index("conv2") + 1
    x = torch.randn(3, 12, 200)
    model.eval()
    outs = [b(x.unsqueeze(1)) for b in model.blocks]
    assert all(o.shape[2] == 1 for o in outs), "the mixing layers leave one electrode row"
    assert sum(o[0].numel() for o in outs) == model.n_features == units
    fc = [m for m in model.classifier if isinstance(m, nn.Linear)] + [model.final_layer]
    assert [(m.in_features, m.out_features) for m in fc] == [(units, 260), (260, 130), (130, 17)]
    drops = [m.p for m in model.classifier if isinstance(m, nn.Dropout)]
    assert drops == [0.5, 0.5], "dropout after the first two fully connected layers"
    assert model(x)["logits"].shape == (3, 17)


def test_b1pb2_concatenates_520_units_from_the_two_blocks():
    model = net("c_b1pb2").eval()
    x = torch.randn(2, 12, 200)
    b1, b2 = (b(x.unsqueeze(1)) for b in model.blocks)
    assert tuple(b1.shape[1:]) == (40, 1, 5) and tuple(b2.shape[1:]) == (40, 1, 8)
    assert model.features(x).shape == (2, 520)


def _rows_changed(block: nn.Sequential, upto: str, electrode: int) -> list[int]:
    """Rows of layer ``upto``'s output that change when one electrode's signal changes."""
    layers = []
    for name, layer in block.named_children():
        layers.append(layer)
        if name == upto:
            break
    torch.manual_seed(0)
    x = torch.randn(1, 1, 12, 200)
    y = x.clone()
    y[:, :, electrode] += torch.randn(200)
    with torch.no_grad():
        diff = (nn.Sequential(*layers)(x) - nn.Sequential(*layers)(y)).abs().sum(dim=(0, 1, 3))
    return torch.nonzero(diff > 1e-6).flatten().tolist()


def test_only_the_mixing_layers_span_electrodes():
    model = net("c_b1pb2").eval()
    convs = {n: m for n, m in model.named_modules() if isinstance(m, nn.Conv2d)}
    spanning = sorted(n for n, m in convs.items() if m.kernel_size[0] > 1)
    assert spanning == [f"blocks.{b}.mix{i}.0" for b in (0, 1) for i in (1, 2)]
    # behaviour, not just shapes: before mixing, row e depends on electrode e alone
    for block in model.blocks:
        assert _rows_changed(block, "conv3", 4) == [4]
    dk = net("c_dk").eval()  # the ablation mixes neighbours from the first layers on
    assert _rows_changed(dk.blocks[0], "conv3", 4) == [1, 2, 3, 4, 5, 6, 7]


def test_parameters_are_checked_at_plan_time():
    cls = MODELS.get("c_sk")
    with pytest.raises(ConfigError, match="one entry per parallel block"):
        cls.check_params({"kernels": [13, 57]}, "x")
    with pytest.raises(ConfigError, match="must be odd"):
        cls.check_params({"early_height": 2}, "x")
    with pytest.raises(ValueError, match="exceed the 10 electrodes"):
        build_model("c_b1pb2", 10, 17, 200, device="cpu", mix_heights=[6, 7])
    with pytest.raises(ValueError, match="too short"):
        build_model("c_b1pb2", 12, 17, 150, device="cpu")


def test_reference_settings():
    config = load([CONFIG_DIR / "config.yaml"])
    check_parameters(config)
    b, full = config["experiments"]["ding2018_db2"], config["experiments"]["ding2018_db2_all"]
    assert set(b["models"]) == {*VARIANTS, "classical_grid"}
    assert b["classes"] == list(range(1, 18)) and full["classes"] == list(range(1, 50))
    assert config["preprocessing"]["ding_db2_all"]["exercises"] == [1, 2, 3]
    for exp in (b, full):
        prep = config["preprocessing"][exp["preprocessing"]]
        assert prep["window"]["length_ms"] == 100 and prep["dataset"] == "ninapro_db2"
        p = exp["protocols"]["within_subject"]
        assert not set(p["test_repetitions"]) & set(p["train_repetitions"] + p["val_repetitions"])
    # every variant's config names exactly its declared defaults (one place to read them)
    for name in VARIANTS:
        declared = build_model(name, 12, 17, 200, device="cpu").arch
        given = {k: list(v) if isinstance(v, list) else v for k, v in b["models"][name].items()}
        assert given == {k: declared[k] for k in given}, name


# ----------------------------------------------------------------------------- the twin


@pytest.fixture(scope="module")
def db2_windows(tmp_path_factory):
    """Windows of two DB2 twin subjects (three movements of each exercise), by folder."""
    root = tmp_path_factory.mktemp("db2")
    scale = {"exercises": [1, 2, 3], "n_movements": 3, "hold_s": 0.4, "rest_s": 0.2}
    write_twin("ninapro_db2", root / "db2.zip", subjects=[1, 2], seed=7, scale=scale)
    with zipfile.ZipFile(root / "db2.zip") as zf:
        for s in (1, 2):
            raw = root / "raw" / f"sub-{s}"
            raw.mkdir(parents=True)
            for ex in (1, 2, 3):
                name = f"S{s}_E{ex}_A1.mat"
                (raw / name).write_bytes(zf.read(f"DB2_s{s}/{name}"))
            preprocess_subject(
                "ninapro_db2", s, raw, PREP, *window_files(root / "win" / f"sub-{s}")
            )
    return root / "win"


@pytest.fixture(scope="module")
def db2(db2_windows) -> dict[int, SubjectWindows]:
    return {s: SubjectWindows.load(db2_windows / f"sub-{s}") for s in (1, 2)}


def test_the_twins_exercise_c_and_d_labels_are_global(db2):
    """The twin writes exercise-local labels (1..n in every file), as the real E1 files; the
    reader moves Exercise C to 18.. and D to 41.. (global files are kept, others refused:
    tests/test_readers.py)."""
    labels = set(np.unique(db2[1].labels).tolist())
    assert labels == {0, 1, 2, 3, 18, 19, 20, 41, 42, 43}


def test_db2_splits_share_no_repetition(db2):
    classes = [1, 2, 3, 18, 19, 20, 41, 42, 43]  # rest excluded, as the paper's 17 outputs
    table = WindowTable([db2[1]], classes)
    split = PROTOCOLS.get("within_subject").split(table, "1", [1], SPLIT, 0)
    reps = table.meta["repetition"].to_numpy()
    parts = {"train": split.train, "val": split.val, "test": split.test}
    assert {k: set(reps[v]) for k, v in parts.items()} == {
        "train": {1, 3, 4}, "val": {6}, "test": {2, 5}
    }  # fmt: skip
    assert 0 not in set(table.meta["label"]), "no rest window"
    local = table.meta["local"].to_numpy()
    masks = {k: db2[1].sample_mask(local[v]) for k, v in parts.items()}
    assert not (masks["train"] & masks["test"]).any() and not (masks["val"] & masks["test"]).any()
    assert not (masks["train"] & masks["val"]).any()


def test_one_subject_job_end_to_end(db2_windows, tmp_path):
    classes = [1, 2, 3, 18, 41]
    spec = {
        "paper": "ding2018", "experiment": "ding2018_db2_all", "dataset": "ninapro_db2",
        "preprocessing": "ding_db2_all", "protocol": "within_subject", "protocol_params": SPLIT,
        "model": "c_b1pb2", "model_params": {"filters": 4, "hidden": [16, 8]}, "fold": "2",
        "seed": 0, "classes": classes, "subjects": [1, 2], "device": "cpu", "data": "real",
        "training": {"max_epochs": 2, "patience": 2, "batch_size": 16, "lr": 0.003},
    }  # fmt: skip
    out = {k: tmp_path / f"job.{k}" for k in ("csv", "npz", "pt")}
    info = run_job(spec, job_files_in(spec, db2_windows, tmp_path / "job"))
    scores = pd.read_csv(out["csv"])
    acc = scores[scores.metric == "accuracy"]
    assert acc["subject"].tolist() == [2]
    # the twin's own marker labels every row, though the spec calls the data real
    assert set(scores["data"]) == {"synthetic"}
    assert info["n_val"] > 0 and len(info["history"]) == 2
    with np.load(out["npz"]) as z:
        assert z["classes"].tolist() == classes and len(z["y_pred"]) == info["n_test"]
        assert acc["value"].iloc[0] == pytest.approx(np.mean(z["y_pred"] == z["y_true"]))


# ----------------------------------------------------------------------------- published


def test_published_numbers():
    df = read_published([published_csv("ding2018")])
    assert len(df) == 1, "Table 2 was not found: only the secondary C-B1PB2 number"
    r = df.iloc[0]
    assert (r["model"], r["experiment"], r["mean"]) == ("c_b1pb2", "ding2018_db2_all", 78.86)
    assert "secondary source" in r["note"] and pd.isna(r["sd"]) and pd.isna(r["n_classes"])


def test_the_reports_comparisons_are_the_audits_paired_test():
    """A difference published with numbers is read from its audit row; any other is
    computed by the audit's own paired test (mean of per-subject differences)."""
    values = pd.DataFrame(
        {"c_b1pb2": [0.80, 0.70, 0.90, 0.75], "c_sk2": [0.70, 0.65, 0.80, 0.70]},
        index=[1, 2, 3, 4],
    )
    pairs = [("kernel", "c_b1pb2", "c_sk2"), ("muscle", "c_b1pb2", "c_dk")]
    out = paired_comparisons(values, pairs, pd.DataFrame(), {"bootstrap_resamples": 999})
    out = out.set_index("comparison")
    assert out.loc["kernel", "difference"] == 7.5 and out.loc["kernel", "n"] == 4
    assert out.loc["kernel", "source"].startswith("computed")
    assert out.loc["muscle", "source"] == "not computed"
    assert pd.isna(out.loc["muscle", "difference"])
    audit = pd.DataFrame(
        [{"experiment": "e", "model": "c_b1pb2", "versus": "model=c_sk2", "reproduced_mean": 7.5,
          "published_mean": 5.0, "published_sd": np.nan, "bound": "", "ci_low": 1.0,
          "ci_high": 4.0, "n": 4, "p_value": 0.1, "verdict": "synthetic"}]
    )  # fmt: skip
    read = comparison_view(paired_comparisons(values, pairs, audit, where={"experiment": "e"}))
    assert read.loc["kernel", "interval"] == "[+6.00, +9.00]"
    assert (read.loc["kernel", "published"], read.loc["kernel", "source"]) == ("5", "audit row")
    assert read.loc["muscle", "difference"] == "not computed"


def test_the_analysis_picks_the_best_classical_cell_and_pairs_by_subject(tmp_path):
    """The analysis rule's tables: the classical method is the grid cell of best mean over
    subjects (that cell's per-subject values), and each comparison pairs subjects."""
    rows = []
    for subject, (b1pb2, dk, cell_a, cell_b) in {
        1: (0.80, 0.70, 0.60, 0.65), 2: (0.70, 0.65, 0.50, 0.62), 3: (0.90, 0.80, 0.70, 0.60),
    }.items():  # fmt: skip
        for model, condition, value in (
            ("c_b1pb2", "", b1pb2), ("c_dk", "", dk),
            ("classical_grid", "rms+lda", cell_a), ("classical_grid", "wl+svm", cell_b),
        ):  # fmt: skip
            for seed in (0, 1):  # the mean over seeds
                rows.append({"paper": "ding2018", "experiment": analysis.EXERCISE_B,
                             "model": model, "condition": condition, "subject": subject,
                             "seed": seed, "metric": "accuracy", "value": value})  # fmt: skip
    pd.DataFrame(rows).to_csv(tmp_path / "scores.csv", index=False)
    pd.DataFrame(columns=["paper", "experiment", "model", "versus"]).to_csv(
        tmp_path / "audit.csv", index=False
    )
    out = tmp_path / "out"
    out.mkdir()
    inputs = {"scores": tmp_path / "scores.csv", "audit": tmp_path / "audit.csv"}
    analysis.analyse({"audit_rule": {"bootstrap_resamples": 999}}, inputs, out)
    best = pd.read_csv(out / "classical_best_cell.csv")
    assert best.to_dict("records") == [
        {
            "experiment": analysis.EXERCISE_B,
            "condition": "wl+svm",
            "mean": pytest.approx(0.62333, abs=1e-4),
        }
    ]
    per = pd.read_csv(out / "per_subject.csv")
    classical = per[per["method"] == "classical"].set_index("subject")["value"]
    assert classical.to_dict() == {1: 0.65, 2: 0.62, 3: 0.60}
    table = pd.read_csv(out / "comparisons.csv").set_index("comparison")
    assert table.loc["C-B1PB2 - C-DK", "difference"] == pytest.approx(8.333, abs=1e-3)
    assert table.loc["C-B1PB2 - C-DK", "n"] == 3
    assert table.loc["C-B1PB2 - classical method", "difference"] == pytest.approx(17.667, abs=1e-3)
    assert table.loc["C-B1PB2 - C-SK2", "source"] == "not computed"
    assert list(dict.fromkeys(table["group"])) == list(analysis.COMPARISONS)


# ----------------------------------------------------------------------------- the demo


@pytest.mark.slow
def test_the_papers_demo_runs_and_every_row_is_computed(demo_run):
    audit = pd.read_csv(demo_run / "results" / "audit.csv", keep_default_na=False)
    ding = audit[audit.paper == "ding2018"]
    assert len(ding) and set(ding["verdict"]) == {"synthetic"}
    assert (ding["n"] >= 3).all()
    html = (demo_run / "results" / "reports" / "ding2018.html").read_text()
    assert "Synthetic data" in html and html.count("<img") >= 3
    assert "Kernel size" in html and "Muscle independence" in html
    figures = {p.name for p in (demo_run / "results" / "figures" / "ding2018").glob("*.png")}
    assert {"table2.png", "per_subject.png", "confusion_c_b1pb2.png"} <= figures
    scores = pd.read_csv(demo_run / "results" / "scores.csv")
    # four gestures in both demo experiments: no new class count in the full demo
    assert set(scores.loc[scores.paper == "ding2018", "n_classes"]) == {4}
