"""Numba kernels on plain int arrays, each behind a gate that fixes its argument types.

Private. The kernels themselves live in the submodules and see only
contiguous arrays and ints. What this package exports under each kernel's
name is a :class:`Kernel` gate, which

* normalises the arguments before numba sees them, so that each kernel
  compiles exactly one specialisation per index width: every array
  C-contiguous with the dtype of its role (``int64`` ids, ``bool`` flags,
  ``float64`` weights, the index dtype of :func:`index_dtype` for
  indices), read-only unless the kernel writes into it (read-only views
  cost nothing, while numba would compile a writeable and a read-only
  variant of the same kernel), and scalars as Python ``int``/``float``;
* loads numba and the kernel module on the first call only, so that
  importing this package (or :mod:`abstractions`) loads no numba;
* announces the first real compilation in a process on the
  ``abstractions`` logger (see :mod:`abstractions._kernels._jit`);
* turns a Ctrl-C that lands inside a kernel into :class:`KeyboardInterrupt`
  (numba would surface it as ``SystemError``: the interrupt is noticed
  while the result is handed back).

``kernel.signatures``, ``kernel.py_func`` and the rest of the numba
dispatcher are reachable through the gate (and are missing, as on a plain
function, under ``NUMBA_DISABLE_JIT=1``).

The kernels are written to compile cheaply (a cold ``warmup()`` compiles
them all, and a first call compiles those it needs), following what was
measured:

* arrays are made by ``np.empty`` and filled by a slice assignment
  (``a[:] = -1``): ``np.zeros``, ``np.full`` and ``np.arange`` each compile
  numba helpers of their own for every dtype, about twice the cost;
* no assignment of one slice to another (``a[:k] = b[:k]``): its
  shape-mismatch error brings in numba's unicode string machinery, seconds;
* no ``np.argsort`` or ``np.sort``: numba's quicksort costs seconds to
  compile, so the splitter kernel and the steps kernels sort by heapsorts
  of their own;
* array sizes are int64 and no jitted helper is called with a literal
  constant (each would compile a variant of its own);
* typed dicts of one type per kernel (each key/value type compiles numba's
  dict machinery again; a set is a dict whose values go unused) and no
  ``heapq`` (numba's on a list of tuples cost seconds): the function greedy
  keeps its heap as an array of rows;
* few jitted helpers: each costs a compilation of its own (a few tenths of
  a second), so a helper called from one place is written out there.

The large outputs and scratch arrays of the hot kernels (the splitters, the
signature round, the linear method, first occurrences, the quotient's rows)
are made by their gates, by numpy, and passed in: numpy asks the system for
huge pages for large arrays, where an array made inside a kernel is faulted
in 4 KB at a time (crowds at 10^6 states: 9,600-13,000 faults a solve,
then 1,100-1,500; a random function at 10^7: 100,000, then about 5,000).
Repeated solves gain most (cluster at 10^6: 10 % on the solve); a first
solve in a fresh process gains nothing measurable here, where a process's
first huge pages are slow to get (see the Performance page). The gates keep
their signatures: callers never see the buffers.

Examples
--------
>>> import numpy as np
>>> from abstractions._kernels import _first_occurrence, index_dtype
>>> _first_occurrence(np.array([3, 1, 3, 0]), 4)
(array([0, 1, 0, 2]), 3)
>>> index_dtype(1000), index_dtype(2**40)
(dtype('int32'), dtype('int64'))
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from abstractions._validation import interrupted

__all__ = [
    "DISTRIBUTED_KERNELS",
    "KERNELS",
    "Kernel",
    "_answer_rows",
    "_apply_ids",
    "_branching_round",
    "_choice_refine",
    "_coarsest_stable",
    "_conflicts",
    "_cycle_classes",
    "_dense_ids",
    "_final_states",
    "_first_mismatch",
    "_first_occurrence",
    "_first_return",
    "_function_greedy",
    "_function_profile",
    "_gather_pairs",
    "_is_stable",
    "_linear_key",
    "_lumping_defect",
    "_meet_roots",
    "_next_change",
    "_number_rows",
    "_pair_ids",
    "_pair_labels",
    "_pair_rows",
    "_peel_blocks",
    "_peel_order",
    "_plurality",
    "_predecessors_by_block",
    "_quotient_rows",
    "_reach",
    "_reach_csr",
    "_requests",
    "_route",
    "_row_ids",
    "_rows_agree",
    "_saturate",
    "_signature_round",
    "_silent_scc",
    "_tree_classes",
    "_tree_order",
    "_tv_merge_errors",
    "hash_table",
    "index_dtype",
    "index_witness",
    "table_size",
    "warm",
]


# ----------------------------------------------------------------------
# The index dtype


def index_dtype(bound: int) -> np.dtype[Any]:
    """The dtype of indices that stay below ``bound``: int32 while they fit, else int64.

    int32 halves the memory traffic of the kernels' index arrays; the
    choice is made here only, so that every caller agrees (one compiled
    specialisation per kernel for all inputs below ``2**31 - 1``).

    Examples
    --------
    >>> index_dtype(2**31 - 2), index_dtype(2**31 - 1)
    (dtype('int32'), dtype('int64'))
    """
    return np.dtype(np.int32) if bound < 2**31 - 1 else np.dtype(np.int64)


def _frozen(array: np.ndarray) -> np.ndarray:
    """``array``, or a read-only view of it (free: no data is copied)."""
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array


_WITNESSES = {
    np.dtype(np.int32): _frozen(np.empty(0, dtype=np.int32)),
    np.dtype(np.int64): _frozen(np.empty(0, dtype=np.int64)),
}


def index_witness(bound: int) -> np.ndarray:
    """An empty array of :func:`index_dtype` ``(bound)``: how kernels learn the dtype.

    Examples
    --------
    >>> index_witness(10).dtype
    dtype('int32')
    """
    return _WITNESSES[index_dtype(bound)]


def hash_table(n: int) -> np.ndarray:
    """A scratch hash table for :mod:`abstractions._kernels.variables` over ``n`` keys.

    A power of two of at least ``2 * n`` slots (at least 2), as the
    kernels' ``_table_bits`` reads it, of :func:`index_dtype` ``(n)``
    (slots hold state ids and ``-2 - id``). Writeable and reusable: the
    kernels overwrite it.

    Examples
    --------
    >>> t = hash_table(5)
    >>> t.shape, t.dtype
    ((16,), dtype('int32'))
    """
    return np.empty(table_size(n), dtype=index_dtype(n))


def table_size(n: int) -> int:
    """Slots of an open-addressing table for ``n`` keys: a power of two of at least ``2 n``.

    Examples
    --------
    >>> table_size(5), table_size(8), table_size(0)
    (16, 16, 2)
    """
    return 1 << max(1, (2 * n - 1).bit_length())


def warm(*names: str) -> bool:
    """Whether every kernel named is compiled in this process already (no numba is loaded).

    Small inputs are answered in numpy so that a first call compiles
    nothing; once the kernels are in memory they are faster at every size.

    Examples
    --------
    >>> warm()  # nothing asked for
    True
    >>> warm("_reach_csr") in (True, False)
    True
    """
    for name in names:
        dispatcher = KERNELS[name]._dispatcher
        if dispatcher is None or not getattr(dispatcher, "signatures", None):
            return False
    return True


# ----------------------------------------------------------------------
# Argument roles


def _ids(array: Any) -> np.ndarray:
    """int64 ids (labels, states, codes, weights): C-contiguous, read-only."""
    return _frozen(np.ascontiguousarray(array, dtype=np.int64))


def _flags(array: Any) -> np.ndarray:
    return _frozen(np.ascontiguousarray(array, dtype=np.bool_))


def _reals(array: Any) -> np.ndarray:
    return _frozen(np.ascontiguousarray(array, dtype=np.float64))


def _index(array: Any, dtype: np.dtype[Any]) -> np.ndarray:
    """Indices in the index dtype the call works with."""
    return _frozen(np.ascontiguousarray(array, dtype=dtype))


def _witness(w: np.ndarray) -> np.ndarray:
    """The canonical witness of ``w``'s dtype (int32 or int64)."""
    try:
        return _WITNESSES[np.dtype(w.dtype)]
    except KeyError:
        raise TypeError(f"index witness must be int32 or int64, got {w.dtype}") from None


