"""Markov decision processes: bisimulation from the definition, on every partition of small MDPs."""

from __future__ import annotations

import pickle
from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions import (
    InvalidTypeError,
    InvalidValueError,
    MarkovDecisionProcess,
    NotCompleteError,
    Partition,
    System,
    abstract_computation,
    complete_abstractions,
    completion,
    find_violation,
    is_complete,
    minimal_complete_abstraction,
    output_abstraction,
)

MODES = ("respect", "ignore")


# --------------------------------------------------------------------------
# The definition, in plain Python.


def observation(M: MarkovDecisionProcess, labels: list[int], s: int, respect: bool) -> frozenset:
    """The set of (action, block distribution) of state s's choices (exact sums)."""
    seen = set()
    for action, dist in M.choices(s):
        mass: dict[int, Fraction] = {}
        for t, p in dist.items():
            mass[labels[t]] = mass.get(labels[t], Fraction(0)) + Fraction(p)
        seen.add((action if respect else None, frozenset(mass.items())))
    return frozenset(seen)


def stable(M: MarkovDecisionProcess, labels: list[int], respect: bool) -> bool:
    """Related states have the same set of choice observations."""
    first: dict[int, frozenset] = {}
    for s in range(M.n):
        o = observation(M, labels, s, respect)
        if first.setdefault(labels[s], o) != o:
            return False
    return True


def partitions_of(n: int) -> list[list[int]]:
    """Every partition of range(n) as a restricted growth string."""
    found = [[0]]
    for _ in range(n - 1):
        found = [p + [b] for p in found for b in range(max(p) + 2)]
    return found


def refines(fine: list[int], coarse: list[int]) -> bool:
    return all(
        coarse[i] == coarse[j]
        for i in range(len(fine))
        for j in range(len(fine))
        if fine[i] == fine[j]
    )


def coarsest_stable(M: MarkovDecisionProcess, beta: list[int], respect: bool) -> list[int]:
    """By brute force: the stable refinement of beta that every other one refines."""
    candidates = [p for p in partitions_of(M.n) if refines(p, beta) and stable(M, p, respect)]
    best = min(candidates, key=max)  # fewest blocks; then check every other one refines it
    assert all(refines(p, best) for p in candidates)
    return best


# --------------------------------------------------------------------------
# Random small MDPs.


@st.composite
def mdps(
    draw: Any, exact: bool = True, max_states: int = 5
) -> tuple[MarkovDecisionProcess, list[int]]:
    n = draw(st.integers(1, max_states))
    rows = []
    for _ in range(n):
        choices = []
        for _ in range(draw(st.integers(0 if draw(st.booleans()) else 1, 3))):
            targets = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3))
            weights = draw(
                st.lists(st.integers(1, 2), min_size=len(targets), max_size=len(targets))
            )
            total = sum(weights)
            if not exact:
                # powers of two: float sums are exact, so the definition's sums apply
                weights = [1] * len(targets)
                targets = targets[: 1 << (len(targets).bit_length() - 1)]
                weights, total = [1] * len(targets), len(targets)
            dist: dict[int, Any] = {}
            for t, w in zip(targets, weights):
                p = Fraction(w, total) if exact else w / total
                dist[t] = dist.get(t, 0) + p
            choices.append((draw(st.sampled_from(["a", "b"])), dist))
        rows.append(choices)
    output = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    M = MarkovDecisionProcess(rows, output=output, actions=draw(st.sampled_from(MODES)))
    return M, output


def test_example_from_the_docstring() -> None:
    """A coin-flipping choice separates states that agree on everything else."""
    half = Fraction(1, 2)
    M = MarkovDecisionProcess(
        [[("flip", {2: half, 3: half}), ("stay", {0: 1})], [("flip", {2: half, 3: half})],
         [("stay", {2: 1})], [("stay", {3: 1})]],
        output=[0, 0, 1, 2],
    )  # fmt: skip
    P = minimal_complete_abstraction(M, output_abstraction(M))
    assert P.n_blocks == 4
    # a duplicated choice counts once: a state with the flip twice is bisimilar to 1
    N = MarkovDecisionProcess(
        [[("flip", {1: half, 2: half}), ("flip", {2: half, 1: half})], [("flip", [0, half, half])],
         [("s", {2: 1})]],
        output=[0, 0, 1],
    )  # fmt: skip
    assert minimal_complete_abstraction(N, output_abstraction(N)).labels.tolist() == [0, 0, 1]


@settings(max_examples=25, deadline=None)
@given(mdps(exact=True))
def test_is_complete_is_the_definition_exact(case: tuple[MarkovDecisionProcess, list[int]]) -> None:
    """is_complete agrees with the definition on every partition (exact probabilities)."""
    M, _ = case
    respect = M.actions_mode == "respect"
    for p in partitions_of(M.n):
        assert is_complete(M, p) == stable(M, p, respect), p
        assert (find_violation(M, p) is None) == stable(M, p, respect)


