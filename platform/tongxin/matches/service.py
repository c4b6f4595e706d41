"""Match proposals: rank candidates, run batches, staff decisions, training from those decisions.

The scoring and assignment live in the pure `matching` package; this module reads the district
into arrays (`snapshot.py`), writes proposals and keeps the model versions.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime, timezone
from typing import Any

import numpy as np

import matching
from tongxin.activities.tables import CORRECTION_WINDOW, Occurrence, SignUp
from tongxin.db import current_engine, json_value, write_transaction
from tongxin.errors import InvalidInput, NotFound
from tongxin.matches import district, snapshot
from tongxin.matches.decisions import volunteer_names
from tongxin.matches.tables import Invitation, MatchRun, ModelVersion, Proposal
from tongxin.memory import data_changed
from tongxin.wishes.tables import Wish

PRIOR_VERSION = "prior-v1"
log = logging.getLogger(__name__)
MIN_TRAINING_ROWS = 40
# Nearest volunteers considered per target: availability filters most, so look wider than the bare minimum.
BATCH_NEIGHBOURS = 256
PLURAL = {"occurrence": "occurrences", "wish": "wishes"}


def _now() -> datetime:
    return datetime.now(timezone.utc)


def explanation_json(explanation: matching.Explanation) -> dict[str, Any]:
    """An Explanation as stored with a proposal and shown to staff (zh-CN first)."""
    return {"score": round(float(explanation.score), 4), "text_zh": explanation.text_zh,
            "text_en": explanation.text_en,
            "raised": [[name, round(value, 4)] for name, value in explanation.raised],
            "lowered": [[name, round(value, 4)] for name, value in explanation.lowered]}


def _features_json(row: np.ndarray, names=matching.FEATURE_NAMES) -> dict[str, float]:
    return {name: round(float(v), 5) for name, v in zip(names, row)}


# ---- models ----------------------------------------------------------------------------------------

async def _active_row() -> dict[str, Any] | None:
    return await ModelVersion.select(
        ModelVersion.version, ModelVersion.artifact, ModelVersion.libraries, ModelVersion.created_at,
    ).where(ModelVersion.is_active == True).order_by(ModelVersion.id, ascending=False).first()  # noqa: E712


def _load(row: dict[str, Any]) -> Any:
    """The scorer stored in a model row; raises whatever loading raises (bad bytes, untrusted types...)."""
    return matching.loads_model(bytes(row["artifact"]))


# The last active model loaded, by its row id: loading an artifact costs far more than ranking with it.
_LOADED: dict[str, Any] = {}


async def active_model() -> tuple[Any, str]:
    """The active scorer and its version; the transparent prior until a trained model wins, or when the
    active model fails to load (the jobs page says so, see `model_status`). The artifact is read and loaded
    again only when another model becomes active."""
    which = await ModelVersion.select(ModelVersion.id).where(ModelVersion.is_active == True).order_by(  # noqa: E712
        ModelVersion.id, ascending=False).first()
    key = (id(current_engine()), which["id"] if which else None)
    if _LOADED.get("key") == key:
        return _LOADED["value"]
    value = await _load_active()
    _LOADED.update(key=key, value=value)
    return value


async def _load_active() -> tuple[Any, str]:
    row = await _active_row()
    if row is None or not row["artifact"]:
        return matching.prior_scorer(), PRIOR_VERSION
    try:
        model = _load(row)
    except Exception:  # noqa: BLE001 - any unreadable artifact: score with the prior rather than fail
        log.exception("active model %s failed to load; scoring with the prior", row["version"])
        return matching.prior_scorer(), PRIOR_VERSION
    if getattr(model, "n_features_in_", len(matching.FEATURE_NAMES)) != len(matching.FEATURE_NAMES):
        return matching.prior_scorer(), PRIOR_VERSION  # trained on an older feature set: the prior until retrained
    return model, row["version"]


async def model_status() -> dict[str, Any]:
    """Which scorer is in use: the active model, or the prior because none is trained or because the active
    one fails to load (with the error and the library versions it was trained with against today's)."""
    row = await _active_row()
    now_libraries = matching.library_versions()
    status = {"in_use": PRIOR_VERSION, "active_version": None, "trained_at": None, "fallback": False,
              "error": "", "libraries": {}, "libraries_now": now_libraries, "libraries_changed": {}}
    if row is None or not row["artifact"]:
        return status
    libraries = json_value(row["libraries"], {})
    status.update(active_version=row["version"], trained_at=row["created_at"], libraries=libraries,
                  libraries_changed={name: (was, now_libraries.get(name, "")) for name, was in libraries.items()
                                     if now_libraries.get(name, "") != was})
    try:
        _load(row)
    except Exception as error:  # noqa: BLE001 - reported, not raised: the page must show it
        status.update(fallback=True, error=f"{type(error).__name__}: {error}"[:300])
        return status
    status["in_use"] = row["version"]
    return status


async def list_models() -> list[dict[str, Any]]:
    """Every recorded model version with its held-out metrics and library versions, newest first."""
    rows = await ModelVersion.select(
        ModelVersion.version, ModelVersion.kind, ModelVersion.metrics, ModelVersion.libraries,
        ModelVersion.n_training, ModelVersion.is_active, ModelVersion.created_at,
    ).order_by(ModelVersion.id, ascending=False)
    for r in rows:
        r["metrics"] = json_value(r["metrics"], {})
        r["libraries"] = json_value(r["libraries"], {})
    return rows


_NEUTRAL = dict(zip(matching.FEATURE_NAMES, (float(c) for c in matching.model.PRIOR_CENTER)))

# A proposal's outcome once it is final: the label the model learns from.
POSITIVE = ("attended", "accepted")
NEGATIVE = ("no_show", "declined", "expired")


async def training_log() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Staff decisions with their final outcomes as (X, y, timestamps): rejected, declined, expired and
    no-show are 0; attended (and an accepted wish) are 1. Pending or still correctable outcomes are skipped."""
    rows = await Proposal.select(
        Proposal.features, Proposal.status, Proposal.outcome, Proposal.target_type, Proposal.decided_at,
    ).where(Proposal.status.is_in(["approved", "rejected"]) & (Proposal.candidate_type == "volunteer"))
    X, y, ts = [], [], []
    for r in rows:
        features = json_value(r["features"], {})
        if not features or r["decided_at"] is None:
            continue
        if r["status"] == "approved" and r["outcome"] not in POSITIVE + NEGATIVE:
            continue  # the person has not answered, or attendance can still be corrected: not a label yet
        # Proposals scored before a feature existed: that feature's neutral value (the prior's centre).
        X.append([float(features.get(name, _NEUTRAL[name])) for name in matching.FEATURE_NAMES])
        y.append(int(r["status"] == "approved" and r["outcome"] in POSITIVE))
        ts.append(r["decided_at"].timestamp())
    return np.array(X, float).reshape(-1, len(matching.FEATURE_NAMES)), np.array(y, int), np.array(ts, float)


async def train_and_maybe_activate(*, now: datetime | None = None, progress=None) -> dict[str, Any]:
    """Retrain from the decision log; the new model becomes active only if it beats the current one."""
    say = progress or (lambda message: None)
    labelled = await record_outcomes()
    say(f"attendance copied onto {labelled} approved proposal(s)")
    X, y, ts = await training_log()
    say(f"training log: {len(y)} decisions ({int(y.sum())} positive)")
    if len(y) < MIN_TRAINING_ROWS or len(set(y.tolist())) < 2:
        return {"activated": False, "reason": f"need at least {MIN_TRAINING_ROWS} decisions of both kinds",
                "n": int(len(y))}
    current, current_version = await active_model()
    status = await model_status()
    broken = status["active_version"] if status["fallback"] else ""
    if broken:
        say(f"the active model {broken} fails to load ({status['error']}); the new model is compared with the prior")
    # Fitting is CPU work: off the event loop, so web requests keep flowing when the scheduler runs inside serve.
    result = await asyncio.to_thread(matching.train_scorer, X, y, ts, current=current)
    if result.model is None:
        return {"activated": False, "reason": "not enough variety in the earlier decisions", "n": int(len(y))}
    version = f"{result.kind}-{(now or _now()).strftime('%Y%m%d%H%M%S')}"
    comparison = result.comparison or {}
    metrics = {"new": _finite(result.metrics), "current": _finite(result.current_metrics or {}),
               "current_version": current_version, "comparison": _finite(comparison) | {
                   k: comparison[k] for k in ("metric", "better") if k in comparison},
               "candidates": {kind: _finite(m) for kind, m in result.candidates.items()}}
    if broken:
        metrics["active_failed_to_load"] = broken
    async with write_transaction():
        if result.activate:
            await ModelVersion.update({ModelVersion.is_active: False}).where(ModelVersion.is_active == True)  # noqa: E712
        await ModelVersion.insert(ModelVersion(
            version=version, kind=result.kind, artifact=matching.dumps_model(result.model), metrics=metrics,
            libraries=matching.library_versions(), n_training=int(result.metrics.get("n_train", 0)),
            is_active=result.activate,
        ))
    if result.activate:
        data_changed("model")  # kept rankings were scored by the model before
    say(f"model {version}: held-out {metrics['new']}; current {metrics['current']}; paired bootstrap "
        f"{comparison.get('metric')} gain {comparison.get('observed')} (lower bound {comparison.get('lower')}); "
        f"{'activated' if result.activate else 'kept the current model'}")
    return {"activated": result.activate, "version": version, "metrics": metrics, "n": int(len(y))}


def _finite(metrics: dict) -> dict:
    return {k: (round(float(v), 4) if isinstance(v, (int, float)) and np.isfinite(v) else None)
            for k, v in metrics.items()}


# ---- ranking -------------------------------------------------------------------------------------

def app_lifespan(settings):
    """The web process keeps the district's volunteers read for ranking (see `tongxin.matches.district`)."""
    if settings.matching_cache_seconds <= 0:
        return None
    return district.keep_warm(settings.matching_cache_seconds)


async def rank_for_target(*, target_type: str, target_id: int, top_k: int = 20, why_not: bool = False,
                          radius_km: float = 10.0, now: datetime | None = None,
                          cache_seconds: float = 0.0, offset: int = 0) -> dict[str, Any]:
    """Ranked volunteers for an occurrence or a wish, each with score, distance and explanation.

    Every eligible volunteer within radius_km is ranked; `offset`/`top_k` page through them
    (`eligible` is the total). `why_not=True` lists nearby volunteers the hard rules filtered out.
    With `cache_seconds` > 0 the process's warm district is used and an occurrence's answer is kept until
    its row, the people it considered or the model change (`tongxin.matches.district`), or for that long.
    """
    now = now or _now()
    if cache_seconds <= 0:
        vocab, volunteers, commitments = await district.read_district(now)
        targets = await _load_targets(vocab, target_type, [target_id], now)
        return await _ranked(vocab, volunteers, commitments, targets, target_type=target_type,
                             target_id=target_id, top_k=top_k, why_not=why_not, radius_km=radius_km, now=now,
                             offset=offset)
    warm = district.warm_district()
    key = (target_type, target_id, top_k, offset, bool(why_not), float(radius_km))
    changes = warm.changes  # before catching up: a change named after this makes the answer stale
    await warm.up_to_date(cache_seconds)
    mark = (warm.epoch, changes)
    if target_type == "occurrence":
        answer = warm.kept(key, cache_seconds)
        if answer is not None:
            return answer
        targets = await warm.occurrence(target_id, now=now, max_age_seconds=cache_seconds)
    else:
        targets = await _load_targets(warm.vocab, target_type, [target_id], now)
    considered: list[np.ndarray] = []
    answer = await _ranked(warm.vocab, warm.volunteers, warm.commitments, targets, target_type=target_type,
                           target_id=target_id, top_k=top_k, why_not=why_not, radius_km=radius_km, now=now,
                           offset=offset, considered=considered)
    if target_type == "occurrence":
        warm.keep(key, answer, mark, considered=considered[0], target=target_id)
    return answer


async def _ranked(vocab, volunteers: matching.VolunteerArrays, commitments: matching.Commitments, targets, *,
                  target_type: str, target_id: int, top_k: int, why_not: bool, radius_km: float, now: datetime,
                  offset: int, considered: list | None = None) -> dict[str, Any]:
    if len(targets.ids) == 0:
        raise NotFound(f"no open {target_type} {target_id} to match (not found, closed, full or past)")
    model, version = await active_model()
    started = time.perf_counter()
    ranking = matching.rank_candidates(volunteers, matching.TargetArrays.from_obj(targets), model, top_k=top_k,
                                       now=now.timestamp(), why_not=why_not, radius_km=radius_km,
                                       commitments=commitments, offset=offset)
    elapsed_ms = (time.perf_counter() - started) * 1000
    # Ids now: the warm arrays may be updated in place while the names are read.
    excluded_ids = [int(volunteers.ids[i]) for i in ranking.excluded]
    if considered is not None:
        considered.append(ranking.considered)
    names = await volunteer_names([int(v) for v in ranking.volunteer_ids] + excluded_ids)
    candidates = [{
        "volunteer_id": int(vid), "name": names.get(int(vid), ""), "score": round(float(ranking.score[i]), 4),
        "distance_km": round(float(ranking.distance_km[i]), 2),
        "explanation": explanation_json(ranking.explanations[i]),
    } for i, vid in enumerate(ranking.volunteer_ids)]
    excluded = [{
        "volunteer_id": vid, "name": names.get(vid, ""),
        "rules": reasons, "reasons_zh": [matching.RULE_LABELS_ZH.get(r, r) for r in reasons],
        "reasons_en": [matching.RULE_LABELS_EN.get(r, r) for r in reasons],
    } for vid, reasons in zip(excluded_ids, ranking.excluded_reasons)]
    answer = {"target_type": target_type, "target_id": target_id, "model_version": version,
              "considered": ranking.n_considered, "eligible": ranking.n_eligible, "offset": offset, "limit": top_k,
              "candidates": candidates,
              "excluded": excluded, "elapsed_ms": round(elapsed_ms, 2)}
    if target_type == "wish":
        answer["offers"] = await _rank_offers(vocab, targets, now)
    return answer


async def _rank_offers(vocab, targets, now: datetime, top_k: int = 5) -> list[dict[str, Any]]:
    """Organizations' resource offers that could fulfil the wish, best first, each explained."""
    offers = await offer_arrays(vocab)
    ranking = matching.rank_offers(offers, matching.TargetArrays.from_obj(targets), top_k=top_k,
                                   now=now.timestamp())
    names = {o["id"]: (o["title"], o["organization_name"]) for o in await snapshot.load_offers()}
    return [{"resource_id": int(rid), "title": names.get(int(rid), ("", ""))[0],
             "organization": names.get(int(rid), ("", ""))[1], "score": round(float(ranking.score[i]), 4),
             "distance_km": round(float(ranking.distance_km[i]), 2),
             "explanation": explanation_json(ranking.explanations[i])}
            for i, rid in enumerate(ranking.volunteer_ids)]


async def _load_targets(vocab, target_type: str, ids: list[int] | None, now: datetime, community_id=None):
    if target_type == "occurrence":
        return await snapshot.load_occurrence_targets(vocab, now=now, occurrence_ids=ids, community_id=community_id)
    if target_type == "wish":
        return await snapshot.load_wish_targets(vocab, now=now, wish_ids=ids, community_id=community_id)
    raise InvalidInput("target_type must be occurrence or wish", field="target_type")


# ---- batches -------------------------------------------------------------------------------------

async def run_matching_batch(*, actor_id: int | None = None, community_id: int | None = None,
                             now: datetime | None = None, fairness: float = 0.05, k_per_day: int = 1,
                             seed: int = 0, progress=None) -> dict[str, Any]:
    """Propose volunteers for under-filled occurrences and open wishes; staff decide. Never auto-approves."""
    say = progress or (lambda message: None)
    now = now or _now()
    vocab = await snapshot.load_vocabulary()
    volunteers = await snapshot.load_volunteers(vocab, now=now, community_id=None)
    await _hold_proposed_times(volunteers)
    model, version = await active_model()
    totals = {"targets": 0, "proposals": 0, "utility": 0.0}
    run_id = (await MatchRun.insert(MatchRun(
        scope="community" if community_id else "district", community=community_id, model_version=version,
        seed=seed, started_by=actor_id,
    )).returning(MatchRun.id))[0]["id"]
    for target_type in ("occurrence", "wish"):
        rows = await _load_targets(vocab, target_type, None, now, community_id)
        targets = matching.TargetArrays.from_obj(rows)
        # Places already offered to someone are not offered twice.
        open_counts = await _open_proposal_counts(target_type, [int(t) for t in targets.ids])
        targets.capacity_remaining = np.maximum(
            targets.capacity_remaining - np.array([open_counts.get(int(t), 0) for t in targets.ids], np.int64), 0)
        say(f"{PLURAL[target_type]}: {len(targets)} open, matching against {len(volunteers.ids)} volunteers")
        exclude = await _refused_pairs(target_type, volunteers, targets)
        result = await asyncio.to_thread(
            matching.match_batch, volunteers, targets, model, fairness=fairness, k_per_day=k_per_day,
            now=now.timestamp(), neighbours=BATCH_NEIGHBOURS, exclude=exclude)
        written = await _write_proposals(run_id, target_type, result, version)
        totals["targets"] += len(targets)
        totals["proposals"] += written
        totals["utility"] += float(result.total_utility)
        say(f"{PLURAL[target_type]}: {written} proposals (utility {result.total_utility:.2f}, "
            f"fairness cost {result.fairness_cost:.1%})")
        if target_type == "wish":
            offered = await _propose_offers(run_id, rows, vocab, now, version)
            totals["proposals"] += offered
            say(f"wishes: {offered} resource-offer proposals")
    await MatchRun.update({
        MatchRun.n_targets: totals["targets"], MatchRun.n_proposals: totals["proposals"],
        MatchRun.utility: totals["utility"], MatchRun.finished_at: _now(),
    }).where(MatchRun.id == run_id)
    return {"run_id": run_id, "model_version": version, **totals}


async def offer_arrays(vocab: snapshot.Vocabulary) -> matching.OfferArrays:
    """Open resource offers as arrays, with the wishes each organization fulfilled before."""
    offers = await snapshot.load_offers()
    history = np.zeros((len(offers), len(vocab.categories)))
    done = await Wish.select(Wish.helper_organization, Wish.category).where(
        Wish.status.is_in(["fulfilled", "confirmed"]) & Wish.helper_organization.is_not_null())
    for i, offer in enumerate(offers):
        for w in done:
            if w["helper_organization"] == offer["organization"] and w["category"] in vocab.categories:
                history[i, vocab.categories[w["category"]]] += 1
    return matching.OfferArrays(
        ids=[o["id"] for o in offers], organization=[o["organization"] for o in offers],
        lat=[np.nan if o["lat"] is None else o["lat"] for o in offers],
        lon=[np.nan if o["lon"] is None else o["lon"] for o in offers],
        category=[vocab.categories.get(o["category"], -1) for o in offers],
        remaining=[o["remaining"] for o in offers], category_history=history,
    )


async def _propose_offers(run_id: int, wish_rows, vocab, now: datetime, version: str) -> int:
    """Organizations' resource offers for open wishes (each wish one offer, each offer its stock)."""
    wishes = matching.TargetArrays.from_obj(wish_rows)
    open_counts = await _open_proposal_counts("wish", [int(t) for t in wishes.ids], candidate_type="resource")
    wishes.capacity_remaining = np.array([0 if open_counts.get(int(t)) else 1 for t in wishes.ids], np.int64)
    offers = await offer_arrays(vocab)
    result = matching.match_offers(offers, wishes, now=now.timestamp())
    return await _write_proposals(run_id, "wish", result, version, candidate_type="resource")


async def _refused_pairs(target_type: str, volunteers, targets) -> tuple[np.ndarray, np.ndarray]:
    """(volunteer index, target index) of pairs staff rejected or the person declined or let expire:
    never proposed again for that target."""
    rows = await Proposal.select(Proposal.candidate_id, Proposal.target_id).where(
        (Proposal.target_type == target_type) & (Proposal.candidate_type == "volunteer")
        & ((Proposal.status == "rejected") | Proposal.outcome.is_in(["declined", "expired"])
           | Proposal.id.is_in(Invitation.select(Invitation.proposal).where(
               Invitation.status.is_in(["declined", "expired"])))))
    target_index = {int(t): j for j, t in enumerate(targets.ids)}
    pairs = [(volunteers.index_of(r["candidate_id"]), target_index.get(r["target_id"])) for r in rows]
    pairs = [(i, j) for i, j in pairs if i is not None and j is not None]
    return np.array([i for i, _ in pairs], np.int64), np.array([j for _, j in pairs], np.int64)


async def _hold_proposed_times(volunteers: snapshot.VolunteerRows) -> None:
    """Treat open occurrence proposals as commitments, so nobody is proposed twice for the same time."""
    rows = await Proposal.select(Proposal.candidate_id, Proposal.target_id).where(
        (Proposal.status == "proposed") & (Proposal.target_type == "occurrence")
        & (Proposal.candidate_type == "volunteer"))
    times = {r["id"]: r for r in await Occurrence.select(Occurrence.id, Occurrence.starts_at, Occurrence.ends_at).where(
        Occurrence.id.is_in([r["target_id"] for r in rows] or [-1]))}
    held = [(volunteers.index_of(r["candidate_id"]), times.get(r["target_id"])) for r in rows]
    held = [(i, t) for i, t in held if i is not None and t is not None]
    if held:
        volunteers.commitment_target = np.concatenate(
            [volunteers.commitment_target, np.array([t["id"] for _, t in held], np.int64)])
        volunteers.commitment_volunteer = np.concatenate(
            [volunteers.commitment_volunteer, np.array([i for i, _ in held], np.int64)])
        volunteers.commitment_start = np.concatenate(
            [volunteers.commitment_start, np.array([t["starts_at"].timestamp() for _, t in held])])
        volunteers.commitment_end = np.concatenate(
            [volunteers.commitment_end, np.array([t["ends_at"].timestamp() for _, t in held])])


async def _open_proposal_counts(target_type: str, ids: list[int], candidate_type: str = "volunteer") -> dict[int, int]:
    rows = await Proposal.select(Proposal.target_id).where(
        (Proposal.target_type == target_type) & (Proposal.status == "proposed")
        & (Proposal.candidate_type == candidate_type) & Proposal.target_id.is_in(ids or [-1]))
    counts: dict[int, int] = {}
    for r in rows:
        counts[r["target_id"]] = counts.get(r["target_id"], 0) + 1
    return counts


async def _write_proposals(run_id: int, target_type: str, result: matching.Assignment, version: str,
                           candidate_type: str = "volunteer") -> int:
    explanations = result.explanations()
    written = 0
    async with write_transaction():
        for i in range(len(result)):
            rows = await Proposal.insert(Proposal(
                run=run_id, target_type=target_type, target_id=int(result.target_ids[i]),
                candidate_type=candidate_type, candidate_id=int(result.volunteer_ids[i]),
                score=float(result.score[i]), features=_features_json(result.features[i], result.feature_names),
                explanation=explanation_json(explanations[i]), model_version=version,
            )).on_conflict(action="DO NOTHING").returning(Proposal.id)
            written += len(rows)
    return written


async def record_outcomes(*, now: datetime | None = None) -> int:
    """Copy final outcomes onto approved proposals: declined or expired invitations at once, attended or
    no-show once the 7-day correction window after the occurrence has closed, an accepted wish at once."""
    now = now or _now()
    rows = await Invitation.select(
        Invitation.proposal, Invitation.status, Invitation.target_type, Invitation.sign_up,
    ).where(Invitation.status.is_in(["accepted", "declined", "expired"]) & (Invitation.proposal.outcome == ""))
    settled = {r["id"]: r for r in await SignUp.select(SignUp.id, SignUp.status, SignUp.occurrence.ends_at).where(
        SignUp.id.is_in([r["sign_up"] for r in rows if r["sign_up"]] or [-1]))}
    updated = 0
    for r in rows:
        outcome = r["status"] if r["status"] != "accepted" or r["target_type"] == "wish" else ""
        sign_up = settled.get(r["sign_up"])
        if r["status"] == "accepted" and sign_up and sign_up["status"] in ("attended", "no_show") \
                and sign_up["occurrence.ends_at"] + CORRECTION_WINDOW < now:
            outcome = sign_up["status"]
        if outcome:
            await Proposal.update({Proposal.outcome: outcome}).where(Proposal.id == r["proposal"])
            updated += 1
    return updated


__all__ = (
    "active_model", "model_status", "list_models", "training_log", "train_and_maybe_activate", "rank_for_target",
    "run_matching_batch", "record_outcomes", "explanation_json",
)

