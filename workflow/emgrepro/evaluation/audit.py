"""Published versus reproduced: one verdict per published number, by statistics.

The rule (printed in the audit report and README):

Every interval (``ci_low``, ``ci_high``) is of ``difference`` = reproduced - published.

* A published mean is compared with the reproduced mean through the uncertainty of both
  means: the difference (reproduced - published) gets a Welch confidence interval from the
  published sd with the paper's n and the reproduced sd with ours. ``reproduced`` when the
  interval lies inside +-margin, ``not-reproduced`` when it lies outside, ``inconclusive``
  when it straddles a margin (the note says what n would decide it).
* A published difference between two results (column ``versus``) is recomputed per subject
  when both sides have the same subjects (paired: bootstrap interval of the mean difference,
  Wilcoxon signed-rank p-value), else from the two groups (Welch). The sign must match: an
  interval that includes 0 never reproduces a non-zero difference.
* A bound (column ``bound``: ``>``, ``>=``, ``<``, ``<=``) is tested one-sided: reproduced
  when the one-sided confidence bound clears the published bound less the margin.
* Fewer subjects than ``min_n``: inconclusive. Numbers from synthetic data: ``synthetic``.
  Training times: ``not-comparable`` (hardware). Numbers computed under settings other than
  the paper's reference settings: ``reduced-settings``, with the differences listed, never
  ``reproduced``. Nothing computed: ``not-run``.
"""

from __future__ import annotations

import fnmatch
import json
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

