"""The shape of the code: the module graph is a DAG, interop modules use public names.

Every ``import`` of an ``abstractions`` module is read from the source (at
module level and inside functions alike), so a lazy import cannot hide a
cycle. Private names cross module boundaries only out of the private
packages (``abstractions._engine``, ``abstractions._kernels`` and the
private modules ``_validation``, ``_config``), which exist to be shared.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

import abstractions

ROOT = Path(abstractions.__file__).parent
#: Modules that connect to other libraries: they use public names only.
INTEROP = {"files", "formats", "graphs", "symbolic", "plotting", "cli", "demo", "strategies", "machines"}
#: The private modules every interop module may use: the coercers of user input.
ALLOWED_PRIVATE = ("abstractions._validation",)
#: Private leaves that belong to one interop module (its own implementation).
OWN_PRIVATE = {
    "abstractions.files": ("abstractions._validation", "abstractions._storage"),
    "abstractions.formats": ("abstractions._validation", "abstractions._storage"),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _thin(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A delegate: only a docstring, imports and one ``return``."""
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]
    return bool(body) and all(isinstance(s, (ast.Import, ast.ImportFrom)) for s in body[:-1]) and (
        isinstance(body[-1], ast.Return)
    )


def _imports(name: str, delegates: bool = True) -> list[tuple[str, list[str]]]:
    """(module imported, names taken from it) for every import in ``name``'s source.

    Without ``delegates``, the imports inside thin delegate functions (a
    core method that forwards to an interop module, such as
    ``Computation.from_networkx``) are left out.
    """
    path = MODULES[name]
    tree = ast.parse(path.read_text(), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skipped: set[int] = set()
    if not delegates:
        for function in ast.walk(tree):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)) and _thin(function):
                skipped |= {id(node) for node in ast.walk(function)}
    found = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([module] if module else []))
            taken = [alias.name for alias in node.names]
            # ``from abstractions._engine import relation``: a submodule, not a name.
            subs = [f"{module}.{t}" for t in taken if f"{module}.{t}" in MODULES]
            found += [(s, []) for s in subs]
            found.append((module, [t for t in taken if f"{module}.{t}" not in MODULES]))
    return [(m, names) for m, names in found if m == "abstractions" or m.startswith("abstractions.")]


def _interop(module: str) -> bool:
    return module.count(".") >= 1 and module.split(".")[1] in INTEROP


GRAPH = {
    name: sorted({m for m, _ in _imports(name, delegates=False) if m in MODULES and m != name})
    for name in MODULES
}


def test_delegates_only_reach_interop_modules():
    """The imports left out of the graph below are core methods forwarding to interop modules."""
    for name in MODULES:
        extra = {m for m, _ in _imports(name)} - {m for m, _ in _imports(name, delegates=False)}
        for module in extra:
            assert _interop(module) and not _interop(name), f"{name} delegates to {module}"


def test_module_graph_is_a_dag():
    """No module imports, directly or through others, a module that imports it.

    Lazy imports inside functions count; only thin delegate methods into the
    interop modules (``Computation.from_sympy``, ``System.to_networkx``, ...)
    are left out, as they only forward.
    """
    state: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for nxt in GRAPH[name]:
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):] + [nxt] if nxt in path else [name, nxt]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[name] = 2

    for name in MODULES:
        if name not in state:
            visit(name, [name])


def _private_module(module: str) -> bool:
    return any(part.startswith("_") for part in module.split(".")[1:])


def test_private_names_stay_home():
    """A private name is imported across modules only from the private engine packages."""
    offenders = []
    for name in MODULES:
        for module, taken in _imports(name):
            private = [t for t in taken if t.startswith("_") and not t.startswith("__")]
            if private and not _private_module(module):
                offenders.append(f"{name} imports {', '.join(private)} from {module}")
    assert not offenders, "\n".join(offenders)


