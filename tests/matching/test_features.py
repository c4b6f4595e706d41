"""Features over whole pair arrays equal a plain per-pair computation."""

import numpy as np
from matching_factories import MONDAY, local, targets, volunteers

from matching import FEATURE_LABELS_EN, FEATURE_LABELS_ZH, FEATURE_NAMES, pair_features
from matching.synth import make_district


def test_every_feature_has_chinese_and_english_labels():
    assert set(FEATURE_LABELS_ZH) == set(FEATURE_NAMES) == set(FEATURE_LABELS_EN)


def test_features_of_one_hand_made_pair():
    vols = volunteers(skills=[[True, False, True]], attended=[6], no_show=[2], recent_load=[3.0],
                      org_history=[[0.0, 4.0]], category_history=[[0.0, 0.0, 2.0]], grid=[7], community=[1])
    tgts = targets(required_skills=[[True, True, False]], organization=[1], category=[2], grid=[7], community=[2],
                   urgency=[0.9], needed_by=[local(3, 9)])
    x = dict(zip(FEATURE_NAMES, pair_features(vols, tgts, [0], [0], [1.5], now=MONDAY)[0]))
    assert x["skill_coverage"] == 0.5
    assert x["distance_km"] == 1.5
    assert x["same_grid"] == 1 and x["same_community"] == 0
    assert x["availability_share"] == 1.0
    assert np.isclose(x["reliability"], (6 + 4) / (6 + 2 + 5))
    assert x["recent_load"] == 3 and x["org_history"] == 4 and x["category_history"] == 2
    assert x["urgency"] == 0.9 and np.isclose(x["days_until_needed"], 3 + 9 / 24)


def test_no_required_skills_means_full_coverage():
    x = pair_features(volunteers(skills=[[False, False, False]]), targets(), [0], [0], [0.0], now=MONDAY)
    assert x[0, 0] == 1.0


def test_vectorised_features_equal_a_per_pair_loop():
    d = make_district(300, 40, seed=5)
    v, t = d.volunteers, d.targets
    rng = np.random.default_rng(0)
    vi, tj = rng.integers(0, 300, 500), rng.integers(0, 40, 500)
    X = pair_features(v, t, vi, tj, np.ones(500), now=d.now)
    for p in range(0, 500, 7):
        i, j = vi[p], tj[p]
        req = t.required_skills[j]
        cover = (v.skills[i] & req).sum() / req.sum() if req.any() else 1.0
        from matching.data import weekly_hour_mask
        hours = weekly_hour_mask(t.start[[j]], t.end[[j]], 8.0)[0]
        share = (v.availability[i] & hours).sum() / hours.sum()
        assert np.isclose(X[p, 0], cover)
        assert np.isclose(X[p, 4], share)
        assert X[p, 7] == min(v.org_history[i, t.organization[j]], 10)
        assert X[p, 8] == min(v.category_history[i, t.category[j]], 10)


def test_sparse_history_gives_the_same_features_as_dense():
    from scipy import sparse

    d = make_district(200, 30, seed=6)
    v = d.volunteers
    dense = pair_features(v, d.targets, np.arange(200), np.arange(200) % 30, np.zeros(200), now=d.now)
    v2 = v.subset(np.arange(200))
    v2.org_history = sparse.csr_matrix(v2.org_history)
    v2.category_history = sparse.csr_matrix(v2.category_history)
    assert np.allclose(pair_features(v2, d.targets, np.arange(200), np.arange(200) % 30, np.zeros(200), now=d.now), dense)