@settings(max_examples=20, deadline=None)
@given(mdps(exact=False))
def test_is_complete_is_the_definition_float(case: tuple[MarkovDecisionProcess, list[int]]) -> None:
    """is_complete agrees with the definition on every partition (float probabilities)."""
    M, _ = case
    assert not M.exact or M.n_transitions == 0
    respect = M.actions_mode == "respect"
    for p in partitions_of(M.n):
        assert is_complete(M, p) == stable(M, p, respect), p


@settings(max_examples=25, deadline=None)
@given(mdps(exact=True) | mdps(exact=False))
def test_minimal_is_the_coarsest_stable_refinement(
    case: tuple[MarkovDecisionProcess, list[int]],
) -> None:
    """minimal_complete_abstraction is the brute-force coarsest stable refinement of beta."""
    M, output = case
    respect = M.actions_mode == "respect"
    beta = Partition.from_labels(output)
    truth = coarsest_stable(M, beta.labels.tolist(), respect)
    for method in ("auto", "rounds", "splitters", "reference"):
        P = minimal_complete_abstraction(M, beta, method=method)
        assert P == Partition.from_labels(truth), method
    assert complete_abstractions(M, beta)[0] == Partition.from_labels(truth)
    # the completion operator: C(beta) splits beta by the observations
    obs = [observation(M, beta.labels.tolist(), s, respect) for s in range(M.n)]
    keys = list(zip(beta.labels.tolist(), obs))
    assert completion(M, beta) == Partition.from_labels([keys.index(k) for k in keys])


@settings(max_examples=20, deadline=None)
@given(mdps(exact=True) | mdps(exact=False))
def test_quotient_is_an_mdp_on_the_blocks(case: tuple[MarkovDecisionProcess, list[int]]) -> None:
    """The abstract MDP: each block has its representative's choices, lifted, duplicates merged."""
    M, output = case
    respect = M.actions_mode == "respect"
    P = minimal_complete_abstraction(M, output_abstraction(M))
    A, Q = abstract_computation(M, P)
    assert isinstance(A, MarkovDecisionProcess) and A.n == P.n_blocks
    assert A.exact == M.exact and A.actions_mode == M.actions_mode
    labels = P.labels.tolist()
    identity = list(range(A.n))
    for s in range(M.n):
        assert observation(A, identity, labels[s], respect) == observation(M, labels, s, respect)
        assert len(A.choices(labels[s])) == len(observation(M, labels, s, respect))
    # the abstract system is itself minimal
    assert minimal_complete_abstraction(A, output_abstraction(A)).n_blocks == A.n
    assert pickle.loads(pickle.dumps(M)) == M
    assert System.from_dict(M.to_dict()) == M
    other = "ignore" if respect else "respect"
    assert M.with_actions(other).with_actions(M.actions_mode) == M != M.with_actions(other)


def test_actions_matter_only_when_respected() -> None:
    """Same distributions under different actions: merged when actions are ignored."""
    rows = [[("a", {2: 1})], [("b", {2: 1})], [("a", {2: 1})]]
    respected = MarkovDecisionProcess(rows, output=[0, 0, 1])
    ignored = MarkovDecisionProcess(rows, output=[0, 0, 1], actions="ignore")
    assert minimal_complete_abstraction(respected, [0, 0, 1]).n_blocks == 3
    assert minimal_complete_abstraction(ignored, [0, 0, 1]).n_blocks == 2
    with pytest.raises(NotCompleteError, match="choice on 'a'"):
        abstract_computation(respected, [0, 0, 1])


def test_arrays_and_lists_agree() -> None:
    """The CSR form (Storm's row groups) builds the same MDP as the lists."""
    rows = [[("a", [0.5, 0.5, 0.0]), ("b", {2: 1.0})], [], [("a", {2: 1.0})]]
    M = MarkovDecisionProcess(rows)
    arrays = (np.array([0, 2, 2, 3]), np.array([0, 2, 3, 4]), np.array([0, 1, 2, 2]),
              np.array([0.5, 0.5, 1.0, 1.0]), ["a", "b", "a"])  # fmt: skip
    assert MarkovDecisionProcess(arrays) == M
    assert M.n_choices == 3 and M.choices(1) == []
    R = M.restrict([2])
    assert R.choices(0) == [("a", {0: 1.0})]
    assert M.restrict_to_reachable()[0] == M


