"""Scorers: scikit-learn conventions, explanations, training gate and skops persistence."""

import numpy as np
import pytest
import skops.io as sio
from matching_factories import MONDAY
from sklearn.utils.estimator_checks import parametrize_with_checks
from skops.io.exceptions import UntrustedTypesFoundException

from matching import (
    Comparison,
    FEATURE_NAMES,
    LogisticScorer,
    PriorScorer,
    dumps_model,
    load_model,
    loads_model,
    prior_scorer,
    save_model,
    should_activate,
    train_scorer,
)
from matching.data import weekly_hour_mask


@parametrize_with_checks([PriorScorer(), LogisticScorer()])
def test_scorers_follow_scikit_learn_conventions(estimator, check):
    check(estimator)


def _toy(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURE_NAMES)))
    logit = 2.0 * X[:, 0] - 1.5 * X[:, 1]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y, np.arange(n, dtype=float)


def test_contributions_add_up_to_the_decision_function():
    X, y, _ = _toy()
    for model in (prior_scorer(), LogisticScorer().fit(X, y)):
        assert np.allclose(model.explain(X).sum(axis=1) + np.ravel(model.intercept_)[0], model.decision_function(X))


def test_explanation_names_the_features_that_moved_the_score():
    X, y, _ = _toy()
    model = LogisticScorer().fit(X, y)
    row = np.zeros((1, X.shape[1]))
    row[0, 0], row[0, 1] = 2.0, 2.0  # strong skills up, far away down
    e = model.explanations(row)[0]
    assert e.raised[0][0] == "skill_coverage"
    assert e.lowered[0][0] == "distance_km"
    assert e.text_zh.startswith("匹配分") and "技能匹配度" in e.text_zh and "距离" in e.text_zh
    assert "skill coverage" in e.text_en and "distance" in e.text_en


def test_prior_prefers_a_near_skilled_reliable_volunteer():
    same_history = [0.35, 0.35, 0.35, 0.35]
    near = [1.0, 0.5, 1, 1, 1.0, 0.95, 0, 2, 2, 0.5, 3, 1.0, 0.1] + same_history + [0.2, 0.0]
    far = [0.0, 9.0, 0, 0, 0.5, 0.6, 6, 0, 0, 0.5, 3, 0.0, 1.8] + same_history + [3.6, 0.0]
    p = prior_scorer().predict_proba(np.array([near, far]))[:, 1]
    assert p[0] > 0.5 > p[1]


def test_training_keeps_the_latest_decisions_for_the_held_out_check():
    X, y, ts = _toy(1000)
    result = train_scorer(X, y, ts, current=prior_scorer())
    assert result.metrics["n"] == 200 and result.metrics["n_train"] == 800
    assert result.metrics["roc_auc"] > 0.75
    assert set(result.metrics) >= {"roc_auc", "log_loss", "brier", "n"}
    assert result.comparison["n"] == 200 and result.comparison["metric"] == "roc_auc"
    assert result.activate == should_activate(result.metrics, Comparison(**result.comparison))


def test_should_activate_only_when_better_at_95_percent_on_enough_held_out_rows():
    better = Comparison("roc_auc", 0.05, 0.01, 0.09, 0.99, 0.95, 500, 1000, 0, True)
    unsure = Comparison("roc_auc", 0.05, -0.01, 0.09, 0.90, 0.95, 500, 1000, 0, False)
    assert should_activate({"roc_auc": 0.75, "n": 500}, better)
    assert not should_activate({"roc_auc": 0.75, "n": 500}, unsure)
    assert not should_activate({"roc_auc": 0.95, "n": 5}, better)


def test_one_class_log_trains_nothing():
    X, _, ts = _toy(100)
    result = train_scorer(X, np.ones(100, int), ts)
    assert result.model is None and not result.activate


def test_skops_round_trip_keeps_the_scores(tmp_path):
    X, y, _ = _toy()
    for model in (prior_scorer(), LogisticScorer().fit(X, y)):
        assert np.allclose(loads_model(dumps_model(model)).predict_proba(X), model.predict_proba(X))
        save_model(model, tmp_path / "m.skops")
        assert np.allclose(load_model(tmp_path / "m.skops").explain(X), model.explain(X))


class Sneaky:
    """A type nobody trusts."""

    def __init__(self):
        self.payload = 1


def test_loading_a_file_with_an_untrusted_type_fails(tmp_path):
    data = sio.dumps({"model": prior_scorer(), "extra": Sneaky()})
    with pytest.raises(UntrustedTypesFoundException):
        loads_model(data)
    (tmp_path / "bad.skops").write_bytes(data)
    with pytest.raises(UntrustedTypesFoundException):
        load_model(tmp_path / "bad.skops")


def test_weekly_mask_starts_on_monday_midnight_local():
    mask = weekly_hour_mask(np.array([MONDAY]), np.array([MONDAY + 7200]), 8.0)[0]
    assert np.flatnonzero(mask).tolist() == [0, 1]
    sunday_late = weekly_hour_mask(np.array([MONDAY - 3600]), np.array([MONDAY + 3600]), 8.0)[0]
    assert np.flatnonzero(sunday_late).tolist() == [0, 167]


def test_boosted_scorer_learns_an_interaction_explains_it_and_round_trips():
    from matching import BoostedScorer, dumps_model, loads_model

    rng = np.random.default_rng(3)
    X = rng.random((1500, 3))
    y = (rng.random(1500) < np.where((X[:, 0] > 0.5) == (X[:, 1] > 0.5), 0.8, 0.2)).astype(int)
    model = BoostedScorer().fit(X, y)
    p = model.predict_proba(X)[:, 1]
    assert p[(X[:, 0] > 0.5) & (X[:, 1] > 0.5)].mean() > 0.6 > 0.4 > p[(X[:, 0] > 0.5) & (X[:, 1] < 0.5)].mean()
    contributions = model.explain(X[:5])
    assert contributions.shape == (5, 3) and np.abs(contributions[:, 2]).mean() < np.abs(contributions[:, 0]).mean()
    again = loads_model(dumps_model(model))
    assert np.allclose(again.predict_proba(X[:50]), model.predict_proba(X[:50]))


def test_training_picks_the_boosted_model_only_when_it_clearly_wins():
    rng = np.random.default_rng(4)
    X = rng.random((3000, 3))
    ts = np.arange(3000.0)
    linear = (rng.random(3000) < 0.2 + 0.6 * X[:, 0]).astype(int)
    assert train_scorer(X, linear, ts).kind == "logreg"
    xor = (rng.random(3000) < np.where((X[:, 0] > 0.5) == (X[:, 1] > 0.5), 0.85, 0.15)).astype(int)
    result = train_scorer(X, xor, ts)
    assert result.kind == "boosted" and set(result.candidates) == {"logreg", "boosted"}
    assert result.candidates["boosted"]["roc_auc"] > result.candidates["logreg"]["roc_auc"]