def _ids_or_index(array: Any) -> np.ndarray:
    """Values that are int64 ids, or int32 indices (the linear method's classes)."""
    array = np.asarray(array)
    if array.dtype == np.int32:
        return _frozen(np.ascontiguousarray(array))
    return _ids(array)


def _in_place(array: np.ndarray) -> np.ndarray:
    """An index array the kernel writes into: it must be usable as it is."""
    if (
        not isinstance(array, np.ndarray)
        or array.dtype not in _WITNESSES
        or not array.flags.c_contiguous
        or not array.flags.writeable
    ):
        raise TypeError("an in-place argument must be a writeable C-contiguous int32/int64 array")
    return array


# ----------------------------------------------------------------------
# The gates


#: abstractions._kernels._jit once a kernel is loaded (importing it loads numba).
_compiler: ModuleType | None = None


class Kernel:
    """The entry point of one numba kernel: normalise the arguments, then call it.

    Parameters
    ----------
    module : str
        The submodule of :mod:`abstractions._kernels` that defines it.
    name : str
        The kernel's name there.
    prepare : callable
        Maps the caller's arguments to the kernel's, one dtype per role.
    """

    def __init__(self, module: str, name: str, prepare: Callable[..., tuple[Any, ...]]) -> None:
        self.__name__ = name
        self.__doc__ = f"Gate of the numba kernel ``{module}.{name}``."
        self._module = module
        self._prepare = prepare
        self._dispatcher: Any = None
        # Set after the first call returns: the kernel is compiled (or was
        # loaded) for the index width in use, so later calls skip the
        # compile listener (tens of microseconds a call, which small
        # systems felt). A later first int64 compile goes unannounced.
        self._quiet = False

    def _load(self) -> Any:
        global _compiler
        if _compiler is None:
            _compiler = importlib.import_module("abstractions._kernels._jit")
        module = importlib.import_module(f"abstractions._kernels.{self._module}")
        self._dispatcher = getattr(module, self.__name__)
        return self._dispatcher

    @property
    def dispatcher(self) -> Any:
        """The numba dispatcher (the plain function under ``NUMBA_DISABLE_JIT=1``)."""
        return self._dispatcher if self._dispatcher is not None else self._load()

    def __call__(self, *args: Any) -> Any:
        dispatcher = self.dispatcher
        args = self._prepare(*args)
        assert _compiler is not None
        try:
            if _compiler._announced or self._quiet:
                return dispatcher(*args)
            with _compiler.announce_compilation(dispatcher):
                result = dispatcher(*args)
            self._quiet = True
            return result
        except SystemError as error:
            if not interrupted(error):
                raise
            interrupt = KeyboardInterrupt()
            interrupt.add_note(f"(interrupted inside the numba kernel {self.__name__})")
            raise interrupt from None

    def __getattr__(self, name: str) -> Any:
        # .signatures, .py_func, .overloads, ...: the dispatcher's own.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.dispatcher, name)

    def __repr__(self) -> str:
        return f"<kernel {self._module}.{self.__name__}>"


