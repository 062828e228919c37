"""Compile every numba kernel once, ahead of the first real call."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["warmup"]

#: The kernels a helper process compiles while this one compiles the others:
#: about half of the compile time each (see ``_jit.COMPILE_SECONDS``), a
#: little less in the helper, which also starts Python and loads numba.
#: Kernels that share a jitted helper go to the same process, which compiles
#: it once: ``_signature_round`` and ``_is_stable`` (the gathers),
#: ``_branching_round`` and ``_saturate`` (the heapsort), ``_first_return``
#: and ``_next_change`` (the walks, here). ``_choice_refine`` (the MDP's,
#: about a sixth of the whole) went to the helper when it came, and
#: ``_lumping_defect`` and ``_quotient_rows`` later, so that the two halves
#: stay even: measured alone, 15.1 s here and 14.5 s there (a cold
#: ``warmup()`` 15.3 s, from 17.4 s with those two here). ``_function_profile``
#: came back here when ``_function_greedy`` (here) lost 40 % of its compile
#: time: on a slower, busy machine the halves then took 26.7 s here and
#: 27.9 s there, each alone (a cold ``warmup()`` 26-30 s beside 31-34 s
#: before).
_HELPER = frozenset(
    {
        "_signature_round", "_is_stable", "_peel_order", "_peel_blocks", "_branching_round",
        "_saturate",
        "_cycle_classes", "_tree_classes", "_final_states",
        "_plurality", "_choice_refine", "_lumping_defect", "_quotient_rows",
    }
)


def warmup() -> None:
    """Compile (or load from numba's on-disk cache) every kernel of the package.

    ``import abstractions`` compiles nothing, and partitions, computations,
    systems and learned systems of fewer than a few thousand elements are
    answered by numpy without any kernel (high-level steps, stuttering and
    the approximate notions call their kernels at every size). Each kernel
    is compiled on its first call on a larger input, which takes seconds the
    first time in an environment and a fraction of a second once numba's
    cache is warm (one line on the ``abstractions`` logger says when numba
    compiles). Call this once (e.g. at the top of a notebook or before
    timing) so that no later call waits for compilation.

    Notes
    -----
    Every kernel is called here on a tiny input. Each kernel's entry point
    fixes the dtype, layout and writeable flag of every argument, so this
    compiles exactly the specialisation that the public functions use for
    all inputs below ``2**31`` states; larger ones use int64 indices and
    compile their own on first use.

    When the kernels are not in the disk cache yet, the cache can be written
    and the machine has two cores or more, a helper process compiles about half
    of them into the cache meanwhile; this process then loads those. That
    halves the wait on an idle two-core machine. Without a disk cache
    (``ABSTRACTIONS_NUMBA_CACHE=0``) everything compiles here.

    Examples
    --------
    >>> from abstractions import warmup
    >>> warmup()
    """
    helper = _start_helper()
    for name, gate, args in _calls():
        if helper is None or name not in _HELPER:
            gate(*args)
    if helper is not None:
        try:
            helper.wait(timeout=900)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck helper
            helper.kill()
            helper.wait()
        # Loaded from the cache the helper filled (or compiled here if it failed).
        for name, gate, args in _calls():
            if name in _HELPER:
                gate(*args)


def _compile(group: str) -> None:
    """Call the kernels of ``group`` (``"helper"``): the helper process's work."""
    for name, gate, args in _calls():
        if (name in _HELPER) == (group == "helper"):
            gate(*args)


def _start_helper() -> subprocess.Popen[bytes] | None:
    """A process compiling the ``_HELPER`` kernels into the disk cache, if that helps."""
    from abstractions._kernels import KERNELS

    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - no affinity on this platform
        cores = os.cpu_count() or 1
    # A second process pays on any machine with two cores or more: on a
    # busy one the two processes still get more of the machine than one.
    # (The load average is no guide: this process's own work, or a job
    # that just ended, keeps it above 1 for a minute.)
    if cores < 2 or not sys.executable:
        return None
    try:
        dispatchers = [KERNELS[name].dispatcher for name in sorted(_HELPER)]
        from abstractions._kernels import _jit  # loaded with the dispatchers

        if not _jit.cache_enabled() or not all(hasattr(d, "_cache") for d in dispatchers):
            return None  # no disk cache to share, or NUMBA_DISABLE_JIT
        # Worth it only when something is neither in memory nor in the cache.
        if all(d.signatures or d._cache._cache_file._load_index() for d in dispatchers):
            return None
    except Exception:  # numba internals moved: just compile here
        return None
    root = str(Path(__file__).resolve().parent.parent)
    code = (
        f"import sys; sys.path.insert(0, {root!r}); import logging; "
        "logging.getLogger('abstractions').setLevel(logging.ERROR); "
        "from abstractions._warmup import _compile; _compile('helper')"
    )
    try:
        return subprocess.Popen(
            [sys.executable, "-c", code], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    except OSError:  # pragma: no cover - cannot start a process here
        return None


def _calls() -> Iterator[tuple[str, Callable[..., Any], tuple[Any, ...]]]:
    """Each kernel with tiny arguments of the roles it takes.

    No call needs another kernel's result, so that any subset can run in
    a process of its own.
    """
    from abstractions._kernels import KERNELS, hash_table, index_witness

    # A cycle of period 2 read twice, trees into it, a chain to a halted state.
    step = np.array([1, 2, 3, 0, 0, 4, 7, 7], dtype=np.int64)
    halted = np.arange(8) == 7
    beta = np.array([0, 1, 0, 1, 1, 1, 0, 0], dtype=np.int64)
    w = index_witness(step.shape[0])
    index = w.dtype
    # The same step as a relation: successor lists with weights, and its
    # predecessor lists (state t's predecessors, in source order).
    ptr = np.arange(9, dtype=np.int64)
    ints = np.ones(8, dtype=np.int64)
    reals = np.ones(8, dtype=np.float64)
    pindptr = np.array([0, 2, 3, 4, 5, 6, 6, 6, 8], dtype=np.int64)
    psrc = np.array([3, 4, 0, 1, 2, 5, 6, 7], dtype=index)
    # The functional graph of step: cycle 0 1 2 3, trees 4 5 into it, 7 fixed.
    # Its tree states in Kahn's order, with their successors.
    on_cycle = np.array([1, 1, 1, 1, 0, 0, 0, 1], dtype=np.bool_)
    queue = np.array([5, 6, 4], dtype=index)
    nxt = np.array([4, 7, 0], dtype=index)
    cls = np.array([0, 1, 0, 1, -2, -2, -1, 2], dtype=index)
    prev_class = np.array([1, 0, 2], dtype=index)
    prev_label = np.array([1, 0, 0], dtype=index)

    def call(name: str, *args: Any) -> tuple[str, Callable[..., Any], tuple[Any, ...]]:
        return name, KERNELS[name], args

    yield call("_first_occurrence", beta, 2)
    yield call("_first_occurrence", beta.astype(index), 2)  # the linear method's classes
    yield call("_meet_roots", beta, 2, step, 8)
    yield call("_reach", step, np.array([5], dtype=np.int64))
    yield call("_final_states", step, halted)
    yield call("_pair_labels", beta, step, 8, 8)
    yield call("_tree_order", step, np.empty(32, dtype=index))
    yield call("_cycle_classes", step, beta, 2, on_cycle, w)
    yield call("_tree_classes", queue, nxt, cls.copy(), 3, prev_class, prev_label, 4096,
               np.empty(32, dtype=index))
    # One block: the states keep their numbers (the lists above).
    yield call("_predecessors_by_block", ptr, step, ints, reals, 2, np.zeros(8, dtype=np.int64),
               1, w)
    yield call("_peel_order", ptr, step, np.empty(8, dtype=np.int64),
               np.empty(8, dtype=np.int64))
    for mode in (0, 1, 2):
        args = (ptr, step, ints, reals, mode, 0, 1.0)
        yield call("_signature_round", *args, beta, np.uint64(1))
        yield call("_is_stable", *args, beta, 2)
        # No cycle of step reaches 5, 6 and 4; the others are final blocks.
        yield call("_peel_blocks", *args, beta, np.array([0, 1, 2, 3, -1, -1, -1, 4]), 5,
                   np.array([5, 6, 4], dtype=np.int64), np.uint64(1),
                   np.zeros(16, dtype=np.uint64), np.empty(80, dtype=np.int64), 8)
        # One constellation: every state has weight 1 into the whole set.
        yield call("_coarsest_stable", pindptr, psrc, ints, reals, mode, 0, 1.0, beta, 2,
                   np.zeros(2, dtype=np.int64), w)
    # A relation's reach (the step as successor lists), quantised rows of a
    # learned computation, the plurality table of beta along step.
    yield call("_reach_csr", ptr, step, np.array([5], dtype=np.int64))
    # The quotient's rows: beta's first states, with and without symbols.
    for mode in (0, 1, 2):
        yield call("_quotient_rows", ptr, step, beta, ints, reals, mode, 1.0, beta,
                   np.array([0, 1], dtype=np.int64), 2)
        # beta's blocks checked against rows of their own (not the quotient's).
        yield call("_rows_agree", ptr, step, ints, reals, mode, 1.0, beta,
                   np.array([0, 1, 2], dtype=np.int64), np.array([0, 1], dtype=np.int64),
                   ints[:2], reals[:2])
    yield call("_row_ids", np.array([[0, 1], [1, 0], [0, 1]], dtype=np.int64))
    yield call("_plurality", beta, beta[step], reals, 2)
    # High-level steps: first returns to the halted state (from inputs 5, 6),
    # where runs first leave their block of beta.
    yield call("_first_return", step, halted, np.array([5, 6], dtype=np.int64), w)
    yield call("_next_change", step, beta, halted, 8, 9, w)
    # Branching bisimulation: the step with actions, action 0 silent; the one
    # inert transition (5 -> 4, inside block 1) goes to a lower state, as
    # the kernels need, and no state is on an inert cycle.
    symbols = np.array([1, 1, 1, 1, 0, 0, 1, 1], dtype=np.int64)
    cyclic = np.zeros(8, dtype=np.bool_)
    yield call("_silent_scc", ptr, step, symbols == 0)
    yield call("_branching_round", ptr, step, symbols, 0, cyclic, beta, 2, True, 64)
    yield call("_saturate", ptr, step, symbols, 0, cyclic, beta, True, 64)
    # Approximate notions: the first state stepping off the plurality step of
    # beta, the lumpability defect of the step as a Markov chain (float
    # probabilities; integer numerators take the same types), every round's
    # blocks and loss.
    yield call("_first_mismatch", beta, beta[step], np.array([1, 0], dtype=np.int64), reals)
    yield call("_lumping_defect", ptr, step, beta, 2, reals, reals,
               np.zeros(0, dtype=np.int64), 1e9)
    yield call("_function_profile", step, beta, reals, -1, index_witness(16))
    # coarsen of a function: units (block, target) with their weights, the
    # (block, beta class) pairs with theirs, two groups' starting rows and sums.
    yield call("_function_greedy", np.stack([beta, beta[step]]), reals,
               np.array([[0, 1], [0, 1]], dtype=np.int64), np.array([4.0, 4.0]),
               np.zeros((7, 2)), np.array([0.0, 0.0, 0.0, 8.0, 0.0, 0.0, 0.0, np.inf]), 1, 64)
    # coarsen of a Markov chain: the states as units of one row each (block
    # step, quanta 1), each its own block and group; groups 0 and 1 merge.
    units = np.arange(8, dtype=np.int64)
    none = np.full(8, -1, dtype=np.int64)
    by_target = np.argsort(step, kind="stable")
    inward = np.concatenate([np.searchsorted(step[by_target], np.arange(9)), by_target])
    yield call("_tv_merge_errors", ptr, np.stack([step, ints, units]), reals, reals,
               np.stack([units, none]), inward, np.stack([units, units, none, units, ints]),
               np.stack([reals, np.zeros(8)]), 0, 1)
    # Variables: states as two variables (beta, step), grouped by a key in a
    # hash table of the index dtype.
    yield call("_conflicts", beta, step, hash_table(8), 4)
    yield call("_dense_ids", step, hash_table(8))
    yield call("_linear_key", np.zeros(8, dtype=np.int64), np.stack([beta, step]),
               np.array([0, 1], dtype=np.int64), np.array([8, 1], dtype=np.int64))
    # A Markov decision process: the step as one choice per state (action 0),
    # exact weights (float ones take the same types).
    yield call("_choice_refine", ptr, ptr, step, ints, reals, 0, 1.0,
               np.zeros(8, dtype=np.int64), beta, 2)
