"""The activation gate: a paired bootstrap on the same held-out rows, better only at 95% confidence."""

import numpy as np
import pytest
from sklearn.metrics import brier_score_loss, log_loss, roc_auc_score

from matching import LogisticScorer, library_versions, paired_bootstrap, prior_scorer, train_scorer
from matching.evaluation import _auc_rows
from test_model import _toy


def outcomes(n=400, seed=1):
    """Labels and a model that knows them well (p_good) or barely (p_weak)."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-2.5 * signal))).astype(int)
    p_good = 1 / (1 + np.exp(-2.5 * signal))
    p_weak = 1 / (1 + np.exp(-(0.4 * signal + rng.normal(size=n))))
    return y, p_good, p_weak


def test_vectorised_auc_equals_scikit_learn_with_ties():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, size=(5, 60)).astype(float)
    p = np.round(rng.random((5, 60)), 1)  # many tied scores
    assert np.allclose(_auc_rows(y, p), [roc_auc_score(y[i], p[i]) for i in range(5)])
    assert np.isnan(_auc_rows(np.ones((1, 4)), np.ones((1, 4))))[0]


def test_a_clearly_better_model_is_better_at_95_percent_on_every_metric():
    y, good, weak = outcomes()
    for metric in ("roc_auc", "log_loss", "brier"):
        result = paired_bootstrap(y, weak, good, metric, n_resamples=1000, seed=0)
        assert result.better and result.lower > 0 and result.share_better > 0.95, metric
    auc = paired_bootstrap(y, weak, good, "roc_auc")
    assert auc.observed == pytest.approx(roc_auc_score(y, good) - roc_auc_score(y, weak))
    loss = paired_bootstrap(y, weak, good, "log_loss")
    assert loss.observed == pytest.approx(log_loss(y, weak) - log_loss(y, good))
    brier = paired_bootstrap(y, weak, good, "brier")
    assert brier.observed == pytest.approx(brier_score_loss(y, weak) - brier_score_loss(y, good))


def test_an_equal_or_worse_model_is_not_better():
    y, good, weak = outcomes()
    same = paired_bootstrap(y, good, good.copy())
    assert not same.better and same.observed == 0 and same.lower == 0
    assert not paired_bootstrap(y, good, weak).better
    # A copy with a little noise: perhaps better by luck on these rows, never at 95% confidence.
    rng = np.random.default_rng(7)
    noisy = np.clip(good + rng.normal(0, 0.02, good.size), 0, 1)
    assert not paired_bootstrap(y, good, noisy).better


def test_two_models_that_know_nothing_are_rarely_told_apart():
    """Under the null (both models pure noise) the gate should fire in about 5% of held-out sets."""
    rng = np.random.default_rng(0)
    fired = 0
    for _ in range(100):
        y = rng.integers(0, 2, 80)
        fired += paired_bootstrap(y, rng.random(80), rng.random(80), n_resamples=300, seed=int(rng.integers(1 << 30))).better
    assert fired <= 10


def test_a_small_lucky_gain_on_few_rows_is_not_enough():
    y, good, weak = outcomes(n=24, seed=5)
    slightly = np.where(np.arange(24) == 0, good, weak)  # one row told better
    result = paired_bootstrap(y, weak, slightly)
    assert result.observed >= 0 and not result.better


def test_the_bootstrap_is_reproducible_with_its_seed():
    y, good, weak = outcomes()
    assert paired_bootstrap(y, weak, good, seed=11) == paired_bootstrap(y, weak, good, seed=11)
    assert paired_bootstrap(y, weak, good, seed=11).lower != paired_bootstrap(y, weak, good, seed=12).lower


def test_bad_input_is_refused_or_never_better():
    with pytest.raises(ValueError):
        paired_bootstrap([1, 0], [0.5, 0.5], [0.5], "roc_auc")
    with pytest.raises(ValueError):
        paired_bootstrap([1, 0], [0.5, 0.5], [0.5, 0.5], "accuracy")
    assert not paired_bootstrap([], [], []).better
    assert not paired_bootstrap([1, 1, 1], [0.2, 0.3, 0.4], [0.9, 0.9, 0.9]).better  # AUC undefined: one class


def test_training_activates_a_clearly_better_model_and_not_an_equal_one():
    X, y, ts = _toy(1000)
    beats_prior = train_scorer(X, y, ts, current=prior_scorer())
    assert beats_prior.activate and beats_prior.comparison["better"] and beats_prior.comparison["n"] == 200
    train = ts < np.quantile(ts, 0.8)
    equal = LogisticScorer().fit(X[train], y[train])  # the same model, trained on the same rows
    again = train_scorer(X, y, ts, current=equal)
    assert not again.activate and again.comparison["observed"] == pytest.approx(0, abs=1e-9)


def test_library_versions_name_python_numpy_scipy_and_scikit_learn():
    versions = library_versions()
    assert set(versions) >= {"python", "numpy", "scipy", "sklearn"}
    assert all(isinstance(v, str) and v[0].isdigit() for v in versions.values())
