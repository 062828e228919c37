"""Shared pytest configuration: hypothesis profiles.

``default``: no deadline (numba compiles a kernel on its first call, which
would otherwise trip hypothesis' deadline). ``ci``: also derandomized, and
failing examples are printed as reproduction blobs. The ``ci`` profile is
loaded when the environment variable ``CI`` is set to a true value.
``thorough``: many more examples, chosen with ``--hypothesis-profile=thorough``.

matplotlib draws with the non-interactive Agg backend in the tests (the
examples and ``abstractions.plotting`` must never need a display).
"""

from __future__ import annotations

import os

# Before anything imports matplotlib: no window ever opens during the tests.
os.environ["MPLBACKEND"] = "Agg"

from hypothesis import HealthCheck, settings

# The default tier's examples per property (the thorough profile, which CI
# also runs, takes 1000).
_MAX_EXAMPLES = 30

settings.register_profile(
    "default",
    deadline=None,
    max_examples=_MAX_EXAMPLES,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "ci",
    deadline=None,
    max_examples=_MAX_EXAMPLES,
    derandomize=True,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in {"", "0", "false", "no", "off"}


# Not loaded by default: ``pytest --hypothesis-profile=thorough`` for a deeper
# search (derandomized in CI, where .ci/run selects it, so a failure reproduces).
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    derandomize=_truthy(os.environ.get("CI")),
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


settings.load_profile("ci" if _truthy(os.environ.get("CI")) else "default")


#: Modules whose doctests need an optional extra: skipped, with the reason, where it is missing.
_DOCTEST_EXTRAS = {
    "abstractions._chunked": "distributed",
    "abstractions._dask_exchange": "distributed",
    "abstractions._dask_parts": "distributed",
    "abstractions.distributed": "distributed",
    "abstractions.recorder": "torch",
    "abstractions.quantizers.KMeansQuantizer": "learned",
}


_TESTS = os.path.dirname(os.path.abspath(__file__))


def _uses_stormpy(item, seen: dict[str, bool]) -> bool:
    """Whether ``item`` is in a test module that uses stormpy (read once per file).

    Those that import it, and those that need the ``models`` extra (they
    reach it through the benchmarks' model builders).
    """
    path = str(item.path)
    if path not in seen:
        text = item.path.read_text() if os.path.dirname(path) == _TESTS else ""
        seen[path] = "stormpy" in text or 'require_extra("models"' in text
    return seen[path]


def pytest_collection_modifyitems(config, items):
    """Run the modules that use stormpy last; skip the doctests of a missing extra, saying why.

    After stormpy is imported, the same numpy allocations cost the process
    five times the page faults (measured; stormpy's libraries neither call
    ``mallopt`` nor bring a ``malloc`` of their own, and the cause was not
    pinned down), and a later property test that allocates much (the direct
    exchange of ``test_distributed``) took 45-264 s in the suite against
    2-5 s alone: the default tier went from 184-250 s to about 120 s. Order
    never matters to a test's outcome, only to the suite's time. The skips
    never happen in CI.
    """
    import pytest

    from tests.helpers import REQUIRE_EXTRAS, missing_extra

    seen: dict[str, bool] = {}
    items.sort(key=lambda item: _uses_stormpy(item, seen))  # stable: the order otherwise
    if _truthy(os.environ.get(REQUIRE_EXTRAS)):
        return  # CI installs every extra: a missing one must fail, not skip
    reasons = {module: missing_extra(extra) for module, extra in _DOCTEST_EXTRAS.items()}
    for item in items:
        if type(item).__name__ != "DoctestItem":
            continue
        for module, reason in reasons.items():
            if reason and (item.name == module or item.name.startswith(module + ".")):
                item.add_marker(pytest.mark.skip(reason=reason))