def test_errors_name_the_argument() -> None:
    """Bad distributions, mixed exact and float, bad actions and bad arrays are refused."""
    with pytest.raises(InvalidValueError, match="choice 1 of state 0 .* summing to 1/2"):
        MarkovDecisionProcess([[("a", {0: 1}), ("b", {0: Fraction(1, 2)})]])
    with pytest.raises(InvalidValueError, match="not to 1 within"):
        MarkovDecisionProcess([[{0: 0.7}]])
    with pytest.raises(InvalidTypeError, match="mixes exact and float"):
        MarkovDecisionProcess([[{0: Fraction(1, 2), 1: 0.5}], [{1: 1}]])
    with pytest.raises(InvalidValueError, match="not a probability"):
        MarkovDecisionProcess([[{0: Fraction(3, 2), 1: Fraction(-1, 2)}], [{1: 1}]])
    with pytest.raises(InvalidValueError, match="actions must be 'respect' or 'ignore'"):
        MarkovDecisionProcess([[{0: 1}]], actions="sensitive")
    with pytest.raises(InvalidTypeError, match="actions must be"):
        MarkovDecisionProcess([[{0: 1}]], actions=True)  # type: ignore[arg-type]
    with pytest.raises(InvalidValueError, match="target 5, out of range"):
        MarkovDecisionProcess([[{5: 1}]])
    with pytest.raises(InvalidValueError, match="row of 3 probabilities, expected 1"):
        MarkovDecisionProcess([[("a", [1, 0, 0])]])
    with pytest.raises(InvalidValueError, match="row_indptr has 2 entries, expected 3"):
        MarkovDecisionProcess((np.array([0, 2]), np.array([0, 1]), np.array([0]), np.array([1.0])))
    with pytest.raises(InvalidTypeError, match="choices must be one sequence"):
        MarkovDecisionProcess(5)


# --------------------------------------------------------------------------
# Storm: its two MDP bisimulations are ours.
#
# stormpy.transformations.BisimulationOptions has preserve_choice_labels
# (default True: a choice is matched only by a choice with the same label,
# our actions="respect"; False: the sets of distributions, our "ignore")
# and action_sensitive (default False; True matches choice i with choice i,
# by position: a DFA's letters, which is our LabelledSystem, not an MDP).


def _storm_blocks(model: Any, preserve_labels: bool) -> int:
    import stormpy.transformations as stt

    options = stt.BisimulationOptions()
    options.bisimulation_type = stt.BisimulationType.STRONG
    options.preserve_choice_labels = preserve_labels
    return int(stt.perform_bisimulation(model, [], options=options).nr_states)


def _storm_mdp(M: MarkovDecisionProcess, output: list[int]) -> Any:
    """M as a sparse Storm MDP: row groups, choice labels, every state initial, output labels."""
    import stormpy.datastructures as sd
    import stormpy.models as sm

    rows = np.repeat(np.arange(M.n_choices), np.diff(M.row_indptr))
    builder = sd.SparseMatrixBuilder(
        rows=M.n_choices, columns=M.n, entries=M.n_transitions, force_dimensions=True,
        has_custom_row_grouping=True, row_groups=M.n,
    )  # fmt: skip
    builder.add_next_values(
        rows.tolist(), M.targets.tolist(), [float(p) for p in M.probabilities],
        M.choice_indptr[:-1].tolist(),
    )  # fmt: skip
    labeling = sm.StateLabeling(M.n)
    labeling.add_label("init")
    labeling.set_states("init", sd.BitVector(M.n, True))  # every state reachable
    for j in sorted(set(output)):
        labeling.add_label(f"o{j}")
        labeling.set_states(f"o{j}", sd.BitVector(M.n, [s for s in range(M.n) if output[s] == j]))
    components = sm.SparseModelComponents(
        transition_matrix=builder.build(), state_labeling=labeling
    )
    assert M.choice_actions is not None and M.symbols is not None
    choice_labels = sm.ChoiceLabeling(M.n_choices)
    for a, name in enumerate(M.symbols):
        choice_labels.add_label(str(name))
        chosen = np.flatnonzero(M.choice_actions == a).tolist()
        choice_labels.set_choices(str(name), sd.BitVector(M.n_choices, chosen))
    components.choice_labeling = choice_labels
    return sm.SparseMdp(components)


@st.composite
def storm_mdps(draw: Any) -> tuple[MarkovDecisionProcess, list[int]]:
    """MDPs with a choice in every state, dyadic probabilities (exact in floats) and actions."""
    n = draw(st.integers(1, 7))
    rows = []
    for _ in range(n):
        choices = []
        for _ in range(draw(st.integers(1, 3))):
            targets = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=4, unique=True))
            weights = draw(st.sampled_from([[1.0], [0.5, 0.5], [0.25, 0.75], [0.25, 0.25, 0.5]]))
            dist = dict(zip(targets, weights[: len(targets)]))
            if sum(dist.values()) != 1.0:
                dist = {targets[0]: 1.0}
            choices.append((draw(st.sampled_from(["a", "b"])), dist))
        rows.append(choices)
    output = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    return MarkovDecisionProcess(rows, output=output), output