AUDIT_COLUMNS = [
    "paper",
    "table",
    "row",
    "column",
    "experiment",
    "protocol",
    "model",
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
]
VERDICTS = (
    "reproduced",
    "not-reproduced",
    "inconclusive",
    "reduced-settings",
    "synthetic",
    "not-comparable",
    "not-run",
)
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
    confidence: float = 0.95
    min_n: int = 3
    bootstrap_resamples: int = 9999
    seed: int = 0

    def margin(self, unit: str, published: float) -> float:
        """The margin in the row's unit: points for percent, /100 for ratios, a share of
        the published value for counts."""
        if unit == "percent":
            return self.margin_percent
        if unit == "count":
            return self.margin_percent / 100.0 * abs(published)
        return self.margin_percent / 100.0

    def describe(self) -> str:
        return (
            f"margin ±{self.margin_percent:g} percentage points (ratios ±"
            f"{self.margin_percent / 100:g}, counts ±{self.margin_percent:g} %), "
            f"{100 * self.confidence:g} % confidence intervals, at least {self.min_n} subjects"
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
        sel = sel[[any(fnmatch.fnmatchcase(c, p) for p in patterns) for c in conditions]]
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


# ----------------------------------------------------------------------------- statistics


def _t(conf: float, df: float, sides: int) -> float:
    q = 1 - (1 - conf) / sides
    return float(stats.t.ppf(q, df)) if df > 0 else float("inf")


def _welch(a_mean, a_sd, a_n, b_mean, b_sd, b_n):
    """(difference, standard error, degrees of freedom) of a_mean - b_mean."""
    va = a_sd**2 / a_n if a_n > 1 and np.isfinite(a_sd) else 0.0
    vb = b_sd**2 / b_n if b_n > 1 and np.isfinite(b_sd) else 0.0
    se = math.sqrt(va + vb)
    terms = (va**2 / (a_n - 1) if a_n > 1 else 0.0) + (vb**2 / (b_n - 1) if b_n > 1 else 0.0)
    df = (va + vb) ** 2 / terms if terms > 0 else float("nan")
    return a_mean - b_mean, se, df


def _interval(estimate: float, se: float, df: float, conf: float, sides: int):
    if not np.isfinite(se) or not np.isfinite(df):
        return float("nan"), float("nan")
    half = _t(conf, df, sides) * se
    return estimate - half, estimate + half


def _bootstrap(values: np.ndarray, rule: Rule, conf: float) -> tuple[float, float]:
    if values.size < 2 or np.all(values == values[0]):
        v = float(values.mean()) if values.size else float("nan")
        return (v, v) if values.size >= 2 else (float("nan"), float("nan"))
    rng = np.random.default_rng(rule.seed)
    for method in ("BCa", "percentile"):
        res = stats.bootstrap(
            (values,),
            np.mean,
            confidence_level=conf,
            n_resamples=rule.bootstrap_resamples,
            method=method,
            rng=rng,
        )
        lo, hi = res.confidence_interval
        if np.isfinite(lo) and np.isfinite(hi):
            return float(lo), float(hi)
    return float("nan"), float("nan")


def _wilcoxon(values: np.ndarray) -> float:
    if values.size < 1 or np.all(values == 0):
        return float("nan")
    return float(stats.wilcoxon(values, zero_method="wilcox").pvalue)


def _n_to_decide(sd: float, b_var: float, gap: float, conf: float, sides: int) -> str:
    """How many subjects would make the interval narrower than ``gap``, at today's sd."""
    if not np.isfinite(sd) or sd <= 0:
        return "more subjects (the reproduced sd is not known yet)"
    for n in range(2, 100_001):
        if _t(conf, n - 1, sides) * math.sqrt(sd**2 / n + b_var) < gap:
            return f"about {n} subjects at today's sd would decide it"
    return "no number of subjects decides it: the published uncertainty alone is wider"


def _judge(lo: float, hi: float, target: float, margin: float, bound: str, sign: float = 0.0):
    """Verdict of an interval [lo, hi] for a published value ``target``.

    ``bound`` empty: equivalence (inside target +- margin). ``>``/``>=``: the lower end
    must clear target - margin; ``<``/``<=``: the upper end target + margin. ``sign`` +1/-1
    for differences: the interval must also exclude 0 on that side.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "inconclusive"
    if sign and (hi < 0 < sign or lo > 0 > sign):
        return "not-reproduced"  # the opposite sign, with confidence
    sign_ok = not sign or (lo > 0 if sign > 0 else hi < 0)
    if bound in (">", ">="):
        if lo >= target - margin and sign_ok:
            return "reproduced"
        return "not-reproduced" if hi < target - margin else "inconclusive"
    if bound in ("<", "<="):
        if hi <= target + margin and sign_ok:
            return "reproduced"
        return "not-reproduced" if lo > target + margin else "inconclusive"
    if target - margin <= lo and hi <= target + margin and sign_ok:
        return "reproduced"
    if hi < target - margin or lo > target + margin:
        return "not-reproduced"
    return "inconclusive"


def paired_difference(
    a: pd.Series, b: pd.Series, rule: Rule | None = None, confidence: float | None = None
) -> dict:
    """Mean of a - b over the units (subjects) both hold, with the audit's bootstrap
    interval of that mean and the Wilcoxon signed-rank p-value: how every published
    difference is judged, for reports that compare results no number was published for."""
    rule = rule or Rule()
    common = a.index.intersection(b.index)
    d = (a.loc[common] - b.loc[common]).to_numpy(float)
    n = int(d.size)
    lo, hi = _bootstrap(d, rule, rule.confidence if confidence is None else confidence)
    return {
        "mean": float(d.mean()) if n else float("nan"),
        "sd": float(d.std(ddof=1)) if n > 1 else float("nan"),
        "n": n,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": _wilcoxon(d),
        "test": "paired by subject: bootstrap interval, Wilcoxon signed-rank p",
    }


# ----------------------------------------------------------------------------- one row


def _judge_row(pub: pd.Series, a: pd.Series, b: pd.Series | None, rule: Rule, spread: str):
    """Statistics and verdict of one published row from per-unit values ``a`` (and ``b``,
    the other side of a difference), all in the published unit."""
    unit = _text(pub.get("unit")) or "percent"
    bound = _text(pub.get("bound"))
    target = _number(pub["mean"])
    margin = _number(pub.get("margin")) if _text(str(pub.get("margin", ""))) else float("nan")
    if not np.isfinite(margin):
        margin = rule.margin(unit, target)
    sides = 1 if bound else 2
    conf = rule.confidence
    boot_conf = conf if sides == 2 else 2 * conf - 1  # a two-sided level with a c-level end
    out: dict = {"margin": margin}
    notes: list[str] = []
    statistic = _text(pub.get("statistic"))
    if b is None:  # a mean ("best" has picked its condition already)
        n = int(a.size)
        mean = float(a.mean())
        sd = float(a.std(ddof=1)) if n > 1 else float("nan")
        out.update(reproduced_mean=mean, reproduced_sd=sd, n=n)
        pub_sd, pub_n = _number(pub.get("sd")), _number(pub.get("n"))
        if unit == "count" and _text(pub.get("metric")).startswith("n_parameters"):
            out.update(difference=mean - target, test="exact")
            return out, ("reproduced" if mean == target else "not-reproduced"), notes
        if bound:
            pub_sd = float("nan")  # a bound is a claim, not an estimate
        elif not np.isfinite(pub_sd):
            notes.append("published without sd: its mean is taken as exact")
        elif not np.isfinite(pub_n):
            pub_n = 1
            notes.append("published n unknown: its sd is taken as the standard error")
        d, se, df = _welch(mean, sd, n, target, pub_sd, pub_n)
        lo, hi = _interval(d, se, df, conf, sides)
        out.update(
            difference=d,
            ci_low=lo,
            ci_high=hi,
            test=("one-sided " if bound else "") + "Welch interval of the difference",
        )
        if np.isfinite(pub_sd) and pub_n > 1 and n > 1:
            out["p_value"] = float(
                stats.ttest_ind_from_stats(mean, sd, n, target, pub_sd, int(pub_n), False).pvalue
            )
        verdict = _judge(lo + target, hi + target, target, margin, bound)
        if verdict == "inconclusive" and np.isfinite(d):
            gap = margin - abs(d) if abs(d) < margin else abs(d) - margin
            b_var = pub_sd**2 / pub_n if np.isfinite(pub_sd) and pub_n > 0 else 0.0
            notes.append(_n_to_decide(sd, b_var, max(gap, 1e-12), conf, sides))
        return out, verdict, notes
    paired = set(a.index) == set(b.index)
    if statistic == "ratio":
        va, vb = a.to_numpy(float), b.to_numpy(float)
        value = float(va.mean() / vb.mean())
        out.update(reproduced_mean=value, n=int(min(va.size, vb.size)), test="ratio of means")
        if va.size > 1 and vb.size > 1:
            res = stats.bootstrap(
                (va, vb),
                lambda x, y, axis=-1: np.mean(x, axis=axis) / np.mean(y, axis=axis),
                confidence_level=boot_conf,
                n_resamples=rule.bootstrap_resamples,
                method="percentile",
                rng=np.random.default_rng(rule.seed),
            )
            lo, hi = (float(v) for v in res.confidence_interval)
        else:
            lo = hi = float("nan")
        out.update(difference=value - target, ci_low=lo - target, ci_high=hi - target)
        return out, _judge(lo, hi, target, margin, bound), notes
    if paired:
        pair = paired_difference(a, b, rule, boot_conf)
        lo, hi = pair["ci_low"], pair["ci_high"]
        out.update(
            reproduced_mean=pair["mean"],
            reproduced_sd=pair["sd"],
            n=pair["n"],
            difference=pair["mean"] - target,
            ci_low=lo - target,
            ci_high=hi - target,
            p_value=pair["p_value"],
            test=pair["test"],
        )
    else:
        va, vb = a.to_numpy(float), b.to_numpy(float)
        sa = float(va.std(ddof=1)) if va.size > 1 else float("nan")
        sb = float(vb.std(ddof=1)) if vb.size > 1 else float("nan")
        mean, se, df = _welch(va.mean(), sa, va.size, vb.mean(), sb, vb.size)
        lo, hi = _interval(mean, se, df, conf, sides)
        n = int(min(va.size, vb.size))
        out.update(
            reproduced_mean=float(mean),
            n=n,
            difference=float(mean) - target,
            ci_low=lo - target,
            ci_high=hi - target,
            test="two groups of subjects: Welch interval",
        )
        if va.size > 1 and vb.size > 1:
            out["p_value"] = float(stats.ttest_ind(va, vb, equal_var=False).pvalue)
        notes.append("the two sides are different subjects: unpaired")
    sign = float(np.sign(target)) if target != 0 else 0.0
    return out, _judge(lo, hi, target, margin, bound, sign), notes


# ----------------------------------------------------------------------------- settings


def settings_differences(jobs: pd.DataFrame, row: pd.Series, versus: pd.Series | None) -> list:
    """The differences from the reference settings of the jobs behind a published row."""
    if jobs is None or jobs.empty:
        return []
    out: list[str] = []
    for side in [row] if versus is None else [row, versus]:
        sel = jobs
        for col in ("experiment", "protocol", "model"):
            sel = sel[sel[col] == side.get(col)]
        for text in sel["differences"].dropna():
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
    stats_out, verdict, _ = _judge_row(pub, a, None, ctx.rule, spread)
    return {"leaky_mean": stats_out.get("reproduced_mean"), "leaky_verdict": verdict}


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
        lo, hi = _bootstrap(d, ctx.rule, ctx.rule.confidence)
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
    stats_out, verdict, more = _judge_row(pub, a, b, ctx.rule, spread)
    out.update(stats_out)
    notes += more
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
    out["settings"] = "; ".join(differences) if differences else "reference"
    if synthetic:
        final = "synthetic"
    elif unit == "seconds":
        final = "not-comparable"
        notes.append("training times depend on the hardware (named in the timings table)")
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
    jobs = pd.read_csv(jobs_csv) if jobs_csv is not None and Path(jobs_csv).exists() else None
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