def _first_occurrence_args(values: Any, k: int, scratch: Any = None) -> tuple[Any, ...]:
    values, k = _ids_or_index(values), int(k)
    if scratch is None:
        new_id = np.empty(k, dtype=values.dtype)
    else:
        new_id = _room(scratch, k, "scratch", dtype=values.dtype, whose="the values'")
    return values, k, np.empty(values.shape[0], dtype=np.int64), new_id


def _meet_roots_args(a: Any, na: int, b: Any, nb: int) -> tuple[Any, ...]:
    return _ids(a), int(na), _ids(b), int(nb)


def _reach_args(step: Any, starts: Any) -> tuple[Any, ...]:
    return _ids(step), _ids(starts)


def _final_states_args(step: Any, halted: Any) -> tuple[Any, ...]:
    return _ids(step), _flags(halted)


def _room(
    scratch: Any, size: int, name: str, *, dtype: np.dtype[Any] | None = None, whose: str = ""
) -> np.ndarray:
    """The first ``size`` entries of an in-place index array that must hold them.

    ``dtype``, when given, is the dtype it must have: that of ``whose``
    array (for the message, e.g. ``"the values'"``).
    """
    scratch = _in_place(scratch)
    if scratch.shape[0] < size:
        raise ValueError(f"{name} has {scratch.shape[0]} entries; the kernel needs {size}")
    if dtype is not None and scratch.dtype != dtype:
        raise TypeError(f"{name} must have {whose} dtype {dtype}, not {scratch.dtype}")
    room: np.ndarray = scratch[:size]
    return room


