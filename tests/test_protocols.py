"""Protocols split windows without leaking samples; standardisation sees training data only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from emgrepro.errors import ConfigError
from emgrepro.evaluation.run import load_table
from emgrepro.preprocess.table import WindowTable
from emgrepro.preprocess.windows import SubjectWindows, window_starts, write_windows
from emgrepro.protocols import PROTOCOLS
from emgrepro.recording import Recording

FS = 1000.0
LENGTH_MS, STEP_MS = 20, 5  # 20-sample windows every 5 samples: neighbours overlap by 15
LENGTH = 20
CLASSES = [0, 1, 2, 3]
SUBJECTS = [1, 2, 3, 4]
REPS = [1, 2, 3, 4, 5, 6]
PARAMS = {"train_repetitions": [1, 3, 4, 6], "val_repetitions": [4], "test_repetitions": [2, 5]}
N_CHANS = 3


def layout(subject: int, rest: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Per-sample labels and repetitions: each repetition holds movements 1..3.

    With ``rest`` a rest block (label 0, repetition 0) separates the movements; without it
    consecutive repetitions of the same movement touch, so only the rule keeps them apart.
    """
    labels, reps = [], []
    for r in REPS:
        for lab in (1, 2, 3):
            if rest:
                labels.append(np.zeros(25 + subject, np.int16))
                reps.append(np.zeros(25 + subject, np.int16))
            n = 40 + 3 * subject
            labels.append(np.full(n, lab if rest else 1, np.int16))
            reps.append(np.full(n, r, np.int16))
    return np.concatenate(labels), np.concatenate(reps)


def make_signal(subject: int, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed + subject)
    offset = np.arange(N_CHANS) + subject
    scale = 1.0 + 0.5 * np.arange(N_CHANS)
    return (offset + scale * rng.standard_normal((n, N_CHANS))).astype(np.float32)


