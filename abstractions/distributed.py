"""Minimal complete abstractions on a Dask cluster, for state spaces beyond one machine.

The same rounds as the in-memory core, on a ``dask.distributed`` cluster
(the ``distributed`` extra: ``pip install abstractions[distributed]``):

* **one function** (a :class:`~abstractions.Computation`, or a step array):
  pointer doubling. Round ``r`` pairs each state's label with the label at
  ``g = step**(2**r)``, numbers the pairs by the partition their hash names
  (ids ``(round, partition, local id)``: no global sort), and keeps
  ``g o g``. A state leaves the later rounds as soon as its block is final:
  a singleton, or a pair whose second half is a final block. At most
  ``ceil(log2 n) + 1`` rounds. By default (``shuffle="direct"``) the states
  stay in their chunks on the workers and a round is two exchanges of numpy
  arrays between the chunks (:mod:`abstractions._dask_exchange`); with
  ``shuffle="p2p"`` or ``"tasks"`` the same rounds run as dataframe joins
  and group-bys through dask's shuffles. With ``scratch=`` a directory
  that the client and every worker share, the direct exchange keeps every
  round's arrays in files there (:mod:`abstractions._scratch`), so the
  states may exceed the workers' memory.
* **every other kind** (labelled, nondeterministic, probabilistic):
  Blom--Orzan signature rounds, as dataframe operations. Each round joins
  the transitions with their targets' blocks, hashes each state's
  signature (exact integer sums for exact probabilities; float sums
  rounded to multiples of ``tol`` as in the in-memory float mode) and
  numbers the pairs ``(block, hash)``. The answer is then checked exactly
  (a hash collision can only merge, and a merge is caught and refined
  further).

Labels are made canonical (blocks numbered by their first state) once, at
the end; the answer is the in-memory core's partition exactly.

Below about 10**8 states the in-memory core is faster: use
:func:`abstractions.minimal_complete_abstraction` there.
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import numpy as np

import abstractions._dask_parts as parts
from abstractions._chunked import ChunkedStore, load_chunked, open_chunked, save_chunked
from abstractions._dask_exchange import DirectDoubling, check_summary, record_run
from abstractions.exceptions import (
    AbstractionsError,
    InvalidTypeError,
    InvalidValueError,
    TooLargeError,
)
from abstractions.partition import Partition
from abstractions.system import System

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "SHUFFLES",
    "WORKER_ENVIRON",
    "ChunkedStore",
    "ClusterError",
    "DistributedResult",
    "RoundRecord",
    "check_complete",
    "load_chunked",
    "minimal_complete_abstraction",
    "open_chunked",
    "save_chunked",
]

#: How rows move between partitions: ``"auto"`` (``"direct"`` for one function,
#: ``"p2p"`` otherwise), the library's own exchange of numpy arrays between
#: the state chunks (one function only), dask's peer-to-peer shuffle, or its
#: task-based one.
SHUFFLES: tuple[str, ...] = ("auto", "direct", "p2p", "tasks")
#: States per chunk (and per partition) when an in-memory input is split.
DEFAULT_CHUNK_SIZE = 1 << 22
#: The environment of the workers of a cluster started for a call: dask's
#: defaults (one BLAS thread per worker) without ``MALLOC_TRIM_THRESHOLD_``,
#: and with glibc's malloc asking for transparent huge pages.
#:
#: * ``MALLOC_TRIM_THRESHOLD_`` turns off glibc's dynamic mmap threshold, so
#:   every array above 128 KiB becomes a fresh mmap, zero-filled page by
#:   page; the exchange allocates many such arrays per round, and its rounds
#:   at 10**7 states took about 25 % less without it.
#: * ``glibc.malloc.hugetlb=1`` (glibc 2.35 and later; others ignore it)
#:   makes malloc advise huge pages for its mmaps, as numpy already does for
#:   its own arrays. The kernels' arrays come from numba's allocator, that is
#:   malloc, and a fresh 32 MB array then faults in 16 pages, not 8192:
#:   writing one took 3.6 times less on the project's machine.
WORKER_ENVIRON: dict[str, Any] = {
    "OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1,
    "GLIBC_TUNABLES": ":".join(
        filter(None, [os.environ.get("GLIBC_TUNABLES"), "glibc.malloc.hugetlb=1"])),
}
#: Largest answer gathered into the client's memory by default.
_MAX_GATHER = 10**8

#: Bytes per state that the workers of the direct exchange hold together
#: when the rounds stay in memory (the 10**8 chain peaked at 5.6 GB on each
#: of 2 workers); above their memory limits a run fails or stalls, and
#: ``scratch=`` is the way through.
_DIRECT_BYTES_PER_STATE = 60


class ClusterError(AbstractionsError, RuntimeError):
    """The cluster lost work (a worker died) and the retries did not recover it.

    The computation never returns a partition built from lost data: it is
    restarted from its inputs, ``retries`` times, then this is raised.
    """


@dataclass(frozen=True)
class RoundRecord:
    """What one round did.

    Attributes
    ----------
    round : int
        0 for the setup (numbering beta's blocks), then 1, 2, ...
    phase : str
        ``"setup"``, ``"doubling"``, ``"signature"``, ``"check"`` or ``"canonical"``.
    blocks : int
        Blocks after the round.
    active : int
        States that took part in the round.
    shuffled_bytes : int
        Bytes of the rows that the round's shuffles moved.
    seconds : float
        Wall-clock time of the round.
    """

    round: int
    phase: str
    blocks: int
    active: int
    shuffled_bytes: int
    seconds: float


@dataclass(frozen=True)
class DistributedResult:
    """The minimal complete abstraction computed on a cluster.

    Attributes
    ----------
    labels : dask.array.Array
        The canonical label of every state (first-occurrence block ids, as
        :attr:`Partition.labels`), chunked like the input. Backed by the
        store when ``out`` was given, by the user's cluster when a client
        was given, else by memory.
    n_blocks : int
        Number of blocks.
    method : str
        ``"doubling"`` or ``"signature"``.
    rounds : tuple of RoundRecord
        One record per round, setup and final numbering included.
    path : str or None
        The store the labels were written to.
    """

    labels: Any
    n_blocks: int
    method: str
    rounds: tuple[RoundRecord, ...]
    path: str | None = None
    attempts: int = field(default=1)

    @property
    def n(self) -> int:
        """Number of states."""
        return int(self.labels.shape[0])

    @property
    def refinement_rounds(self) -> int:
        """Rounds of doubling or of signatures (setup, check and numbering left out)."""
        return sum(r.phase in ("doubling", "signature") for r in self.rounds)

    def partition(self, max_states: int = _MAX_GATHER) -> Partition:
        """The answer as an in-memory :class:`~abstractions.Partition`.

        Raises
        ------
        TooLargeError
            Above ``max_states`` states: keep :attr:`labels` as a dask array.
        """
        if self.n > max_states:
            raise TooLargeError(
                f"the answer has {self.n} states, above max_states={max_states}; keep it as "
                "the dask array result.labels (or raise max_states if it fits in memory)"
            )
        labels = np.asarray(self.labels.compute(), dtype=np.int64)
        return Partition.from_labels(labels)


# ---------------------------------------------------------------------- inputs


@dataclass
class _Input:
    """The problem as per-chunk tasks: rows of a function or of a relation."""

    n: int
    bounds: np.ndarray  # chunk boundaries of the states (len = chunks + 1)
    function: bool
    how: str = "function"
    tol: float = 1e-9
    # Functions that build the start rows of chunk i on a worker (and their args).
    start: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)
    transitions: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)
    beta: list[tuple[Callable[..., Any], tuple[Any, ...]]] = field(default_factory=list)
    m: int = 0
    # One function's step and labels (numpy or dask arrays, already checked),
    # kept so that the direct exchange can join chunks without a new check.
    arrays: tuple[Any, Any] | None = None


def _bounds(n: int, chunk_size: int) -> np.ndarray:
    size = max(1, chunk_size)
    return np.unique(np.r_[np.arange(0, n, size, dtype=np.int64), n]) if n else np.zeros(1, np.int64)


def _beta_array(beta: Any, n: int) -> Any:
    """Beta as a numpy int array (any labels canonicalised) or a dask array."""
    if isinstance(beta, Partition):
        labels = beta.labels
    elif _is_dask_array(beta):
        if beta.ndim != 1 or beta.dtype.kind not in "iu":
            raise InvalidTypeError(
                f"beta as a dask array must be 1-d of integers, got {beta.ndim}-d {beta.dtype}"
            )
        labels = beta
    else:
        array = np.asarray(beta)
        if array.ndim == 1 and array.dtype.kind in "iu":
            labels = array.astype(np.int64, copy=False)
        else:
            labels = Partition.from_labels(beta).labels
    if labels.shape[0] != n:
        raise InvalidValueError(
            f"beta has length {labels.shape[0]}, expected {n} (one label per state)"
        )
    return labels


def _is_dask_array(x: Any) -> bool:
    return type(x).__module__.startswith("dask.array") and hasattr(x, "chunks")


def _is_dask_frame(x: Any) -> bool:
    return type(x).__module__.startswith("dask") and hasattr(x, "npartitions") and hasattr(
        x, "columns"
    )


def _delayed_chunks(array: Any, bounds: np.ndarray) -> list[Any]:
    """The delayed chunks of a dask array, rechunked to ``bounds``."""
    sizes = tuple(np.diff(bounds).tolist())
    return list(array.rechunk((sizes,)).to_delayed().ravel())


def _prepare(
    system: Any, beta: Any, chunk_size: int | None, method: str, tol: float | None
) -> _Input:
    if isinstance(system, (str, os.PathLike)):
        return _store_input(open_chunked(system), beta, chunk_size, method)
    if isinstance(system, ChunkedStore):
        return _store_input(system, beta, chunk_size, method)
    if isinstance(system, System):
        rel = system._relation()
        n = rel.n
        if beta is None:
            raise InvalidValueError("beta is required (the information to keep)")
        labels = _beta_array(beta, n)
        bounds = _bounds(n, chunk_size or DEFAULT_CHUNK_SIZE)
        if rel.is_function and method != "signature":
            return _function_input(rel.step(), labels, n, bounds)
        return _relation_input(rel.sources(), rel.symbols, rel.targets, rel.weights, rel.how,
                               rel.tol if tol is None else tol, labels, n, bounds)
    if _is_dask_array(system) or isinstance(system, np.ndarray):
        step = system
        if step.ndim != 1 or step.dtype.kind not in "iu":
            raise InvalidTypeError(
                f"a step array must be 1-d of integers, got {step.ndim}-d {step.dtype}"
            )
        n = int(step.shape[0])
        if beta is None:
            raise InvalidValueError("beta is required (the information to keep)")
        labels = _beta_array(beta, n)
        if isinstance(step, np.ndarray):
            # In memory: check here, before a cluster starts.
            parts.start_function(step, np.zeros(n, dtype=np.int64), 0, n)
        if _is_dask_array(step):
            bounds = (np.r_[0, np.cumsum(step.chunks[0])].astype(np.int64)
                      if chunk_size is None else _bounds(n, chunk_size))
        else:
            bounds = _bounds(n, chunk_size or DEFAULT_CHUNK_SIZE)
        if method == "signature":
            raise InvalidValueError(
                "method='signature' needs a System or transitions; a step array is solved by "
                "doubling"
            )
        return _function_input(step, labels, n, bounds)
    if _is_dask_frame(system):
        return _frame_input(system, beta, chunk_size, tol)
    raise InvalidTypeError(
        "system must be a System, a step array (numpy or dask), a dask DataFrame of "
        f"transitions or the path of a chunked store, got {type(system).__name__}"
    )


def _store_input(store: ChunkedStore, beta: Any, chunk_size: int | None, method: str) -> _Input:
    """The engine's input read from a checked store, a chunk per task."""
    if store.kind == "partition":
        raise InvalidValueError(f"{store.path} holds a partition, not a system")
    if beta is None:
        if not store.has("beta"):
            raise InvalidValueError(f"{store.path} holds no beta: pass beta")
        labels = store.array("beta")
    else:
        labels = _beta_array(beta, store.n)
    bounds = _bounds(store.n, chunk_size or store.chunk_size)
    if store.kind in ("function", "computation"):
        if method == "signature":
            raise InvalidValueError(
                "method='signature' needs transitions; a stored function is solved by doubling"
            )
        return _function_input(store.array("step"), labels, store.n, bounds)
    how = store.attrs.get("how", "exists")
    inp = _Input(n=store.n, bounds=bounds, function=False, how=how,
                 tol=float(store.attrs.get("tol", 1e-9)), m=store.m)
    rows = _bounds(store.m, store.chunk_size)
    arrays = {name: _delayed_chunks(store.array(name), rows)
              for name in ("source", "target", "symbol", "weight") if store.has(name)}
    for i in range(rows.shape[0] - 1):
        inp.transitions.append((parts.start_transitions, (
            arrays["source"][i], arrays["symbol"][i] if "symbol" in arrays else None,
            arrays["target"][i], arrays["weight"][i] if "weight" in arrays else None,
            store.n, how, int(rows[i]),
        )))
    inp.beta = _beta_specs(labels, bounds)
    return inp


def _beta_specs(labels: Any, bounds: np.ndarray) -> list[tuple[Callable[..., Any], tuple[Any, ...]]]:
    chunks = (_delayed_chunks(labels, bounds) if _is_dask_array(labels)
              else [np.ascontiguousarray(labels[a:b]) for a, b in pairwise(bounds.tolist())])
    return [(parts.start_labels, (lab, int(bounds[i]))) for i, lab in enumerate(chunks)]


def _function_input(step: Any, labels: Any, n: int, bounds: np.ndarray) -> _Input:
    inp = _Input(n=n, bounds=bounds, function=True, arrays=(step, labels))
    steps = (_delayed_chunks(step, bounds) if _is_dask_array(step)
             else [step[a:b] for a, b in pairwise(bounds.tolist())])
    betas = (_delayed_chunks(labels, bounds) if _is_dask_array(labels)
             else [labels[a:b] for a, b in pairwise(bounds.tolist())])
    for i, (st, be) in enumerate(zip(steps, betas)):
        if isinstance(st, np.ndarray):
            st = np.ascontiguousarray(st)
        if isinstance(be, np.ndarray):
            be = np.ascontiguousarray(be)
        inp.start.append((parts.start_function, (st, be, int(bounds[i]), n)))
    return inp


def _relation_input(
    src: np.ndarray, sym: np.ndarray | None, dst: np.ndarray, weights: np.ndarray | None,
    how: str, tol: float, labels: Any, n: int, bounds: np.ndarray,
) -> _Input:
    if weights is not None and weights.dtype == object:
        raise InvalidValueError(
            "exact probabilities whose common denominator exceeds 2**62 are not supported on "
            "a cluster; use the in-memory core, or float probabilities with a tol"
        )
    how = "exists" if how == "function" else how
    inp = _Input(n=n, bounds=bounds, function=False, how=how, tol=tol, m=int(dst.shape[0]))
    # Transitions are sorted by source: a state chunk's rows are one slice.
    cuts = np.searchsorted(src, bounds)
    for i in range(bounds.shape[0] - 1):
        a, b = int(cuts[i]), int(cuts[i + 1])
        inp.transitions.append((parts.start_transitions, (
            src[a:b].copy(), None if sym is None else sym[a:b].copy(), dst[a:b].copy(),
            None if weights is None else weights[a:b].copy(), n, how, a,
        )))
    inp.beta = _beta_specs(labels, bounds)
    return inp


def _frame_input(frame: Any, beta: Any, chunk_size: int | None, tol: float | None) -> _Input:
    columns = set(frame.columns)
    if not {"source", "target"} <= columns:
        raise InvalidValueError(
            "a dask DataFrame of transitions needs the columns 'source' and 'target' (and "
            f"optionally 'symbol', 'weight'), got {sorted(map(str, columns))}"
        )
    if beta is None:
        raise InvalidValueError("beta is required with a DataFrame of transitions (it gives n)")
    n = int(beta.shape[0]) if hasattr(beta, "shape") else len(beta)
    labels = _beta_array(beta, n)
    how = "exists"
    if "weight" in columns:
        kind = np.dtype(frame["weight"].dtype).kind
        how = "round" if kind == "f" else "sum"
    bounds = _bounds(n, chunk_size or DEFAULT_CHUNK_SIZE)
    inp = _Input(n=n, bounds=bounds, function=False, how=how, tol=1e-9 if tol is None else tol)
    for d in frame.to_delayed():
        inp.transitions.append((_frame_rows, (d, n, how, "symbol" in columns)))
    inp.m = -1
    inp.beta = _beta_specs(labels, bounds)
    return inp


def _frame_rows(df: Any, n: int, how: str, has_symbol: bool) -> Any:
    return parts.start_transitions(
        df["source"].to_numpy(), df["symbol"].to_numpy() if has_symbol else None,
        df["target"].to_numpy(), df["weight"].to_numpy() if how != "exists" else None, n, how, 0,
    )


# ---------------------------------------------------------------------- the engine


class _Progress:
    """One line per round on stderr when interactive (rewritten in place)."""

    def __init__(self, enabled: bool, total: int | None) -> None:
        self.enabled = enabled
        self.total = total

    def update(self, record: RoundRecord) -> None:
        if not self.enabled:
            return
        of = f"/{self.total}" if self.total and record.phase == "doubling" else ""
        sys.stderr.write(
            f"\r[abstractions] {record.phase} round {record.round}{of}: {record.blocks:,} blocks, "
            f"{record.active:,} active states, {record.shuffled_bytes / 1e6:,.1f} MB shuffled, "
            f"{record.seconds:.1f} s   "
        )
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()


_I64_META: dict[str, Any] = {}


def _meta(columns: Sequence[str], floats: Sequence[str] = ()) -> Any:
    import pandas as pd

    return pd.DataFrame({
        c: np.zeros(0, dtype=np.float64 if c in floats else np.int64) for c in columns
    })


class _Engine:
    def __init__(self, client: Any, nparts: int, shuffle: str, progress: _Progress) -> None:
        self.client = client
        self.P = nparts
        self.method = shuffle
        self.progress = progress
        self.records: list[RoundRecord] = []

    # -- plumbing
    def run(self, specs: list[tuple[Callable[..., Any], tuple[Any, ...]]]) -> list[Any]:
        """Futures of the start tasks; their arguments may be dask Delayed chunks.

        Arrays of an in-memory input travel inside the task, so the
        scheduler can recompute a start partition lost with a worker.
        """
        import dask

        return list(self.client.compute([dask.delayed(fn, pure=False)(*args) for fn, args in specs]))

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def map(self, fn: Callable[..., Any], *lists: Sequence[Any], **extra: Any) -> list[Any]:
        extra_args = tuple(extra.values())
        return [self.client.submit(fn, *args, *extra_args, pure=False) for args in zip(*lists)]

    def item(self, futures: list[Any], i: int) -> list[Any]:
        import operator

        return [self.client.submit(operator.getitem, f, i, pure=False) for f in futures]

    def shuffle(self, futures: list[Any], meta: Any, on: str | list[str],
                rename: Mapping[str, str] | None = None) -> list[Any]:
        """Hash-partition the rows of ``futures`` on ``on`` into ``P`` partitions.

        Two tables shuffled on a single int64 column land co-partitioned:
        the partition of a row depends only on the key's value.
        """
        import dask.dataframe as dd

        df = dd.from_delayed(futures, meta=meta, verify_meta=False)
        if rename:
            df = df.rename(columns=dict(rename))
        out = df.shuffle(on=on, npartitions=self.P, shuffle_method=self.method)
        return list(self.client.compute(out.to_delayed()))

    def gather(self, futures: list[Any]) -> list[Any]:
        return list(self.client.gather(futures))

    def record(self, rnd: int, phase: str, blocks: int, active: int, nbytes: int, t0: float) -> None:
        rec = RoundRecord(rnd, phase, int(blocks), int(active), int(nbytes), time.perf_counter() - t0)
        self.records.append(rec)
        self.progress.update(rec)

    # -- one function: doubling
    def doubling(self, inp: _Input) -> tuple[list[Any], int]:
        t0 = time.perf_counter()
        n = inp.n
        start = self.run(inp.start)
        rows = self.shuffle(start, _meta(["s", "L", "g"]), "L")
        out = self.map(parts.renumber_setup, rows, range(self.P))
        act, new_done, stats = self.item(out, 0), self.item(out, 1), self.gather(self.item(out, 2))
        blocks = sum(s[0] for s in stats)
        active_blocks = sum(s[1] for s in stats)
        active = sum(s[2] for s in stats)
        left = sum(s[3] for s in stats)
        done = [self.submit(_empty_done) for _ in range(self.P)]
        self.record(0, "setup", blocks, n, 8 * 3 * n, t0)
        limit = max(1, math.ceil(math.log2(max(n, 2)))) + 1
        rnd = 0
        while active:
            rnd += 1
            t0 = time.perf_counter()
            if rnd > limit:  # pragma: no cover - the doubling bound
                raise RuntimeError(f"doubling took more than {limit} rounds")
            # One shuffle joins each state with the label and pointer at g
            # (and files last round's leavers with their partition).
            mixed = self.shuffle(self.map(parts.emit_round, act, new_done),
                                 _meta(["key", "a", "b", "t"]), "key")
            joined_done = self.map(parts.join_round, mixed, done)
            joined, done = self.item(joined_done, 0), self.item(joined_done, 1)
            # A second one numbers the pairs (L, Lg) by a hash-partitioned group-by.
            pairs = self.shuffle(joined, _meta(["s", "L", "Lg", "gg"]), ["L", "Lg"])
            out = self.map(parts.renumber_pairs, pairs, range(self.P), [rnd] * self.P)
            act, new_done = self.item(out, 0), self.item(out, 1)
            stats = self.gather(self.item(out, 2))
            count = sum(s[0] for s in stats)
            self.record(rnd, "doubling", blocks - active_blocks + count, active,
                        8 * (4 * (2 * active + left) + 4 * active), t0)
            blocks = blocks - active_blocks + count
            split = count != active_blocks
            active = sum(s[2] for s in stats)
            active_blocks = sum(s[1] for s in stats)
            left = sum(s[3] for s in stats)
            if not split:
                break
        rows = [self.client.submit(_rows_of_active, a, pure=False) for a in act]
        rows += [self.client.submit(_rows_of_done, d, pure=False) for d in done + new_done]
        return rows, rnd

    # -- every other kind: signature rounds
    def signatures(self, inp: _Input) -> tuple[list[Any], int]:
        t0 = time.perf_counter()
        n = inp.n
        floats = ["w"] if inp.how == "round" else []
        trans = self.run(inp.transitions)
        by_dst = self.shuffle(trans, _meta(["src", "sym", "dst", "w"], floats), "key",
                              rename={"dst": "key"})
        by_dst = [self.client.submit(_dst_back, t, pure=False) for t in by_dst]
        beta = self.run(inp.beta)
        labels, k = self._renumber(beta, 0)
        m = max(inp.m, 0)
        self.record(0, "setup", k, n, 8 * (4 * m + 2 * n), t0)
        rnd = 0
        salt = 0x9E3779B97F4A7C15
        while True:
            rnd += 1
            t0 = time.perf_counter()
            by_s = self.shuffle(labels, _meta(["s", "L"]), "key", rename={"s": "key"})
            rows = self.map(parts.target_blocks, by_dst, by_s)
            by_src = self.shuffle(rows, _meta(["key", "sym", "blk", "dst", "w"], floats), "key")
            out = self.map(parts.signature_hash, by_src, by_s, [inp.how] * self.P,
                           [inp.tol] * self.P, [salt] * self.P)
            sig, agg = self.item(out, 0), self.item(out, 1)
            new_labels, count = self._renumber(sig, rnd, key=["L", "h"])
            self.record(rnd, "signature", count, n, 8 * (2 * n + 5 * m + 3 * n), t0)
            if count == k:
                t0 = time.perf_counter()
                witness = self._check(agg, by_s)
                self.record(rnd, "check", k, n, 8 * (5 * n + 2 * n), t0)
                if witness is None:
                    break
                # A 64-bit hash collision merged two signatures: go on with another salt.
                salt = (salt * 0x5851F42D4C957F2D + 1) % (1 << 64)
            labels, k = new_labels, count
        rows = [self.client.submit(_rows_of_labels, lab, pure=False) for lab in labels]
        return rows, rnd

    def _renumber(self, labels: list[Any], rnd: int, key: str | list[str] = "L") -> tuple[list[Any], int]:
        cols = ["s", "L", "h"] if key != "L" else ["s", "L"]
        shuffled = self.shuffle(labels, _meta(cols), key)
        keys = [key] if isinstance(key, str) else key
        out = self.map(parts.renumber_labels, shuffled, range(self.P), [rnd] * self.P,
                       [keys] * self.P)
        counts = self.gather(self.item(out, 1))
        return self.item(out, 0), int(sum(counts))

    def _check(self, agg: list[Any], by_s: list[Any]) -> tuple[int, int] | None:
        """An exact check that every block's states have one signature."""
        rows = self.map(_rows_with_block, agg, by_s)
        rows = self.shuffle(rows, _meta(["s", "L", "sym", "blk", "val"]), "L")
        states = self.shuffle(by_s, _meta(["key", "L"]), "L", rename={"key": "s"})
        found = self.gather(self.map(parts.block_mismatch, rows, states))
        return next((w for w in found if w is not None), None)

    # -- canonical labels, once at the end
    def canonical(self, rows: list[Any], bounds: np.ndarray) -> tuple[list[Any], int]:
        t0 = time.perf_counter()
        n = int(bounds[-1])
        shuffled = self.shuffle(rows, _meta(["s", "lab"]), "lab")
        out = self.map(parts.block_reps, shuffled, [bounds] * self.P)
        by_lab, blocks = self.item(out, 0), self.item(out, 1)
        counts = np.sum(self.gather(self.item(out, 2)), axis=0).astype(np.int64)
        n_blocks = int(counts.sum())
        offsets = np.r_[0, np.cumsum(counts)[:-1]].astype(np.int64)
        ranked = self.map(parts.rank_reps, self.shuffle(blocks, _meta(["lab", "rep", "c"]), "c"),
                          [offsets] * self.P)
        canon = self.shuffle(ranked, _meta(["lab", "canon"]), "lab")
        labelled = self.map(parts.attach_canonical, by_lab, canon, [bounds] * self.P)
        chunks = self.map(parts.scatter_chunks,
                          self.shuffle(labelled, _meta(["s", "canon", "c"]), "c"),
                          [bounds] * self.P)
        keys = self.gather(self.map(parts.chunk_keys, chunks))
        where = {c: j for j, held in enumerate(keys) for c in held}
        if sorted(where) != list(range(bounds.shape[0] - 1)):
            raise RuntimeError("a chunk of the answer is missing: a partition was lost")
        import operator

        futures = [self.client.submit(operator.getitem, chunks[where[c]], c, pure=False)
                   for c in range(bounds.shape[0] - 1)]
        self.record(0, "canonical", n_blocks, n, 8 * (2 * n + 3 * n_blocks + 3 * n), t0)
        return futures, n_blocks


def _empty_done() -> Any:
    return parts.frame(key=np.zeros(0, np.int64), F=np.zeros(0, np.int64))


def _dst_back(df: Any) -> Any:
    return df.rename(columns={"key": "dst"})


def _rows_of_active(df: Any) -> Any:
    return parts.frame(s=df["s"].to_numpy(), lab=df["L"].to_numpy())


def _rows_of_done(df: Any) -> Any:
    return parts.frame(s=df["key"].to_numpy(), lab=df["F"].to_numpy())


def _rows_of_labels(df: Any) -> Any:
    return parts.frame(s=df["s"].to_numpy(), lab=df["L"].to_numpy())


def _rows_with_block(agg: Any, by_s: Any) -> Any:
    """Signature rows ``(s, L, sym, blk, val)``: each row with its state's block."""
    keys = by_s["key"].to_numpy()
    order = np.argsort(keys, kind="stable")
    s = agg["key"].to_numpy()
    pos = np.searchsorted(keys[order], s)
    return parts.frame(s=s, L=by_s["L"].to_numpy()[order][pos], sym=agg["sym"].to_numpy(),
                       blk=agg["blk"].to_numpy(), val=agg["val"].to_numpy())


# ---------------------------------------------------------------------- the public function


def _lost_work(err: BaseException) -> bool:
    """Whether ``err`` says the cluster lost work (rather than a wrong input)."""
    if isinstance(err, AbstractionsError):
        return False
    names = {type(e).__name__ for e in _chain(err)}
    lost = {"KilledWorker", "CancelledError", "FutureCancelledError", "CommClosedError",
            "P2PConsistencyError", "ShuffleClosedError", "P2PIllegalStateError",
            "StreamClosedError", "FutureLostError"}
    text = str(err).lower()
    return bool(names & lost) or "lost" in text or "worker" in text or "p2p" in text


def _chain(err: BaseException) -> list[BaseException]:
    out = [err]
    while out[-1].__cause__ is not None or out[-1].__context__ is not None:
        nxt = out[-1].__cause__ or out[-1].__context__
        assert nxt is not None
        if nxt in out:
            break
        out.append(nxt)
    return out


def _need_dask() -> None:
    try:
        import dask
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
    except ImportError as err:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "abstractions.distributed needs the 'distributed' extra: "
            "pip install 'abstractions[distributed]' (dask, distributed, pandas, pyarrow, zarr)"
        ) from err


