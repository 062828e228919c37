"""warmup() compiles every kernel path the public functions take; import compiles none.

The coverage test runs in a fresh subprocess (with the JIT on, whatever this
process runs under): it calls warmup(), records every numba dispatcher's
signatures, calls each public function on fresh inputs above the
small-input threshold given as int32 and as int64 arrays, and asserts that
no dispatcher gained a signature.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import abstractions
import abstractions._kernels as kernels


def test_warmup_compiles_every_kernel():
    """After warmup() every kernel has a compiled specialisation (plain functions under no-JIT)."""
    abstractions.warmup()
    for name, gate in kernels.KERNELS.items():
        if hasattr(gate, "signatures"):  # a numba dispatcher (absent with NUMBA_DISABLE_JIT=1)
            assert gate.signatures, f"{name} was not compiled by warmup()"


def test_import_loads_no_numba():
    """import abstractions neither imports numba nor compiles anything."""
    code = "import sys, abstractions; print('numba' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


_COVERAGE = textwrap.dedent(
    """
    import importlib, json
    from fractions import Fraction
    import numpy as np
    import abstractions as ab
    from abstractions import _config

    MODULES = [importlib.import_module(f"abstractions._kernels.{name}")
               for name in ("approximate", "choices", "csr", "graph", "labels", "refine", "rows",
                            "signatures", "splitters", "steps", "variables")]

    def signatures():
        found = {}
        for module in MODULES:
            for name, obj in vars(module).items():
                if hasattr(obj, "signatures") and hasattr(obj, "py_func"):
                    found[f"{module.__name__}.{name}"] = sorted(map(str, obj.signatures))
        return found

    ab.warmup()
    before = signatures()
    n = _config.SMALL_INPUT + 1000
    rng = np.random.default_rng(0)
    calls = 0

    def run(f, *args, **kwargs):
        global calls
        calls += 1
        return f(*args, **kwargs)

    for dtype in (np.int32, np.int64):
        ints = lambda values: np.asarray(values).astype(dtype)
        # Partitions: sparse and dense labels, the lattice, pullback.
        P = run(ab.Partition.from_labels, ints(rng.integers(0, 2**30, n)))
        Q = run(ab.Partition.from_labels, ints(rng.integers(0, 7, n)))
        R = run(ab.Partition.from_labels, ints(rng.integers(-5, 2**20, n) * 1000))
        run(ab.Partition.kernel, ints(rng.integers(0, n, n)), n)
        run(P.__or__, Q); run(P.__and__, Q); run(Q.__and__, R); run(P.__le__, Q)
        run(Q.pullback, ints(rng.integers(0, n, n)))
        # Computations: a random one and a long chain into a halted state.
        step = ints(rng.integers(0, n, n))
        chain = ints(np.append(np.arange(1, n), n - 1))
        halted = np.arange(n) == n - 1
        for s in (step, chain):
            C = run(ab.Computation, s, halted=halted, output=ints(np.arange(n) % 3),
                    inputs=ints([0, 1, 2]))
            run(C.final_states); run(C.reachable_states)
            for beta in (run(ab.output_abstraction, C), run(ab.halting_abstraction, C)):
                for method in ab.METHODS:
                    minimal = run(ab.minimal_complete_abstraction, C, beta, method=method)
                run(ab.is_complete, C, beta); run(ab.find_violation, C, beta)
                run(ab.completion, C, beta)
                run(ab.abstract_computation, C, minimal)
        # Systems of every kind, random (signature rounds) and chains (splitters).
        T = ab.TransitionSystem
        succ = rng.integers(0, n, (n, 3))
        ptr = ints(np.arange(0, 3 * n + 1, 3))
        acts = ints(rng.integers(0, 3, 3 * n))
        two = ints(np.stack([np.append(np.arange(1, n), n - 1), rng.integers(0, n, n)]))
        systems = [
            T.labelled(two, output=ints(np.arange(n) == n - 1)),
            T.labelled(ints(np.stack([chain, chain])), output=ints(np.arange(n) == n - 1)),
            T.nondeterministic((ptr, ints(succ.reshape(-1))), output=ints(np.arange(n) % 2)),
            T.nondeterministic((ptr, ints(succ.reshape(-1))), labels=acts,
                               output=ints(np.arange(n) % 2)),
            T.nondeterministic([[int(t)] for t in chain], output=ints(np.arange(n) == n - 1)),
            T.nondeterministic((ints(np.arange(n + 1)), chain), labels=ints(np.arange(n) % 2),
                               output=ints(np.arange(n) == n - 1)),
            T.probabilistic((ptr, ints(succ.reshape(-1)), np.full(3 * n, 1 / 3)),
                            output=ints(np.arange(n) % 2)),
            T.probabilistic((ptr, ints(succ.reshape(-1)),
                             np.array([Fraction(1, 3)] * (3 * n), dtype=object)),
                            output=ints(np.arange(n) % 2)),
            T.probabilistic((ints(np.arange(n + 1)), chain, np.ones(n, dtype=dtype)),
                            output=ints(np.arange(n) == n - 1)),
            T.probabilistic((ints(np.arange(n + 1)), chain, np.ones(n)),
                            output=ints(np.arange(n) == n - 1)),
        ]
        # Markov decision processes (exact and float weights, with actions): a
        # ring of choices, refined by the MDP kernel.
        cptr = ints(np.arange(0, 2 * n + 1, 2))
        ring = ints(np.stack([np.roll(np.arange(n), -1), np.roll(np.arange(n), -2)]).T.reshape(-1))
        for probs in (np.full(2 * n, 0.5), np.array([Fraction(1, 2)] * (2 * n), dtype=object)):
            systems.append(ab.MarkovDecisionProcess(
                (ints(np.arange(n + 1)), cptr, ring, probs, ints(np.arange(n) % 2)),
                actions="respect", output=ints(np.arange(n) % 5 == 0)))
        for S in systems:
            beta = run(ab.output_abstraction, S)
            minimal = run(ab.minimal_complete_abstraction, S, beta, method="auto")
            run(ab.is_complete, S, beta); run(ab.find_violation, S, beta)
            run(ab.completion, S, beta)
            run(ab.abstract_computation, S, minimal)
            run(S.reachable_states)
        # High-level steps: first returns, powers, stuttering (next change),
        # branching (silent components, signature rounds, saturation: a
        # visible chain), weak bisimulation of a Markov chain.
        C = ab.Computation(step, halted=halted, output=ints(np.arange(n) % 3),
                           inputs=ints([0, 1, 2]))
        schedule = rng.integers(0, 2, n).astype(bool)
        induced, _ = run(ab.first_return, C, schedule)
        run(ab.first_entry, C, schedule)
        run(ab.first_return, systems[0], ints(schedule))
        run(C.power, 3)
        beta = ab.output_abstraction(C)
        for divergence in ("sensitive", "blind"):
            run(ab.stuttering_abstraction, C, beta, divergence=divergence)
            for S in systems[3:6]:
                silent = 0 if S is not systems[4] else None
                run(ab.stuttering_abstraction, S, ab.output_abstraction(S),
                    divergence=divergence, silent=silent)
        run(ab.stuttering_abstraction, systems[6], ab.output_abstraction(systems[6]))
        # Approximate consistency: many blocks (the hashed plurality table),
        # refinement profiles and rounds.
        many = ab.Partition(ints(np.arange(n) % 1000))
        for S in (C, systems[0], systems[6]):
            run(ab.consistency_error, S, many)
            run(ab.consistency_error, S, many, weights=rng.random(n))
            run(ab.refinement_profile, S, ab.output_abstraction(S))
        run(ab.consistency_error, C, ints(np.arange(n) % 1000))
        run(ab.refinement_profile, C, beta, weights=rng.random(n))
        run(ab.split_rounds, C, beta, 0)
        # coarsen of a function: the greedy's kernel, weighted or not.
        wide = ab.Partition(ints(np.arange(n) % 2500))  # above frontier._KERNEL_BLOCKS
        run(ab.coarsen, C, wide, max_blocks=2490)
        run(ab.coarsen, C, wide, weights=rng.random(n), max_blocks=2490, tradeoff=0.5)
        # ... and of a Markov chain: the merge costs' kernel (from 200 units).
        run(ab.coarsen, systems[6], ab.Partition(ints(np.arange(n) % 300)), max_blocks=295)
        # The function's profile kernel, weighted; the lumpability defect of a
        # Markov chain (float and exact probabilities, weighted).
        run(ab.refinement_profile, C, ints(np.arange(n) % 7), weights=rng.random(n),
            max_rounds=3)
        for S in systems[6:10]:
            run(ab.consistency_error, S, many, metric="tv")
            run(ab.consistency_error, S, many, metric="tv", weights=rng.random(n))
        # Variables: the key of a set (linear, built up, dense ids of a wide
        # domain), conflicts, support, minimal variable abstractions, the cone.
        m = np.arange(n)
        V = ab.Computation(ints((m + 1) % n), variables={
            "b0": ints(m & 1), "b1": ints((m >> 1) & 1), "b2": ints((m >> 2) & 1),
            "s": ints(m % 5), "wide": ints(m * 4099 % (2**30))})
        parity = ints((m & 1) ^ ((m >> 1) & 1))
        run(ab.support, V, parity)
        run(ab.variable_abstraction, V, ["b0", "s"])
        run(ab.variable_abstraction, V, ["wide"])
        run(ab.minimal_variable_abstraction, V, parity)
        run(ab.minimal_variable_abstraction, V, parity, method="exact")
        run(ab.cone_of_influence, V, "b1", how="semantic")
        # Learned computations: quantised vector observations (hashed rows).
        from abstractions.traces import from_traces
        traces = ints(rng.integers(0, 40, (60, 101, 2)))
        learned = run(from_traces, traces, symbols=ints(rng.integers(0, 2, (60, 100))))
        run(ab.minimal_complete_abstraction, learned.system,
            ab.output_abstraction(learned.system))
        run(from_traces, traces, kind="nondeterministic")

    after = signatures()
    new = {name: sorted(set(sigs) - set(before.get(name, [])))
           for name, sigs in after.items() if set(sigs) - set(before.get(name, []))}
    print(json.dumps({"calls": calls, "new": new, "kernels": sorted(before)}))
    """
)


def test_warmup_covers_every_call_path():
    """After warmup(), public calls on large int32 and int64 inputs compile nothing new."""
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    result = subprocess.run(
        [sys.executable, "-c", _COVERAGE], capture_output=True, text=True, env=env, timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["calls"] > 100
    assert "abstractions._kernels.splitters._coarsest_stable" in report["kernels"]
    for name in ("csr._reach_csr", "rows._row_ids", "approximate._plurality",
                 "approximate._first_mismatch", "approximate._lumping_defect",
                 "approximate._function_profile", "approximate._function_greedy",
                 "variables._conflicts",
                 "variables._dense_ids", "variables._linear_key", "choices._choice_refine",
                 "steps._first_return", "steps._branching_round", "steps._saturate"):
        assert f"abstractions._kernels.{name}" in report["kernels"]
    assert report["new"] == {}, f"compiled after warmup(): {report['new']}"


def test_warmup_inputs_are_what_the_kernels_make():
    """warmup() hard-codes some kernels' inputs (so any subset can run alone): they are right."""
    import numpy as np

    from abstractions._warmup import _calls

    calls = {}
    for name, _gate, args in _calls():
        calls.setdefault(name, args)
    on_cycle, queue, nxt = kernels._tree_order(*calls["_tree_order"])
    tree = calls["_tree_classes"]
    assert on_cycle.tolist() == calls["_cycle_classes"][3].tolist()
    assert [queue.tolist(), nxt.tolist()] == [a.tolist() for a in tree[:2]]
    cls, n_cycle, prev_class, prev_label = kernels._cycle_classes(*calls["_cycle_classes"])
    assert cls.tolist() == tree[2].tolist() and int(n_cycle) == tree[3]
    assert prev_class.tolist() == tree[4].tolist() and prev_label.tolist() == tree[5].tolist()
    pindptr, psrc, *_ = kernels._predecessors_by_block(*calls["_predecessors_by_block"])
    coarsest = calls["_coarsest_stable"]
    assert pindptr.tolist() == coarsest[0].tolist() and psrc.tolist() == coarsest[1].tolist()
    assert psrc.dtype == coarsest[1].dtype == np.int32