def store_subject(
    folder: Path,
    subject: int,
    *,
    rest: bool = True,
    scale_reps: tuple[int, ...] = (),
    factor: float = 100.0,
) -> SubjectWindows:
    """Write signal.npy (np.save) and windows.npz (write_windows), then load them."""
    labels, reps = layout(subject, rest)
    signal = make_signal(subject, labels.size)
    signal[np.isin(reps, scale_reps)] *= factor
    rec = Recording(
        dataset="synthetic",
        subject=subject,
        signal=signal,
        fs=FS,
        labels=labels,
        repetition=reps,
        channel_names=[f"ch{c}" for c in range(N_CHANS)],
        segments=np.array([0, labels.size // 2 + 7]),
    )
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "signal.npy", rec.signal)
    window = {"length_ms": LENGTH_MS, "step_ms": STEP_MS, "label_rule": "constant"}
    write_windows(rec, folder / "signal.npy", folder / "windows.npz", window)
    return SubjectWindows.load(folder)


def make_table(root: Path, subjects=SUBJECTS, **kw) -> WindowTable:
    sws = [store_subject(root / f"sub-{s}", s, **kw) for s in subjects]
    return WindowTable(sws, CLASSES)


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> WindowTable:
    return make_table(tmp_path_factory.mktemp("windows"))


@pytest.fixture(scope="module")
def table_no_rest(tmp_path_factory) -> WindowTable:
    return make_table(tmp_path_factory.mktemp("windows_no_rest"), rest=False)


def split(name, table, fold, params=PARAMS, seed=0, subjects=SUBJECTS):
    return PROTOCOLS.get(name).split(table, fold, list(subjects), params, seed)


def covered(table: WindowTable, rows: np.ndarray) -> dict[int, np.ndarray]:
    """Per subject, the mask of signal samples the windows at ``rows`` cover."""
    meta = table.meta.iloc[np.asarray(rows, dtype=np.int64)]
    out = {}
    for s, sw in table.subjects.items():
        local = meta.loc[meta["subject"] == s, "local"].to_numpy()
        out[s] = sw.sample_mask(local)
    return out


def n_shared(table: WindowTable, a: np.ndarray, b: np.ndarray) -> int:
    ma, mb = covered(table, a), covered(table, b)
    return int(sum((ma[s] & mb[s]).sum() for s in ma))


def assert_disjoint(sp) -> None:
    sets = [set(sp.train.tolist()), set(sp.val.tolist()), set(sp.test.tolist())]
    assert not sets[0] & sets[1]
    assert not sets[0] & sets[2]
    assert not sets[1] & sets[2]
    for rows in (sp.train, sp.val, sp.test):
        assert rows.dtype.kind == "i"
        assert np.unique(rows).size == rows.size


def assert_no_test_leak(table: WindowTable, sp) -> None:
    assert n_shared(table, sp.test, sp.train) == 0
    assert n_shared(table, sp.test, sp.val) == 0


def direct_stats(table: WindowTable, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and sd over the samples covered by windows ``rows``, each sample counted once."""
    meta = table.meta.iloc[rows]
    parts = []
    for s, sw in table.subjects.items():
        mask = np.zeros(sw.signal.shape[0], dtype=bool)
        for start in meta.loc[meta["subject"] == s, "start"]:
            mask[start : start + sw.length] = True
        parts.append(np.asarray(sw.signal, dtype=np.float64)[mask])
    x = np.concatenate(parts)
    return x.mean(axis=0), x.std(axis=0)


# --------------------------------------------------------------------------- the table


def test_table_meta(table):
    meta = table.meta
    columns = ["subject", "repetition", "label", "local", "start", "stop", "label_index"]
    columns.append("label_local")
    assert list(meta.columns) == columns
    assert (meta["label_index"] == table.y).all()
    assert (meta["stop"] - meta["start"] == LENGTH).all()
    assert sorted(meta["subject"].unique()) == SUBJECTS
    assert set(meta["repetition"]) == {0, *REPS}
    assert set(meta["label"]) == set(CLASSES)
    assert table.n_times == LENGTH and table.n_chans == N_CHANS
    for s, sw in table.subjects.items():
        rows = meta[meta["subject"] == s]
        np.testing.assert_array_equal(rows["start"], sw.starts[rows["local"]])
        np.testing.assert_array_equal(rows["label"], sw.labels[rows["local"]])
        # step < length: windows overlap
        assert np.diff(sw.starts).min() < sw.length
    # class ids map through ``classes``
    np.testing.assert_array_equal(table.y, meta["label"].to_numpy())


def test_table_batch_is_in_row_order(table):
    rows = np.array([len(table) - 1, 0, 5, len(table) // 2])
    x = table.batch(rows)
    assert x.shape == (4, N_CHANS, LENGTH)
    for k, r in enumerate(rows):
        s, local = int(table.meta["subject"].iloc[r]), int(table.meta["local"].iloc[r])
        np.testing.assert_array_equal(x[k], table.subjects[s].batch(np.array([local]))[0])


# --------------------------------------------------------------------------- within subject


@pytest.mark.parametrize("which", ["rest", "no_rest"])
def test_within_subject_on_the_jobs_table(which, table, table_no_rest):
    """As run_job does: the table holds the fold's subject only (subjects_needed)."""
    src = table if which == "rest" else table_no_rest
    proto = PROTOCOLS.get("within_subject")
    assert proto.folds(SUBJECTS, PARAMS) == ["1", "2", "3", "4"]
    for fold in proto.folds(SUBJECTS, PARAMS):
        assert proto.subjects_needed(fold, SUBJECTS, PARAMS) == [int(fold)]
        one = WindowTable([src.subjects[int(fold)]], CLASSES)
        sp = proto.split(one, fold, SUBJECTS, PARAMS, 0)
        assert sp.test_subjects == [int(fold)]
        assert_disjoint(sp)
        assert_no_test_leak(one, sp)
        meta = one.meta
        assert set(meta["repetition"].iloc[sp.train]) == {1, 3, 6}
        assert set(meta["repetition"].iloc[sp.val]) == {4}
        assert set(meta["repetition"].iloc[sp.test]) == {2, 5}
        # every window of those repetitions is used
        assert sp.train.size == meta["repetition"].isin([1, 3, 6]).sum()
        assert sp.test.size == meta["repetition"].isin([2, 5]).sum()


def test_within_subject_through_load_table(tmp_path):
    root = tmp_path / "windows"
    for s in SUBJECTS:
        store_subject(root / f"sub-{s}", s)
    spec = {
        "protocol": "within_subject",
        "fold": "3",
        "subjects": SUBJECTS,
        "protocol_params": PARAMS,
        "classes": CLASSES,
    }
    one = load_table(spec, [root / "sub-3" / "windows.npz"], [root / "sub-3" / "signal.npy"])
    assert list(one.subjects) == [3]
    sp = split("within_subject", one, "3")
    assert (one.meta["subject"].iloc[np.concatenate([sp.train, sp.test])] == 3).all()
    assert_no_test_leak(one, sp)


def test_within_subject_on_a_multi_subject_table(table):
    sp = split("within_subject", table, "3")
    meta = table.meta
    assert (meta["subject"].iloc[sp.train] == 3).all()
    assert (meta["subject"].iloc[sp.test] == 3).all()
    assert set(meta["repetition"].iloc[sp.test]) == {2, 5}


# --------------------------------------------------------------------------- multi subject


@pytest.mark.parametrize("which", ["rest", "no_rest"])
def test_multi_subject(which, table, table_no_rest):
    t = table if which == "rest" else table_no_rest
    proto = PROTOCOLS.get("multi_subject")
    assert proto.folds(SUBJECTS, PARAMS) == ["pooled"]
    assert proto.subjects_needed("pooled", SUBJECTS, PARAMS) == SUBJECTS
    assert not proto.leaky
    sp = proto.split(t, "pooled", SUBJECTS, PARAMS, 0)
    assert sp.test_subjects == SUBJECTS
    assert_disjoint(sp)
    assert_no_test_leak(t, sp)
    meta = t.meta
    for rows, reps in ((sp.train, {1, 3, 6}), (sp.val, {4}), (sp.test, {2, 5})):
        assert set(meta["repetition"].iloc[rows]) == reps
        assert set(meta["subject"].iloc[rows]) == set(SUBJECTS)
    assert sp.train.size == meta["repetition"].isin([1, 3, 6]).sum()


def test_multi_subject_without_val(table):
    params = {"train_repetitions": [1, 2, 3, 4], "test_repetitions": [5, 6]}
    sp = split("multi_subject", table, "pooled", params)
    assert sp.val.size == 0
    assert_disjoint(sp)
    assert_no_test_leak(table, sp)
    assert set(table.meta["repetition"].iloc[sp.train]) == {1, 2, 3, 4}


@pytest.mark.parametrize("name", ["within_subject", "multi_subject"])
@pytest.mark.parametrize(
    "params",
    [
        {"train_repetitions": [1, 2, 3, 5], "test_repetitions": [5, 6]},
        {"train_repetitions": [1, 2], "val_repetitions": [3, 6], "test_repetitions": [6]},
    ],
)
def test_repetition_in_train_and_test_is_a_config_error(name, params, table):
    fold = "1" if name == "within_subject" else "pooled"
    with pytest.raises(ConfigError, match="in both .*_repetitions and test_repetitions"):
        split(name, table, fold, params)


@pytest.mark.parametrize("missing", ["train_repetitions", "test_repetitions"])
def test_missing_repetitions_is_a_config_error(missing, table):
    params = {k: v for k, v in PARAMS.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        split("multi_subject", table, "pooled", params)


def test_multi_subject_window_split_is_leaky(table):
    proto = PROTOCOLS.get("multi_subject_window_split")
    assert proto.leaky
    assert proto.folds(SUBJECTS, {}) == ["pooled"]
    params = {"test_fraction": 0.3, "val_fraction": 0.1}
    sp = proto.split(table, "pooled", SUBJECTS, params, 7)
    assert sp.info.get("leaky") is True
    assert_disjoint(sp)
    n = len(table)
    assert sp.train.size + sp.val.size + sp.test.size == n
    assert sp.test.size == round(0.3 * n) and sp.val.size == round(0.1 * n)
    # Overlapping windows drawn at random: test windows share samples with training ones.
    # This is why the protocol is flagged and never reported as a result.
    assert n_shared(table, sp.test, sp.train) > 0
    # same seed, same split; another seed, another split
    again = proto.split(table, "pooled", SUBJECTS, params, 7)
    np.testing.assert_array_equal(again.test, sp.test)
    other = proto.split(table, "pooled", SUBJECTS, params, 8)
    assert not np.array_equal(other.test, sp.test)


def test_every_registered_protocol_is_known():
    assert {"within_subject", "multi_subject", "multi_subject_window_split", "loso"} <= set(
        PROTOCOLS.names()
    )
    with pytest.raises(ConfigError, match="unknown protocol"):
        PROTOCOLS.get("leave_one_trial_out")


# --------------------------------------------------------------------------- leave one subject out


def test_loso_folds(table):
    proto = PROTOCOLS.get("loso")
    assert proto.folds(SUBJECTS, {}) == ["1", "2", "3", "4"]
    assert proto.subjects_needed("2", SUBJECTS, {}) == SUBJECTS
    assert not proto.leaky


@pytest.mark.parametrize(
    ("fold", "n_val", "val", "train"),
    [
        ("1", 1, [2], {3, 4}),
        ("2", 1, [3], {1, 4}),
        ("4", 1, [1], {2, 3}),  # validation subject wraps around
        ("3", 2, [4, 1], {2}),
    ],
)
def test_loso_split(table, fold, n_val, val, train):
    params = {"n_val_subjects": n_val}
    sp = split("loso", table, fold, params)
    meta = table.meta
    test_subject = int(fold)
    assert sp.test_subjects == [test_subject]
    assert sp.info["val_subjects"] == val
    assert_disjoint(sp)
    assert set(meta["subject"].iloc[sp.test]) == {test_subject}
    assert set(meta["subject"].iloc[sp.val]) == set(val)
    assert set(meta["subject"].iloc[sp.train]) == train
    # everything of the held-out subject is tested (all repetitions, rest included)
    assert sp.test.size == (meta["subject"] == test_subject).sum()
    assert sp.train.size + sp.val.size + sp.test.size == len(meta)
    assert_no_test_leak(table, sp)


def test_loso_default_is_one_validation_subject(table):
    sp = split("loso", table, "2", {})
    assert sp.info["val_subjects"] == [3]


def test_loso_with_too_few_subjects_is_a_config_error(table):
    proto = PROTOCOLS.get("loso")
    with pytest.raises(ConfigError, match="at least two"):
        proto.folds([1], {})
    # two subjects: one is tested, one validates, none is left to train
    with pytest.raises(ConfigError, match="no training subject"):
        proto.split(table, "1", [1, 2], {}, 0)
    with pytest.raises(ConfigError, match="no training subject"):
        split("loso", table, "1", {"n_val_subjects": 3})
    # two subjects and no validation subject is fine
    sp = proto.split(table, "1", [1, 2], {"n_val_subjects": 0}, 0)
    assert sp.val.size == 0


# --------------------------------------------------------------------------- standardisation


@pytest.mark.parametrize("name", ["within_subject", "multi_subject"])
def test_channel_stats_come_from_training_samples_only(name, tmp_path):
    subjects = [1, 2] if name == "multi_subject" else [2]
    fold = "pooled" if name == "multi_subject" else "2"
    plain = make_table(tmp_path / "plain", subjects=subjects)
    # the same data with every test-repetition sample 100x larger
    loud = make_table(tmp_path / "loud", subjects=subjects, scale_reps=(2, 5))
    sp = split(name, plain, fold)
    sp_loud = split(name, loud, fold)
    np.testing.assert_array_equal(sp.train, sp_loud.train)

    mean, sd = plain.subset(sp.train).channel_stats()
    assert mean.dtype == np.float32 and mean.shape == (N_CHANS,)
    exp_mean, exp_sd = direct_stats(plain, sp.train)
    np.testing.assert_allclose(mean, exp_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sd, exp_sd, rtol=1e-5)

    loud_mean, loud_sd = loud.subset(sp_loud.train).channel_stats()
    np.testing.assert_array_equal(loud_mean, mean)
    np.testing.assert_array_equal(loud_sd, sd)

    # statistics over every sample would have moved by orders of magnitude
    all_x = np.concatenate([np.asarray(sw.signal, np.float64) for sw in loud.subjects.values()])
    assert np.all(all_x.std(axis=0) > 10 * sd)
    # and the test windows' own statistics do see the scaled samples
    _, test_sd = loud.subset(sp_loud.test).channel_stats()
    assert np.all(test_sd > 50 * sd)


def test_channel_stats_count_overlapping_samples_once(tmp_path):
    sw = store_subject(tmp_path / "sub-1", 1)
    t = WindowTable([sw], CLASSES)
    rows = np.arange(len(t))
    mean, sd = t.subset(rows).channel_stats()
    exp_mean, exp_sd = direct_stats(t, rows)
    np.testing.assert_allclose(mean, exp_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(sd, exp_sd, rtol=1e-5)
    # a per-window average would weight samples by how many windows cover them
    x = t.batch(rows).astype(np.float64)
    per_window_mean = x.mean(axis=(0, 2))
    assert not np.allclose(per_window_mean, mean, rtol=1e-6, atol=1e-6)


def test_channel_stats_constant_channel_has_unit_sd():
    n = 100
    signal = np.zeros((n, 2), np.float32)
    signal[:, 1] = np.arange(n)
    sw = in_memory_subject(signal, np.ones(n, np.int16), np.ones(n, np.int16), 10, 10)
    t = WindowTable([sw], [1])
    mean, sd = t.subset(np.arange(len(t))).channel_stats()
    assert mean[0] == 0 and sd[0] == 1.0
    assert sd[1] == pytest.approx(np.arange(n).std(), rel=1e-6)


# --------------------------------------------------------------------------- properties


def in_memory_subject(signal, labels, reps, length, step, subject=1) -> SubjectWindows:
    starts = window_starts(labels, reps, [(0, labels.size)], length, step, "constant")
    return SubjectWindows(
        subject=subject,
        signal=signal,
        starts=starts,
        labels=labels[starts],
        repetition=reps[starts],
        length=length,
        fs=FS,
        channel_names=[f"ch{c}" for c in range(signal.shape[1])],
        sample_labels=labels,
        sample_repetition=reps,
    )


def brute_cover(sw: SubjectWindows, local: np.ndarray) -> np.ndarray:
    mask = np.zeros(sw.signal.shape[0], dtype=bool)
    for s in sw.starts[local]:
        mask[s : s + sw.length] = True
    return mask


# Few labels and repetitions, short runs and small steps: sequences like A B A B with
# overlapping windows, where a weaker rule (``endpoints``) does leak samples.
runs_st = st.lists(
    st.tuples(st.integers(0, 1), st.integers(0, 3), st.integers(1, 6)), min_size=1, max_size=30
)
lengths_st = st.integers(1, 8)
steps_st = st.integers(1, 3)
ROLES = ("train", "val", "test")
roles_st = st.lists(st.sampled_from([*ROLES, "none"]), min_size=4, max_size=4)
PROPS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def sequences(runs):
    labels = np.concatenate([np.full(k, lab, np.int16) for lab, _, k in runs])
    reps = np.concatenate([np.full(k, r, np.int16) for _, r, k in runs])
    return labels, reps


def params_from(roles, val_in_train: bool) -> dict:
    pick = {role: [r for r, x in enumerate(roles) if x == role] for role in ROLES}
    train = pick["train"] + (pick["val"] if val_in_train else [])
    return {
        "train_repetitions": train,
        "val_repetitions": pick["val"],
        "test_repetitions": pick["test"],
    }


@PROPS
@given(runs=runs_st, length=lengths_st, step=st.integers(1, 12))
def test_property_constant_windows_have_constant_labels(runs, length, step):
    labels, reps = sequences(runs)
    signal = np.arange(labels.size, dtype=np.float32)[:, None]
    sw = in_memory_subject(signal, labels, reps, length, step)
    for w, s in enumerate(sw.starts):
        assert np.all(labels[s : s + length] == sw.labels[w])
        assert np.all(reps[s : s + length] == sw.repetition[w])
    if sw.n_windows:
        x = sw.batch(np.arange(sw.n_windows))[:, 0, :].astype(np.int64)
        assert np.all(labels[x] == sw.labels[:, None])
        assert np.all(reps[x] == sw.repetition[:, None])


@PROPS
@given(
    runs=runs_st,
    length=lengths_st,
    step=steps_st,
    roles=roles_st,
    val_in_train=st.booleans(),
)
# repetitions 1 2 1 2, one sample each: the endpoints rule would keep windows 0..2 (train)
# and 1..3 (test), which share two samples
@example(
    runs=[(1, 1, 1), (1, 2, 1), (1, 1, 1), (1, 2, 1)],
    length=3,
    step=1,
    roles=["none", "train", "test", "none"],
    val_in_train=False,
)
@example(
    runs=[(1, 1, 2), (1, 2, 1), (1, 1, 1), (1, 2, 2)],
    length=3,
    step=1,
    roles=["none", "test", "train", "val"],
    val_in_train=True,
)
def test_property_within_subject_never_leaks(runs, length, step, roles, val_in_train):
    labels, reps = sequences(runs)
    signal = np.zeros((labels.size, 1), np.float32)
    sw = in_memory_subject(signal, labels, reps, length, step)
    t = WindowTable([sw], [0, 1, 2])
    params = params_from(roles, val_in_train)
    sp = PROTOCOLS.get("within_subject").split(t, "1", [1], params, 0)
    assert_disjoint(sp)
    local = t.meta["local"].to_numpy()
    test = brute_cover(sw, local[sp.test])
    assert not (test & brute_cover(sw, local[sp.train])).any()
    assert not (test & brute_cover(sw, local[sp.val])).any()
    # sample_mask agrees with the brute-force cover
    np.testing.assert_array_equal(sw.sample_mask(local[sp.test]), test)
    # every window lands in the split of its repetition
    rep = t.meta["repetition"].to_numpy()
    assert set(rep[sp.test]) <= set(params["test_repetitions"])
    held_out = set(params["val_repetitions"]) | set(params["test_repetitions"])
    assert not set(rep[sp.train]) & held_out


@PROPS
@given(
    runs=runs_st,
    length=lengths_st,
    step=steps_st,
    roles=roles_st,
    seed=st.integers(0, 2**16),
)
def test_property_channel_stats_use_training_samples_only(runs, length, step, roles, seed):
    labels, reps = sequences(runs)
    rng = np.random.default_rng(seed)
    signal = rng.normal(3.0, 2.0, (labels.size, 2)).astype(np.float32)
    sw = in_memory_subject(signal, labels, reps, length, step)
    t = WindowTable([sw], [0, 1, 2])
    params = params_from(roles, False)
    sp = PROTOCOLS.get("within_subject").split(t, "1", [1], params, 0)
    local = t.meta["local"].to_numpy()
    train_mask = brute_cover(sw, local[sp.train])
    mean, sd = t.subset(sp.train).channel_stats()
    if train_mask.any():
        x = signal[train_mask].astype(np.float64)
        np.testing.assert_allclose(mean, x.mean(axis=0), rtol=1e-4, atol=1e-4)
        exp_sd = x.std(axis=0)
        exp_sd[exp_sd == 0] = 1.0
        np.testing.assert_allclose(sd, exp_sd, rtol=1e-3, atol=1e-3)
    # corrupting every sample outside the training windows changes nothing
    loud = signal.copy()
    loud[~train_mask] = loud[~train_mask] * 1000.0 + 50.0
    sw_loud = in_memory_subject(loud, labels, reps, length, step)
    t_loud = WindowTable([sw_loud], [0, 1, 2])
    mean2, sd2 = t_loud.subset(sp.train).channel_stats()
    np.testing.assert_array_equal(mean2, mean)
    np.testing.assert_array_equal(sd2, sd)


@PROPS
@given(runs=runs_st, length=lengths_st, step=steps_st, roles=roles_st)
def test_property_multi_subject_never_leaks(runs, length, step, roles):
    labels, reps = sequences(runs)
    subs = []
    for s, (lab, rep) in enumerate([(labels, reps), (labels[::-1].copy(), reps[::-1].copy())], 1):
        subs.append(
            in_memory_subject(np.zeros((lab.size, 1), np.float32), lab, rep, length, step, s)
        )
    t = WindowTable(subs, [0, 1, 2])
    sp = PROTOCOLS.get("multi_subject").split(t, "pooled", [1, 2], params_from(roles, True), 0)
    assert_disjoint(sp)
    assert n_shared(t, sp.test, sp.train) == 0
    assert n_shared(t, sp.test, sp.val) == 0


def windows_of_different_repetitions_overlap(reps: np.ndarray, length: int, rule: str) -> bool:
    starts = window_starts(np.ones(reps.size), reps, [(0, reps.size)], length, 1, rule)
    r = reps[starts]
    near = np.abs(starts[:, None] - starts[None, :]) < length
    return bool((near & (r[:, None] != r[None, :])).any())


def test_exhaustive_constant_windows_of_different_repetitions_never_overlap():
    """Every sequence of repetitions 1/2 up to 9 samples, every window length, step 1.

    Repetition splits assign a window by its repetition, so this is what makes
    within_subject and multi_subject leak-free. The endpoints rule is not: A B A B leaks.
    """
    leaky_with_endpoints = 0
    for n in range(2, 10):
        for bits in range(2**n):
            reps = ((bits >> np.arange(n)) & 1).astype(np.int16) + 1
            for length in range(2, n + 1):
                assert not windows_of_different_repetitions_overlap(reps, length, "constant")
                leaky_with_endpoints += windows_of_different_repetitions_overlap(
                    reps, length, "endpoints"
                )
    assert leaky_with_endpoints > 0


def test_meta_is_a_dataframe(table):
    assert isinstance(table.meta, pd.DataFrame)
    assert len(table) == len(table.meta) == table.y.size
