"""Published versus reproduced: one verdict per published number, by statistics.

The rule (printed in the audit report and README). Every interval (``ci_low``,
``ci_high``) is of ``difference`` = reproduced - published.

* A published **mean** is compared with the reproduced mean through the uncertainty of
  both means: the difference gets a Welch confidence interval from the published sd with
  the paper's n and the reproduced sd with ours (a published sd whose n is unknown is
  taken as the standard error of the published mean: it widens the interval, never
  vanishes). ``reproduced`` when the interval lies inside +-margin, ``not-reproduced``
  when it lies outside, ``inconclusive`` when it straddles a margin (the note says how many
  subjects would decide it, by the same interval).
* A published **difference** between two results (column ``versus``) is recomputed per
  subject when both sides have the same subjects (paired: bootstrap interval of the mean
  difference, Wilcoxon signed-rank p-value), else from the two groups (Welch). Its size is
  judged on a band that scales with the published effect D: ``reproduced`` when the whole
  interval lies within a factor ``effect_ratio`` of D (D / 1.5 to 1.5 D by default);
  ``smaller-effect`` / ``larger-effect`` when the interval has D's sign but lies wholly
  below / above that band; ``not-reproduced`` when it lies on the opposite side of 0, or
  holds 0 while lying below the band (no effect found); else ``inconclusive``.
* A **bound** (column ``bound``: ``>``, ``>=``, ``<``, ``<=``) is tested one-sided against
  the bound itself, with no margin: ``reproduced`` when the one-sided confidence bound
  clears it, ``not-reproduced`` when the other one-sided bound fails it.
* Fewer subjects than ``min_n``: inconclusive. Numbers from synthetic data (the data's
  own twin marker or the config's twin source): ``synthetic``. Training times:
  ``not-comparable`` (hardware). Numbers computed under settings other than the paper's
  reference settings: ``reduced-settings``, with the differences listed; with no job
  record to tell the settings: ``unknown-settings``; neither is ever ``reproduced``.
  Nothing computed: ``not-run``.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emgrepro.errors import EmgreproError
from emgrepro.evaluation.statistics import (
    MeanDifference,
    bootstrap_interval,
    mean_difference,
    paired_difference,
    ratio_interval,
    subjects_to_decide,
    welch_p,
)

# the columns that name one published number (a row of a paper's published.csv)
NUMBER_KEYS = ["paper", "table", "row", "column", "experiment", "protocol", "model"]
AUDIT_COLUMNS = [
    *NUMBER_KEYS,
    "group",
    "condition",
    "versus",
    "metric",
    "unit",
    "bound",
    "published_mean",
    "published_sd",
    "published_n",
    "sd_over",
    "reproduced_mean",
    "reproduced_sd",
    "n",
    "difference",
    "ci_low",
    "ci_high",
    "p_value",
    "test",
    "margin",
    "data",
    "settings",
    "verdict",
    "leaky_mean",
    "consistent_with",
    "baselines",
    "note",
    "published_note",
    "source",
]
VERDICT_MEANINGS = {
    "reproduced": "the published number lies within the rule's band of ours, with confidence",
    "smaller-effect": "the effect has the published sign but is clearly smaller than published",
    "larger-effect": "the effect has the published sign but is clearly larger than published",
    "not-reproduced": "ours clearly differs: outside the band, the other sign, or no effect",
    "inconclusive": "the interval is too wide to decide (the note says what n would decide it)",
    "reduced-settings": "computed under settings other than the paper's: never reproduced",
    "unknown-settings": "no job record says under which settings it was computed",
    "synthetic": "computed on synthetic twin data: says nothing about the paper",
    "not-comparable": "a training or test time: depends on the hardware",
    "not-run": "nothing was computed for this number",
}
VERDICTS = tuple(VERDICT_MEANINGS)
SCALE = {"percent": 100.0, "ratio": 1.0, "count": 1.0, "seconds": 1.0}
# Published differences between two results are computed from this score metric.
DIFFERENCES = {
    "accuracy_gain": "accuracy",
    "accuracy_drop": "accuracy",
    "f1_macro_gain": "f1_macro",
}


@dataclass(frozen=True)
class Rule:
    """The verdict rule's settings (config key ``audit``)."""

    margin_percent: float = 5.0
    effect_ratio: float = 1.5
    confidence: float = 0.95
    min_n: int = 3
    bootstrap_resamples: int = 9999
    seed: int = 0

    def margin(self, unit: str, published: float) -> float:
        """The equivalence margin of a mean in the row's unit: points for percent, /100 for
        ratios, a share of the published value for counts."""
        if unit == "percent":
            return self.margin_percent
        if unit == "count":
            return self.margin_percent / 100.0 * abs(published)
        return self.margin_percent / 100.0

    def effect_band(self, effect: float) -> tuple[float, float]:
        """The sizes that reproduce a published difference: within ``effect_ratio`` of it."""
        lo, hi = effect / self.effect_ratio, effect * self.effect_ratio
        return (min(lo, hi), max(lo, hi))

    def describe(self) -> str:
        return (
            f"means within ±{self.margin_percent:g} percentage points (ratios ±"
            f"{self.margin_percent / 100:g}, counts ±{self.margin_percent:g} %); differences "
            f"within a factor {self.effect_ratio:g} of the published effect; bounds against "
            f"the bound itself; {100 * self.confidence:g} % confidence intervals; at least "
            f"{self.min_n} subjects"
        )