def _tree_order_args(step: Any, scratch: Any) -> tuple[Any, ...]:
    # The scratch (its dtype is the index dtype) holds the counts, and is
    # free again afterwards: the linear method hands it on to _tree_classes.
    step = _ids(step)
    n = step.shape[0]
    count = _room(scratch, n, "scratch")
    return (
        step, count, np.empty(n, dtype=count.dtype), np.empty(n, dtype=count.dtype),
        np.empty(n, dtype=np.bool_),
    )


def _cycle_classes_args(
    step: Any, beta: Any, nb: int, on_cycle: Any, w: np.ndarray
) -> tuple[Any, ...]:
    step = _ids(step)
    return (
        step, _ids(beta), int(nb), _flags(on_cycle),
        np.empty(step.shape[0], dtype=_witness(w).dtype),
    )


def _tree_classes_args(
    queue: Any, nxt: Any, cls: np.ndarray, n_cycle_classes: int, prev_class: Any,
    prev_label: Any, chunk: int, scratch: Any,
) -> tuple[Any, ...]:
    cls = _in_place(cls)
    dtype = cls.dtype
    queue = _index(queue, dtype)
    child = _room(
        scratch, 4 * (int(n_cycle_classes) + queue.shape[0]), "scratch",
        dtype=dtype, whose="the classes'",
    )
    if int(chunk) < 1:  # the kernel's chunks would never advance
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    return (
        queue, _index(nxt, dtype), cls, int(n_cycle_classes), _index(prev_class, dtype),
        _index(prev_label, dtype), int(chunk), child,
    )


def _pair_labels_args(a: Any, b: Any, kb: int, bound: int) -> tuple[Any, ...]:
    return _ids(a), _ids(b), int(kb), int(bound)


def _predecessors_by_block_args(
    indptr: Any, targets: Any, wi: Any, wf: Any, mode: int, labels: Any, k: int, w: np.ndarray,
) -> tuple[Any, ...]:
    indptr, targets, w, mode = _ids(indptr), _ids(targets), _witness(w), int(mode)
    labels, k = _ids(labels), int(k)
    n, m = indptr.shape[0] - 1, targets.shape[0]
    if labels.shape[0] != n:
        raise ValueError(f"labels must have one entry per state ({n}), got {labels.shape[0]}")
    return (
        indptr, targets, _ids(wi), _reals(wf), mode, labels, k,
        np.empty(max(n, k) + 1, dtype=np.int64), np.empty(m, dtype=w.dtype),
        np.empty(m if mode == 1 else 0, dtype=np.int64),
        np.empty(m if mode == 2 else 0, dtype=np.float64),
        np.empty(n, dtype=np.int64), np.empty(n, dtype=np.int64),
    )


def _coarsest_stable_args(
    pindptr: Any, psrc: Any, wi: Any, wf: Any, mode: int, modulus: int, inv_tol: float,
    labels: Any, k: int, within: Any, w: np.ndarray,
) -> tuple[Any, ...]:
    from abstractions._kernels.splitters import arena_size

    w = _witness(w)
    labels, psrc, mode = _ids(labels), _index(psrc, w.dtype), int(mode)
    n, m = labels.shape[0], psrc.shape[0]
    return (
        _ids(pindptr), psrc, _ids(wi), _reals(wf), mode, int(modulus),
        float(inv_tol), labels, int(k), _ids(within),
        np.empty(arena_size(n, m, mode), dtype=w.dtype), np.empty(2 * n + 1, dtype=np.int64),
        np.empty(n if mode == 2 else 0, dtype=np.float64),
    )