def minimal_complete_abstraction(
    system: Any,
    beta: Any = None,
    *,
    client: Any = None,
    out: str | os.PathLike[str] | None = None,
    method: str = "auto",
    chunk_size: int | None = None,
    shuffle: str = "auto",
    tol: float | None = None,
    progress: bool | None = None,
    retries: int = 1,
    cluster_options: Mapping[str, Any] | None = None,
    max_gather: int = _MAX_GATHER,
    scratch: str | os.PathLike[str] | None = None,
) -> DistributedResult:
    """The least complete abstraction above ``beta``, computed on a Dask cluster.

    Parameters
    ----------
    system : System, array, dask DataFrame or path
        An in-memory :class:`~abstractions.System` of any kind; a step
        function as a 1-d integer numpy or dask array; a dask DataFrame of
        transitions with columns ``source``, ``target`` and optionally
        ``symbol`` and ``weight`` (integer weights are exact numerators,
        float weights are rounded to ``tol``); or the path of a chunked
        store written by :func:`save_chunked`.
    beta : Partition or array_like, optional
        The information to keep: a Partition, or labels (numpy or dask).
        Optional only for a store that holds ``beta``.
    client : distributed.Client, optional
        The cluster to run on. By default a ``LocalCluster`` is started for
        the call (``cluster_options`` go to it) and closed after it.
    out : str or os.PathLike, optional
        Write the labels to this chunked store (a ``.zarr`` directory) and
        return them read from it.
    method : {"auto", "doubling", "signature"}
        ``"auto"``: doubling for one function, signature rounds otherwise.
    chunk_size : int, optional
        States per partition. By default an in-memory input is split into
        chunks of :data:`DEFAULT_CHUNK_SIZE` states and a dask array or a
        store keeps its chunks; the direct exchange without ``scratch=``
        then joins neighbouring chunks into about two partitions per
        worker thread (never splitting them finer): each stage of a round
        sends a message from every partition to every other one and waits
        for the slowest, so fewer partitions mean fewer tasks and waits.
    shuffle : {"auto", "direct", "p2p", "tasks"}
        How rows move between partitions. ``"direct"`` (one function
        only): the states stay in their chunks and each round exchanges
        plain numpy arrays between them, at most 56 bytes per active
        state; the fastest. ``"p2p"``: dataframe joins through dask's peer-to-peer
        shuffle (large data, disk-backed); ``"tasks"``: dask's task-based
        shuffle (small data). ``"auto"``: ``"direct"`` for one function,
        ``"p2p"`` otherwise. All give the same answer.
    tol : float, optional
        Float weights: block probabilities are compared rounded to
        multiples of ``tol`` (default the system's own, else 1e-9).
    progress : bool, optional
        A line per round on stderr; by default when stderr is a terminal.
        The cluster's dashboard shows the tasks in any case.
    retries : int, default 1
        How many times to restart from the inputs when a worker dies.
    cluster_options : mapping, optional
        Keyword arguments of the ``LocalCluster`` started without a client.
    max_gather : int, default 10**8
        Without ``out`` and without a client the answer is gathered into
        memory; above this many states that is refused before any work.
    scratch : str or os.PathLike, optional
        ``shuffle="direct"`` only: keep every round's chunk state and
        messages in files under this directory instead of the workers'
        memory, so that a worker holds one task's arrays at a time (a few
        hundred bytes per state of one chunk) and the state space may
        exceed the workers' memory. It must be a directory that the client
        and every worker share (as a store path is), with room for about
        140 bytes per state; the run's files are deleted as the rounds
        finish and at the end. Slower: every round is written and read
        back.

    Returns
    -------
    DistributedResult
        ``labels`` (a dask array of the canonical labels), ``n_blocks``,
        the per-round ``rounds`` records, and ``partition()``.

    Raises
    ------
    InvalidValueError, InvalidTypeError
        For a wrong input (a step out of range, beta of another length, an
        unknown method or shuffle).
    FileFormatError
        For a store that is truncated, of the wrong length or corrupt.
    TooLargeError
        When the answer would be gathered into memory above ``max_gather``.
    ClusterError
        When workers died and ``retries`` restarts did not recover.

    See Also
    --------
    abstractions.minimal_complete_abstraction : the in-memory core (faster below ~10**8 states).

    Notes
    -----
    Doubling: after round ``r`` a label encodes ``2**r`` steps of beta; if
    the labels for ``L`` steps determine those for ``2L`` steps, they are
    the whole sequence, so at most ``ceil(log2 n) + 1`` rounds. Signature
    rounds are the completion operator's Kleene iteration
    ``P <- P | ker(F(P) . xi)`` (Blom and Orzan's distributed signature
    refinement); their number is the number of refinement rounds plus one.

    Examples
    --------
    >>> import numpy as np
    >>> from abstractions import Computation, Partition
    >>> from abstractions.distributed import minimal_complete_abstraction
    >>> C = Computation((np.arange(16) + 1) % 16)
    >>> result = minimal_complete_abstraction(  # doctest: +SKIP
    ...     C, Partition.kernel(np.arange(16) % 4), cluster_options={"n_workers": 1})
    >>> result.n_blocks  # doctest: +SKIP
    4
    """
    _need_dask()
    if method not in ("auto", "doubling", "signature"):
        raise InvalidValueError(
            f"unknown method {method!r}; choose 'auto', 'doubling' or 'signature'"
        )
    if shuffle not in SHUFFLES:
        raise InvalidValueError(f"unknown shuffle {shuffle!r}; choose one of {SHUFFLES}")
    if chunk_size is not None and (isinstance(chunk_size, bool) or not isinstance(chunk_size, int)
                                   or chunk_size < 1):
        raise InvalidValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise InvalidValueError(f"retries must be a non-negative int, got {retries!r}")
    inp = _prepare(system, beta, chunk_size, method, tol)
    if shuffle == "auto":
        shuffle = "direct" if inp.function else "p2p"
    where = _scratch_dir(scratch, shuffle)
    if shuffle == "direct" and not inp.function:
        raise InvalidValueError(
            "shuffle='direct' exchanges arrays between the chunks of one function; a "
            "system with transitions is solved with shuffle='p2p' or 'tasks'"
        )
    if not inp.function and method == "doubling":
        raise InvalidValueError(
            "method 'doubling' needs a system whose transition is one function; choose "
            "'signature' or 'auto'"
        )
    path = None if out is None else os.fsdecode(os.fspath(out))
    if client is None and path is None and inp.n > max_gather:
        raise TooLargeError(
            f"{inp.n} states is above max_gather={max_gather}: the answer of a cluster "
            "started for the call is gathered into memory; pass out=<path>.zarr to write it "
            "to a store, or a client to keep it on your cluster"
        )
    if progress is None:
        progress = sys.stderr.isatty()
    own = None
    if client is None:
        own = _local_cluster(cluster_options)
        client = own[1]
    if chunk_size is None and shuffle == "direct" and where is None and inp.arrays is not None:
        wider = _partition_size(client, inp.n, inp.bounds)
        if wider is not None:
            inp = _function_input(*inp.arrays, inp.n, _bounds(inp.n, wider))
    # Once per call (not per retry): the rounds may not fit in the workers' memory.
    advice = _memory_advice(client, inp.n) if shuffle == "direct" and where is None else None
    if advice is not None:
        logging.getLogger("abstractions").warning("abstractions: %s", advice)
    try:
        attempt = 0
        while True:
            attempt += 1
            try:
                return _solve(client, inp, path, shuffle, bool(progress), own is not None,
                              attempt, where)
            except Exception as err:
                if not _lost_work(err):
                    raise
                if attempt > retries:
                    raise ClusterError(
                        f"the cluster lost work {attempt} times (a worker died?) and "
                        f"retries={retries} is spent: {type(err).__name__}: {err}"
                    ) from err
    finally:
        if own is not None:
            own[1].close()
            own[0].close()