def _text(value) -> str:
    return value if isinstance(value, str) else ""


def _number(value) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        return float("nan")
    return out


# ----------------------------------------------------------------------------- matching


def _matching_scores(row: pd.Series, scores: pd.DataFrame, groups: dict) -> pd.DataFrame:
    sel = scores
    for col in ("experiment", "protocol", "model", "metric"):
        value = row.get(col)
        if not isinstance(value, str) or not value:
            return scores.iloc[0:0]
        sel = sel[sel[col] == value]
    condition = _text(row.get("condition"))
    if condition:  # conditions separated by "|", each may hold "*": their mean per subject
        conditions = sel["condition"].fillna("").astype(str)
        patterns = condition.split("|")
        keep = [any(fnmatch.fnmatchcase(c, p) for p in patterns) for c in conditions]
        sel = sel[np.asarray(keep, dtype=bool)]  # a mask even when empty (not a column list)
    if pd.notna(row.get("n_classes")) and str(row.get("n_classes")) != "":
        sel = sel[sel["n_classes"] == int(float(row["n_classes"]))]
    group = row.get("group")
    if isinstance(group, str) and group and group != "all":
        members = groups.get(row["paper"], {}).get(group)
        if members is None:
            return scores.iloc[0:0]
        sel = sel[sel["subject"].isin(members)]
    return sel


def _versus(row: pd.Series) -> pd.Series | None:
    """The other side of a published difference (column ``versus``: key=value;...)."""
    spec = _text(row.get("versus"))
    if not spec:
        return None
    other = row.copy()
    for item in spec.split(";"):
        key, _, value = item.partition("=")
        other[key.strip()] = value.strip()
    return other


def _by_subject(sel: pd.DataFrame, spread: str) -> pd.Series:
    """Mean over seeds and conditions per subject; for spreads over seeds, the mean over
    subjects per seed."""
    if spread == "seeds":
        return sel.groupby("seed")["value"].mean()
    return sel.groupby("subject")["value"].mean()


# ----------------------------------------------------------------------------- verdicts


def judge_mean(lo: float, hi: float, target: float, margin: float) -> str:
    """A published mean against the interval [lo, hi] of ours: equivalence within margin."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if target - margin <= lo and hi <= target + margin:
        return "reproduced"
    if hi < target - margin or lo > target + margin:
        return "not-reproduced"
    return "inconclusive"


def judge_bound(lo: float, hi: float, bound: str, value: float) -> str:
    """A published bound against the one-sided confidence ends [lo, hi], no margin."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if bound in (">", ">="):
        met = lo > value if bound == ">" else lo >= value
        failed = hi <= value if bound == ">" else hi < value
    elif bound in ("<", "<="):
        met = hi < value if bound == "<" else hi <= value
        failed = lo >= value if bound == "<" else lo > value
    else:
        raise ValueError(f"unknown bound {bound!r}: use >, >=, < or <=")
    return "reproduced" if met else "not-reproduced" if failed else "inconclusive"