def _signature_round_args(
    indptr: Any, targets: Any, wi: Any, wf: Any, mode: int, modulus: int, inv_tol: float,
    labels: Any, salt: Any,
) -> tuple[Any, ...]:
    labels = _ids(labels)
    n = labels.shape[0]
    return (
        _ids(indptr), _ids(targets), _ids(wi), _reals(wf), int(mode), int(modulus),
        float(inv_tol), labels, np.uint64(salt), np.empty(table_size(n), dtype=np.uint64),
        np.empty(n, dtype=np.int64),
    )


def _is_stable_args(
    indptr: Any, targets: Any, wi: Any, wf: Any, mode: int, modulus: int, inv_tol: float,
    labels: Any, k: int,
) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _ids(wi), _reals(wf), int(mode), int(modulus),
        float(inv_tol), _ids(labels), int(k),
    )


def _scratch(array: np.ndarray, dtype: type, name: str) -> np.ndarray:
    """A writeable C-contiguous scratch array of ``dtype`` that the kernel fills."""
    if (
        not isinstance(array, np.ndarray)
        or array.dtype != dtype
        or not array.flags.c_contiguous
        or not array.flags.writeable
    ):
        raise TypeError(f"{name} must be a writeable C-contiguous {np.dtype(dtype)} array")
    return array


def _peel_order_args(indptr: Any, targets: Any, order: Any, indeg: Any) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _scratch(order, np.int64, "order"),
        _scratch(indeg, np.int64, "indeg"),
    )


def _peel_blocks_args(
    indptr: Any, targets: Any, wi: Any, wf: Any, mode: int, modulus: int, inv_tol: float,
    start: Any, blocks: Any, nb: int, order: Any, salt: Any, table: Any, pool: Any,
    limit: int,
) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _ids(wi), _reals(wf), int(mode), int(modulus),
        float(inv_tol), _ids(start), _scratch(blocks, np.int64, "blocks"), int(nb),
        _ids(order), np.uint64(salt), _scratch(table, np.uint64, "table"),
        _scratch(pool, np.int64, "pool"), int(limit),
    )


def _quotient_rows_args(
    indptr: Any, targets: Any, symbols: Any, wi: Any, wf: Any, mode: int, inv_tol: float,
    labels: Any, reps: Any, nsym: int,
) -> tuple[Any, ...]:
    targets, mode, reps = _ids(targets), int(mode), _ids(reps)
    # Room for every transition: the representatives have at most that
    # (pages never written are never made resident).
    m = targets.shape[0]
    return (
        _ids(indptr), targets, _ids(symbols), _ids(wi), _reals(wf), mode,
        float(inv_tol), _ids(labels), reps, int(nsym), np.empty(reps.shape[0] + 1, dtype=np.int64),
        np.empty(m, dtype=np.int64),
        np.empty(m if mode == 1 else 0, dtype=np.int64),
        np.empty(m if mode == 2 else 0, dtype=np.float64),
    )


def _rows_agree_args(
    indptr: Any, targets: Any, wi: Any, wf: Any, mode: int, inv_tol: float, labels: Any,
    qptr: Any, qdst: Any, qvi: Any, qvf: Any,
) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _ids(wi), _reals(wf), int(mode), float(inv_tol),
        _ids(labels), _ids(qptr), _ids(qdst), _ids(qvi), _reals(qvf),
    )


def _reach_csr_args(indptr: Any, targets: Any, starts: Any) -> tuple[Any, ...]:
    return _ids(indptr), _ids(targets), _ids(starts)


def _row_ids_args(keys: Any) -> tuple[Any, ...]:
    keys = _ids(keys)
    if keys.ndim != 2:
        raise TypeError(f"row keys must be a 2-d array, got {keys.ndim} dimension(s)")
    return (keys,)


def _route_args(dest: Any, nparts: int) -> tuple[Any, ...]:
    return _ids(dest), int(nparts)


def _pair_ids_args(a: Any, b: Any, slots: int) -> tuple[Any, ...]:
    return _ids(a), _ids(b), _slots_of(slots)


def _requests_args(g: Any, final: Any, size: int, bounds: Any) -> tuple[Any, ...]:
    bounds = _ids(bounds)
    if bounds.shape[0] < 2:
        raise ValueError(f"bounds must hold at least one chunk (two bounds), got {bounds.shape[0]}")
    return _ids(g), _flags(final), int(size), bounds


