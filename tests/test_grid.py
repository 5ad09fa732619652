"""The cross-paper grid: each paper's claim experiments repeated on the other real datasets
its file declares (or declared not applicable, with the reason), and their claims judged
per dataset."""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import window_files
from emgrepro.config import grid_name, load, paper_files
from emgrepro.datasets.registry import get_dataset
from emgrepro.datasets.synthetic import write_twin
from emgrepro.errors import ConfigError
from emgrepro.evaluation.claims import judge_claims, read_claims
from emgrepro.models import EVALUATE, build_model, capabilities
from emgrepro.paths import CONFIG_DIR, PAPERS_DIR, claims_csv
from emgrepro.preprocess.windows import ms_to_samples

SEEDED = [p for p, d in paper_files().items() if d.get("source_document")]
REAL_DATASETS = ("khushaba_2ch", "ninapro_db1")  # the real data within reach (../shared)


def _load(tmp_path, user: dict, papers_dir=PAPERS_DIR) -> dict:
    path = tmp_path / "user.yaml"
    path.write_text(yaml.safe_dump(user))
    return load([CONFIG_DIR / "config.yaml", path], papers_dir=papers_dir)


@pytest.fixture(scope="module")
def grid_config(tmp_path_factory) -> dict:
    return _load(tmp_path_factory.mktemp("grid"), {"grid": True})


def _grid_experiments(config: dict) -> dict[str, dict]:
    return {n: e for n, e in config["experiments"].items() if e.get("grid_of")}


def test_no_grid_experiment_unless_asked(tmp_path):
    assert not _grid_experiments(_load(tmp_path, {}))


def test_each_declared_pair_becomes_an_experiment_on_its_dataset(grid_config):
    grid = _grid_experiments(grid_config)
    declared = {
        grid_name(name, dataset): (pid, name, dataset)
        for pid, data in paper_files().items()
        for dataset, entry in (data.get("grid") or {}).items()
        for name in entry.get("experiments") or {}
    }
    assert declared and set(grid) == set(declared)
    for name, (pid, base, dataset) in declared.items():
        exp = grid[name]
        assert exp["paper"] == pid and exp["grid_of"] == base
        assert grid_config["preprocessing"][exp["preprocessing"]]["dataset"] == dataset
        own = grid_config["experiments"][base]
        assert grid_config["preprocessing"][own["preprocessing"]]["dataset"] != dataset


@pytest.mark.parametrize("paper", SEEDED)
def test_every_seeded_paper_declares_the_real_datasets(paper):
    """Each real dataset is met (with the choices in words) or not applicable (with why),
    unless the paper's own experiments already run on it; a paper left out of the grid for
    now says so in the README."""
    grid = paper_files()[paper].get("grid") or {}
    for dataset, entry in grid.items():
        assert dataset in REAL_DATASETS, f"{paper}: {dataset} is not a real dataset here"
        text = entry.get("not_applicable") or entry.get("choices")
        assert isinstance(text, str) and len(text.split()) >= 8, f"{paper}/{dataset}: say why"


def test_every_grid_model_can_be_built_for_its_windows(grid_config):
    """A pair that cannot be met fails here, not in a job: each model of each grid
    experiment at its dataset's channels and its windows' length."""
    for exp in _grid_experiments(grid_config).values():
        prep = grid_config["preprocessing"][exp["preprocessing"]]
        info = get_dataset(prep["dataset"])
        n_times = ms_to_samples(prep["window"]["length_ms"], info.fs)
        for model, params in exp["models"].items():
            hyper = {k: v for k, v in params.items() if k not in ("training", "init_from")}
            build_model(model, info.n_channels, len(exp["classes"]), n_times, **hyper)


def test_each_claim_experiment_is_met_or_not_applicable_on_a_real_dataset(grid_config):
    """Every seeded paper has at least two claims whose experiment runs on a real dataset
    (its own or by the grid) or is declared not applicable there."""
    for paper in [p for p in SEEDED if paper_files()[p].get("grid")]:
        grid = paper_files()[paper]["grid"]
        unmet = {d for d, e in grid.items() if "not_applicable" in e}
        met = {n: d for d, e in grid.items() for n in e.get("experiments") or {}}
        claims = read_claims([claims_csv(paper)])
        own = {
            n: grid_config["preprocessing"][e["preprocessing"]]["dataset"]
            for n, e in grid_config["experiments"].items()
            if e["paper"] == paper and not e.get("grid_of")
        }
        reached = [
            c
            for c in claims["experiment"]
            if c in met or own.get(c) in REAL_DATASETS or (unmet and c in own)
        ]
        assert len(reached) >= 2, f"{paper}: {len(reached)} claim(s) reach a real dataset"