@pytest.mark.slow  # a cold numba cache: every kernel compiles (tens of seconds)
def test_warmup_with_a_helper_process(tmp_path):
    """A cold cache on two cores: a helper compiles half the kernels; all end up in memory."""
    code = textwrap.dedent(
        """
        import os, abstractions, abstractions._warmup as w
        from abstractions._kernels import KERNELS
        os.getloadavg = lambda: (9.0, 9.0, 9.0)  # a busy machine: the helper still pays
        helper = w._start_helper()
        print(helper is not None if len(os.sched_getaffinity(0)) > 1 else True)
        if helper is not None:
            helper.kill(); helper.wait()
        abstractions.warmup()
        print(all(gate.signatures for gate in KERNELS.values()))
        print(w._start_helper() is None)  # warm now: no helper
        """
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    env["NUMBA_CACHE_DIR"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=900, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True", "True", "True"], result.stdout + result.stderr


def test_every_gate_is_exported_timed_and_warmed():
    """Each kernel's gate is in the sorted __all__, has a compile estimate, and warmup() calls it."""
    from abstractions._kernels._jit import COMPILE_SECONDS
    from abstractions._warmup import _calls

    assert kernels.__all__ == sorted(kernels.__all__)
    assert set(kernels.KERNELS) <= set(kernels.__all__)
    assert set(COMPILE_SECONDS) == set(kernels.KERNELS)
    assert {name for name, _, _ in _calls()} == set(kernels.KERNELS)
    # The distributed engine's kernels are exported but left to the workers.
    assert set(kernels.DISTRIBUTED_KERNELS) <= set(kernels.__all__)
    assert not set(kernels.DISTRIBUTED_KERNELS) & set(kernels.KERNELS)


def test_the_compile_notice_names_the_kernels_family():
    """A warmup() kernel's notice points to warmup(); a distributed one's does not."""
    from abstractions._kernels._jit import COMPILE_SECONDS, _notice

    assert "abstractions.warmup()" in _notice("_row_ids")
    # The expected waits: the kernel's own, and all of them (the table's sum).
    assert "_row_ids: under a second" in _notice("_row_ids")
    total = sum(COMPILE_SECONDS.values())
    expected = f"_function_greedy: about 4 s; all of them: about {total:.0f} s"
    assert expected in _notice("_function_greedy")
    notice = _notice("_pair_ids")
    assert "distributed engine" in notice and "warmup" not in notice