def judge_effect(lo: float, hi: float, effect: float, band: tuple[float, float]) -> str:
    """A published difference ``effect`` against the interval [lo, hi] of ours: its sign
    and its size, the size on ``band`` (sizes that reproduce it)."""
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if effect == 0:
        return judge_mean(lo, hi, 0.0, max(abs(band[0]), abs(band[1])))
    if effect < 0:  # mirror: judge the size of a negative effect as a positive one
        lo, hi, band = -hi, -lo, (-band[1], -band[0])
    if hi < 0:
        return "not-reproduced"  # the opposite sign, with confidence
    if band[0] <= lo and hi <= band[1]:
        return "reproduced"
    if hi < band[0]:
        return "smaller-effect" if lo > 0 else "not-reproduced"  # or no effect at all
    if lo > band[1]:
        return "larger-effect"
    return "inconclusive"


# ----------------------------------------------------------------------------- one row


@dataclass
class _Judged:
    """The statistics of one published row and its verdict under the reference settings."""

    stats: dict
    verdict: str
    notes: list[str]


def _published_spread(pub: pd.Series, bound: str, notes: list[str]) -> tuple[float, float]:
    """(sd, n) of the published mean as the verdict uses them."""
    sd, n = _number(pub.get("sd")), _number(pub.get("n"))
    if bound:
        return float("nan"), float("nan")  # a bound is a claim, not an estimate
    if not np.isfinite(sd):
        notes.append("published without sd: its mean is taken as exact")
    elif not np.isfinite(n):
        notes.append(
            "published n unknown: its sd is taken as the standard error of its mean "
            "(the widest reading), which widens the interval"
        )
    return sd, n


def _decide_note(diff, center: float, thresholds: list[float], conf: float, sides: int):
    """How many subjects would decide an inconclusive mean, by the verdict's own interval."""
    gap = min(abs(center - t) for t in thresholds)
    if gap <= 0:
        return "the estimate sits on a decision threshold: no number of subjects decides it"
    n = subjects_to_decide(diff, gap, conf, sides)
    if n is None:
        return "no number of subjects decides it: the published uncertainty alone is wider"
    return f"about {n} subjects at today's sd would decide it"


def _judge_mean_row(pub: pd.Series, a: pd.Series, rule: Rule) -> _Judged:
    unit = _text(pub.get("unit")) or "percent"
    bound = _text(pub.get("bound"))
    target = _number(pub["mean"])
    notes: list[str] = []
    n = int(a.size)
    mean = float(a.mean())
    sd = float(a.std(ddof=1)) if n > 1 else float("nan")
    out = dict(reproduced_mean=mean, reproduced_sd=sd, n=n, margin=float("nan"))
    if unit == "count" and _text(pub.get("metric")).startswith("n_parameters"):
        out.update(difference=mean - target, test="exact")
        return _Judged(out, "reproduced" if mean == target else "not-reproduced", notes)
    pub_sd, pub_n = _published_spread(pub, bound, notes)
    sides = 1 if bound else 2

    def diff(n_ours: float) -> MeanDifference:
        return mean_difference(mean, sd, n_ours, target, pub_sd, pub_n)

    d = diff(n)
    lo, hi = d.interval(rule.confidence, sides)
    out.update(
        difference=d.estimate,
        ci_low=lo,
        ci_high=hi,
        test=("one-sided " if bound else "") + "Welch interval of the difference",
        p_value=welch_p(mean, sd, n, target, pub_sd, pub_n),
    )
    if bound:
        verdict = judge_bound(lo + target, hi + target, bound, target)
        thresholds = [0.0]
    else:
        margin = _number(pub.get("margin"))
        margin = margin if np.isfinite(margin) else rule.margin(unit, target)
        out["margin"] = margin
        verdict = judge_mean(lo + target, hi + target, target, margin)
        thresholds = [-margin, margin]
    if verdict == "inconclusive" and np.isfinite(d.estimate) and np.isfinite(sd) and sd > 0:
        notes.append(_decide_note(diff, d.estimate, thresholds, rule.confidence, sides))
    elif verdict == "inconclusive":
        notes.append("more subjects (the reproduced sd is not known yet)")
    return _Judged(out, verdict, notes)