def _papers_copy(tmp_path, paper: str, grid: dict):
    folder = tmp_path / "papers"
    shutil.copytree(PAPERS_DIR, folder)
    path = folder / f"{paper}.yaml"
    data = yaml.safe_load(path.read_text())
    data["grid"] = grid
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return folder


@pytest.mark.parametrize(
    ("grid", "expected"),
    [
        ({"khushaba_2chh": {"not_applicable": "a typo in the dataset's name"}}, "khushaba_2ch"),
        (
            {"khushaba_2ch": {"choices": "the paper's own dataset", "experiments": {
                "hristov2026_6class": {}}}},
            "already runs on 'khushaba_2ch'",
        ),
        (
            {"ninapro_db1": {"choices": "another paper's experiment", "experiments": {
                "atzori2016_db1": {}}}},
            "not an experiment of hristov2026",
        ),
        (
            {"ninapro_db1": {"choices": "windows of the wrong dataset", "experiments": {
                "hristov2026_6class": {}}}},
            "give it a preprocessing of 'ninapro_db1'",
        ),
    ],
)  # fmt: skip
def test_a_wrong_grid_entry_is_an_error(tmp_path, grid, expected):
    papers = _papers_copy(tmp_path, "hristov2026", grid)
    with pytest.raises(ConfigError, match=expected.replace("(", r"\(")):
        _load(tmp_path, {"grid": True, "papers": ["hristov2026"]}, papers_dir=papers)


def test_the_runs_settings_reach_the_grid_copies(tmp_path):
    base, copy = "hristov2026_6class", grid_name("hristov2026_6class", "ninapro_db1")
    config = _load(
        tmp_path,
        {
            "grid": True,
            "experiments": {
                base: {"seeds": [0], "training": {"max_epochs": 3}},
                copy: {"protocols": {"few_shot": None}},
            },
        },
    )
    exp = config["experiments"][copy]
    assert exp["seeds"] == [0] and exp["training"]["max_epochs"] == 3
    assert "few_shot" not in exp["protocols"] and "loso" in exp["protocols"]
    alone = _load(tmp_path, {"grid": True, "experiments": {base: None}})
    assert base not in alone["experiments"] and copy in alone["experiments"]
    dropped = _load(tmp_path, {"grid": True, "experiments": {copy: None}})
    assert base in dropped["experiments"] and copy not in dropped["experiments"]