def _rows_out(array: Any) -> np.ndarray:
    """An int64 array a kernel fills: an in-place argument, int64 only (one specialisation)."""
    out = _in_place(array)
    if out.dtype != np.int64:
        raise TypeError("an output argument must be a writeable C-contiguous int64 array")
    return out


def _gather_pairs_args(
    L: Any, pos: Any, offset: int, got: Any, a: Any, b: Any, gg: Any
) -> tuple[Any, ...]:
    got = _ids(got)
    if got.ndim != 2 or got.shape[0] != 2:
        raise ValueError(f"got must be an array of two rows, got shape {got.shape}")
    offset = int(offset)
    a, b, gg = _rows_out(a), _rows_out(b), _rows_out(gg)
    pos = _ids(pos)
    if not (0 <= offset and offset + got.shape[1] <= min(a.shape[0], b.shape[0], gg.shape[0],
                                                          pos.shape[0])):
        raise ValueError(f"rows {offset}..{offset + got.shape[1]} do not fit the output arrays")
    return _ids(L), pos, offset, got, a, b, gg


def _slots_of(slots: int) -> int:
    slots = int(slots)
    if slots < 2 or slots & (slots - 1):
        raise ValueError(f"slots must be a power of two of at least 2, got {slots}")
    return slots


def _pair_rows_args(a: Any, b: Any, slots: int, nparts: int) -> tuple[Any, ...]:
    nparts = int(nparts)
    if nparts < 1:
        raise ValueError(f"nparts must be at least 1, got {nparts}")
    a, b = _ids(a), _ids(b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have one shape, got {a.shape} and {b.shape}")
    return a, b, _slots_of(slots), nparts


def _number_rows_args(
    a: Any, b: Any, count_of: Any, slots: int, base: int, alone_bit: int
) -> tuple[Any, ...]:
    a, b, count_of = _ids(a), _ids(b), _ids(count_of)
    if not a.shape == b.shape == count_of.shape:
        raise ValueError(f"a, b and count_of must have one shape, got {a.shape}, {b.shape} "
                         f"and {count_of.shape}")
    return a, b, count_of, _slots_of(slots), int(base), int(alone_bit)


def _answer_rows_args(L: Any, g: Any, final: Any, lo: int, req: Any) -> tuple[Any, ...]:
    return _ids(L), _ids(g), _flags(final), int(lo), _ids(req)


def _apply_ids_args(
    L: Any, g: Any, final: Any, active: Any, gg: Any, codes: Any, per_pair: Any
) -> tuple[Any, ...]:
    return _ids(L), _ids(g), _flags(final), _ids(active), _ids(gg), _ids(codes), _ids(per_pair)


def _plurality_args(src: Any, dst: Any, w: Any, k: int) -> tuple[Any, ...]:
    return _ids(src), _ids(dst), _reals(w), int(k)


def _first_return_args(step: Any, schedule: Any, starts: Any, w: np.ndarray) -> tuple[Any, ...]:
    return _ids(step), _flags(schedule), _ids(starts), _witness(w)


def _next_change_args(
    step: Any, labels: Any, halted: Any, ended: int, diverged: int, w: np.ndarray
) -> tuple[Any, ...]:
    return _ids(step), _ids(labels), _flags(halted), int(ended), int(diverged), _witness(w)


def _silent_scc_args(indptr: Any, targets: Any, inert: Any) -> tuple[Any, ...]:
    return _ids(indptr), _ids(targets), _flags(inert)


def _branching_round_args(
    indptr: Any, targets: Any, symbols: Any, silent: int, cyclic: Any, labels: Any, k: int,
    sensitive: bool, limit: int,
) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _ids(symbols), int(silent), _flags(cyclic), _ids(labels),
        int(k), bool(sensitive), int(limit),
    )


def _saturate_args(
    indptr: Any, targets: Any, symbols: Any, silent: int, cyclic: Any, labels: Any,
    sensitive: bool, limit: int,
) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _ids(symbols), int(silent), _flags(cyclic), _ids(labels),
        bool(sensitive), int(limit),
    )


def _first_mismatch_args(labels: Any, nxt: Any, best: Any, w: Any) -> tuple[Any, ...]:
    return _ids(labels), _ids(nxt), _ids(best), _reals(w)