def _judge_difference_row(pub: pd.Series, a: pd.Series, b: pd.Series, rule: Rule) -> _Judged:
    bound = _text(pub.get("bound"))
    target = _number(pub["mean"])
    sides = 1 if bound else 2
    conf = rule.confidence
    boot_conf = conf if sides == 2 else 2 * conf - 1  # a two-sided level with c-level ends
    notes: list[str] = []
    statistic = _text(pub.get("statistic"))
    out: dict = {"margin": float("nan")}
    if statistic in ("ratio", "excess"):
        va, vb = a.to_numpy(float), b.to_numpy(float)
        shift = 1.0 if statistic == "excess" else 0.0
        value = float(va.mean() / vb.mean()) - shift
        lo, hi = ratio_interval(va, vb, boot_conf, rule.bootstrap_resamples, rule.seed)
        lo, hi = lo - shift, hi - shift
        what = "ratio of means" + (" less one (the excess)" if shift else "")
        out.update(reproduced_mean=value, n=int(min(va.size, vb.size)), test=what)
        out.update(difference=value - target, ci_low=lo - target, ci_high=hi - target)
        if bound:
            return _Judged(out, judge_bound(lo, hi, bound, target), notes)
        margin = _number(pub.get("margin"))
        margin = margin if np.isfinite(margin) else rule.margin("ratio", target)
        out["margin"] = margin
        return _Judged(out, judge_mean(lo, hi, target, margin), notes)
    if set(a.index) == set(b.index):
        pair = paired_difference(
            a, b, confidence=boot_conf, resamples=rule.bootstrap_resamples, seed=rule.seed
        )
        lo, hi = pair["ci_low"], pair["ci_high"]
        out.update(
            reproduced_mean=pair["mean"],
            reproduced_sd=pair["sd"],
            n=pair["n"],
            p_value=pair["p_value"],
            test=pair["test"],
        )
        estimate = pair["mean"]
    else:
        va, vb = a.to_numpy(float), b.to_numpy(float)
        sa = float(va.std(ddof=1)) if va.size > 1 else float("nan")
        sb = float(vb.std(ddof=1)) if vb.size > 1 else float("nan")
        d = mean_difference(va.mean(), sa, va.size, vb.mean(), sb, vb.size)
        lo, hi = d.interval(conf, sides)
        estimate = d.estimate
        out.update(
            reproduced_mean=float(estimate),
            n=int(min(va.size, vb.size)),
            test="two groups of subjects: Welch interval",
            p_value=welch_p(va.mean(), sa, va.size, vb.mean(), sb, vb.size),
        )
        notes.append("the two sides are different subjects: unpaired")
    out.update(difference=float(estimate) - target, ci_low=lo - target, ci_high=hi - target)
    if bound:
        return _Judged(out, judge_bound(lo, hi, bound, target), notes)
    band = rule.effect_band(target)
    notes.append(f"sizes that reproduce {target:+.4g}: {band[0]:+.4g} to {band[1]:+.4g}")
    return _Judged(out, judge_effect(lo, hi, target, band), notes)


def _judge_row(pub: pd.Series, a: pd.Series, b: pd.Series | None, rule: Rule) -> _Judged:
    """Statistics and verdict of one published row from per-unit values ``a`` (and ``b``,
    the other side of a difference), all in the published unit."""
    if b is None:  # a mean ("best" has picked its condition already)
        return _judge_mean_row(pub, a, rule)
    return _judge_difference_row(pub, a, b, rule)


