"""The MDP refinement kernel against its numpy reference (the incremental rounds), exactly."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abstractions import MarkovDecisionProcess, Partition
from abstractions._engine.choice_refine import (
    _kernel_arrays,
    refine_choices,
    refine_choices_numpy,
)
from abstractions._engine.relation import Relation
from abstractions._kernels import _choice_refine
from tests.test_mdp import MODES, mdps


def _both(rel: Relation, labels: np.ndarray) -> None:
    """Kernel and reference give the same canonical labels above ``labels``."""
    labels = Partition.from_labels(labels).labels
    k = int(labels.max(initial=-1)) + 1
    assert _kernel_arrays(rel) is not None  # the kernel runs
    got, k_got = refine_choices(rel, labels, k)
    want, k_want = refine_choices_numpy(rel, labels, k)
    assert k_got == k_want
    np.testing.assert_array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(mdps(exact=True, max_states=7), st.data())
def test_kernel_equals_reference_exact(
    case: tuple[MarkovDecisionProcess, list[int]], data: Any
) -> None:
    M, output = case
    beta = data.draw(st.lists(st.integers(0, 2), min_size=M.n, max_size=M.n))
    _both(M._relation(), np.array(beta, dtype=np.int64))
    _both(M._relation(), np.array(output, dtype=np.int64))


@settings(max_examples=60, deadline=None)
@given(mdps(exact=False, max_states=7))
def test_kernel_equals_reference_float(case: tuple[MarkovDecisionProcess, list[int]]) -> None:
    M, output = case
    _both(M._relation(), np.array(output, dtype=np.int64))


def random_mdp(
    seed: int, n: int, exact: bool, mode: str, wide: bool = False
) -> MarkovDecisionProcess:
    """A ring with short cuts (long chains of splits); ``wide``: long choices and many choices."""
    rng = np.random.default_rng(seed)
    counts = rng.integers(0 if seed % 2 else 1, 20 if wide else 3, size=n)
    rows = []
    for s in range(n):
        choices = []
        for _ in range(int(counts[s])):
            # wide: 2 ** 5 transitions of weight 1 or 3 (a small common denominator)
            size = int(rng.choice([1, 2, 32])) if wide else int(rng.integers(1, 3))
            targets = (s + rng.integers(1, 4, size=size)) % n
            weights = rng.integers(1, 3, size=size)
            if wide:
                weights[size // 2 :] = 4 - weights[: size - size // 2]
            total = int(weights.sum())
            dist: dict[int, Any] = {}
            for t, w in zip(targets.tolist(), weights.tolist()):
                p = Fraction(w, total) if exact else w / total
                dist[t] = dist.get(t, 0) + p
            choices.append((str(rng.choice(["a", "b"])), dist))
        rows.append(choices)
    return MarkovDecisionProcess(
        rows, output=(np.arange(n) % 7 == 0).astype(int).tolist(), actions=mode
    )


@pytest.mark.parametrize("seed", range(4))
def test_kernel_equals_reference_on_hundreds_of_states(seed: int) -> None:
    for exact in (True, False):
        for mode in MODES:
            M = random_mdp(seed, 300, exact, mode)
            _both(M._relation(), (np.arange(M.n) % 7 == 0).astype(np.int64))


def test_kernel_long_choices_and_many_choices() -> None:
    """Choices and states beyond the insertion-sort length take the heapsort paths."""
    for exact in (True, False):
        M = random_mdp(3, 60, exact, "ignore", wide=True)
        _both(M._relation(), (np.arange(M.n) % 5 == 0).astype(np.int64))
        _both(M._relation(), np.zeros(M.n, dtype=np.int64))


def test_hash_collisions_are_resolved_exactly(monkeypatch: pytest.MonkeyPatch) -> None:
    """With every hash equal, the exact comparison alone separates the signatures."""
    import abstractions._kernels.choices as module

    monkeypatch.setattr(module, "_mix", lambda z: np.uint64(7))
    # The Python function, which looks _mix up at run time (plain under
    # NUMBA_DISABLE_JIT), with its helpers as Python too: compiled, they
    # have no entry point that Python can call.
    for helper in ("_insert_pairs", "_heap_pairs", "_same_set"):
        compiled = getattr(module, helper)
        monkeypatch.setattr(module, helper, getattr(compiled, "py_func", compiled))
    kernel = getattr(module._choice_refine, "py_func", module._choice_refine)
    for seed in range(3):
        for exact in (True, False):
            M = random_mdp(seed, 40, exact, MODES[seed % 2])
            rel = M._relation()
            labels = (np.arange(M.n) % 7 == 0).astype(np.int64)
            sptr, cptr, action = _kernel_arrays(rel)  # type: ignore[misc]
            floats = rel.weights.dtype.kind == "f"  # type: ignore[union-attr]
            wi = np.zeros(0, np.int64) if floats else rel.weights
            wf = rel.weights if floats else np.zeros(0)
            with np.errstate(over="ignore"):
                out, k = kernel(
                    sptr,
                    cptr,
                    rel.targets,
                    wi,
                    wf,
                    int(floats),
                    1.0 / rel.tol,
                    action,
                    labels,
                    2,
                )
            want = refine_choices_numpy(rel, labels, 2)
            assert Partition.from_labels(out) == Partition.from_labels(want[0]) and k == want[1]


def test_sums_beyond_int64_keep_the_numpy_rounds() -> None:
    """Numerators whose sums could overflow int64 are not handed to the kernel."""
    big = 2**62
    rel = Relation(
        np.array([0, 2, 3]), np.array([0, 1, 1]), "choices",
        weights=np.array([big, big - 1, 2 * big - 1]), den=2 * big - 1,
        choices=np.array([0, 0, 1]),
    )  # fmt: skip
    assert _kernel_arrays(rel) is None
    got = refine_choices(rel, np.array([0, 1]), 2)
    assert got[1] == 2 and got[0].tolist() == [0, 1]
    assert _choice_refine.__name__ == "_choice_refine"


def test_small_mdps_take_the_kernel_once_compiled() -> None:
    """Once the kernel is compiled, "auto" hands small MDPs to it: same partition as rounds."""
    from abstractions import minimal_complete_abstraction, output_abstraction
    from abstractions._engine.choice import _choice_kernel_ready
    from abstractions._warmup import _calls

    for name, gate, args in _calls():
        if name == "_choice_refine":
            gate(*args)
    has_jit = hasattr(_choice_refine.dispatcher, "signatures")
    assert _choice_kernel_ready() == has_jit
    for seed in range(2):
        M = random_mdp(seed, 50, seed == 0, MODES[seed])
        beta = output_abstraction(M)
        auto = minimal_complete_abstraction(M, beta)
        assert auto == minimal_complete_abstraction(M, beta, method="rounds")