def _lumping_defect_args(
    indptr: Any, targets: Any, labels: Any, k: int, w: Any, prob: Any, num: Any, scale: float,
) -> tuple[Any, ...]:
    return (
        _ids(indptr), _ids(targets), _ids(labels), int(k), _reals(w), _reals(prob), _ids(num),
        float(scale),
    )


def _function_profile_args(
    step: Any, labels: Any, w: Any, max_rounds: int, ix: np.ndarray
) -> tuple[Any, ...]:
    step, labels, ix = _ids(step), _ids(labels), _witness(ix)
    # The kernel numbers blocks up to n + max(labels): an int32 witness
    # must hold that, or its ids would wrap around.
    bound = step.shape[0] + (int(labels.max()) + 1 if labels.shape[0] else 0)
    if ix.dtype == np.int32 and index_dtype(bound) != ix.dtype:
        raise ValueError(f"index witness int32 cannot number {bound} blocks; pass an int64 one")
    return step, labels, _reals(w), int(max_rounds), ix


def _function_greedy_args(
    units: Any, unit_w: Any, pairs: Any, pair_w: Any, groups: Any, sums: Any, target: int,
    all_pairs: int,
) -> tuple[Any, ...]:
    units, pairs = _ids(units), _ids(pairs)
    if units.ndim != 2 or pairs.ndim != 2:
        raise TypeError("units and pairs must be 2-d arrays")
    # The kernel works on copies of the group rows and sums (it updates them).
    groups = np.array(groups, dtype=np.float64, order="C")
    if groups.ndim != 2:
        raise TypeError(f"groups must be a 2-d array, got {groups.ndim} dimension(s)")
    # Its maps and work rows, made by numpy here (numba would compile these
    # lines too); the kernel module is loaded by now.
    from abstractions._kernels.approximate import _greedy_scratch

    return (units, _reals(unit_w), pairs, _reals(pair_w), groups,
            np.array(sums, dtype=np.float64), int(target), int(all_pairs),
            _greedy_scratch(units, pairs, groups.shape[1]))


def _tv_merge_errors_args(
    ptr: Any, rows: Any, raw: Any, w: Any, units: Any, inward: Any, chain: Any, sums: Any,
    x: int, y: int,
) -> tuple[Any, ...]:
    rows, units, chain, sums = _ids(rows), _ids(units), _ids(chain), _reals(sums)
    for name, value, height in (("rows", rows, 3), ("units", units, 2), ("chain", chain, 5),
                                ("sums", sums, 2)):
        if value.ndim != 2 or value.shape[0] != height:
            raise TypeError(f"{name} must be a ({height}, k) array, got shape {value.shape}")
    return (_ids(ptr), rows, _reals(raw), _reals(w), units, _ids(inward), chain, sums,
            int(x), int(y))


def _conflicts_args(key: Any, alpha: Any, slots: np.ndarray, limit: int) -> tuple[Any, ...]:
    return _ids(key), _ids(alpha), _in_place(slots), int(limit)


def _dense_ids_args(key: Any, slots: np.ndarray) -> tuple[Any, ...]:
    return _ids(key), _in_place(slots)


def _linear_key_args(base: Any, codes: Any, rows: Any, weights: Any) -> tuple[Any, ...]:
    codes = _ids(codes)
    if codes.ndim != 2:
        raise TypeError(f"codes must be a 2-d array, got {codes.ndim} dimension(s)")
    return _ids(base), codes, _ids(rows), _ids(weights)


def _choice_refine_args(
    sptr: Any, cptr: Any, targets: Any, wi: Any, wf: Any, mode: int, inv_tol: float,
    action: Any, labels: Any, k: int,
) -> tuple[Any, ...]:
    return (
        _ids(sptr), _ids(cptr), _ids(targets), _ids(wi), _reals(wf), int(mode),
        float(inv_tol), _ids(action), _ids(labels), int(k),
    )