def _local_cluster(options: Mapping[str, Any] | None) -> tuple[Any, Any]:
    from distributed import Client, LocalCluster

    kwargs: dict[str, Any] = {"n_workers": 2, "threads_per_worker": 1, "processes": True}
    try:
        import bokeh  # noqa: F401
    except ImportError:
        kwargs["dashboard_address"] = None  # no dashboard without bokeh
    kwargs.update(options or {})
    import dask

    with dask.config.set({"distributed.nanny.pre-spawn-environ": WORKER_ENVIRON}):
        cluster = LocalCluster(**kwargs)
    return cluster, Client(cluster)



def _partition_size(client: Any, n: int, bounds: np.ndarray) -> int | None:
    """States per partition for the direct exchange in memory: two partitions per worker thread.

    Every stage of a round sends a message from each partition to each
    other one (``P**2`` of them, each a task for the scheduler) and waits
    for the slowest partition, so fewer, larger partitions are faster
    while the rounds fit in memory, and the workers' memory holds their
    states whatever the partitions. At 10**8 states on 2 single-threaded
    workers, a random function took 225 s in 4 partitions against 350 s in
    the store's 24 chunks of 2**22 states, and the chain 229 s in 4
    against 285 s in 2. Returns None when the
    input's chunks are already that large (they are never split finer) or
    the cluster does not say its threads.

    Examples
    --------
    >>> import numpy as np
    >>> class Cluster:
    ...     def scheduler_info(self):
    ...         return {"workers": {"a": {"nthreads": 1}, "b": {"nthreads": 1}}}
    >>> _partition_size(Cluster(), 10**8, np.arange(0, 10**8 + 1, 2**22))
    25000000
    >>> _partition_size(Cluster(), 10**7, np.arange(0, 10**7 + 1, 2**22)) is None
    True
    """
    try:
        threads = sum(int(w.get("nthreads") or 0)
                      for w in client.scheduler_info()["workers"].values())
    except Exception:  # a cluster that does not report its workers: keep the chunks
        return None
    if threads < 1 or bounds.shape[0] < 2:
        return None
    want = -(-n // (2 * threads))
    return want if want > int(np.diff(bounds).max()) else None


def _memory_advice(client: Any, n: int) -> str | None:
    """Why ``n`` states may not fit in the workers' memory without ``scratch=``, or None.

    Compares :data:`_DIRECT_BYTES_PER_STATE` per state with the sum of the
    workers' memory limits; None when it fits, or when a worker has no
    limit or the cluster does not say.

    Examples
    --------
    >>> class Cluster:
    ...     def scheduler_info(self):
    ...         return {"workers": {"a": {"memory_limit": 10**9}, "b": {"memory_limit": 10**9}}}
    >>> _memory_advice(Cluster(), 10**7) is None
    True
    >>> print(_memory_advice(Cluster(), 10**8))  # doctest: +ELLIPSIS
    100000000 states need about 6.0 GB of worker memory ... 2.0 GB; pass scratch=...
    """
    try:
        limits = [int(w.get("memory_limit") or 0)
                  for w in client.scheduler_info()["workers"].values()]
    except Exception:  # a cluster that does not report its workers: nothing to compare
        return None
    if not limits or min(limits) <= 0:
        return None
    need = n * _DIRECT_BYTES_PER_STATE
    if need <= sum(limits):
        return None
    return (
        f"{n} states need about {need / 1e9:.1f} GB of worker memory with the rounds in "
        f"memory, and the workers' limits sum to {sum(limits) / 1e9:.1f} GB; pass "
        "scratch=<a directory every worker shares> to keep the rounds in files, or the run "
        "may stall or end in ClusterError"
    )


def _scratch_dir(scratch: str | os.PathLike[str] | None, shuffle: str) -> str | None:
    """The scratch directory (created), or None; only the direct exchange uses one."""
    if scratch is None:
        return None
    if not isinstance(scratch, (str, os.PathLike)):
        raise InvalidTypeError(f"scratch must be a path, got {type(scratch).__name__}")
    if shuffle not in ("auto", "direct"):
        raise InvalidValueError(
            f"scratch is used by the direct exchange (one function) only, and this call "
            f"uses shuffle={shuffle!r}; dask's p2p shuffle spills to the workers' local "
            "directories by itself"
        )
    where = os.fsdecode(os.fspath(scratch))
    try:
        os.makedirs(where, exist_ok=True)
    except OSError as err:
        raise InvalidValueError(f"scratch={where!r} is not a directory that can be made: "
                                f"{err}") from err
    return where


def _solve(client: Any, inp: _Input, path: str | None, shuffle: str, progress: bool,
           own: bool, attempt: int, scratch: str | None = None) -> DistributedResult:
    import dask
    import dask.array as da

    nparts = max(1, inp.bounds.shape[0] - 1)
    if nparts >= parts.MAX_PARTS:
        raise InvalidValueError(f"{nparts} chunks is too many (at most {parts.MAX_PARTS - 1})")
    total = max(1, math.ceil(math.log2(max(inp.n, 2)))) + 1 if inp.function else None
    bar = _Progress(progress, total)
    engine = _Engine(client, nparts, shuffle, bar)
    try:
        if inp.n == 0:
            labels = da.zeros(0, dtype=np.int64)
            return DistributedResult(labels, 0, "doubling" if inp.function else "signature", (),
                                     None, attempt)
        if shuffle == "direct":
            direct = DirectDoubling(client, inp.bounds, engine.record, scratch)
            try:
                chunks, n_blocks, _ = direct.run(inp.start, inp.n)
            finally:
                direct.close()
        else:
            if inp.function:
                rows, _ = engine.doubling(inp)
            else:
                rows, _ = engine.signatures(inp)
            chunks, n_blocks = engine.canonical(rows, inp.bounds)
    finally:
        bar.close()
    sizes = np.diff(inp.bounds)
    if path is not None:
        from abstractions._chunked import write_labels

        write_labels(client, chunks, path, inp.bounds)
        labels = open_chunked(path).array("labels")
    elif own:
        gathered = client.gather(chunks)
        labels = da.from_array(np.concatenate(gathered), chunks=(tuple(sizes.tolist()),))
    else:
        pieces = [da.from_delayed(dask.delayed(f), shape=(int(k),), dtype=np.int64)
                  for f, k in zip(chunks, sizes)]
        labels = da.concatenate(pieces).persist()
    method = "doubling" if inp.function else "signature"
    return DistributedResult(labels, n_blocks, method, tuple(engine.records), path, attempt)


# ---------------------------------------------------------------------- checking


def check_complete(
    system: Any, beta: Any, labels: Any, *, client: Any, shuffle: str = "auto",
    chunk_size: int | None = None, scratch: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    """Check an answer for one function against the definition, chunk by chunk on a cluster.

    ``labels`` is complete for ``step`` (same block implies successors in
    the same block), refines ``beta`` (same block implies same beta label)
    and is canonical (first-occurrence ids): checked with joins and a
    group-by, never holding an array of ``n`` in one place.

    Parameters
    ----------
    system : Computation, step array or path
        As for :func:`minimal_complete_abstraction` (one function only).
    beta : Partition or array_like, optional
        The information to keep (optional for a store that holds it).
    labels : dask.array.Array or array_like
        The answer to check, e.g. ``result.labels``.
    client : distributed.Client
        The cluster to check on.
    shuffle : {"auto", "direct", "p2p", "tasks"}
        As for :func:`minimal_complete_abstraction` (``"auto"`` is ``"direct"``).
    chunk_size : int, optional
        States per chunk when an in-memory input is split.
    scratch : str or os.PathLike, optional
        As for :func:`minimal_complete_abstraction`: the direct check's
        arrays go through files there, not the workers' memory.

    Returns
    -------
    dict
        ``{"complete": bool, "refines_beta": bool, "canonical": bool,
        "blocks": int}``.
    """
    _need_dask()
    import dask.array as da

    if shuffle not in SHUFFLES:
        raise InvalidValueError(f"unknown shuffle {shuffle!r}; choose one of {SHUFFLES}")
    where = _scratch_dir(scratch, shuffle)
    inp = _prepare(system, beta, chunk_size, "auto", None)
    if not inp.function:
        raise InvalidValueError("check_complete checks the answer for one function")
    if not _is_dask_array(labels):
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise InvalidTypeError(
                f"labels must be 1-d integers, got {labels.ndim}-d {labels.dtype}"
            )
        labels = da.from_array(labels.astype(np.int64, copy=False))
    if labels.shape[0] != inp.n:
        raise InvalidValueError(f"labels has length {labels.shape[0]}, expected {inp.n}")
    chunks = _delayed_chunks(labels, inp.bounds)
    if shuffle in ("auto", "direct"):
        return DirectDoubling(client, inp.bounds, lambda *_: None, where).check(
            inp.start, chunks, inp.n)
    engine = _Engine(client, max(1, inp.bounds.shape[0] - 1), shuffle, _Progress(False, None))
    starts = engine.run(inp.start)
    rows = engine.run([(_with_labels, (st, lab)) for st, lab in zip(starts, chunks)])
    req = engine.shuffle(rows, _meta(["s", "A", "g", "L"]), "key", rename={"g": "key"})
    look = engine.shuffle(rows, _meta(["s", "A", "g", "L"]), "key", rename={"s": "key"})
    pairs = engine.map(_successor_blocks, req, look)
    by_a = engine.shuffle(pairs, _meta(["A", "B", "beta"]), "A")
    counts = engine.gather(engine.map(_check_counts, by_a))
    maxima = engine.gather([client.submit(_chunk_max_ok, st, pure=False) for st in rows])
    return check_summary(maxima, counts)


def _with_labels(start: Any, labels: Any) -> Any:
    lab = np.asarray(labels, dtype=np.int64)
    if lab.shape[0] != start.shape[0]:
        raise InvalidValueError(
            f"labels has a chunk of {lab.shape[0]} states where the system has {start.shape[0]}"
        )
    return parts.frame(s=start["s"].to_numpy(), A=lab, g=start["g"].to_numpy(),
                       L=start["L"].to_numpy())


def _successor_blocks(req: Any, look: Any) -> Any:
    keys = look["key"].to_numpy()
    order = np.argsort(keys, kind="stable")
    pos = np.searchsorted(keys[order], req["key"].to_numpy())
    return parts.frame(A=req["A"].to_numpy(), B=look["A"].to_numpy()[order][pos],
                       beta=req["L"].to_numpy())


def _check_counts(df: Any) -> tuple[bool, bool, int]:
    a = df["A"].to_numpy()
    blocks, with_b = parts.pair_counts(df, "A", "B")
    _, with_beta = parts.pair_counts(df, "A", "beta")
    del a
    return with_b == blocks, with_beta == blocks, blocks


def _chunk_max_ok(df: Any) -> tuple[int, int, int]:
    """The chunk's record labels (see :func:`record_run`)."""
    return record_run(df["A"].to_numpy())