def _scores(experiment: str, dataset: str, values: dict[str, list[float]]) -> pd.DataFrame:
    rows = [
        dict(paper="p", experiment=experiment, dataset=dataset, protocol="within_subject",
             model=model, subject=s, fold=str(s), condition="", seed=0, n_classes=5,
             data="real", metric="accuracy", value=v)
        for model, vals in values.items()
        for s, v in enumerate(vals, start=1)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _claim(group=np.nan) -> pd.DataFrame:
    return pd.DataFrame([dict(paper="p", claim="a_beats_b", statement="a beats b", source="t",
                              experiment="e", protocol="within_subject", metric="accuracy",
                              group=group, a="model=a", b="model=b", direction=">",
                              published_size=np.nan, note="")])  # fmt: skip


def test_a_claim_is_judged_on_each_dataset_its_experiment_ran_on():
    rng = np.random.default_rng(0)
    b = list(0.6 + 0.02 * rng.standard_normal(6))
    own = _scores("e", "d1", {"a": [x + 0.10 for x in b], "b": b})
    grid = _scores("e_on_d2", "d2", {"a": [x - 0.10 for x in b], "b": b})
    other = _scores("f", "d3", {"a": b, "b": b})  # not the claim's experiment
    out = judge_claims(
        _claim(),
        pd.concat([own, grid, other]),
        grid_of={"e_on_d2": "e"},
        not_applicable={"p": {"d4": "windows too short"}},
    ).set_index("dataset")
    assert list(out.index) == ["d1", "d2", "d4"]
    assert out.loc["d1", "verdict"] == "holds" and out.loc["d2", "verdict"] == "fails"
    assert out.loc["d2", "difference"] == pytest.approx(-10.0)
    assert out.loc["d4", "verdict"] == "not-applicable"
    assert out.loc["d4", "reason"] == "windows too short"


def test_a_grid_copy_without_the_mapping_answers_no_claim():
    b = [0.6, 0.62, 0.61, 0.63]
    grid = _scores("e_on_d2", "d2", {"a": [x + 0.1 for x in b], "b": b})
    out = judge_claims(_claim(), grid)
    assert list(out["verdict"]) == ["not-run"]


def test_a_claims_subject_group_is_read_per_dataset():
    """The paper's own groups name subjects of its own dataset; on a grid dataset the grid
    entry's groups decide, and a group that selects nobody there says so."""
    b = [0.60, 0.62, 0.61, 0.63, 0.64, 0.59]
    up = [x + 0.10 for x in b]
    down = [x - 0.10 for x in b]
    own = _scores("e", "d1", {"a": up[:3] + down[3:], "b": b})
    grid = _scores("e_on_d2", "d2", {"a": down[:3] + up[3:], "b": b})
    scores = pd.concat([own, grid])
    groups = {"p": {"g": [1, 2, 3], "late": [4, 5, 6]}}
    kwargs = dict(groups=groups, grid_of={"e_on_d2": "e"})
    on_d2 = {"p": {"d2": {"g": [4, 5, 6]}}}
    out = judge_claims(_claim("g"), scores, grid_groups=on_d2, **kwargs).set_index("dataset")
    assert out.loc["d1", "verdict"] == "holds" and out.loc["d2", "verdict"] == "holds"
    assert out.loc["d1", "n"] == 3 and out.loc["d2", "n"] == 3
    # without the grid's groups, the paper's own ids would pick subjects 1-3 of d2 (worse)
    late = judge_claims(_claim("late"), scores, grid_groups=on_d2, **kwargs)
    late = late.set_index("dataset")
    assert late.loc["d1", "verdict"] == "fails"
    assert late.loc["d2", "verdict"] == "not-run"
    assert "group 'late' is not declared on d2" in late.loc["d2", "reason"]
    nobody = {"p": {"d2": {"g": [19, 20, 21, 22]}}}
    out = judge_claims(_claim("g"), scores, grid_groups=nobody, **kwargs).set_index("dataset")
    assert out.loc["d2", "verdict"] == "not-run"
    assert out.loc["d2", "reason"] == "no subject of group 'g' (19-22) ran here"


def test_the_grid_table_takes_an_experiments_own_split_and_only_the_runs_papers():
    """An experiment without a within-subject split (Wu 2024's transfer) is shown on the
    split its claims read; a paper outside the run lists no not-applicable pair."""
    from emgrepro.evaluation.grid import grid_table

    b = [0.60, 0.62, 0.61, 0.63]
    scores = _scores("e_on_d2", "d2", {"a": [x + 0.1 for x in b], "b": b}).assign(
        protocol="subject_transfer"
    )
    experiments = {"e_on_d2": {"paper": "p", "grid_of": "e", "protocols": {"subject_transfer": {}}}}
    config = {
        "grid": True,
        "papers": ["p"],
        "experiments": experiments,
        "paper_info": {
            "p": {"grid": {"d2": {"choices": "how p meets d2", "experiments": {"e": {}}},
                           "d3": {"not_applicable": "why p cannot meet d3"}}},
            "q": {"grid": {"d3": {"not_applicable": "q is not in this run"}}},
        },
    }  # fmt: skip
    claims = _claim().assign(protocol="subject_transfer")
    table = grid_table(scores, config, claims)
    run = table[table.status == "run"].set_index("model")
    assert set(run["protocol"]) == {"subject_transfer"} and set(run["how"]) == {"how p meets d2"}
    assert run.loc["a", "rank"] == 1 and run.loc["b", "rank"] == 2
    assert run.loc["a", "mean"] == pytest.approx(100 * np.mean(b) + 10)
    unmet = table[table.status == "not-applicable"]
    assert list(zip(unmet.paper, unmet.how)) == [("p", "why p cannot meet d3")]


# ----------------------------------------------------------------------------- no leakage


def _twin_subject(dataset: str, prep: dict, folder, subject: int = 1):
    """One subject of ``dataset``'s twin, preprocessed as ``prep`` says, into ``folder``."""
    import hashlib
    import zipfile

    from emgrepro.preprocess.subject import preprocess_subject

    sums = write_twin(dataset, folder / "twin.zip", subjects=[subject], seed=3, scale=TWIN[dataset])
    by_hash = {v: k for k, v in sums.items()}
    raw = folder / "raw"
    with zipfile.ZipFile(folder / "twin.zip") as zf:
        for member in [m for m in zf.namelist() if not m.endswith("/")]:
            data = zf.read(member)
            target = raw / by_hash[hashlib.sha256(data).hexdigest()]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    preprocess_subject(dataset, subject, raw, prep, *window_files(folder / "win"))
    return folder / "win"


def _louder_test_samples(win, test_repetitions) -> None:
    """Every sample of the test repetitions 100 times larger, in place."""
    signal_path, windows_path = window_files(win)
    signal = np.load(signal_path)
    reps = np.load(windows_path)["sample_repetition"]
    signal[np.isin(reps, test_repetitions)] *= 100.0
    np.save(signal_path, signal)


def _fit_and_probe(job, win, probe_win) -> np.ndarray:
    """Fit the job's model on its training split of ``win``; its outputs on the training
    windows of ``probe_win`` (the same windows in both fits)."""
    from emgrepro.evaluation.run import seed_everything
    from emgrepro.preprocess.table import WindowTable
    from emgrepro.preprocess.windows import SubjectWindows
    from emgrepro.protocols import PROTOCOLS

    protocol = PROTOCOLS.get(job.protocol)
    params = protocol.params(job.protocol_params)
    seed_everything(job.seed)
    table = WindowTable([SubjectWindows.load(win)], job.classes)
    split = protocol.split(table, job.fold, job.subjects, params, job.seed, None)
    model = build_model(
        job.model, n_chans=table.n_chans, n_outputs=len(job.classes), n_times=table.n_times,
        fs=table.fs, training=job.training, device="cpu", seed=job.seed, **job.model_params,
    )  # fmt: skip
    val = table.subset(split.val) if split.val.size else None
    protocol.train(model, table.subset(split.train), val, params, None)
    probe = WindowTable([SubjectWindows.load(probe_win)], job.classes)
    rows = protocol.split(probe, job.fold, job.subjects, params, job.seed, None).train
    data = probe.subset(rows)
    if hasattr(model, "predict_z"):  # a feature imitator: its imitated features
        return np.asarray(model.predict_z(data))
    if hasattr(model, "logits"):  # a network: its outputs
        return np.asarray(model.logits(data))
    # a classical model: its predictions and every fitted array it keeps (standardisation)
    if EVALUATE in capabilities(model):
        out = [np.asarray(model.evaluate(data, {})[1]["y_pred"], float).ravel()]
    else:
        out = [np.asarray(model.predict(data), float).ravel()]
    state = model.state() if hasattr(model, "state") else {}
    out += [np.asarray(v, float).ravel() for v in state.values() if isinstance(v, np.ndarray)]
    return np.concatenate(out)


TWIN = {
    "khushaba_2ch": {"n_samples_per_file": 2000},
    "ninapro_db1": {"n_movements": 12, "hold_s": 1.0, "rest_s": 0.6},
}


def _probed_protocol(exp: dict) -> str:
    """The split the leak check fits on: within-subject where the experiment has it, else
    its first protocol (Wu 2024's pooled pre-training and per-subject transfer)."""
    return (
        "within_subject" if "within_subject" in exp["protocols"] else next(iter(exp["protocols"]))
    )


@pytest.mark.slow
def test_no_fitted_step_of_a_grid_pair_sees_test_windows(tmp_path):
    """Every model of every grid experiment, fitted on its training split of a twin (one
    epoch, from scratch: no parent model is loaded) and again with every test-repetition
    sample 100 times larger: the two fits answer alike on the same training windows, so
    standardisation, PCA, spectrogram scaling, feature statistics and the LSTM-FIN's
    feature targets never saw a test sample."""
    from emgrepro.job_plan import jobs

    config = _load(tmp_path, {"grid": True})
    overrides = {
        name: {
            "training": {"max_epochs": 1},
            "protocols": {p: None for p in exp["protocols"] if p != _probed_protocol(exp)},
        }
        for name, exp in _grid_experiments(config).items()
    }  # fmt: skip
    config = _load(tmp_path, {"grid": True, "experiments": overrides})
    checked = set()
    for name, exp in _grid_experiments(config).items():
        prep = config["preprocessing"][exp["preprocessing"]]
        protocol = _probed_protocol(exp)
        test_reps = exp["protocols"][protocol]["test_repetitions"]
        plain = _twin_subject(prep["dataset"], prep, tmp_path / name / "plain")
        loud = _twin_subject(prep["dataset"], prep, tmp_path / name / "loud")
        _louder_test_samples(loud, test_reps)
        assert not np.array_equal(np.load(window_files(plain)[0]), np.load(window_files(loud)[0]))
        for job in [j for j in jobs(config) if j.experiment == name and j.fold in ("1", "pool")]:
            a = _fit_and_probe(job, plain, plain)
            b = _fit_and_probe(job, loud, plain)
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=f"{name} {job.model}")
            checked.add((name, job.model))
    assert {(n, m) for n, e in _grid_experiments(config).items() for m in e["models"]} == checked
