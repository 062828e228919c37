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

_MAX_EXAMPLES = 50

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

# Not loaded by default: ``pytest --hypothesis-profile=thorough`` for a deeper search.
settings.register_profile(
    "thorough",
    deadline=None,
    max_examples=1000,
    suppress_health_check=[HealthCheck.too_slow],
)


def _truthy(value: str | None) -> bool:
    return value is not None and value.strip().lower() not in {"", "0", "false", "no", "off"}


settings.load_profile("ci" if _truthy(os.environ.get("CI")) else "default")
