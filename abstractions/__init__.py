"""abstractions: formal abstractions of computations.

Model a finite computation (:class:`Computation`), express abstractions as
partitions of its states (:class:`Partition`), check the commutative
consistency condition (:func:`is_complete`, :func:`find_violation`), and
compute minimal complete abstractions (:func:`minimal_complete_abstraction`):
the least fixed point of the completion operator above the information to
keep.

Examples
--------
>>> import numpy as np
>>> from abstractions import Computation, Partition, minimal_complete_abstraction
>>> counter = Computation((np.arange(12) + 1) % 12)          # counter mod 12
>>> keep = Partition.kernel(np.arange(12) % 3)                # value mod 3
>>> minimal_complete_abstraction(counter, keep).n_blocks
3
"""

# The package loads lazily: ``import abstractions`` reads the table of public
# names from ``__init__.pyi`` (which type checkers read as the package's
# types) and imports the module behind a name on its first use, so a script
# or the command line pays only for the modules it touches.
from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import sys
import types
from typing import Any

__version__ = "0.1.0"


def _public_names() -> tuple[dict[str, str], set[str], list[str]]:
    """From the stub: each public name's module, the public submodules, and ``__all__``."""
    path = os.path.join(os.path.dirname(__file__), "__init__.pyi")
    with open(path, encoding="utf-8") as stub:
        tree = ast.parse(stub.read(), path)
    where: dict[str, str] = {}
    submodules: set[str] = set()
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                name = alias.asname or alias.name
                where[name] = node.module
                if node.module == __name__:  # ``from abstractions import weights``
                    where[name] = f"{__name__}.{alias.name}"
                    submodules.add(name)
        elif isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            names = list(ast.literal_eval(node.value))
    return where, submodules, names


_WHERE, _SUBMODULES, __all__ = _public_names()


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        # A submodule by attribute (``abstractions.files``), as when the
        # package imported its modules up front.
        if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if name in _SUBMODULES else getattr(loaded, name)
    globals()[name] = value
    return value


class _Package(types.ModuleType):
    """The package's module type: a submodule never hides a public name.

    Importing a submodule binds it to the package's attribute of the same
    name. The public ``abstractions.support`` is the function of the module
    ``abstractions.support``, as it was when the package imported
    everything up front, so that binding is skipped and the name loads on
    its first use.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE and name not in _SUBMODULES:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
