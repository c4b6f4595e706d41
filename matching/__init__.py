"""Matching volunteers (and organizations' offers) to activity occurrences and micro-wishes.

Pure computation on plain arrays: numpy, scipy, scikit-learn, skops and OR-Tools only.

Inputs (see `matching.data`): `VolunteerArrays`, `TargetArrays`, `Commitments` (existing
sign-ups), and for offers `OfferArrays` (see `matching.offers`).
Pipeline: spatial candidates (`VolunteerIndex`, a KD-tree on unit vectors) → hard rules
(`rule_failures`, `why_not`; a rule is never a soft score) → pair features (`pair_features`,
`FEATURE_NAMES`) → scorer (`PriorScorer` before enough staff decisions, `LogisticScorer` after;
both `explain` each score) → exact assignment (`solve_assignment`, a min-cost flow with
capacities, k per volunteer-day and an optional fairness term).
Entry points: `rank_candidates` and `match_batch` in `matching.engine`; `rank_offers` and
`match_offers` in `matching.offers`. Bad input gives empty results, never exceptions.
"""

from matching.assign import FlowResult, solve_assignment
from matching.candidates import CandidatePairs, VolunteerIndex, candidate_pairs
from matching.data import Commitments, TargetArrays, VolunteerArrays
from matching.engine import Assignment, Ranking, match_batch, rank_candidates
from matching.evaluation import Comparison, library_versions, paired_bootstrap
from matching.features import FEATURE_LABELS_EN, FEATURE_LABELS_ZH, FEATURE_NAMES, pair_features
from matching.model import (
    TRUSTED_TYPES, Explanation, LogisticScorer, PriorScorer, TrainingResult, dumps_model, evaluate, load_model,
    loads_model, prior_scorer, save_model, score_pairs, should_activate, train_scorer,
)
from matching.offers import OFFER_FEATURE_NAMES, OfferArrays, match_offers, offer_prior, rank_offers
from matching.rules import (
    PAIR_RULES, RULE_CODES, RULE_LABELS_EN, RULE_LABELS_ZH, RuleConfig, batch_conflicts, describe_rules, eligible,
    rule_failures, why_not,
)

__all__ = (
    "VolunteerArrays", "TargetArrays", "Commitments", "VolunteerIndex", "CandidatePairs", "candidate_pairs",
    "RuleConfig", "RULE_CODES", "PAIR_RULES", "RULE_LABELS_ZH", "RULE_LABELS_EN", "rule_failures", "eligible",
    "batch_conflicts", "why_not", "describe_rules", "FEATURE_NAMES", "FEATURE_LABELS_ZH", "FEATURE_LABELS_EN",
    "pair_features", "PriorScorer", "LogisticScorer", "prior_scorer", "score_pairs", "Explanation",
    "TrainingResult", "train_scorer", "evaluate", "should_activate", "TRUSTED_TYPES", "dumps_model",
    "loads_model", "save_model", "load_model", "FlowResult", "solve_assignment", "Ranking", "Assignment",
    "rank_candidates", "match_batch", "OfferArrays", "OFFER_FEATURE_NAMES", "offer_prior", "rank_offers",
    "match_offers", "Comparison", "paired_bootstrap", "library_versions",
)
