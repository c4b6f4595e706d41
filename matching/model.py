"""Scorers of pair features: a transparent prior and a logistic regression, both explainable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from matching.evaluation import Comparison, paired_bootstrap
from matching.features import FEATURE_LABELS_EN, FEATURE_LABELS_ZH, FEATURE_NAMES

# Hand-set prior: weight per standardized unit, with a centre and scale a staff member can read.
# Set by reasoning, not fitted: about 0.3 log-odds per km and a doubling of the odds for a declared kind;
# reliability and load weigh little, because with few sign-ups they say little (issue 11).
PRIOR = {
    #  name                      weight  centre  scale
    "skill_coverage":          (0.3, 0.5, 0.5),
    "distance_km":             (-0.9, 3.0, 3.0),
    "same_grid":               (0.15, 0.0, 1.0),
    "same_community":          (0.15, 0.0, 1.0),
    "availability_share":      (0.3, 0.75, 0.25),
    "reliability":             (0.3, 0.8, 0.15),
    "recent_load":             (-0.1, 2.0, 3.0),
    "org_history":             (0.1, 1.0, 2.0),
    "category_history":        (0.3, 1.0, 2.0),
    "urgency":                 (0.1, 0.5, 0.3),
    "days_until_needed":       (0.0, 7.0, 7.0),
    "declared_kind":           (0.35, 0.5, 0.5),
    "distance_over_declared":  (-0.4, 0.6, 0.4),
    "acceptance_rate":         (0.3, 0.35, 0.15),
    "kind_acceptance":         (0.4, 0.35, 0.15),
    "time_acceptance":         (0.2, 0.35, 0.15),
    "distance_acceptance":     (0.2, 0.35, 0.15),
    "distance_over_travelled": (-0.3, 1.0, 1.0),
    "invitations_seen":        (0.0, 1.0, 1.0),
}
PRIOR_WEIGHTS = np.array([PRIOR[f][0] for f in FEATURE_NAMES])
PRIOR_CENTER = np.array([PRIOR[f][1] for f in FEATURE_NAMES])
PRIOR_SCALE = np.array([PRIOR[f][2] for f in FEATURE_NAMES])


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -500, 500)))


class _Explainable:
    """decision_function = intercept + explain(X).sum(axis=1): every score splits into features."""

    def explanations(self, X, *, names=FEATURE_NAMES, top: int = 3) -> list["Explanation"]:
        """One Explanation per row: the features that raised and lowered its score, in words."""
        contrib = self.explain(X)
        scores = self.predict_proba(X)[:, 1]
        return [explanation_from(contrib[i], float(scores[i]), names=names, top=top) for i in range(len(scores))]


class PriorScorer(_Explainable, BaseEstimator):
    """The transparent prior used before enough staff decisions exist.

    score = sigmoid(intercept + Σ weight_f · (x_f − centre_f) / scale_f). With weights/center/scale
    None it uses the hand-set PRIOR for the FEATURE_NAMES columns; on data with another number of
    columns (only in generic tests) every feature weighs +1 around the data's mean and spread.
    `fit` learns nothing from y: it only checks the data and fixes the parameters.
    """

    def __init__(self, weights=None, center=None, scale=None, intercept=0.0):
        self.weights = weights
        self.center = center
        self.scale = scale
        self.intercept = intercept

    def fit(self, X, y=None):
        X = validate_data(self, X, reset=True, dtype=np.float64)
        n = X.shape[1]
        standard = n == len(FEATURE_NAMES)

        def pick(value, default, fallback):
            if value is not None:
                arr = np.asarray(value, dtype=float).reshape(-1)
                if arr.shape[0] != n:
                    raise ValueError(f"expected {n} values, got {arr.shape[0]}")
                return arr.copy()
            return default.copy() if standard else fallback

        self.coef_ = pick(self.weights, PRIOR_WEIGHTS, np.ones(n))
        self.center_ = pick(self.center, PRIOR_CENTER, X.mean(axis=0))
        spread = X.std(axis=0)
        self.scale_ = pick(self.scale, PRIOR_SCALE, np.where(spread > 0, spread, 1.0))
        self.scale_ = np.where(self.scale_ > 0, self.scale_, 1.0)
        self.intercept_ = float(self.intercept)
        return self

    def explain(self, X) -> np.ndarray:
        """float[n, F]: weight × standardized value, the share of each feature in decision_function."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.coef_ * (X - self.center_) / self.scale_

    def decision_function(self, X) -> np.ndarray:
        """intercept + explain(X).sum(axis=1), as one matrix-vector product (a city's batch scores millions)."""
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        w = self.coef_ / self.scale_
        return X @ w + (self.intercept_ - float(self.center_ @ w))

    def predict_proba(self, X) -> np.ndarray:
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])