# ----------------------------------------------------------------------------- settings


def settings_differences(
    jobs: pd.DataFrame | None, row: pd.Series, versus: pd.Series | None
) -> list[str] | None:
    """The differences from the reference settings of the jobs behind a published row;
    None when no job record covers a side (its settings are unknown)."""
    if jobs is None or jobs.empty:
        return None
    out: list[str] = []
    for side in [row] if versus is None else [row, versus]:
        sel = jobs
        for col in ("experiment", "protocol", "model"):
            sel = sel[sel[col] == side.get(col)]
        if sel.empty or sel["differences"].isna().any():
            return None
        for text in sel["differences"]:
            for item in json.loads(text):
                if item not in out:
                    out.append(item)
    return out


# ----------------------------------------------------------------------------- the table


def audit(
    published: pd.DataFrame,
    scores: pd.DataFrame,
    *,
    rule: Rule | None = None,
    jobs: pd.DataFrame | None = None,
    groups: dict | None = None,
    tuning_subjects: dict | None = None,
    planned: list[str] | None = None,
    baselines: dict | None = None,
) -> pd.DataFrame:
    """Compare each published row with the scores the pipeline computed.

    ``scores`` is the tidy score table (timings included as score rows); ``jobs`` has one
    row per job with its ``differences`` from the reference settings (JSON lists);
    ``groups`` maps paper -> group -> subjects; ``tuning_subjects`` paper -> subjects whose
    data chose hyper-parameters (left out of the verdict); ``planned`` the papers nothing
    computes yet; ``baselines`` paper -> the models set beside its model on the same splits.
    """
    ctx = _Context(
        scores=scores.assign(is_synthetic=scores["data"].astype(str) == "synthetic"),
        rule=rule or Rule(),
        jobs=jobs,
        groups=groups or {},
        tuning_subjects=tuning_subjects or {},
        planned=planned or [],
        baselines=baselines or {},
    )
    rows = [_audit_row(pub, ctx) for _, pub in published.iterrows()]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def _tuned(sel: pd.DataFrame, tuned: dict) -> np.ndarray:
    """Rows of subjects whose data chose hyper-parameters (dataset -> subjects)."""
    pairs = {(d, str(s)) for d, subs in tuned.items() for s in subs}
    return np.array(
        [(d, str(s)) in pairs for d, s in zip(sel["dataset"], sel["subject"])], dtype=bool
    )


@dataclass
class _Context:
    """What every row of one audit shares."""

    scores: pd.DataFrame
    rule: Rule
    jobs: pd.DataFrame | None
    groups: dict
    tuning_subjects: dict
    planned: list[str]
    baselines: dict


def _values(row: pd.Series, other: pd.Series | None, ctx: _Context, spread: str, scale: float):
    """Per-unit values of a published row's result (and of the other side of a
    difference), in the published unit: ``(a, b, synthetic, notes)``, or None when
    nothing was computed."""
    notes: list[str] = []
    sel = _matching_scores(row, ctx.scores, ctx.groups)
    sel_b = _matching_scores(other, ctx.scores, ctx.groups) if other is not None else None
    if not len(sel) or (sel_b is not None and not len(sel_b)):
        return None
    tuned = ctx.tuning_subjects.get(row["paper"], {})
    if tuned:
        is_tuned = _tuned(sel, tuned)
        if is_tuned.any():
            left = sel[is_tuned]
            notes.append(
                f"subjects {sorted(set(left['subject']))} chose the hyper-parameters: left "
                f"out of the verdict (their mean {left['value'].mean() * scale:.2f})"
            )
            sel = sel[~is_tuned]
            if sel_b is not None:
                sel_b = sel_b[~_tuned(sel_b, tuned)]
        if not len(sel):
            return None
    if _text(row.get("statistic")) == "best":  # the condition with the best mean
        means = sel.groupby("condition")["value"].mean()
        best = str(means.idxmax())
        notes.append(
            f"best of {len(means)} conditions: {best} (chosen on the test scores, as the "
            "paper reports its best method)"
        )
        sel = sel[sel["condition"] == best]
    a = _by_subject(sel, spread) * scale
    b = _by_subject(sel_b, spread) * scale if sel_b is not None else None
    if b is not None and set(a.index) & set(b.index) and set(a.index) != set(b.index):
        common = a.index.intersection(b.index)
        a, b = a.loc[common], b.loc[common]
    synthetic = bool(
        sel["is_synthetic"].any() or (sel_b is not None and sel_b["is_synthetic"].any())
    )
    return a, b, synthetic, notes


