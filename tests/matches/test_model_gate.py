"""The model's activation gate: a new scorer replaces the active one only when better at 95% confidence on
the same latest decisions; an active model that fails to load gives way to the prior, and the jobs page
says so; every model keeps the library versions it was trained with."""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import matching
from tests.factories import login, make_user
from tongxin.matches import service
from tongxin.matches.tables import ModelVersion, Proposal

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}
START = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def decisions(n: int = 200, *, signal: bool = True, seed: int = 3, first: int = 0) -> None:
    """Staff decisions in time order: with `signal`, near volunteers approved and far ones rejected;
    without, approvals fall at random (nothing to learn)."""
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(first, first + n):
        features = dict(zip(matching.FEATURE_NAMES, rng.random(len(matching.FEATURE_NAMES)).tolist()))
        features["distance_km"] = float(rng.uniform(0, 10))
        liked = (features["distance_km"] < 4 and rng.random() < 0.9 or rng.random() < 0.05) if signal \
            else bool(rng.random() < 0.5)
        rows.append(Proposal(target_type="wish", target_id=k, candidate_type="volunteer", candidate_id=k,
                             features=features, status="approved" if liked else "rejected",
                             outcome="accepted" if liked else "", decided_at=START + timedelta(hours=k)))
    await Proposal.insert(*rows)


async def test_a_clearly_better_model_is_activated_and_keeps_its_comparison_and_library_versions(app):
    await decisions()
    result = await service.train_and_maybe_activate()
    assert result["activated"] is True
    comparison = result["metrics"]["comparison"]
    assert comparison["better"] is True and comparison["metric"] == "roc_auc" and comparison["lower"] > 0
    row = await ModelVersion.select(ModelVersion.libraries, ModelVersion.is_active).where(
        ModelVersion.version == result["version"]).first()
    libraries = row["libraries"] if isinstance(row["libraries"], dict) else __import__("json").loads(row["libraries"])
    assert row["is_active"] and libraries == matching.library_versions()
    assert {"python", "numpy", "scipy", "sklearn"} <= set(libraries)
    listed = (await service.list_models())[0]
    assert listed["libraries"] == libraries and listed["metrics"]["comparison"]["better"] is True


async def test_a_model_no_better_than_the_active_one_is_not_activated(app):
    await decisions()
    first = await service.train_and_maybe_activate()
    assert first["activated"] is True
    # More decisions of the same kind: the retrained model ranks about as well as the active one.
    await decisions(seed=4, first=200)
    second = await service.train_and_maybe_activate(now=datetime.now(timezone.utc) + timedelta(seconds=5))
    assert second["activated"] is False and second["metrics"]["comparison"]["better"] is False
    assert second["metrics"]["current_version"] == first["version"]
    assert (await service.active_model())[1] == first["version"]
    assert await ModelVersion.count().where(ModelVersion.is_active == True) == 1  # noqa: E712


async def test_an_unloadable_active_model_falls_back_to_the_prior_and_the_jobs_page_says_so(app, client):
    await ModelVersion.insert(ModelVersion(
        version="logreg-20260101000000", kind="logreg", artifact=b"this is not a skops file", is_active=True,
        libraries={"python": "3.9.0", "sklearn": "0.24.2"}, created_at=START))
    model, version = await service.active_model()
    assert version == service.PRIOR_VERSION and isinstance(model, matching.PriorScorer)
    status = await service.model_status()
    assert status["fallback"] and status["active_version"] == "logreg-20260101000000" and status["error"]
    assert status["libraries_changed"]["sklearn"][0] == "0.24.2"

    await login(client, (await make_user("staff"))["username"])
    page = await client.get("/staff/jobs", headers=HTML)
    assert page.status_code == 200
    card = page.text[page.text.index('id="matching-model"'):]
    card = card[:card.index("</div>")]
    assert "无法加载" in card and "已改用默认先验评分" in card and "2026-01-01" in card
    assert "0.24.2" in card and "logreg" not in card and "Error" not in card
    await client.get("/language", params={"to": "en"}, headers=HTML)
    english = await client.get("/staff/jobs", headers=HTML)
    assert "failed to load" in english.text and "falls back to the default prior" in english.text

    # A retrained model that beats the prior replaces the broken one, and the page says it is in use.
    await decisions()
    result = await service.train_and_maybe_activate()
    assert result["activated"] is True and result["metrics"]["active_failed_to_load"] == "logreg-20260101000000"
    assert result["metrics"]["current_version"] == service.PRIOR_VERSION
    assert (await service.active_model())[1] == result["version"]
    await client.get("/language", params={"to": "zh-CN"}, headers=HTML)
    healed = await client.get("/staff/jobs", headers=HTML)
    assert "无法加载" not in healed.text and "正在使用" in healed.text


async def test_the_jobs_page_names_the_prior_while_no_model_is_trained(app, client):
    await login(client, (await make_user("staff"))["username"])
    page = await client.get("/staff/jobs", headers=HTML)
    assert "正在使用默认先验评分" in page.text and "无法加载" not in page.text
