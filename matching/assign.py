"""Capacity-aware exact assignment over the candidate graph, as a min-cost flow (OR-Tools).

Network: source → volunteer (optional layer) → volunteer-day → target → sink, plus a
source → sink arc for flow left unassigned, so every instance is feasible. Costs are
integers: −round(utility × SCALE) on pair arcs, so the min-cost flow is the max-utility
assignment. Only pairs with positive integer utility get an arc (a zero-utility pair is never
worth a slot). Fairness adds convex costs on the source → volunteer arcs: the j-th assignment of
a volunteer in the batch costs fairness × (load + j − 1), so extra work goes to less-loaded people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

SCALE = 1_000_000


@dataclass
class FlowResult:
    """Chosen pairs (indexes into the input pair arrays) and the objective parts."""

    chosen: np.ndarray
    utility: float          # Σ utility of chosen pairs
    penalty: float          # Σ fairness cost paid
    status: str

    @property
    def objective(self) -> float:
        return self.utility - self.penalty


@dataclass
class FlowGraph:
    """Arrays of one min-cost-flow instance, kept so the raw solver can be timed on the same graph."""

    tails: np.ndarray
    heads: np.ndarray
    caps: np.ndarray
    costs: np.ndarray
    supply_nodes: np.ndarray
    supplies: np.ndarray
    pair_arc: np.ndarray    # arc index of each kept pair
    kept: np.ndarray        # pair indexes that got an arc


def build_graph(vi, tj, utility, capacity, *, target_day=None, k_per_day: int = 1, volunteer_capacity=None,
                load=None, fairness: float = 0.0) -> FlowGraph:
    """The flow network of an assignment problem (see module docstring)."""
    vi = np.asarray(vi, np.int64)
    tj = np.asarray(tj, np.int64)
    w = np.rint(np.asarray(utility, float) * SCALE).astype(np.int64)
    kept = np.flatnonzero(w > 0)
    vi, tj, w = vi[kept], tj[kept], w[kept]
    capacity = np.asarray(capacity, np.int64)
    day = np.zeros(tj.shape, np.int64) if target_day is None else np.asarray(target_day, np.int64)[tj]
    kept_cap = capacity[tj] > 0
    kept, vi, tj, w, day = kept[kept_cap], vi[kept_cap], tj[kept_cap], w[kept_cap], day[kept_cap]

    t_ids, t_node = np.unique(tj, return_inverse=True)
    # One integer key per volunteer-day (1-D unique is much faster than unique rows).
    d0 = int(day.min()) if day.size else 0
    span = int(day.max()) - d0 + 1 if day.size else 1
    vd_keys, vd_node = np.unique(vi * span + (day - d0), return_inverse=True)
    vd_node = vd_node.reshape(-1)
    vd_ids = np.stack([vd_keys // span, vd_keys % span + d0], axis=1)
    n_t, n_vd = t_ids.size, vd_ids.shape[0]
    source, sink = 0, 1
    base_vd, base_t = 2, 2 + n_vd
    base_v = base_t + n_t

    t_cap = np.minimum(capacity[t_ids], np.bincount(t_node, minlength=n_t))
    flow = int(t_cap.sum())
    tails = [base_vd + vd_node, base_t + np.arange(n_t)]
    heads = [base_t + t_node, np.full(n_t, sink)]
    caps = [np.ones(vi.size, np.int64), t_cap]
    costs = [-w, np.zeros(n_t, np.int64)]
    pair_arc = np.arange(vi.size)

    vd_cap = np.minimum(k_per_day, np.bincount(vd_node, minlength=n_vd)).astype(np.int64)
    use_volunteer_layer = fairness > 0 or volunteer_capacity is not None
    if not use_volunteer_layer:
        tails.append(np.full(n_vd, source))
        heads.append(base_vd + np.arange(n_vd))
        caps.append(vd_cap)
        costs.append(np.zeros(n_vd, np.int64))
    else:
        v_ids, v_of_vd = np.unique(vd_ids[:, 0], return_inverse=True)
        n_v = v_ids.size
        tails.append(base_v + v_of_vd)
        heads.append(base_vd + np.arange(n_vd))
        caps.append(vd_cap)
        costs.append(np.zeros(n_vd, np.int64))
        v_cap = np.bincount(v_of_vd, weights=vd_cap, minlength=n_v).astype(np.int64)
        if volunteer_capacity is not None:
            v_cap = np.minimum(v_cap, np.maximum(np.asarray(volunteer_capacity, np.int64)[v_ids], 0))
        if fairness > 0:
            # One unit arc per possible assignment, with increasing (convex) cost.
            owner = np.repeat(np.arange(n_v), v_cap)
            j = np.arange(owner.size) - np.repeat(np.cumsum(v_cap) - v_cap, v_cap)
            base_load = np.zeros(n_v) if load is None else np.asarray(load, float)[v_ids]
            tails.append(np.full(owner.size, source))
            heads.append(base_v + owner)
            caps.append(np.ones(owner.size, np.int64))
            costs.append(np.rint(fairness * SCALE * (base_load[owner] + j)).astype(np.int64))
        else:
            tails.append(np.full(n_v, source))
            heads.append(base_v + np.arange(n_v))
            caps.append(v_cap)
            costs.append(np.zeros(n_v, np.int64))
    # Unassigned flow goes straight to the sink at no cost, so the problem is always feasible.
    tails.append(np.array([source]))
    heads.append(np.array([sink]))
    caps.append(np.array([flow], np.int64))
    costs.append(np.array([0], np.int64))
    return FlowGraph(
        tails=np.concatenate(tails).astype(np.int32), heads=np.concatenate(heads).astype(np.int32),
        caps=np.concatenate(caps).astype(np.int64), costs=np.concatenate(costs).astype(np.int64),
        supply_nodes=np.array([source, sink], np.int32), supplies=np.array([flow, -flow], np.int64),
        pair_arc=pair_arc, kept=kept,
    )


def solve_graph(graph: FlowGraph) -> tuple[np.ndarray, str]:
    """Run SimpleMinCostFlow; returns the flow on every arc and the status name."""
    solver = min_cost_flow.SimpleMinCostFlow()
    if graph.tails.size == 0:
        return np.zeros(0, np.int64), "OPTIMAL"
    arcs = solver.add_arcs_with_capacity_and_unit_cost(graph.tails, graph.heads, graph.caps, graph.costs)
    solver.set_nodes_supplies(graph.supply_nodes, graph.supplies)
    status = solver.solve()
    if status != solver.OPTIMAL:
        return np.zeros(graph.tails.size, np.int64), str(status)
    return np.asarray(solver.flows(arcs)), "OPTIMAL"


def solve_assignment(vi, tj, utility, capacity, *, target_day=None, k_per_day: int = 1, volunteer_capacity=None,
                     load=None, fairness: float = 0.0) -> FlowResult:
    """Maximise Σ utility − fairness cost over pairs, with target capacities and k per volunteer-day.

    vi, tj, utility: pair arrays; capacity int[m] per target; target_day int[m] (None: one day);
    volunteer_capacity int[n] total per volunteer (None: only k per day); load float[n] existing
    work of each volunteer in units of one assignment (for fairness).
    """
    utility = np.asarray(utility, float)
    if np.asarray(vi).size == 0:
        return FlowResult(np.zeros(0, np.int64), 0.0, 0.0, "OPTIMAL")
    graph = build_graph(vi, tj, utility, capacity, target_day=target_day, k_per_day=k_per_day,
                        volunteer_capacity=volunteer_capacity, load=load, fairness=fairness)
    flows, status = solve_graph(graph)
    if status != "OPTIMAL" or flows.size == 0:
        return FlowResult(np.zeros(0, np.int64), 0.0, 0.0, status)
    chosen = np.sort(graph.kept[flows[graph.pair_arc] > 0])
    return FlowResult(chosen, float(utility[chosen].sum()),
                      fairness_penalty(np.asarray(vi)[chosen], load, fairness), status)


def fairness_penalty(chosen_volunteers: np.ndarray, load, fairness: float) -> float:
    """Σ over volunteers of fairness × Σ_{j=1..a} (load + j − 1) for a assignments: the convex cost paid."""
    if fairness <= 0 or chosen_volunteers.size == 0:
        return 0.0
    v, a = np.unique(chosen_volunteers, return_counts=True)
    base = np.zeros(v.size) if load is None else np.asarray(load, float)[v]
    return float(fairness * (a * base + a * (a - 1) / 2.0).sum())


__all__ = ("SCALE", "FlowResult", "FlowGraph", "build_graph", "solve_graph", "solve_assignment",
           "fairness_penalty")
