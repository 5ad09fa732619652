"""Self-recalibration over testing sessions in time (Zhai, Jelfs, Chan, Tin 2017,
Front. Neurosci. 11:379, DOI 10.3389/fnins.2017.00379).

Used by: zhai2017.

Per subject, the model trains on ``train_repetitions`` (repetition 1) and meets the
``session_repetitions`` (2-6) one after the other as testing sessions I-V. One job per
(subject, scenario): fold ``<subject>-<scenario>``. For each session in order the current
model predicts the session's windows and is scored (condition ``<scenario> session=<I..V>``);
then its predictions are corrected over +-``neighbours`` neighbouring windows of the
session (``rule``: ``mode``, the majority label, Eq. 1; ``median``, the argmax of the
per-class median score, Eq. 2-3), and the model is recalibrated on these corrected
pseudo-labels before the next session:

* ``none``: never updated (the unrecalibrated classifier);
* ``all_session``: on the initial training windows (their true labels) and every corrected
  session so far;
* ``last_only``: on the latest corrected session alone.

The CNN is fine-tuned from its current state for ``fine_tune_epochs`` at ``fine_tune_lr``;
the SVM is refitted. The true labels of a testing session are read once, to score it:
``predict_session``, ``correct`` and ``recalibration_set`` see a blind copy of the window
table (no labels) and the model's own outputs, never the session's labels.

A session arrives as a stream (``session_streams``): every window of the window grid whose
middle sample lies in the session's repetition, during a movement of the experiment or the
rest after it, in time order, transitions and windows of no class included; nothing is
removed by its true label. The model predicts, corrects and recalibrates over the whole
stream; a session is scored on its windows of constant label and of the experiment's
classes, as the paper's accuracy is.

Our choices: a session's windows are taken in time order (as they lie in the subject's
concatenated recording, exercise after exercise), and the +-``neighbours`` window shrinks
at the session's ends; a ``mode`` tie goes to the window's own prediction if it is among
the tied labels, else to the lowest label; a ``median`` tie to the lowest label. Pseudo-
labels are also scored against the truth after the fact (metric ``corrected_accuracy``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from emgrepro.errors import ConfigError
from emgrepro.models import RECALIBRATE
from emgrepro.protocols import register_protocol
from emgrepro.protocols.base import Protocol, Split, check_disjoint, trial_parts
from emgrepro.scoring import METRICS, metric_rows, score_rows

if TYPE_CHECKING:
    from emgrepro.preprocess.table import Subset, WindowTable

SCENARIOS = ("none", "all_session", "last_only")
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")


def _doc(text: str) -> dict:
    return {"doc": text}


@dataclass(frozen=True)
class RecalibrationParams:
    train_repetitions: list[int] = field(metadata=_doc("repetitions of the initial training"))
    session_repetitions: list[int] = field(
        metadata=_doc("repetitions that are the testing sessions, in time order (I, II, ...)")
    )
    scenarios: list[Literal["none", "all_session", "last_only"]] = field(
        default_factory=lambda: list(SCENARIOS),
        metadata=_doc("recalibration scenarios, one job each per subject"),
    )
    neighbours: int = field(
        default=10, metadata=_doc("windows on each side whose predictions correct a window")
    )
    rule: Literal["mode", "median"] = field(
        default="median",
        metadata=_doc("correction: mode of the labels, or argmax of the per-class median score"),
    )
    fine_tune_epochs: int = field(
        default=5, metadata=_doc("epochs of each recalibration (gradient-trained models)")
    )
    fine_tune_lr: float = field(
        default=0.0001, metadata=_doc("learning rate of each recalibration (gradient-trained)")
    )
    val_fraction: float = field(
        default=0.0,
        metadata=_doc("last share of every initial training trial, for early stopping (0: none)"),
    )
    subjects: list[int] = field(
        default_factory=list,
        metadata=_doc("only these subjects get jobs (empty: every subject of the run)"),
    )


# ----------------------------------------------------------------------------- correction


def correct_mode(pred: np.ndarray, neighbours: int, n_classes: int) -> np.ndarray:
    """Majority label over the +-``neighbours`` window of each prediction (Eq. 1).

    The window shrinks at the ends; a tie goes to the window's own prediction if it is
    among the tied labels, else to the lowest label.
    """
    pred = np.asarray(pred, dtype=np.int64)
    n = pred.size
    if n == 0:
        return pred.copy()
    onehot = np.zeros((n + 1, n_classes), dtype=np.int64)
    onehot[1:][np.arange(n), pred] = 1
    cum = np.cumsum(onehot, axis=0)
    lo = np.clip(np.arange(n) - neighbours, 0, n)
    hi = np.clip(np.arange(n) + neighbours + 1, 0, n)
    counts = cum[hi] - cum[lo]
    top = counts.max(axis=1, keepdims=True)
    tied = counts == top
    own = tied[np.arange(n), pred]
    return np.where(own, pred, tied.argmax(axis=1))


def correct_median(scores: np.ndarray, neighbours: int) -> np.ndarray:
    """Argmax over classes of the median class score over the +-``neighbours`` window of
    each window (Eq. 2-3); the window shrinks at the ends, ties go to the lowest label."""
    scores = np.asarray(scores, dtype=np.float64)
    n = scores.shape[0]
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        window = scores[max(i - neighbours, 0) : i + neighbours + 1]
        out[i] = int(np.argmax(np.median(window, axis=0)))
    return out


def correct(scores: np.ndarray, rule: str, neighbours: int) -> np.ndarray:
    """Pseudo-labels of a session from the model's class scores of its windows (in time
    order) alone."""
    if rule == "mode":
        return correct_mode(scores.argmax(axis=1), neighbours, scores.shape[1])
    if rule == "median":
        return correct_median(scores, neighbours)
    raise ConfigError(f"unknown correction rule '{rule}'; choose mode or median")


# ----------------------------------------------------------------------------- the loop


def predict_session(model, windows: Subset) -> np.ndarray:
    """The current model's class scores of a session's windows (a blind table's)."""
    return np.asarray(model.class_scores(windows))


def recalibration_set(scenario: str, initial: Subset, corrected: list[Subset]) -> Subset | None:
    """What the model is updated on after the latest session: the initial training windows
    (true training labels) and every corrected session (``all_session``), the latest
    corrected session (``last_only``), or nothing (``none``)."""
    if scenario == "none" or not corrected:
        return None
    parts = [initial, *corrected] if scenario == "all_session" else [corrected[-1]]
    rows = np.concatenate([p.rows for p in parts])
    labels = np.concatenate([p.y for p in parts])
    return parts[-1].table.subset(rows).with_labels(labels)


def session_rows(meta: pd.DataFrame, test: np.ndarray, repetitions: list[int]) -> list:
    """The test rows of each session, in the order given, each in time order."""
    rep = meta["repetition"].to_numpy()[test]
    start = meta["start"].to_numpy()[test]
    out = []
    for r in repetitions:
        mine = rep == r
        out.append(test[mine][np.argsort(start[mine], kind="stable")])
    return out


def run_movement(labels: np.ndarray, bounds: list[tuple[int, int]]) -> np.ndarray:
    """The movement each sample's run belongs to: its own label, or for rest the movement
    before it in its file (0 before the file's first movement)."""
    out = np.zeros(labels.size, dtype=np.int64)
    for a, b in bounds:
        lab = labels[a:b].astype(np.int64)
        pos = np.where(lab != 0, np.arange(b - a), -1)
        np.maximum.accumulate(pos, out=pos)
        out[a:b] = np.where(pos >= 0, lab[np.maximum(pos, 0)], 0)
    return out


def session_streams(table: WindowTable, subject: int, repetitions: list[int]):
    """Each testing session as it would arrive: every window of the grid whose middle
    sample lies in the session's repetition, during a movement of the experiment's classes
    or the rest after one, in time order: transitions, rest and windows of no class
    included, none removed by its label. Returns the table that holds them and the stream
    rows of each session."""
    sw = table.subjects[subject]
    grid = sw.grid()
    middle = grid + sw.length // 2
    rep = sw.sample_repetition[middle]
    movement = run_movement(sw.sample_labels, sw.segment_bounds())[middle]
    performed = np.isin(movement, [c for c in table.classes if c != 0])
    starts = [grid[performed & (rep == r)] for r in repetitions]
    out, rows = table.with_windows(subject, np.concatenate(starts))
    return out, np.split(rows, np.cumsum([s.size for s in starts])[:-1])


def run_sessions(model, table: WindowTable, train: np.ndarray, sessions: list, p, scenario: str):
    """Predict, correct and recalibrate session by session, in order, over each session's
    stream of windows (``session_streams``).

    Returns per session (stream rows, class scores, pseudo-labels) and the seconds of each
    recalibration. Only the blind table's windows and the training windows' labels reach
    the model; the sessions' true labels are not read here.
    """
    blind = table.blind()
    initial = blind.subset(train).with_labels(table.y[train])
    corrected: list[Subset] = []
    out, seconds = [], []
    for k, rows in enumerate(sessions):
        windows = blind.subset(rows)
        scores = predict_session(model, windows)
        pseudo = correct(scores, p.rule, p.neighbours)
        out.append((rows, scores, pseudo))
        if scenario == "none" or k == len(sessions) - 1:
            continue
        corrected.append(windows.with_labels(pseudo))
        data = recalibration_set(scenario, initial, corrected)
        t0 = time.perf_counter()
        model.recalibrate(data, epochs=p.fine_tune_epochs, lr=p.fine_tune_lr)
        seconds.append(time.perf_counter() - t0)
        history = getattr(model, "history", None)
        if history is not None:
            history.append(
                {
                    "stage": "recalibrate",
                    "epoch": k + 1,
                    "seconds": seconds[-1],
                    "n_train": len(data),
                }
            )
    return out, seconds


@register_protocol("recalibration")
class Recalibration(Protocol):
    name = "recalibration"
    Params = RecalibrationParams
    requires = frozenset({RECALIBRATE})

    def check(self, p: RecalibrationParams, where: str) -> None:
        check_disjoint(where, p.session_repetitions, train_repetitions=p.train_repetitions)
        if not p.train_repetitions or not p.session_repetitions:
            raise ConfigError(f"{where}: needs train_repetitions and session_repetitions")
        if len(set(p.session_repetitions)) != len(p.session_repetitions):
            raise ConfigError(f"{where}/session_repetitions: a repetition is listed twice")
        if len(p.session_repetitions) > len(ROMAN):
            raise ConfigError(f"{where}/session_repetitions: at most {len(ROMAN)} sessions")
        if not p.scenarios or len(set(p.scenarios)) != len(p.scenarios):
            raise ConfigError(f"{where}/scenarios: one or more distinct scenarios of {SCENARIOS}")
        if p.neighbours < 0:
            raise ConfigError(f"{where}/neighbours: 0 or more, not {p.neighbours}")
        if p.fine_tune_epochs < 1:
            raise ConfigError(f"{where}/fine_tune_epochs: 1 or more, not {p.fine_tune_epochs}")
        if p.fine_tune_lr <= 0:
            raise ConfigError(f"{where}/fine_tune_lr: positive, not {p.fine_tune_lr}")
        if not 0.0 <= p.val_fraction < 1.0:
            raise ConfigError(f"{where}/val_fraction: a share in [0, 1), got {p.val_fraction}")
        if any(s < 1 for s in p.subjects):
            raise ConfigError(f"{where}/subjects: subject ids are positive, got {p.subjects}")

    def folds(self, subjects: list[int], params) -> list[str]:
        p = self.params(params)
        chosen = [s for s in subjects if not p.subjects or s in p.subjects]
        return [f"{s}-{scenario}" for s in chosen for scenario in p.scenarios]

    @staticmethod
    def _fold(fold: str) -> tuple[int, str]:
        subject, _, scenario = fold.partition("-")
        if scenario not in SCENARIOS:
            raise ConfigError(f"recalibration fold '{fold}': no scenario of {SCENARIOS}")
        return int(subject), scenario

    def subjects_needed(self, fold: str, subjects: list[int], params) -> list[int]:
        return [self._fold(fold)[0]]

    def settings(self, fold: str, params) -> dict:
        return {"scenario": self._fold(fold)[1]}

    def split_rows(
        self, meta: pd.DataFrame, fold: str, subjects, params, seed: int, n_base=None
    ) -> Split:
        p = self.params(params)
        subject, scenario = self._fold(fold)
        mine = meta[meta["subject"] == subject]
        rep = mine["repetition"].to_numpy()
        idx = mine.index.to_numpy()
        in_train = np.isin(rep, p.train_repetitions)
        early, late = trial_parts(mine, p.val_fraction)
        return Split(
            train=idx[in_train & early],
            val=idx[in_train & late],
            test=idx[np.isin(rep, p.session_repetitions)],
            test_subjects=[subject],
            info={"condition": scenario, "scenario": scenario},
        )

    def score(self, model, split: Split, params, ids: dict):
        """Score every session with the model as it stood then (see ``run_sessions``): on
        the session's scored windows (label constant, of the experiment's classes), with
        the predictions and corrections of its whole stream."""
        p = self.params(params)
        scenario = split.info["scenario"]
        subject = split.test_subjects[0]
        scored = session_rows(split.table.meta, split.test, p.session_repetitions)
        if any(rows.size == 0 for rows in scored):
            empty = [r for r, rows in zip(p.session_repetitions, scored) if rows.size == 0]
            raise ConfigError(f"{ids['fold']}: no test window in session repetition(s) {empty}")
        table, streams = session_streams(split.table, subject, p.session_repetitions)
        results, seconds = run_sessions(model, table, split.train, streams, p, scenario)
        frames = []
        arrays = {k: [] for k in ("y_true", "y_pred", "y_corrected", "session", "rows")}
        for k, ((stream, scores, pseudo), mine) in enumerate(zip(results, scored)):
            at = np.isin(stream, mine)  # the scored windows within the stream, in time order
            rows = stream[at]
            truth = table.y[rows]  # the session's true labels: read here, to score it only
            subject_ids = table.meta["subject"].to_numpy()[rows]
            y_pred = scores[at].argmax(axis=1)
            cond = {**ids, "condition": f"{scenario} session={ROMAN[k]}"}
            frames.append(score_rows(truth, y_pred, subject_ids, cond))
            frames.append(
                metric_rows(
                    "corrected_accuracy", METRICS["accuracy"], truth, pseudo[at], subject_ids, cond
                )
            )
            for key, value in (
                ("y_true", truth),
                ("y_pred", y_pred),
                ("y_corrected", pseudo[at]),
                ("session", np.full(rows.size, k + 1)),
                ("rows", rows),
            ):
                arrays[key].append(value)
        out = {k: np.concatenate(v) for k, v in arrays.items()}
        test = out.pop("rows")
        out.update(
            subject=table.meta["subject"].to_numpy()[test],
            classes=np.asarray(table.classes),
            window=table.meta["local"].to_numpy()[test],
            label_window=table.meta["label_local"].to_numpy()[test],
            stream_windows=np.asarray([rows.size for rows, _, _ in results], dtype=np.int64),
            recalibration_seconds=np.asarray(seconds, dtype=np.float64),
        )
        return pd.concat(frames, ignore_index=True), out