def _leaky_twin(pub, row, ctx: _Context, spread: str, scale: float) -> dict:
    """The same published number against the leaky twin of the row's protocol: which of
    the two splits the published value is consistent with, under the same rule."""
    twin = _text(pub.get("leaky_twin"))
    if not twin:
        return {}
    found = _values(_with(row, protocol=twin), None, ctx, spread, scale)
    if found is None:
        return {"consistent_with": "leaky split not computed"}
    a, _, _, _ = found
    judged = _judge_row(pub, a, None, ctx.rule)
    return {"leaky_mean": judged.stats.get("reproduced_mean"), "leaky_verdict": judged.verdict}


def _with(row: pd.Series, **changes) -> pd.Series:
    out = row.copy()
    for k, v in changes.items():
        out[k] = v
    return out


def _baseline_context(row, ctx: _Context, spread: str, scale: float) -> str:
    """Where a baseline on the same splits matches or beats the paper's model."""
    out = []
    for baseline in ctx.baselines.get(row["paper"], []):
        if baseline == row["model"] or _text(row.get("versus")):
            continue
        found = _values(row, _with(row, model=baseline), ctx, spread, scale)
        if found is None:
            continue
        a, b, _, _ = found
        if set(a.index) != set(b.index) or len(a) < 2:
            continue
        d = (a - b.loc[a.index]).to_numpy(float)
        rule = ctx.rule
        lo, hi = bootstrap_interval(d, rule.confidence, rule.bootstrap_resamples, rule.seed)
        if np.isfinite(lo) and lo <= 0:  # the model is not credibly better
            verb = "beats" if hi < 0 else "matches"
            out.append(
                f"{baseline} {verb} {row['model']} on the same splits: {row['model']} - "
                f"{baseline} = {d.mean():+.2f} [{lo:+.2f}, {hi:+.2f}] (n = {d.size})"
            )
    return "; ".join(out)


