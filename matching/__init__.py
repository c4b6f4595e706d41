"""Matching volunteers (and organizations' offers) to activity occurrences and micro-wishes.

Pure computation on plain arrays: numpy, scipy, scikit-learn, skops and OR-Tools only.

Inputs (see `matching.data`): `VolunteerArrays`, `TargetArrays`, `Commitments` (existing
sign-ups), and for offers `OfferArrays` (see `matching.offers`).
Pipeline: spatial candidates (`VolunteerIndex`, a KD-tree on unit vectors) → hard rules
(`rule_failures`, `why_not`; a rule is never a soft score) → pair features (`pair_features`,
`FEATURE_NAMES`: the pair, what the person declared, and their own history learned from the
invitation log, `matching.history`) → scorer (`PriorScorer` before enough staff decisions, then
whichever of `LogisticScorer` and `BoostedScorer` wins on the latest decisions; each `explain`s its
scores per feature) → assignment within every per-person limit (`assign_within_limits`: min-cost
flow rounds whose counts cannot break an hours limit, then CP-SAT with the exact hour sums).
Entry points: `rank_candidates` and `match_batch` in `matching.engine`; `rank_offers` and
`match_offers` in `matching.offers`. Bad input gives empty results, never exceptions.
"""

from matching.assign import FlowResult, solve_assignment
from matching.candidates import CandidatePairs, VolunteerIndex, candidate_pairs
from matching.data import Commitments, Merged, TargetArrays, VolunteerArrays, concat_volunteers, merge_volunteers
from matching.engine import Assignment, Ranking, match_batch, rank_candidates
from matching.evaluation import Comparison, library_versions, paired_bootstrap
from matching.features import FEATURE_LABELS_EN, FEATURE_LABELS_ZH, FEATURE_NAMES, PERSONAL_FEATURES, pair_features
from matching.history import InvitationLog, person_profile
from matching.limits import assign_within_limits
from matching.model import (
    TRUSTED_TYPES, BoostedScorer, Explanation, LogisticScorer, PriorScorer, TrainingResult, dumps_model, evaluate, load_model,
    loads_model, prior_scorer, save_model, score_pairs, should_activate, train_scorer,
)
from matching.offers import OFFER_FEATURE_NAMES, OfferArrays, match_offers, offer_prior, rank_offers
from matching.rules import (
    PAIR_RULES, RULE_CODES, RULE_LABELS_EN, RULE_LABELS_ZH, RuleConfig, batch_conflicts, describe_rules, eligible,
    rule_failures, why_not,
)

__all__ = (
    "VolunteerArrays", "TargetArrays", "Commitments", "Merged", "merge_volunteers", "concat_volunteers", "VolunteerIndex", "CandidatePairs", "candidate_pairs",
    "RuleConfig", "RULE_CODES", "PAIR_RULES", "RULE_LABELS_ZH", "RULE_LABELS_EN", "rule_failures", "eligible",
    "batch_conflicts", "why_not", "describe_rules", "FEATURE_NAMES", "FEATURE_LABELS_ZH", "FEATURE_LABELS_EN",
    "pair_features", "PERSONAL_FEATURES", "InvitationLog", "person_profile", "assign_within_limits",
    "PriorScorer", "LogisticScorer", "BoostedScorer", "prior_scorer", "score_pairs", "Explanation",
    "TrainingResult", "train_scorer", "evaluate", "should_activate", "TRUSTED_TYPES", "dumps_model",
    "loads_model", "save_model", "load_model", "FlowResult", "solve_assignment", "Ranking", "Assignment",
    "rank_candidates", "match_batch", "OfferArrays", "OFFER_FEATURE_NAMES", "offer_prior", "rank_offers",
    "match_offers", "Comparison", "paired_bootstrap", "library_versions",
)