@settings(max_examples=30, deadline=None)
@given(storm_mdps())
def test_storm_gives_our_partition_on_random_mdps(
    case: tuple[MarkovDecisionProcess, list[int]],
) -> None:
    """Ours is stable (the definition), refines beta and has as many blocks as Storm's.

    Storm hands back the quotient, not the map from states to blocks: a
    stable refinement of beta with as many blocks as the coarsest one is it.
    """
    from tests.helpers import require_extra

    require_extra("models")
    M, output = case
    model = _storm_mdp(M, output)
    for mode, preserve in (("respect", True), ("ignore", False)):
        N = M.with_actions(mode)
        P = minimal_complete_abstraction(N, output)
        assert stable(N, P.labels.tolist(), mode == "respect")
        assert P >= Partition.from_labels(output)
        assert P.n_blocks == _storm_blocks(model, preserve), mode


@pytest.mark.parametrize(
    "name",
    ["coin2-2.nm", "two_dice.nm", "csma2-2.nm", "leader3.nm",
     pytest.param("firewire3-0.5.nm", marks=pytest.mark.slow)],
)  # fmt: skip
def test_storm_examples(name: str) -> None:
    """Storm's shipped MDP examples, read by from_stormpy: as many blocks, both flavours."""
    from tests.helpers import require_extra

    require_extra("models")
    import os

    import stormpy
    import stormpy.examples.files as files

    from abstractions.formats import from_stormpy

    program = stormpy.parse_prism_program(
        os.path.join(os.path.dirname(files.__file__), "files", "mdp", name)
    )
    options = stormpy.BuilderOptions()
    options.set_build_all_labels()
    options.set_build_choice_labels(True)
    model = stormpy.build_model(program, options=options)
    M = from_stormpy(model)
    assert isinstance(M, MarkovDecisionProcess) and M.n == model.nr_states
    initial = np.zeros(M.n, dtype=np.int64)
    initial[M.input_states] = 1
    beta = output_abstraction(M) | Partition.from_labels(initial)  # Storm keeps "init" too
    for mode, preserve in (("respect", True), ("ignore", False)):
        N = M.with_actions(mode)
        P = minimal_complete_abstraction(N, beta)
        assert P >= beta and stable(N, P.labels.tolist(), mode == "respect")
        assert P.n_blocks == _storm_blocks(model, preserve), mode


@pytest.mark.parametrize("seed", range(6))
def test_incremental_refinement_equals_whole_rounds(seed: int) -> None:
    """The incremental rounds (auto, splitters) give the whole rounds' partition on larger MDPs."""
    rng = np.random.default_rng(seed)
    n = 300
    counts = rng.integers(0 if seed % 2 else 1, 3, size=n)
    choice_ptr = np.concatenate([[0], np.cumsum(counts)])
    sizes = rng.integers(1, 3, size=int(choice_ptr[-1]))
    row_ptr = np.concatenate([[0], np.cumsum(sizes)])
    # a ring with short cuts: long chains of splits, as in protocol models
    owner = np.repeat(np.repeat(np.arange(n), counts), sizes)
    targets = (owner + rng.integers(1, 3, size=owner.shape[0])) % n
    probs = np.concatenate([[1.0] if s == 1 else [0.25, 0.75] for s in sizes])
    actions = rng.choice(["a", "b"], size=int(choice_ptr[-1]))
    for mode in MODES:
        M = MarkovDecisionProcess(
            (choice_ptr, row_ptr, targets, probs, actions), actions=mode,
            output=(np.arange(n) % 7 == 0).astype(int),
        )  # fmt: skip
        beta = output_abstraction(M)
        whole = minimal_complete_abstraction(M, beta, method="rounds")
        assert minimal_complete_abstraction(M, beta, method="splitters") == whole
        assert minimal_complete_abstraction(M, beta) == whole
        assert is_complete(M, whole) and whole.n_blocks > 1


def test_uniform_scheduler_walk_and_other_kinds_refuse() -> None:
    """A random walk picks a choice uniformly; stuttering refuses MDPs by name."""
    from abstractions import stuttering_abstraction
    from abstractions._engine.weighted import step_probabilities

    M = MarkovDecisionProcess([[("a", {0: 0.5, 1: 0.5}), ("b", {1: 1.0})], [("a", {1: 1.0})]])
    assert step_probabilities(M._relation()).tolist() == [0.25, 0.25, 0.5, 1.0]
    with pytest.raises(InvalidTypeError, match="kind 'mdp'"):
        stuttering_abstraction(M, [0, 0])