def _audit_row(pub, ctx: _Context) -> dict:
    unit = _text(pub.get("unit")) or "percent"
    scale = SCALE.get(unit, 1.0)
    sd_over = _text(pub.get("sd_over")) or "unknown"
    spread = "seeds" if sd_over == "seeds" else "subjects"
    out = {c: np.nan for c in AUDIT_COLUMNS}
    out.update(
        {k: pub.get(k) for k in ("paper", "table", "row", "column", "metric", "unit")},
        **{
            k: _text(pub.get(k))
            for k in ("experiment", "protocol", "model", "group", "condition", "versus")
        },
        bound=_text(pub.get("bound")),
        published_mean=_number(pub["mean"]),
        published_sd=_number(pub.get("sd")),
        published_n=_number(pub.get("n")),
        sd_over=sd_over,
        n=0,
        data="",
        settings="",
        verdict="not-run",
        consistent_with="",
        baselines="",
        note="",
        published_note=_text(pub.get("note")),  # how the number was read (config, README)
        source=_text(pub.get("source")),
    )
    if pub["paper"] in ctx.planned:
        out["note"] = "planned: no experiment of this paper exists yet"
        return out
    row = pub.copy()
    row["metric"] = DIFFERENCES.get(row["metric"], row["metric"])
    other = _versus(row)
    found = _values(row, other, ctx, spread, scale)
    if found is None:
        return out
    a, b, synthetic, notes = found
    out["data"] = "synthetic" if synthetic else "real"
    judged = _judge_row(pub, a, b, ctx.rule)
    verdict = judged.verdict
    out.update(judged.stats)
    notes += judged.notes
    if sd_over == "unknown" and np.isfinite(out["published_sd"]):
        notes.append("what the published sd is over is unknown: compared as a spread over subjects")
    twin = _leaky_twin(pub, row, ctx, spread, scale)
    if twin:
        out["leaky_mean"] = twin.get("leaky_mean", np.nan)
        out["consistent_with"] = twin.get("consistent_with") or _consistent(
            verdict, twin["leaky_verdict"]
        )
    out["baselines"] = _baseline_context(row, ctx, spread, scale)
    differences = settings_differences(ctx.jobs, row, other)
    if differences is None:
        out["settings"] = "unknown: no job record"
    else:
        out["settings"] = "; ".join(differences) if differences else "reference"
    if synthetic:
        final = "synthetic"
    elif unit == "seconds":
        final = "not-comparable"
        notes.append("training times depend on the hardware (named in the timings table)")
    elif differences is None:
        final = "unknown-settings"
        notes.append(f"with job records of the reference settings this would read: {verdict}")
    elif differences:
        final = "reduced-settings"
        notes.append(f"under the reference settings this would read: {verdict}")
    elif int(out["n"]) < ctx.rule.min_n and out.get("test") != "exact":
        final = "inconclusive"
        notes.append(f"n = {int(out['n'])} is below the minimum of {ctx.rule.min_n}")
    else:
        final = verdict
    out["verdict"] = final
    out["note"] = "; ".join(notes)
    return out


def _consistent(trial: str, leaky: str) -> str:
    """Which split the published value is consistent with (reproduced under the rule)."""
    names = [n for n, v in (("trial split", trial), ("leaky split", leaky)) if v == "reproduced"]
    if len(names) == 2:
        return "both"
    if names:
        return names[0]
    if "inconclusive" in (trial, leaky):
        return "undecided"
    return "neither"


# ----------------------------------------------------------------------------- the rule's job


def read_published(paths) -> pd.DataFrame:
    """Every paper's published numbers, one table (rows in file order)."""
    frames = [pd.read_csv(p, keep_default_na=False, na_values=[""]) for p in paths]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def run_audit(
    *,
    scores_csv,
    provenance_json,
    published,
    out,
    timings_csv=None,
    jobs_csv=None,
) -> pd.DataFrame:
    """Read the run's tables and its configuration (from provenance), write audit.csv."""
    from pathlib import Path

    from emgrepro.evaluation.metrics import timing_scores
    from emgrepro.io import write_csv

    scores = pd.read_csv(scores_csv, keep_default_na=False, na_values=[""])
    scores["condition"] = scores["condition"].fillna("").astype(str)
    if timings_csv is not None and Path(timings_csv).exists():
        timings = pd.read_csv(timings_csv, keep_default_na=False, na_values=[""])
        scores = pd.concat([scores, timing_scores(timings)], ignore_index=True)
    if jobs_csv is None or not Path(jobs_csv).exists():
        raise EmgreproError(
            f"audit: no jobs table ({jobs_csv or 'none given'}): without it the settings of "
            "every number are unknown; give the gather step's --jobs output (results/jobs.csv)"
        )
    jobs = pd.read_csv(jobs_csv)
    config = json.loads(Path(provenance_json).read_text())["config"]
    settings = config.get("audit", {})
    rule = Rule(**{k: settings[k] for k in Rule.__dataclass_fields__ if k in settings})
    info = config.get("paper_info", {})
    table = audit(
        read_published(published),
        scores,
        rule=rule,
        jobs=jobs,
        groups={p: i.get("audit", {}).get("groups", {}) for p, i in info.items()},
        tuning_subjects={p: i.get("audit", {}).get("tuning_subjects", {}) for p, i in info.items()},
        planned=[p for p, i in info.items() if i.get("status") == "planned"],
        baselines={p: i.get("audit", {}).get("baselines", []) for p, i in info.items()},
    )
    write_csv(table, out)
    return table