class LogisticScorer(_Explainable, ClassifierMixin, BaseEstimator):
    """StandardScaler + LogisticRegression predicting approved-and-attended from pair features."""

    def __init__(self, C=1.0, max_iter=1000, class_weight=None):
        self.C = C
        self.max_iter = max_iter
        self.class_weight = class_weight

    def fit(self, X, y):
        X, y = validate_data(self, X, y, reset=True, dtype=np.float64)
        check_classification_targets(y)
        self.scaler_ = StandardScaler().fit(X)
        self.lr_ = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight=self.class_weight)
        self.lr_.fit(self.scaler_.transform(X), y)
        self.classes_ = self.lr_.classes_
        self.coef_ = self.lr_.coef_
        self.intercept_ = self.lr_.intercept_
        self.n_iter_ = self.lr_.n_iter_
        return self

    def _z(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        return self.scaler_.transform(X)

    def explain(self, X) -> np.ndarray:
        """float[n, F]: coefficient × standardized value (binary models: towards the positive class)."""
        if len(self.classes_) != 2:
            raise ValueError("explanations need a model of two classes")
        return self.coef_[0] * self._z(X)

    def decision_function(self, X) -> np.ndarray:
        """The regression's log-odds, with the scaling folded into the weights (one matrix-vector product)."""
        check_is_fitted(self)
        if len(self.classes_) != 2:
            return self.lr_.decision_function(self._z(X))
        X = validate_data(self, X, reset=False, dtype=np.float64)
        scale = np.where(self.scaler_.scale_ > 0, self.scaler_.scale_, 1.0)
        w = self.coef_[0] / scale
        return X @ w + (self.intercept_[0] - float(self.scaler_.mean_ @ w))

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        if len(self.classes_) != 2:
            return self.lr_.predict_proba(self._z(X))
        p = _sigmoid(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X) -> np.ndarray:
        z = self._z(X)
        return self.lr_.predict(z)


def _one_thread():
    """OpenMP limited to one thread: the machine is shared, and spinning threads under load cost far more."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="openmp")


class BoostedScorer(_Explainable, ClassifierMixin, BaseEstimator):
    """A HistGradientBoostingClassifier sized for small decision logs, calibrated with Platt scaling.

    Early stopping is off (scikit-learn only starts it at 10,000 rows, and a held-out slice of a small
    log is too noisy to stop on); few shallow trees with large leaves and L2 keep it from memorising.
    Calibration uses cross-validated predictions, then one model fitted on every row is kept.
    Explanations: each feature's effect is the change in log-odds when that feature alone is set
    to its training median, so every score still splits into features, in words.
    """

    def __init__(self, max_iter=100, learning_rate=0.08, max_leaf_nodes=15, min_samples_leaf=30,
                 l2_regularization=1.0, random_state=0):
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    def fit(self, X, y):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        X, y = validate_data(self, X, y, reset=True, dtype=np.float64)
        check_classification_targets(y)
        hgb = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=self.learning_rate, max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=self.min_samples_leaf, l2_regularization=self.l2_regularization, early_stopping=False,
            random_state=self.random_state)
        folds = 3 if np.bincount(y.astype(int)).min() >= 3 else 2
        with _one_thread():
            self.model_ = CalibratedClassifierCV(hgb, method="sigmoid", cv=folds, ensemble=False).fit(X, y)
        self.classes_ = self.model_.classes_
        self.reference_ = np.median(X, axis=0)
        return self

    def predict_proba(self, X) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=np.float64)
        with _one_thread():
            return self.model_.predict_proba(X)

    def predict(self, X) -> np.ndarray:
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def decision_function(self, X) -> np.ndarray:
        p = np.clip(self.predict_proba(X)[:, 1], 1e-9, 1 - 1e-9)
        return np.log(p / (1 - p))

    def explain(self, X) -> np.ndarray:
        """float[n, F]: log-odds of the row minus log-odds with that feature set to its training median."""
        X = np.asarray(validate_data(self, X, reset=False, dtype=np.float64))
        n, f = X.shape
        if n == 0:
            return np.zeros((0, f))
        base = self.decision_function(X)
        moved = np.repeat(X[None, :, :], f, axis=0)             # [f, n, f]
        moved[np.arange(f), :, np.arange(f)] = self.reference_[:, None]
        z = self.decision_function(moved.reshape(f * n, f)).reshape(f, n)
        return (base[None, :] - z).T


def prior_scorer() -> PriorScorer:
    """The default prior, ready to score FEATURE_NAMES columns."""
    return PriorScorer().fit(np.zeros((1, len(FEATURE_NAMES))))


def score_pairs(model, X: np.ndarray) -> np.ndarray:
    """Non-negative utility of each pair: the model's probability of approved-and-attended."""
    if X.shape[0] == 0:
        return np.zeros(0)
    return model.predict_proba(X)[:, 1]


# ---- explanations ---------------------------------------------------------------------------------

@dataclass
class Explanation:
    """Why one pair got its score: the strongest features up and down, zh-CN first then English."""

    score: float
    raised: list[tuple[str, float]] = field(default_factory=list)
    lowered: list[tuple[str, float]] = field(default_factory=list)
    text_zh: str = ""
    text_en: str = ""

    @property
    def text(self) -> str:
        return f"{self.text_zh} / {self.text_en}"


def _label(name: str, labels: dict) -> str:
    return labels.get(name, name)


def explanation_from(contributions: np.ndarray, score: float, *, names=FEATURE_NAMES, top: int = 3,
                     min_effect: float = 0.05, labels_zh: dict = FEATURE_LABELS_ZH,
                     labels_en: dict = FEATURE_LABELS_EN) -> Explanation:
    """Turn one row of contributions into words: top features that raised and lowered the score."""
    contributions = np.asarray(contributions, float)
    order = np.argsort(-contributions, kind="stable")
    raised = [(names[i], float(contributions[i])) for i in order[:top] if contributions[i] > min_effect]
    lowered = [(names[i], float(contributions[i])) for i in order[::-1][:top] if contributions[i] < -min_effect]
    zh_up = "、".join(_label(n, labels_zh) for n, _ in raised) or "无"
    zh_down = "、".join(_label(n, labels_zh) for n, _ in lowered) or "无"
    en_up = ", ".join(_label(n, labels_en) for n, _ in raised) or "nothing"
    en_down = ", ".join(_label(n, labels_en) for n, _ in lowered) or "nothing"
    return Explanation(
        score=score, raised=raised, lowered=lowered,
        text_zh=f"匹配分 {score:.2f}；加分：{zh_up}；减分：{zh_down}",
        text_en=f"score {score:.2f}; raised by {en_up}; lowered by {en_down}",
    )


# ---- training and activation --------------------------------------------------------------------

def evaluate(model, X: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Held-out metrics of a scorer: ROC AUC, log loss, Brier score and n."""
    y = np.asarray(y).astype(int)
    n = int(y.shape[0])
    if n == 0:
        return {"roc_auc": float("nan"), "log_loss": float("nan"), "brier": float("nan"), "n": 0}
    p = np.clip(score_pairs(model, np.asarray(X, float)), 1e-6, 1 - 1e-6)
    auc = float(roc_auc_score(y, p)) if 0 < y.sum() < n else float("nan")
    return {"roc_auc": auc, "log_loss": float(log_loss(y, p, labels=[0, 1])),
            "brier": float(brier_score_loss(y, p)), "n": n}


@dataclass
class TrainingResult:
    """A freshly trained scorer, its held-out metrics, the current model's on the same rows, the paired
    bootstrap comparison of the two on those rows, and the verdict.

    kind is "logreg" or "boosted" (whichever won on the held-out rows); candidates holds each kind's metrics.
    """

    model: Any
    metrics: dict
    current_metrics: dict | None
    activate: bool
    comparison: dict | None = None
    kind: str = "logreg"
    candidates: dict = field(default_factory=dict)


def time_split(timestamps: np.ndarray, holdout_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """Indexes of the earlier rows (train) and the latest rows (held out); equal times stay together."""
    ts = np.asarray(timestamps, float)
    if ts.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    cut = np.quantile(ts, 1.0 - holdout_share, method="lower")
    train = np.flatnonzero(ts <= cut)
    test = np.flatnonzero(ts > cut)
    return train, test


# Below this many earlier decisions the boosted model is not tried: trees need rows.
MIN_BOOSTED_ROWS = 200
# The boosted model must beat the logistic regression by this much held-out AUC: otherwise the simpler,
# faster model whose explanations add up exactly is kept.
BOOSTED_MARGIN = 0.005


def _better(a: dict, b: dict | None) -> bool:
    """a beats b on the same rows: higher AUC, ties broken by lower log loss."""
    if b is None:
        return True
    auc_a, auc_b = a.get("roc_auc", np.nan), b.get("roc_auc", np.nan)
    if not np.isfinite(auc_b):
        return True
    if not np.isfinite(auc_a):
        return False
    return auc_a > auc_b or (auc_a == auc_b and a["log_loss"] < b["log_loss"])


def train_scorer(X, y, timestamps, *, current=None, holdout_share: float = 0.2, C: float = 1.0,
                 min_test: int = 30, kinds: tuple[str, ...] = ("logreg", "boosted"), refit: bool = True,
                 metric: str = "roc_auc", n_resamples: int = 1000, seed: int = 0,
                 confidence: float = 0.95) -> TrainingResult:
    """Fit each kind of scorer on the earlier decisions, measure them on the latest ones and keep the winner.
    It should replace `current` only when better on those same rows at `confidence` by a paired bootstrap
    (`matching.evaluation.paired_bootstrap`; without a current model, against a coin). The winner is then
    refitted on every decision (`refit`), so the newest behaviour counts; its reported metrics are those
    of the held-out fit."""
    X = np.asarray(X, float)
    y = np.asarray(y).astype(int)
    ts = np.asarray(timestamps, float)
    train, test = time_split(ts, holdout_share)
    if train.size == 0 or np.unique(y[train]).size < 2:
        nan = {"roc_auc": float("nan"), "log_loss": float("nan"), "brier": float("nan"), "n": int(test.size)}
        return TrainingResult(None, nan, None, False)
    train = train[np.argsort(ts[train], kind="stable")]
    makers = {"logreg": lambda: LogisticScorer(C=C), "boosted": lambda: BoostedScorer()}
    fitted: dict[str, Any] = {}
    candidates: dict[str, dict] = {}
    for kind in kinds:
        if kind == "boosted" and (train.size < MIN_BOOSTED_ROWS or np.bincount(y[train]).min() < 10):
            continue
        model = makers[kind]().fit(X[train], y[train])
        fitted[kind] = model
        candidates[kind] = evaluate(model, X[test], y[test]) if test.size else {"roc_auc": float("nan"), "n": 0}
        candidates[kind]["n_train"] = int(train.size)
    kind = None
    for k in fitted:
        if kind is None or _better(candidates[k], candidates[kind]):
            kind = k
    if kind == "boosted" and "logreg" in fitted and not (
            candidates["boosted"]["roc_auc"] > candidates["logreg"]["roc_auc"] + BOOSTED_MARGIN):
        kind = "logreg"
    model, metrics = fitted[kind], dict(candidates[kind])
    current_metrics = evaluate(current, X[test], y[test]) if current is not None else None
    p_old = score_pairs(current, X[test]) if current is not None else np.full(test.size, 0.5)
    comparison = paired_bootstrap(y[test], p_old, score_pairs(model, X[test]), metric, n_resamples=n_resamples,
                                  seed=seed, confidence=confidence)
    activate = should_activate(metrics, comparison, min_n=min_test)
    if refit and np.unique(y).size == 2:
        model = makers[kind]().fit(X, y)
    return TrainingResult(model, metrics, current_metrics, activate, comparison.as_dict(), kind=kind,
                          candidates=candidates)


def should_activate(new_metrics: dict, comparison: Comparison, *, min_n: int = 30) -> bool:
    """True only if enough held-out rows exist and the new model is better on them at the asked confidence."""
    return bool(new_metrics and new_metrics.get("n", 0) >= min_n and comparison.better)


# ---- persistence (skops only: no pickle, no joblib) ----------------------------------------------

TRUSTED_TYPES = [
    "matching.model.PriorScorer",
    "matching.model.LogisticScorer",
    "matching.model.BoostedScorer",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
]


def dumps_model(model) -> bytes:
    """A scorer as skops bytes (what ModelVersion.artifact stores)."""
    import skops.io as sio

    return sio.dumps(model)


def loads_model(data: bytes):
    """Load skops bytes, trusting only TRUSTED_TYPES; anything else raises UntrustedTypesFoundException."""
    import skops.io as sio

    return sio.loads(data, trusted=TRUSTED_TYPES)


def save_model(model, path: str | Path) -> None:
    """Write a scorer to a .skops file."""
    import skops.io as sio

    sio.dump(model, path)


def load_model(path: str | Path):
    """Read a .skops file, trusting only TRUSTED_TYPES."""
    import skops.io as sio

    return sio.load(path, trusted=TRUSTED_TYPES)


__all__ = ("PriorScorer", "LogisticScorer", "BoostedScorer", "prior_scorer", "score_pairs", "Explanation", "explanation_from",
           "evaluate", "TrainingResult", "time_split", "train_scorer", "should_activate", "TRUSTED_TYPES",
           "dumps_model", "loads_model", "save_model", "load_model", "PRIOR")