def test_interop_modules_use_public_names_only():
    """files, graphs, symbolic, plotting, ... import no private module or name of the package."""
    offenders = []
    for name in MODULES:
        if not _interop(name):
            continue
        for module, taken in _imports(name):
            if _private_module(module) and module not in OWN_PRIVATE.get(name, ALLOWED_PRIVATE):
                offenders.append(f"{name} imports the private module {module}")
            private = [t for t in taken if t.startswith("_") and not t.startswith("__")]
            if private:
                offenders.append(f"{name} imports {', '.join(private)} from {module}")
        source = MODULES[name].read_text()
        imported = {t for module, taken in _imports(name) for t in taken} | {"abstractions"}
        for match in re.finditer(r"\b([A-Za-z]\w*)\.(_(?!_)\w+)", source):
            owner, attribute = match.groups()
            if owner in imported and f"{owner}.{attribute}" not in {
                f"abstractions.{m.split('.')[1]}" for m in OWN_PRIVATE.get(name, ALLOWED_PRIVATE)
            }:
                offenders.append(f"{name} reads the private attribute {owner}.{attribute}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_every_module_declares_all(name):
    """Every module lists its public surface in __all__, and each name exists."""
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"
    for item in module.__all__:
        assert hasattr(module, item), f"{name}.__all__ lists {item!r}, which it does not define"


API = (ROOT.parent / "docs" / "api.md").read_text()


def test_api_page_claims_only_what_is_true():
    """Every name docs/api.md says is importable from abstractions is, and every module it documents exists."""
    documented = re.findall(r"^::: (abstractions[\w.]*)", API, re.M)
    assert documented
    for target in documented:
        module, _, attr = target.rpartition(".")
        try:
            importlib.import_module(target)
        except ModuleNotFoundError:
            assert hasattr(importlib.import_module(module), attr), f"::: {target} does not exist"
    for name in re.findall(r"`abstractions\.(\w+)`", API):
        assert hasattr(abstractions, name) or f"abstractions.{name}" in MODULES, name
    for name in abstractions.__all__:
        assert hasattr(abstractions, name)


def test_ci_installs_every_extra_the_tests_ask_for():
    """Every optional extra a test may require is installed by .ci/run (torch by its CPU pin),
    so that in CI, where a missing extra fails, none is missing."""
    from tests.helpers import EXTRAS

    script = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    installed: set[str] = set()
    for group in re.findall(r"pip install --quiet '\.\[([a-z,]+)\]'", script):
        installed.update(group.split(","))
    assert "pip install --quiet torch==2.13.0" in script
    assert set(EXTRAS) - {"torch"} <= installed, sorted(set(EXTRAS) - {"torch"} - installed)


def _run(code: str) -> str:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          cwd=ROOT.parent)
    return done.stdout.strip()


def test_import_loads_modules_on_first_use():
    """``import abstractions`` loads none of its modules, nor numpy; a name's first use loads its module."""
    out = _run(
        "import sys, abstractions\n"
        "print(sorted(m for m in sys.modules if m.startswith('abstractions.')), 'numpy' in sys.modules)\n"
        "abstractions.Partition\n"
        "print('abstractions.partition' in sys.modules, 'abstractions.frontier' in sys.modules)"
    )
    assert out.splitlines() == ["[] False", "True False"]


def test_stub_names_where_every_public_name_lives():
    """``__init__.pyi`` imports each name of ``__all__`` from the module that defines it."""
    tree = ast.parse((ROOT / "__init__.pyi").read_text())
    imported = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                imported[alias.name] = node.module
    assert set(imported) | {"__version__"} == set(abstractions.__all__)
    assert set(abstractions.__all__) <= set(dir(abstractions))
    for name, module in imported.items():
        value = getattr(abstractions, name)
        if module == "abstractions":
            assert value is importlib.import_module(f"abstractions.{name}"), name
        else:
            assert value is getattr(importlib.import_module(module), name), name


def test_a_submodule_never_hides_a_public_name():
    """``abstractions.support`` stays the function after its module ``abstractions.support`` loads."""
    out = _run(
        "import abstractions.support, abstractions.report, abstractions\n"
        "print(callable(abstractions.support), abstractions.weights.__name__)\n"
        "from abstractions import support; print(support.__module__)"
    )
    assert out.splitlines() == ["True abstractions.weights", "abstractions.support"]


def test_a_submodule_loads_by_attribute():
    """``abstractions.files`` is the module, loaded on first access as any public name."""
    assert _run("import abstractions; print(abstractions.files.__name__)") == "abstractions.files"


def test_an_unknown_name_is_an_attribute_error():
    """A name the package does not have raises AttributeError, so ``hasattr`` works."""
    assert not hasattr(abstractions, "no_such_name")
    with pytest.raises(AttributeError, match="no_such_name"):
        abstractions.no_such_name  # noqa: B018


def test_helpers_without_an_entry_point_are_called_by_kernels_only():
    """No module or test imports a ``jit(wrapper=False)`` helper: called from Python, it crashes.

    Such helpers have no Python entry point (``_jit.jit``), so only the
    kernels of their own module (and kernels that import them) may call them.
    """
    from abstractions._kernels import KERNELS

    helpers: dict[str, set[str]] = {}
    for path in sorted((ROOT / "_kernels").glob("*.py")):
        module = importlib.import_module(_module_name(path))
        for attr, value in list(vars(module).items()):
            options = getattr(value, "targetoptions", {})
            if options.get("no_cpython_wrapper") and value.__module__ == module.__name__:
                helpers.setdefault(module.__name__, set()).add(attr)
    assert helpers, "no helper is compiled without an entry point any more"
    assert not set().union(*helpers.values()) & set(KERNELS)
    sources = [p for p in MODULES.values() if p.parent != ROOT / "_kernels"]
    sources += sorted((ROOT.parent / "tests").glob("*.py"))
    offenders = []
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module in helpers:
                taken = {alias.name for alias in node.names} & helpers[node.module]
                if taken:
                    offenders.append(f"{path.name} imports {', '.join(sorted(taken))}")
    assert not offenders, "\n".join(offenders)