_first_occurrence = Kernel("labels", "_first_occurrence", _first_occurrence_args)
_meet_roots = Kernel("labels", "_meet_roots", _meet_roots_args)
_reach = Kernel("graph", "_reach", _reach_args)
_final_states = Kernel("graph", "_final_states", _final_states_args)
_cycle_classes = Kernel("refine", "_cycle_classes", _cycle_classes_args)
_tree_classes = Kernel("refine", "_tree_classes", _tree_classes_args)
_tree_order = Kernel("refine", "_tree_order", _tree_order_args)
_pair_labels = Kernel("refine", "_pair_labels", _pair_labels_args)
_predecessors_by_block = Kernel(
    "splitters", "_predecessors_by_block", _predecessors_by_block_args
)
_coarsest_stable = Kernel("splitters", "_coarsest_stable", _coarsest_stable_args)
_signature_round = Kernel("signatures", "_signature_round", _signature_round_args)
_is_stable = Kernel("signatures", "_is_stable", _is_stable_args)
_peel_order = Kernel("signatures", "_peel_order", _peel_order_args)
_peel_blocks = Kernel("signatures", "_peel_blocks", _peel_blocks_args)
_reach_csr = Kernel("csr", "_reach_csr", _reach_csr_args)
_quotient_rows = Kernel("csr", "_quotient_rows", _quotient_rows_args)
_rows_agree = Kernel("csr", "_rows_agree", _rows_agree_args)
_row_ids = Kernel("rows", "_row_ids", _row_ids_args)
_plurality = Kernel("approximate", "_plurality", _plurality_args)
_first_return = Kernel("steps", "_first_return", _first_return_args)
_next_change = Kernel("steps", "_next_change", _next_change_args)
_silent_scc = Kernel("steps", "_silent_scc", _silent_scc_args)
_branching_round = Kernel("steps", "_branching_round", _branching_round_args)
_saturate = Kernel("steps", "_saturate", _saturate_args)
_first_mismatch = Kernel("approximate", "_first_mismatch", _first_mismatch_args)
_lumping_defect = Kernel("approximate", "_lumping_defect", _lumping_defect_args)
_function_profile = Kernel("approximate", "_function_profile", _function_profile_args)
_function_greedy = Kernel("approximate", "_function_greedy", _function_greedy_args)
_tv_merge_errors = Kernel("approximate", "_tv_merge_errors", _tv_merge_errors_args)
_conflicts = Kernel("variables", "_conflicts", _conflicts_args)
_dense_ids = Kernel("variables", "_dense_ids", _dense_ids_args)
_linear_key = Kernel("variables", "_linear_key", _linear_key_args)
_choice_refine = Kernel("choices", "_choice_refine", _choice_refine_args)
_route = Kernel("doubling", "_route", _route_args)
_requests = Kernel("doubling", "_requests", _requests_args)
_gather_pairs = Kernel("doubling", "_gather_pairs", _gather_pairs_args)
_pair_rows = Kernel("doubling", "_pair_rows", _pair_rows_args)
_number_rows = Kernel("doubling", "_number_rows", _number_rows_args)
_pair_ids = Kernel("doubling", "_pair_ids", _pair_ids_args)
_answer_rows = Kernel("doubling", "_answer_rows", _answer_rows_args)
_apply_ids = Kernel("doubling", "_apply_ids", _apply_ids_args)

#: The gates of the distributed engine's kernels: compiled in the workers
#: on their first large chunk, not by ``warmup()`` (users without the
#: ``distributed`` extra never pay for them).
DISTRIBUTED_KERNELS: dict[str, Kernel] = {
    gate.__name__: gate
    for gate in (_route, _requests, _gather_pairs, _pair_ids, _pair_rows, _number_rows,
                 _answer_rows, _apply_ids)
}

#: Every gate of the in-memory library, by kernel name.
KERNELS: dict[str, Kernel] = {
    gate.__name__: gate
    for gate in (
        _first_occurrence, _meet_roots, _reach, _final_states, _tree_order,
        _cycle_classes, _tree_classes, _pair_labels, _predecessors_by_block,
        _coarsest_stable,
        _signature_round, _is_stable, _peel_order, _peel_blocks, _reach_csr, _quotient_rows,
        _rows_agree, _row_ids,
        _plurality, _first_return, _next_change, _silent_scc, _branching_round, _saturate,
        _first_mismatch, _lumping_defect, _function_profile, _function_greedy,
        _tv_merge_errors, _conflicts, _dense_ids, _linear_key, _choice_refine,
    )
}
