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


def pytest_collection_modifyitems(config, items):
    """Skip the doctests of a module whose extra is missing, saying why (never in CI)."""
    import pytest

    from tests.helpers import REQUIRE_EXTRAS, missing_extra

    if _truthy(os.environ.get(REQUIRE_EXTRAS)):
        return  # CI installs every extra: a missing one must fail, not skip
    reasons = {module: missing_extra(extra) for module, extra in _DOCTEST_EXTRAS.items()}
    for item in items:
        if type(item).__name__ != "DoctestItem":
            continue
        for module, reason in reasons.items():
            if reason and (item.name == module or item.name.startswith(module + ".")):
                item.add_marker(pytest.mark.skip(reason=reason))
