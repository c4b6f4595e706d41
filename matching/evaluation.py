"""Is a new scorer better than the active one? A paired bootstrap on the same time-ordered held-out rows.

Both models score the same latest decisions; resampling those rows (with replacement, the same rows
for both models in each resample) gives the distribution of the difference in a metric. The new model
is activated only when it is better at the asked confidence: the one-sided lower percentile of the
improvement is above zero (for 95%, at most 5% of the resamples show no improvement or a loss).
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass

import numpy as np
from scipy.stats import rankdata

# Metrics the comparison knows, and whether larger is better.
HIGHER_IS_BETTER = {"roc_auc": True, "log_loss": False, "brier": False}
EPS = 1e-6


@dataclass(frozen=True)
class Comparison:
    """New minus old in a metric's better direction (positive = the new model is better)."""

    metric: str
    observed: float        # improvement on the held-out rows themselves
    lower: float           # one-sided lower bound of the improvement at `confidence`
    upper: float           # the matching upper percentile, for the record
    share_better: float    # share of resamples in which the new model is better
    confidence: float
    n: int
    n_resamples: int       # resamples in which the metric was defined (AUC needs both classes)
    seed: int
    better: bool

    def as_dict(self) -> dict:
        return {k: (round(v, 6) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def _auc_rows(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    """ROC AUC of each row of resampled labels y[B, n] and scores p[B, n] (NaN where one class is missing).
    Mann–Whitney: tied scores count one half, as `sklearn.metrics.roc_auc_score` does."""
    ranks = rankdata(p, axis=1)
    pos = y.sum(axis=1)
    neg = y.shape[1] - pos
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = ((ranks * y).sum(axis=1) - pos * (pos + 1) / 2.0) / (pos * neg)
    return np.where((pos > 0) & (neg > 0), auc, np.nan)


def _loss_rows(metric: str, y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, EPS, 1 - EPS)
    if metric == "log_loss":
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return (p - y) ** 2


def paired_bootstrap(y, p_old, p_new, metric: str = "roc_auc", *, n_resamples: int = 1000, seed: int = 0,
                     confidence: float = 0.95, min_resamples: int = 100) -> Comparison:
    """Compare two models' probabilities on the same rows by a paired bootstrap with a fixed seed.

    `better` is True only if the improvement's lower one-sided percentile at `confidence` is above zero
    (and enough resamples had the metric defined). Rows are resampled, not re-ordered: pass the
    time-ordered held-out rows, never rows the new model was trained on.
    """
    if metric not in HIGHER_IS_BETTER:
        raise ValueError(f"unknown metric {metric!r}; one of {sorted(HIGHER_IS_BETTER)}")
    if not 0.5 < confidence < 1:
        raise ValueError("confidence must be between 0.5 and 1")
    y = np.asarray(y, float).reshape(-1)
    p_old = np.asarray(p_old, float).reshape(-1)
    p_new = np.asarray(p_new, float).reshape(-1)
    if not (y.shape == p_old.shape == p_new.shape):
        raise ValueError("y, p_old and p_new must have the same length")
    n = int(y.size)
    nan = float("nan")
    if n == 0:
        return Comparison(metric, nan, nan, nan, 0.0, confidence, 0, 0, seed, False)
    sign = 1.0 if HIGHER_IS_BETTER[metric] else -1.0
    rng = np.random.default_rng(seed)
    if metric == "roc_auc":
        def gain(index: np.ndarray) -> np.ndarray:
            return sign * (_auc_rows(y[index], p_new[index]) - _auc_rows(y[index], p_old[index]))
    else:
        # Per-row losses make each resample's mean a gather: no model is scored again.
        diff = _loss_rows(metric, y, p_new) - _loss_rows(metric, y, p_old)

        def gain(index: np.ndarray) -> np.ndarray:
            return sign * diff[index].mean(axis=1)
    observed = float(gain(np.arange(n)[None, :])[0])
    # Resamples in blocks, so memory stays bounded for large held-out sets.
    block = max(1, min(n_resamples, 2_000_000 // n))
    gains = np.concatenate([gain(rng.integers(0, n, size=(min(block, n_resamples - start), n)))
                            for start in range(0, n_resamples, block)]) if n_resamples > 0 else np.zeros(0)
    gains = gains[np.isfinite(gains)]
    if gains.size < min_resamples or not np.isfinite(observed):
        return Comparison(metric, float(observed), nan, nan, 0.0, confidence, n, int(gains.size), seed, False)
    lower, upper = np.quantile(gains, [1.0 - confidence, confidence])
    return Comparison(metric, float(observed), float(lower), float(upper), float((gains > 0).mean()), confidence, n,
                      int(gains.size), seed, bool(lower > 0))


def library_versions() -> dict[str, str]:
    """The versions a model was trained with (stored with it: a model may not load under others)."""
    import numpy
    import scipy
    import sklearn
    import skops

    return {"python": platform.python_version(), "numpy": numpy.__version__, "scipy": scipy.__version__,
            "sklearn": sklearn.__version__, "skops": skops.__version__}


__all__ = ("Comparison", "paired_bootstrap", "library_versions", "HIGHER_IS_BETTER")
