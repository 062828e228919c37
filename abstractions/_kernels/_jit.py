"""How the kernels are compiled: one decorator, the disk cache and its fallback.

Every kernel module decorates its functions with :func:`jit`, which is
``numba.njit(cache=True)`` unless the cache is turned off
(``ABSTRACTIONS_NUMBA_CACHE=0``) or cannot work: numba refuses
``cache=True`` outright ("cannot cache function ...: no locator
available") where neither the package's ``__pycache__`` nor a user cache
directory is writable, e.g. a read-only install with no writable home. The
kernels then compile in memory only, and one warning says so.

:func:`announce_compilation` is the other half of first contact: the first
time numba really compiles a kernel in a process (not when it loads one from
its disk cache), one line on the ``abstractions`` logger says so, with the
expected wait.
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar, overload

import numba
from numba.core import event as _event

from abstractions._config import NUMBA_CACHE

__all__ = [
    "COMPILE_SECONDS",
    "DISTRIBUTED_COMPILE_SECONDS",
    "announce_compilation",
    "cache_enabled",
    "jit",
]

F = TypeVar("F", bound=Callable[..., Any])

_logger = logging.getLogger("abstractions")

#: Whether compiled kernels go to numba's disk cache; turned off for good
#: (with one warning) the first time numba finds no place to write them.
_cache = NUMBA_CACHE

#: Cold compile time of each kernel on the reference machine (2 cores), for
#: the expected wait in the compilation notice: CPU seconds, measured in one
#: process with an empty cache calling the kernels in ``warmup()``'s order
#: (a helper counts for the first kernel that calls it); 28 s in all, which
#: is what a process that meets every kernel on first use waits.
#: ``warmup()`` splits them over two processes (see ``_warmup._HELPER``).
#: Two are scaled from side-by-side runs on a slower machine (about 1.8
#: times): ``_function_greedy``'s (its maps as flat arrays, no typed dicts:
#: 7.5 s there against 13.0 s, so 6.1 s becomes 3.5 s) and
#: ``_choice_refine``'s (helpers no longer inlined by numba: 4.3 s against
#: 5.3 s, so 3.9 s becomes 3.2 s). ``_peel_blocks``' is scaled the same
#: way from cold compiles side by side before and after its one-transition
#: path (2.00-2.08 s against 2.24-2.32 s, so 1.3 s becomes 1.4 s).
COMPILE_SECONDS: dict[str, float] = {
    "_first_occurrence": 0.6,
    "_meet_roots": 0.2,
    "_reach": 0.1,
    "_final_states": 0.1,
    "_tree_order": 0.3,
    "_cycle_classes": 0.7,
    "_tree_classes": 0.8,
    "_pair_labels": 0.3,
    "_predecessors_by_block": 0.3,
    "_coarsest_stable": 1.9,
    "_signature_round": 1.2,
    "_is_stable": 0.9,
    "_peel_order": 0.1,
    "_peel_blocks": 1.4,
    "_reach_csr": 0.1,
    "_quotient_rows": 0.8,
    "_rows_agree": 0.3,
    "_row_ids": 0.2,
    "_plurality": 0.7,
    "_first_return": 0.7,
    "_next_change": 0.2,
    "_silent_scc": 0.4,
    "_branching_round": 1.4,
    "_saturate": 0.6,
    "_first_mismatch": 0.1,
    "_lumping_defect": 1.4,
    "_function_profile": 1.7,
    "_function_greedy": 3.5,
    "_tv_merge_errors": 3.0,
    "_conflicts": 0.2,
    "_dense_ids": 0.1,
    "_linear_key": 0.1,
    "_choice_refine": 3.2,
}


def cache_enabled() -> bool:
    """Whether kernels compiled from now on are cached on disk."""
    return _cache


Inline = Literal["never", "always"]


@overload
def jit(
    function: F, *, inline: Inline = "never", nogil: bool = False, wrapper: bool = True
) -> F: ...
@overload
def jit(
    function: None = None, *, inline: Inline = "never", nogil: bool = False, wrapper: bool = True
) -> Callable[[F], F]: ...


def jit(
    function: F | None = None, *, inline: Inline = "never", nogil: bool = False,
    wrapper: bool = True,
) -> Any:
    """``numba.njit`` with the disk cache where one can be written.

    Used bare (``@jit``) or with numba's ``inline`` or ``nogil`` options
    (``@jit(inline="always")``). Kernels are compiled lazily, on their
    first call; only the decision about the cache is made here, when the
    kernel module is imported. ``wrapper=False`` is for helpers that only
    other kernels call: numba then builds no Python entry point for them,
    whose unboxing of the arguments costs compilation (most of a second
    over the function greedy's dozen helpers). Python must not call them
    (except under ``NUMBA_DISABLE_JIT=1``): such a call crashes the
    interpreter instead of raising, so a test that runs a kernel's
    ``py_func`` swaps its helpers for their ``py_func`` too
    (``tests/test_mdp_kernel.py``).
    """
    if function is None:
        return lambda f: jit(f, inline=inline, nogil=nogil, wrapper=wrapper)
    options: dict[str, Any] = {"inline": inline, "nogil": nogil}
    if not wrapper:
        options.update(no_cpython_wrapper=True, no_cfunc_wrapper=True)
    global _cache
    if _cache:
        try:
            return numba.njit(cache=True, **options)(function)
        except RuntimeError as error:
            if "no locator available" not in str(error):
                raise
            _cache = False
            warnings.warn(
                "abstractions: numba cannot cache compiled kernels here (no writable "
                "cache directory), so every new process compiles them again. Set "
                "NUMBA_CACHE_DIR to a writable directory to keep them, or "
                "ABSTRACTIONS_NUMBA_CACHE=0 to silence this warning.",
                RuntimeWarning,
                stacklevel=2,
            )
    return numba.njit(cache=False, **options)(function)


#: Seconds to compile the eight kernels of :mod:`abstractions._kernels.doubling`
#: (with numba's import), cold, on the 2-core machine of the other estimates.
DISTRIBUTED_COMPILE_SECONDS = 7.0

#: Whether the compilation notice has been given in this process.
_announced = False


def _notice(name: str) -> str:
    later = (
        "they are cached on disk, so this happens once per environment"
        if _cache
        else "the disk cache is off, so every new process compiles them again"
    )
    if name not in COMPILE_SECONDS:
        # A kernel of the distributed engine (not warmup()'s): compiled in
        # a worker, on its first chunk of SMALL_INPUT states or more.
        return (
            f"abstractions: numba is compiling the distributed engine's kernels for their "
            f"first use ({name}; the eight of them: about {DISTRIBUTED_COMPILE_SECONDS:.0f} s); "
            f"{later}."
        )
    total = sum(COMPILE_SECONDS.values())
    now = COMPILE_SECONDS[name]
    wait = f"about {now:.0f} s" if now >= 1 else "under a second"
    return (
        f"abstractions: numba is compiling kernels for their first use ({name}: {wait}; "
        f"all of them: about {total:.0f} s); {later}. Run "
        "abstractions.warmup() to compile them all up front; silence this message with "
        "logging.getLogger('abstractions').setLevel(logging.ERROR)."
    )


class _CompileListener(_event.Listener):
    """Logs the notice when numba starts compiling one of our kernels."""

    def on_start(self, event: Any) -> None:
        global _announced
        dispatcher = event.data.get("dispatcher") if isinstance(event.data, dict) else None
        function = getattr(dispatcher, "py_func", None)
        module = getattr(function, "__module__", "") or ""
        if _announced or not module.startswith("abstractions._kernels"):
            return
        _announced = True
        _logger.warning(_notice(getattr(function, "__name__", "a kernel")))

    def on_end(self, event: Any) -> None:
        pass


_listener = _CompileListener()


@contextlib.contextmanager
def announce_compilation(dispatcher: Any) -> Iterator[None]:
    """While the block runs, announce the first real compilation of a kernel.

    Numba signals a compilation (a disk cache miss) with its
    ``numba:compile`` event, which is exactly "the user waits now"; loading
    from the cache raises no event. Where the event API is missing, the
    fallback is a kernel with nothing compiled in memory and no index file
    in numba's cache (it may then announce a load from the cache as well).
    """
    if _announced:
        yield
        return
    install = getattr(_event, "install_listener", None)
    if install is None:  # pragma: no cover - numba without the event API
        _fallback_notice(dispatcher)
        yield
        return
    with install("numba:compile", _listener):
        yield


def _fallback_notice(dispatcher: Any) -> None:  # pragma: no cover - old numba only
    global _announced
    if _announced or getattr(dispatcher, "signatures", True):
        return
    cache = getattr(dispatcher, "_cache", None)
    index = getattr(getattr(cache, "_cache_file", None), "_index_path", None)
    if index is not None and os.path.exists(index):
        return
    _announced = True
    _logger.warning(_notice(dispatcher.py_func.__name__))
