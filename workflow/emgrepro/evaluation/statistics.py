"""The statistics behind every verdict: intervals of a difference of means, of a paired
mean difference, and how many subjects would narrow an interval enough.

One module for the audit, the reports and any comparison of two results, so that every
number a reader sees was judged the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


def t_quantile(conf: float, df: float, sides: int) -> float:
    """The t quantile of a ``sides``-sided interval at level ``conf`` (inf without df)."""
    q = 1 - (1 - conf) / sides
    return float(stats.t.ppf(q, df)) if df > 0 else float("inf")


@dataclass(frozen=True)
class MeanDifference:
    """``estimate`` = a - b with its standard error and degrees of freedom."""

    estimate: float
    se: float
    df: float

    def interval(self, conf: float, sides: int) -> tuple[float, float]:
        """Two-sided (``sides`` 2) or both one-sided ends (``sides`` 1) at ``conf``."""
        if not np.isfinite(self.se) or not np.isfinite(self.df):
            return float("nan"), float("nan")
        half = t_quantile(conf, self.df, sides) * self.se
        return self.estimate - half, self.estimate + half


def _term(sd: float, n: float, n_known: bool) -> tuple[float, float]:
    """(variance of a mean, its degrees of freedom) from an sd over n units.

    With n unknown the sd is taken as the standard error of the mean itself (the widest
    reading, as if n were 1): it widens the interval and adds no degrees of freedom."""
    if not np.isfinite(sd):
        return 0.0, float("inf")
    if not n_known:
        return sd**2, float("inf")
    if n > 1:
        return sd**2 / n, n - 1
    return 0.0, float("inf")


def mean_difference(
    a_mean: float,
    a_sd: float,
    a_n: float,
    b_mean: float,
    b_sd: float = float("nan"),
    b_n: float = float("nan"),
) -> MeanDifference:
    """Welch's a_mean - b_mean: each side's sd over its n (an unknown n widens, see
    ``_term``); Welch-Satterthwaite degrees of freedom over the sides with a known n."""
    va, dfa = _term(a_sd, a_n, np.isfinite(a_n))
    vb, dfb = _term(b_sd, b_n, np.isfinite(b_n))
    se = math.sqrt(va + vb)
    terms = sum(v**2 / d for v, d in ((va, dfa), (vb, dfb)) if v > 0 and np.isfinite(d))
    if terms > 0:
        df = (va + vb) ** 2 / terms
    elif va + vb > 0:  # only sds taken as standard errors: the normal interval
        df = float("inf")
    else:  # no spread known on either side
        df = float("nan")
    return MeanDifference(a_mean - b_mean, se, df)


def bootstrap_interval(values: np.ndarray, conf: float, resamples: int, seed: int):
    """Bootstrap interval of the mean of ``values`` (BCa, else percentile)."""
    values = np.asarray(values, dtype=float)
    if values.size < 2 or np.all(values == values[0]):
        v = float(values.mean()) if values.size else float("nan")
        return (v, v) if values.size >= 2 else (float("nan"), float("nan"))
    rng = np.random.default_rng(seed)
    for method in ("BCa", "percentile"):
        res = stats.bootstrap(
            (values,),
            np.mean,
            confidence_level=conf,
            n_resamples=resamples,
            method=method,
            rng=rng,
        )
        lo, hi = res.confidence_interval
        if np.isfinite(lo) and np.isfinite(hi):
            return float(lo), float(hi)
    return float("nan"), float("nan")


def ratio_interval(a: np.ndarray, b: np.ndarray, conf: float, resamples: int, seed: int):
    """Percentile bootstrap interval of mean(a) / mean(b), two independent groups."""
    if a.size < 2 or b.size < 2:
        return float("nan"), float("nan")
    res = stats.bootstrap(
        (a, b),
        lambda x, y, axis=-1: np.mean(x, axis=axis) / np.mean(y, axis=axis),
        confidence_level=conf,
        n_resamples=resamples,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return tuple(float(v) for v in res.confidence_interval)


def wilcoxon_p(values: np.ndarray) -> float:
    """Wilcoxon signed-rank p-value of paired differences (nan when all are zero)."""
    values = np.asarray(values, dtype=float)
    if values.size < 1 or np.all(values == 0):
        return float("nan")
    return float(stats.wilcoxon(values, zero_method="wilcox").pvalue)


PAIRED_TEST = "paired by subject: bootstrap interval, Wilcoxon signed-rank p"


def paired_difference(
    a: pd.Series,
    b: pd.Series,
    *,
    confidence: float = 0.95,
    resamples: int = 9999,
    seed: int = 0,
) -> dict:
    """Mean of a - b over the units (subjects) both hold, with its bootstrap interval and
    the Wilcoxon signed-rank p-value."""
    common = a.index.intersection(b.index)
    d = (a.loc[common] - b.loc[common]).to_numpy(float)
    n = int(d.size)
    lo, hi = bootstrap_interval(d, confidence, resamples, seed)
    return {
        "mean": float(d.mean()) if n else float("nan"),
        "sd": float(d.std(ddof=1)) if n > 1 else float("nan"),
        "n": n,
        "ci_low": lo,
        "ci_high": hi,
        "p_value": wilcoxon_p(d),
        "test": PAIRED_TEST,
    }


def welch_p(a_mean, a_sd, a_n, b_mean, b_sd, b_n) -> float:
    """Two-sided Welch p-value of two means with known sds and ns (nan otherwise)."""
    if not (np.isfinite(a_sd) and np.isfinite(b_sd) and a_n > 1 and b_n > 1):
        return float("nan")
    return float(
        stats.ttest_ind_from_stats(a_mean, a_sd, int(a_n), b_mean, b_sd, int(b_n), False).pvalue
    )


def subjects_to_decide(
    difference, gap: float, conf: float, sides: int, limit: int = 100_000
) -> int | None:
    """The fewest subjects (at today's sd) whose interval is narrower than ``gap``, by the
    same interval as the verdict: ``difference(n)`` gives the MeanDifference with n
    reproduced subjects. None when no n up to ``limit`` does it."""
    lo_n, hi_n = 2, limit
    if _half_width(difference(hi_n), conf, sides) >= gap:
        return None
    while lo_n < hi_n:  # the half width falls as n grows (almost always: checked below)
        mid = (lo_n + hi_n) // 2
        if _half_width(difference(mid), conf, sides) < gap:
            hi_n = mid
        else:
            lo_n = mid + 1
    while _half_width(difference(lo_n), conf, sides) >= gap:
        lo_n += 1
    return lo_n


def _half_width(d: MeanDifference, conf: float, sides: int) -> float:
    lo, hi = d.interval(conf, sides)
    return (hi - lo) / 2 if np.isfinite(lo) and np.isfinite(hi) else float("inf")
