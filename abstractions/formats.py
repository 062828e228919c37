"""The model checkers' formats: Aldebaran ``.aut``, Storm's ``.drn``, PRISM and JANI.

The benchmark suites of the field come in these formats: labelled
transition systems as Aldebaran ``.aut`` files (CADP, mCRL2, the VLTS
suite), explicit Markov chains and MDPs as Storm's DRN files, and models
written in the PRISM and JANI languages, which Storm and PRISM build into
explicit state spaces. :func:`load_model` and :func:`save_model` choose
by suffix and also read and write the library's own ``.npz`` and
``.json`` files (:mod:`abstractions.files`); the command line reads
everything :func:`load_model` reads (``abstractions minimize model.aut``).

============  =========================================  ==============  ==============
suffix        format                                     read            write
============  =========================================  ==============  ==============
``.npz``      abstractions archive, any kind             yes             yes
``.json``     abstractions JSON, any kind                yes             yes
``.aut``      Aldebaran: an LTS                          yes             yes
``.drn``      Storm's explicit format: DTMC, CTMC, MDP   yes             DTMC, MDP
``.pm``       PRISM (``.prism``, ``.nm``, ``.sm``)       with stormpy    no
``.jani``     JANI                                       with stormpy    no
============  =========================================  ==============  ==============

How each format maps onto a system:

Aldebaran ``.aut``
    ``des (initial, transitions, states)``, then one line
    ``(source, "action", target)`` per transition. It becomes a
    :class:`~abstractions.NondeterministicSystem` with the actions as
    labels (strings), the initial state as its one input, and one output
    (None) for every state: ``.aut`` has no state labels, so the minimal
    complete abstraction above :func:`~abstractions.output_abstraction` is
    the coarsest strong bisimulation. Written: a nondeterministic or
    labelled system whose output is one value (a quotient of a read
    ``.aut`` file is), actions as ``str``; its one input is the initial
    state (state 0 when every state is an input, the default).
Storm DRN
    A DTMC becomes a :class:`~abstractions.MarkovChain` (exact with
    ``@value_type: rational``, floats otherwise), a CTMC a
    :class:`~abstractions.ContinuousTimeMarkovChain` (its entries are
    rates; a state's exit rate ``!r``, where given, must be its row's sum;
    a reward model with action rewards, earned per jump, gives each state
    the pair ``(state reward, action reward)``); an MDP whose every choice
    is a Dirac distribution becomes a :class:`~abstractions.LabelledSystem`
    when every state has each action once (a DFA), else a
    :class:`~abstractions.NondeterministicSystem` labelled by the actions
    (``__NOLABEL__`` is the action None); any other MDP becomes a
    :class:`~abstractions.MarkovDecisionProcess` with the same actions. The
    states labelled ``init`` are
    the inputs. The other state labels become the output, a tuple of label
    names sorted by name; with reward models it is the pair
    ``(labels, ((reward model, reward), ...))`` (a DTMC's action rewards
    are added to its state rewards). Written back the same way: an output
    that is a tuple of strings gives labels, such a pair also rewards, None
    no label, and any other value one label ``str(value)``; the inputs get
    ``init``. State names are written as Storm writes state valuations, in
    a comment line after the state's line (``//[x=1 & y=0]``), and read
    back from there (as strings, runs of whitespace as one space) when
    every state has a distinct one.
PRISM and JANI (through stormpy)
    Built by Storm with every label, reward model, choice label and the
    state valuations, then read as for DRN (:func:`from_stormpy`); the
    state valuations (``"[x=1 & y=0]"``) become the state names.

Reading trusts nothing: a file that is not what its suffix says raises
:class:`~abstractions.FileFormatError` naming the file, the line and the
problem, and declared sizes are checked against the file's size before
anything of that size is allocated. Writes are atomic and keep the
target's permissions, as :func:`abstractions.save`'s.

This module uses only the public names of :mod:`abstractions`; stormpy is
imported inside the functions that need it.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from fractions import Fraction
from typing import IO, Any

import numpy as np

from abstractions._storage import as_path, file_suffix, read_bytes, write_atomically
from abstractions._validation import Ids
from abstractions.computation import Computation
from abstractions.exceptions import FileFormatError, InvalidTypeError, InvalidValueError
from abstractions.files import load, save
from abstractions.progress import progress_bar
from abstractions.system import UNDETERMINED, System
from abstractions.systems import (
    ContinuousTimeMarkovChain,
    LabelledSystem,
    MarkovChain,
    MarkovDecisionProcess,
    NondeterministicSystem,
    TransitionSystem,
)

__all__ = [
    "MODEL_SUFFIXES",
    "MODEL_MAX_BYTES",
    "load_model",
    "save_model",
    "read_aut",
    "write_aut",
    "read_drn",
    "write_drn",
    "from_stormpy",
    "load_prism",
]

#: Suffix -> format name, for every file :func:`load_model` reads.
MODEL_SUFFIXES: dict[str, str] = {
    ".npz": "abstractions archive",
    ".json": "abstractions JSON",
    ".aut": "Aldebaran",
    ".drn": "Storm DRN",
    ".pm": "PRISM",
    ".prism": "PRISM",
    ".nm": "PRISM",
    ".sm": "PRISM",
    ".jani": "JANI",
}
#: The suffixes :func:`save_model` writes.
_WRITTEN = (".npz", ".json", ".aut", ".drn")
#: Largest ``.aut`` or ``.drn`` file read (bytes): parsing holds the text
#: and a few arrays per transition.
MODEL_MAX_BYTES = 4 * 2**30
#: Lines between progress updates.
_CHUNK = 1 << 16


def _text(path: str, what: str) -> list[str]:
    data = read_bytes(path, max_bytes=MODEL_MAX_BYTES, what=what)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        hint = "; it is a zip archive (an .npz file?)" if data[:2] == b"PK" else ""
        raise FileFormatError(
            path, f"not UTF-8 text ({err.reason} at byte {err.start}){hint}"
        ) from None
    return text.splitlines()


# ---------------------------------------------------------------------- dispatch


def load_model(
    path: str | os.PathLike[str], *, progress: bool | None = None, **options: Any
) -> Any:
    """Load a system (or partition) from any file format this library reads; see the module notes.

    Parameters
    ----------
    path : str or os.PathLike
        ``.npz`` / ``.json`` (:func:`abstractions.load`), ``.aut``
        (:func:`read_aut`), ``.drn`` (:func:`read_drn`), or a PRISM
        (``.pm``, ``.prism``, ``.nm``, ``.sm``) or JANI (``.jani``) model
        (:func:`load_prism`, needs stormpy).
    progress : bool or None
        A progress bar while reading ``.aut`` and ``.drn`` files (see
        :mod:`abstractions.progress`).
    **options
        Passed on to :func:`load_prism` (``constants``, ``exact``) or
        :func:`read_drn` (``actions``).

    Returns
    -------
    System or Partition

    Raises
    ------
    FileFormatError
        If the file is not what its suffix says (the message names the
        file, the line and the problem).
    InvalidValueError
        For an unknown suffix.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "lts.aut")
    >>> with open(path, "w") as f:
    ...     _ = f.write('des (0, 3, 2)\\n(0, "a", 1)\\n(1, "b", 0)\\n(1, "b", 1)\\n')
    >>> T = load_model(path)
    >>> T.kind, T.n, T.symbols, T.inputs
    ('nondeterministic', 2, ('a', 'b'), {0: 0})
    """
    source = as_path(path)
    suffix = file_suffix(source, MODEL_SUFFIXES)
    if suffix in (".npz", ".json"):
        if options:
            raise InvalidTypeError(f"{suffix} files take no options, got {', '.join(options)}")
        return load(source)
    if suffix == ".aut":
        if options:
            raise InvalidTypeError(f".aut files take no options, got {', '.join(options)}")
        return read_aut(source, progress=progress)
    if suffix == ".drn":
        return read_drn(source, progress=progress, **options)
    return load_prism(source, progress=progress, **options)


def save_model(system: Any, path: str | os.PathLike[str]) -> None:
    """Save a system in the format its suffix names: ``.npz``, ``.json``, ``.aut`` or ``.drn``.

    Raises
    ------
    InvalidValueError
        For an unknown suffix, or a system the format cannot hold (the
        message says what and which format can).

    Examples
    --------
    >>> import os, tempfile
    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.nondeterministic([[1], [0, 1]], labels=[["a"], ["b", "b"]],
    ...                                      output=[None, None], inputs=[0])
    >>> path = os.path.join(tempfile.mkdtemp(), "t.aut")
    >>> save_model(T, path)
    >>> print(open(path).read(), end="")
    des (0, 3, 2)
    (0, "a", 1)
    (1, "b", 0)
    (1, "b", 1)
    >>> load_model(path) == T
    True
    """
    target = as_path(path)
    suffix = file_suffix(target, _WRITTEN)
    if suffix == ".aut":
        write_aut(system, target)
    elif suffix == ".drn":
        write_drn(system, target)
    else:
        save(system, target)


# ---------------------------------------------------------------------- Aldebaran


_AUT_HEADER = re.compile(
    r"des\s*\(\s*([0-9]{1,18})\s*,\s*([0-9]{1,18})\s*,\s*([0-9]{1,18})\s*\)", re.ASCII
)
_AUT_LINE = re.compile(r"\(\s*([0-9]{1,18})\s*,(.*),\s*([0-9]{1,18})\s*\)", re.ASCII | re.S)


def read_aut(
    path: str | os.PathLike[str], *, progress: bool | None = None
) -> NondeterministicSystem:
    """Read an Aldebaran ``.aut`` file as a labelled transition system.

    Parameters
    ----------
    path : str or os.PathLike
    progress : bool or None
        A progress bar over the transitions (see :mod:`abstractions.progress`).

    Returns
    -------
    NondeterministicSystem
        States ``0 .. n-1`` as in the file; each transition labelled by its
        action (the text between the commas, without its quotes); the
        initial state as the one input; output None for every state.
        Repeated transitions are merged.

    Raises
    ------
    FileFormatError
        For a missing or malformed ``des`` header, a malformed transition
        line, a state out of range, or a number of transitions other than
        declared; the message names the line.

    Examples
    --------
    >>> import os, tempfile
    >>> from abstractions import minimal_complete_abstraction, output_abstraction
    >>> path = os.path.join(tempfile.mkdtemp(), "coffee.aut")
    >>> with open(path, "w") as f:
    ...     _ = f.write('des (0, 4, 4)\\n(0, "coin", 1)\\n(0, "coin", 2)\\n'
    ...                 '(1, "coffee", 3)\\n(2, "coffee", 3)\\n')
    >>> T = read_aut(path)
    >>> minimal_complete_abstraction(T, output_abstraction(T)).n_blocks   # 1 ~ 2
    3
    """
    source = as_path(path)
    lines = _text(source, "an .aut file")
    first = 0
    while first < len(lines) and not lines[first].strip():
        first += 1
    if first == len(lines):
        raise FileFormatError(
            source, "empty: an .aut file starts with 'des (initial, transitions, states)'"
        )
    header = _AUT_HEADER.fullmatch(lines[first].strip())
    if header is None:
        shown = lines[first].strip()[:60]
        raise FileFormatError(
            source,
            f"line {first + 1}: expected 'des (initial, transitions, states)', got {shown!r}",
        )
    initial, declared, n = (int(g) for g in header.groups())
    size = os.path.getsize(source)
    if n < 1 or n > size:
        # every state costs memory; a file cannot name more states than it has bytes
        raise FileFormatError(
            source,
            f"line {first + 1}: declares {n} states; an .aut file of {size} bytes "
            f"holds between 1 and {size}",
        )
    if declared > len(lines):
        raise FileFormatError(
            source,
            f"line {first + 1}: declares {declared} transitions but has only "
            f"{len(lines) - first - 1} more lines",
        )
    if initial >= n:
        raise FileFormatError(
            source, f"line {first + 1}: the initial state {initial} is not below {n}"
        )
    src = np.empty(declared, dtype=np.int64)
    dst = np.empty(declared, dtype=np.int64)
    ids = np.empty(declared, dtype=np.int64)
    actions: dict[str, int] = {}
    count = 0
    with progress_bar(progress, total=declared, desc="reading .aut", unit="transitions") as bar:
        for number in range(first + 1, len(lines)):
            line = lines[number].strip()
            if not line:
                continue
            match = _AUT_LINE.fullmatch(line)
            if match is None:
                raise FileFormatError(
                    source,
                    f"line {number + 1}: expected '(source, \"action\", target)', "
                    f"got {line[:60]!r}",
                )
            if count == declared:
                raise FileFormatError(
                    source, f"line {number + 1}: more transitions than the {declared} declared"
                )
            s, t = int(match.group(1)), int(match.group(3))
            if s >= n or t >= n:
                raise FileFormatError(
                    source, f"line {number + 1}: state {max(s, t)} is out of range for {n} states"
                )
            label = match.group(2).strip()
            if len(label) >= 2 and label[0] == label[-1] == '"':
                label = label[1:-1]
            src[count], dst[count] = s, t
            ids[count] = actions.setdefault(label, len(actions))
            count += 1
            if count % _CHUNK == 0:
                bar.update(_CHUNK)
    if count != declared:
        raise FileFormatError(source, f"declares {declared} transitions but lists {count}")
    order = np.argsort(src, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    fields = {
        "kind": "nondeterministic",
        "indptr": indptr,
        "targets": dst[order],
        "edge_labels": ids[order],
        "symbols": tuple(actions),
        "output": np.zeros(n, dtype=np.int64),
        "output_values": (None,),
        "inputs": [initial],
    }
    system: NondeterministicSystem = _built(
        source, lambda: NondeterministicSystem.from_dict(fields)
    )
    return system


def _built(path: str, build: Callable[[], Any]) -> Any:
    try:
        return build()
    except (ValueError, TypeError) as err:
        raise FileFormatError(path, f"inconsistent contents: {err}") from None


def _initial_state(system: System, what: str) -> int:
    """The one start state a format with one initial state writes."""
    states = system.input_states
    if isinstance(system.input_values, range) and len(states) == system.n:
        return 0  # every state is an input (the default): the first one
    if len(states) != 1:
        raise InvalidValueError(
            f"{what} has one initial state, but the system has {len(states)} inputs; "
            f"restrict it first (system.restrict_to_reachable()) or save it as .npz or .json"
        )
    return int(states[0])


def write_aut(system: TransitionSystem, path: str | os.PathLike[str]) -> None:
    """Write a labelled transition system as an Aldebaran ``.aut`` file.

    Parameters
    ----------
    system : NondeterministicSystem or LabelledSystem
        With actions (symbols); written as ``str``. Its output must be one
        value for all states (``.aut`` has no state labels); its one input is
        the initial state (state 0 when every state is an input).
    path : str or os.PathLike

    Raises
    ------
    InvalidValueError
        For a Markov chain or computation, a system without actions or with
        several outputs or inputs, or an action whose text holds a double
        quote or a line break.

    Examples
    --------
    >>> import os, tempfile
    >>> from abstractions import TransitionSystem
    >>> T = TransitionSystem.labelled({"a": [1, 0], "b": [1, 1]}, output=[0, 0])
    >>> path = os.path.join(tempfile.mkdtemp(), "dfa.aut")
    >>> write_aut(T, path)
    >>> print(open(path).read(), end="")
    des (0, 4, 2)
    (0, "a", 1)
    (0, "b", 1)
    (1, "a", 0)
    (1, "b", 1)
    """
    target = as_path(path)
    if not isinstance(system, (NondeterministicSystem, LabelledSystem)):
        hint = (
            " (write a Markov chain as .drn)"
            if isinstance(system, MarkovChain)
            else " (convert a computation with TransitionSystem.from_computation)"
            if isinstance(system, Computation)
            else ""
        )
        raise InvalidValueError(
            f".aut files hold labelled transition systems, got a {type(system).__name__}{hint}"
        )
    symbols = system.symbols
    if symbols is None:
        raise InvalidValueError(
            ".aut files need an action on every transition, but the system has none; build it "
            "with labels=... or save it as .drn, .npz or .json"
        )
    if system.n_outputs > 1:
        raise InvalidValueError(
            f".aut files hold no state outputs, but the system has {system.n_outputs} output "
            f"values; save it as .drn, .npz or .json to keep them"
        )
    initial = _initial_state(system, ".aut")
    names = []
    for symbol in symbols:
        text = symbol if isinstance(symbol, str) else str(symbol)
        if '"' in text or "\n" in text or "\r" in text:
            raise InvalidValueError(
                f"the action {symbol!r} cannot be written to an .aut file: it holds a double "
                f"quote or a line break"
            )
        names.append(f'"{text}"')
    edge_labels = system.edge_labels
    assert edge_labels is not None
    sources = np.repeat(np.arange(system.n), np.diff(system.indptr)).tolist()
    lines = [f"des ({initial}, {system.n_transitions}, {system.n})"]
    lines += [
        f"({s}, {names[a]}, {t})"
        for s, a, t in zip(sources, edge_labels.tolist(), system.targets.tolist())
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")

    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    write_atomically(target, write)


# ---------------------------------------------------------------------- Storm DRN


_NOLABEL = "__NOLABEL__"
_LABEL = re.compile(r'"([^"]+?)"(?=\s|$|")|([^\s"]+)')
_SUPPORTED_DRN = ("DTMC", "CTMC", "MDP")


def _drn_value(
    text: str, exact: bool, placeholders: Mapping[str, Any], where: str, path: str
) -> Any:
    text = text.strip()
    if text.startswith("$"):
        try:
            return placeholders[text[1:]]
        except KeyError:
            raise FileFormatError(path, f"{where}: unknown placeholder {text!r}") from None
    try:
        if exact:
            return Fraction(text)
        if "/" in text:
            p, q = text.split("/")
            return int(p) / int(q)
        return float(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        raise FileFormatError(path, f"{where}: {text[:40]!r} is not a number") from None


def read_drn(
    path: str | os.PathLike[str], *, actions: bool = True, progress: bool | None = None
) -> Any:
    """Read a Storm DRN file: a DTMC or CTMC as a Markov chain, an MDP as a DFA, LTS or MDP.

    Parameters
    ----------
    path : str or os.PathLike
    actions : bool, default True
        Whether an MDP's action names label its transitions (Storm's
        exporter writes choice labels as names, or ``0, 1, ...`` when the
        model has none: then pass False for an unlabelled relation).
    progress : bool or None
        A progress bar over the states.

    Returns
    -------
    System
        A MarkovChain, ContinuousTimeMarkovChain, MarkovDecisionProcess,
        LabelledSystem or NondeterministicSystem.
        As the module notes say: labels and rewards make the output, the
        ``init`` states the inputs.

    Raises
    ------
    FileFormatError
        For a malformed header or line (the message names the line), a
        model type other than DTMC, CTMC and MDP, parametric or interval values,
        an MDP with a probabilistic choice (MDPs are not a kind of this
        library yet), or action rewards on an MDP.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "coin.drn")
    >>> with open(path, "w") as f:
    ...     _ = f.write("@type: DTMC\\n@value_type: rational\\n@parameters\\n\\n"
    ...                 "@reward_models\\n\\n"
    ...                 "@nr_states\\n3\\n@nr_choices\\n3\\n@model\\n"
    ...                 "state 0 init\\n\\taction 0\\n\\t\\t1 : 1/2\\n\\t\\t2 : 1/2\\n"
    ...                 "state 1 heads\\n\\taction 0\\n\\t\\t1 : 1\\n"
    ...                 "state 2 tails\\n\\taction 0\\n\\t\\t2 : 1\\n")
    >>> M = read_drn(path)
    >>> M.probabilities
    (Fraction(1, 2), Fraction(1, 2), Fraction(1, 1), Fraction(1, 1))
    >>> M.output_values, M.inputs
    (((), ('heads',), ('tails',)), {0: 0})
    """
    source = as_path(path)
    lines = _text(source, "a .drn file")
    header: dict[str, Any] = {"placeholders": {}, "rewards": []}
    number = 0

    def fail(problem: str, line: int | None = None) -> FileFormatError:
        where = f"line {line + 1}: " if line is not None else ""
        return FileFormatError(source, f"{where}{problem}")

    def next_line(what: str) -> str:
        nonlocal number
        number += 1
        if number >= len(lines):
            raise fail(f"ends after {what}, before its value")
        return lines[number].strip()

    while True:
        if number >= len(lines):
            raise fail("ends before '@model'")
        line = lines[number].strip()
        if not line or line.startswith("//"):
            number += 1
            continue
        if line.startswith("@type:"):
            header["type"] = line[6:].strip()
        elif line.startswith("@value_type:"):
            header["value_type"] = line[12:].strip()
        elif line == "@parameters":
            if next_line("@parameters"):
                raise fail("parametric models are not read (they have parameters)", number)
        elif line == "@placeholders":
            header["has_placeholders"] = True
        elif line == "@reward_models":
            next_line("@reward_models")
            header["rewards"] = _reward_names(lines[number])
        elif line in ("@nr_states", "@nr_choices"):
            text = next_line(line)
            if not re.fullmatch(r"[0-9]{1,18}", text, re.ASCII):
                raise fail(f"{line} must be followed by a count, got {text[:30]!r}", number)
            header[line[1:]] = int(text)
        elif line == "@model":
            break
        elif line.startswith("$") and header.get("has_placeholders"):
            name, _, value = line.partition(":")
            header["placeholders"][name.strip()[1:]] = value.strip()
        else:
            raise fail(f"unexpected header line {line[:60]!r}", number)
        number += 1
    kind = header.get("type")
    if kind is None:
        raise fail("no '@type:' before '@model'")
    if kind not in _SUPPORTED_DRN:
        raise fail(
            f"holds a {kind}; abstractions reads DTMCs and CTMCs (as Markov chains) and MDPs "
            f"(as DFAs, LTSs or MarkovDecisionProcesses)"
        )
    value_type = header.get("value_type", "double")
    if value_type not in ("double", "rational"):
        raise fail(f"values of type {value_type!r} are not read (only double and rational)")
    exact = value_type == "rational"
    n = header.get("nr_states")
    if not n:
        raise fail("no '@nr_states' (or 0 states) before '@model'")
    size = os.path.getsize(source)
    if n > size // 8:
        raise fail(f"declares {n} states, more than a file of {size} bytes can describe")
    placeholders = {
        name: _drn_value(text, exact, {}, f"placeholder ${name}", source)
        for name, text in header["placeholders"].items()
    }
    reward_names = header["rewards"]
    k = len(reward_names)
    state_labels: list[tuple[str, ...]] = []
    state_rewards: list[tuple[Any, ...]] = []
    # per choice: its state, its action name, its action rewards; per entry: choice, target, value
    choice_state: list[int] = []
    choice_name: list[str] = []
    choice_rewards: list[tuple[Any, ...]] = []
    entry_choice: list[int] = []
    entry_target: list[int] = []
    entry_value: list[Any] = []
    zero: Any = Fraction(0) if exact else 0.0
    state_names: list[str] = []
    exit_rates: dict[int, Any] = {}
    after_state = False

    def rewards(text: str, line: int) -> tuple[tuple[Any, ...], str]:
        end = text.find("]")
        if end < 0:
            raise fail("'[' without ']'", line)
        values = tuple(
            _drn_value(v, exact, placeholders, f"line {line + 1}", source)
            for v in text[1:end].split(",")
        )
        if len(values) != k:
            raise fail(f"{len(values)} rewards, but {k} reward models are declared", line)
        return values, text[end + 1 :].strip()

    with progress_bar(progress, total=n, desc="reading .drn", unit="states") as bar:
        for number in range(number + 1, len(lines)):  # noqa: B020 - the body's line number
            line = lines[number].strip()
            if line.startswith("//"):
                if after_state and len(state_names) < len(state_labels):
                    state_names.append(" ".join(line[2:].split()))  # the state's name
                after_state = False
                continue
            after_state = False
            if not line:
                continue
            if line.startswith("state "):
                after_state = True
                parts = line[6:].split(None, 1)
                if not re.fullmatch(r"[0-9]{1,18}", parts[0], re.ASCII) or int(parts[0]) != len(
                    state_labels
                ):
                    raise fail(
                        f"expected 'state {len(state_labels)}' (states in order), "
                        f"got {line[:40]!r}",
                        number,
                    )
                if len(state_labels) == n:
                    raise fail(f"more states than the {n} declared", number)
                rest = parts[1].strip() if len(parts) > 1 else ""
                values: tuple[Any, ...] = (zero,) * k
                while rest.startswith(("[", "!")):
                    if rest.startswith("["):
                        values, rest = rewards(rest, number)
                        continue
                    if kind != "CTMC":
                        raise fail(f"an exit rate in a {kind}", number)
                    rate, _, rest = rest[1:].partition(" ")
                    exit_rates[len(state_labels)] = _drn_value(
                        rate, exact, placeholders, f"line {number + 1}", source
                    )
                    rest = rest.strip()
                if rest.startswith("{"):
                    raise fail("observations are not read", number)
                labels = tuple(a or b for a, b in _LABEL.findall(rest))
                state_labels.append(labels)
                state_rewards.append(values)
                if len(state_labels) % 4096 == 0:
                    bar.update(4096)
            elif line.startswith("action ") or line == "action":
                if not state_labels:
                    raise fail("an action before the first state", number)
                parts = line[7:].strip().split(None, 1)
                name = parts[0] if parts else ""
                rest = parts[1].strip() if len(parts) > 1 else ""
                values = (zero,) * k
                if rest.startswith("["):
                    values, rest = rewards(rest, number)
                if rest:
                    raise fail(f"unexpected text after the action: {rest[:40]!r}", number)
                choice_state.append(len(state_labels) - 1)
                choice_name.append(name)
                choice_rewards.append(values)
            else:
                target, colon, value = line.partition(":")
                if not colon or not re.fullmatch(r"[0-9]{1,18}", target.strip(), re.ASCII):
                    raise fail(f"expected 'target : value', got {line[:60]!r}", number)
                if not choice_state:
                    raise fail("a transition before the first action", number)
                t = int(target)
                if t >= n:
                    raise fail(f"target state {t} is out of range for {n} states", number)
                entry_choice.append(len(choice_state) - 1)
                entry_target.append(t)
                entry_value.append(
                    _drn_value(value, exact, placeholders, f"line {number + 1}", source)
                )
    if len(state_labels) != n:
        raise fail(f"declares {n} states but lists {len(state_labels)}")
    if "nr_choices" in header and header["nr_choices"] != len(choice_state):
        raise fail(f"declares {header['nr_choices']} choices but lists {len(choice_state)}")
    if exit_rates:
        owner = [choice_state[c] for c in entry_choice]
        _check_exit_rates(source, exit_rates, owner, entry_value, exact)
    system = _drn_system(
        source, kind, actions, exact, state_labels, reward_names, state_rewards,
        (choice_state, choice_name, choice_rewards), (entry_choice, entry_target, entry_value),
    )  # fmt: skip
    if len(state_names) == n and len(set(state_names)) == n:
        return _named(system, state_names)
    return system


def _check_exit_rates(
    path: str, given: Mapping[int, Any], owner: list[int], values: list[Any], exact: bool
) -> None:
    """A CTMC's declared exit rates against the sums of its states' rates."""
    sums: dict[int, Any] = {}
    for s, v in zip(owner, values):
        sums[s] = sums.get(s, 0) + v
    for s, rate in given.items():
        total = sums.get(s, 0)
        same = total == rate if exact else math.isclose(total, rate, rel_tol=1e-9, abs_tol=1e-12)
        if not same:
            raise FileFormatError(
                path, f"state {s} declares the exit rate {rate}, but its rates sum to {total}"
            )


def _reward_names(line: str) -> list[str]:
    """The reward models a DRN header line names, as Storm writes them: each followed by a space.

    An unnamed reward model is written as the empty name (the line is one
    space); it is read as ``rew0``, ``rew1``, ... by its position, the name
    Storm's own DRN parser gives it.
    """
    line = line.rstrip("\r\n")
    if not line.strip():
        return ["rew0"] if line == " " else []
    words = line.strip().split() if not line.endswith(" ") else line[:-1].split(" ")
    return [word or f"rew{r}" for r, word in enumerate(words)]


def _named(system: Any, names: list[str]) -> Any:
    fields = system.to_dict()
    fields["state_labels"] = tuple(names)
    return type(system).from_dict(fields)


def _output(labels: Iterable[str], names: list[str], rewards: tuple[Any, ...]) -> Any:
    """A state's output value: its labels (but ``init``), sorted, with its rewards if any."""
    shown = tuple(sorted(set(labels) - {"init"}))
    if not names:
        return shown
    return (shown, tuple(zip(names, rewards)))


def _mdp(
    path: str, actions: bool, exact: bool, n: int, counts: Ids, per_choice: Ids,
    choice_name: list[str], entry_target: list[int], entry_value: list[Any], output: list[Any],
    inputs: list[int],
) -> Any:
    """A MarkovDecisionProcess: choice labels are the actions (None where a choice has none).

    Without a choice labelling every action is None, so the actions cannot
    tell choices apart whichever ``actions`` mode is used.
    """
    choice_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=choice_ptr[1:])
    row_ptr = np.zeros(per_choice.shape[0] + 1, dtype=np.int64)
    np.cumsum(per_choice, out=row_ptr[1:])
    data = np.empty(len(entry_value), dtype=object if exact else np.float64)
    data[:] = entry_value
    labels = None
    if actions:
        labels = np.empty(len(choice_name), dtype=object)
        labels[:] = [None if name == _NOLABEL else name for name in choice_name]
    arrays = (choice_ptr, row_ptr, np.asarray(entry_target, dtype=np.int64), data, labels)
    return _built(
        path, lambda: MarkovDecisionProcess(arrays, output=_objects(output), inputs=inputs)
    )


def _drn_system(
    path: str,
    kind: str,
    actions: bool,
    exact: bool,
    state_labels: list[tuple[str, ...]],
    reward_names: list[str],
    state_rewards: list[tuple[Any, ...]],
    choices: tuple[list[int], list[str], list[tuple[Any, ...]]],
    entries: tuple[list[int], list[int], list[Any]],
) -> Any:
    """The system a parsed DRN or stormpy model describes (see the module notes)."""
    n = len(state_labels)
    choice_state, choice_name, choice_rewards = choices
    entry_choice, entry_target, entry_value = entries
    counts = np.bincount(np.asarray(choice_state, dtype=np.int64), minlength=n)
    if (counts == 0).any():
        s = int(np.flatnonzero(counts == 0)[0])
        raise FileFormatError(path, f"state {s} has no choice (Storm models have at least one)")
    inputs = [s for s in range(n) if "init" in state_labels[s]]
    k = len(reward_names)
    if kind in ("DTMC", "CTMC"):
        if (counts != 1).any():
            s = int(np.flatnonzero(counts != 1)[0])
            raise FileFormatError(
                path, f"state {s} of a {kind} has {int(counts[s])} choices, not 1"
            )
        # A DTMC's action rewards add to its state rewards: the same expected
        # rewards. A CTMC's are earned per jump, its state rewards per unit of
        # time, so a reward model with action rewards keeps both, as a pair:
        # folding them into one rate (action reward times exit rate) would
        # make float noise of the exit rates' sums tell lumpable states apart.
        if kind == "CTMC":
            jumps = [any(c[r] != 0 for c in choice_rewards) for r in range(k)]
            totals = [
                tuple((a, b) if jumps[r] else a
                      for r, (a, b) in enumerate(zip(state_rewards[s], choice_rewards[s])))
                for s in range(n)
            ]  # fmt: skip
        else:
            totals = [
                tuple(a + b for a, b in zip(state_rewards[s], choice_rewards[s]))
                for s in range(n)
            ]
        output = [_output(state_labels[s], reward_names, totals[s]) for s in range(n)]
        src = np.asarray(entry_choice, dtype=np.int64)  # one choice per state, in order
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        data = np.empty(len(entry_value), dtype=object if exact else np.float64)
        data[:] = entry_value
        chain = MarkovChain if kind == "DTMC" else ContinuousTimeMarkovChain
        return _built(
            path,
            lambda: chain(
                (indptr, np.asarray(entry_target, dtype=np.int64), data),
                output=_objects(output),
                inputs=inputs,
            ),
        )
    # an MDP: a relation (or a DFA) when every choice is Dirac, else a MarkovDecisionProcess
    per_choice = np.bincount(np.asarray(entry_choice, dtype=np.int64), minlength=len(choice_state))
    dirac = bool((per_choice == 1).all()) and all(v == 1 for v in entry_value)
    if k and any(any(v != 0 for v in r) for r in choice_rewards):
        c = next(j for j, r in enumerate(choice_rewards) if any(v != 0 for v in r))
        raise FileFormatError(
            path,
            f"choice {choice_name[c]!r} of state {choice_state[c]} has an action reward: "
            f"rewards on transitions are not read (put them on states)",
        )
    if not dirac:
        output = [_output(state_labels[s], reward_names, state_rewards[s]) for s in range(n)]
        return _mdp(path, actions, exact, n, counts, per_choice, choice_name, entry_target,
                    entry_value, output, inputs)  # fmt: skip
    output = [_output(state_labels[s], reward_names, state_rewards[s]) for s in range(n)]
    targets = np.asarray(entry_target, dtype=np.int64)  # entries are in choice order
    names: list[Any] = [None if name == _NOLABEL else name for name in choice_name]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    if not actions:
        return _built(
            path,
            lambda: NondeterministicSystem(
                (indptr, targets), output=_objects(output), inputs=inputs
            ),
        )
    # A DFA when every state has each action once, in one order.
    first = names[indptr[0] : indptr[1]]
    deterministic = len(set(first)) == len(first) and all(
        int(counts[s]) == len(first) and set(names[indptr[s] : indptr[s + 1]]) == set(first)
        for s in range(n)
    )
    if deterministic:
        position = {name: a for a, name in enumerate(first)}
        steps = np.empty((len(first), n), dtype=np.int64)
        for j, (s, name) in enumerate(zip(choice_state, names)):
            steps[position[name], s] = targets[j]
        return _built(
            path,
            lambda: LabelledSystem(steps, symbols=first, output=_objects(output), inputs=inputs),
        )
    labels = np.empty(len(names), dtype=object)
    labels[:] = names
    return _built(
        path,
        lambda: NondeterministicSystem(
            (indptr, targets), labels=labels, output=_objects(output), inputs=inputs
        ),
    )


def _objects(values: list[Any]) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _drn_number(value: Any) -> str:
    if isinstance(value, Fraction):
        return (
            str(value.numerator)
            if value.denominator == 1
            else f"{value.numerator}/{value.denominator}"
        )
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    raise InvalidValueError(f"the reward {value!r} is not a number a .drn file can hold")


def _drn_label(text: str) -> str:
    if not text or '"' in text or "\n" in text or "\r" in text:
        raise InvalidValueError(
            f"the label {text!r} cannot be written to a .drn file (empty, or holds a double "
            f"quote or a line break)"
        )
    return f'"{text}"' if any(c.isspace() for c in text) else text


def _labels_and_rewards(value: Any) -> tuple[list[str], tuple[tuple[str, Any], ...]]:
    """The state labels and rewards an output value stands for (see the module notes)."""
    if value is None:
        return [], ()
    if value is UNDETERMINED:
        raise InvalidValueError(
            "an abstract state whose output is UNDETERMINED cannot be written to a .drn file; "
            "keep the output in beta (output_abstraction) before taking the quotient"
        )
    if isinstance(value, tuple) and all(isinstance(x, str) for x in value):
        return list(value), ()
    if (
        isinstance(value, tuple) and len(value) == 2
        and isinstance(value[0], tuple) and all(isinstance(x, str) for x in value[0])
        and isinstance(value[1], tuple)
        and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str) for p in value[1])
    ):  # fmt: skip
        return list(value[0]), value[1]
    return [value if isinstance(value, str) else str(value)], ()


def write_drn(system: TransitionSystem, path: str | os.PathLike[str]) -> None:
    """Write a Markov chain (DTMC) or a labelled / nondeterministic system (MDP) as Storm DRN.

    Parameters
    ----------
    system : MarkovChain, LabelledSystem or NondeterministicSystem
        A Markov chain is written as a DTMC (``@value_type: rational`` when
        exact, ``double`` with every float's ``repr`` otherwise), the others
        as MDPs with one Dirac choice per transition, named by its action.
        Outputs become labels and rewards (see the module notes), inputs the
        label ``init``.
    path : str or os.PathLike

    Raises
    ------
    InvalidValueError
        For a computation, a state without transitions (a Storm model
        needs a choice in every state), an action that is empty or holds
        whitespace, a label with a double quote or line break, or outputs
        whose reward models differ between states.

    Examples
    --------
    >>> import os, tempfile
    >>> from fractions import Fraction
    >>> from abstractions import TransitionSystem
    >>> M = TransitionSystem.probabilistic([[Fraction(1, 3), Fraction(2, 3)], [0, 1]],
    ...                                    output=[(), ("done",)], inputs=[0])
    >>> path = os.path.join(tempfile.mkdtemp(), "m.drn")
    >>> write_drn(M, path)
    >>> print(open(path).read(), end="")
    // Written by abstractions
    @type: DTMC
    @value_type: rational
    @parameters
    <BLANKLINE>
    @reward_models
    <BLANKLINE>
    @nr_states
    2
    @nr_choices
    2
    @model
    state 0 init
        action 0
                0 : 1/3
                1 : 2/3
    state 1 done
        action 0
                1 : 1
    >>> read_drn(path) == M
    True
    """
    target = as_path(path)
    if not isinstance(system, (MarkovChain, LabelledSystem, NondeterministicSystem)):
        raise InvalidValueError(
            f".drn files hold Markov chains and labelled or nondeterministic systems, got a "
            f"{type(system).__name__}"
            + (
                " (convert it with TransitionSystem.from_computation)"
                if isinstance(system, Computation)
                else ""
            )
        )
    n = system.n
    indptr = system.indptr.tolist()
    empty = [s for s in range(n) if indptr[s] == indptr[s + 1]]
    if empty:
        raise InvalidValueError(
            f"state {system.label(empty[0])!r} has no transitions; a .drn model needs a choice in "
            f"every state (add a self-loop, or save as .npz or .json)"
        )
    markov = isinstance(system, MarkovChain)
    exact = isinstance(system, MarkovChain) and system.exact
    starts = set(system.input_states.tolist())
    outputs = [_labels_and_rewards(value) for value in system.output_values]
    reward_names = [name for name, _ in outputs[0][1]] if outputs else []
    for _, rewards in outputs:
        if [name for name, _ in rewards] != reward_names:
            raise InvalidValueError(
                f"the outputs name different reward models ({reward_names} and "
                f"{[name for name, _ in rewards]}); a .drn file has one list"
            )
    for name in reward_names:
        if not name or any(c.isspace() for c in name):
            raise InvalidValueError(
                f"the reward model {name!r} cannot be written (empty or with whitespace)"
            )
    state_text = []
    for labels, rewards in outputs:
        parts = []
        if reward_names:
            parts.append("[" + ", ".join(_drn_number(v) for _, v in rewards) + "]")
        parts += [_drn_label(label) for label in labels if label != "init"]
        state_text.append(parts)
    action_names: list[str] = []
    if not markov:
        if system.symbols is None:
            action_names = []
        else:
            for symbol in system.symbols:
                text = (
                    _NOLABEL
                    if symbol is None
                    else symbol
                    if isinstance(symbol, str)
                    else str(symbol)
                )
                if not text or any(c.isspace() for c in text):
                    raise InvalidValueError(
                        f"the action {symbol!r} cannot be written to a .drn file (empty, or "
                        f"holds whitespace)"
                    )
                action_names.append(text)
    output = system.output.tolist()
    targets = system.targets.tolist()
    lines = [
        "// Written by abstractions",
        f"@type: {'DTMC' if markov else 'MDP'}",
        f"@value_type: {'rational' if exact else 'double'}",
        "@parameters",
        "",
        "@reward_models",
        " ".join(reward_names),
        "@nr_states",
        str(n),
        "@nr_choices",
        str(n if markov else system.n_transitions),
        "@model",
    ]
    if isinstance(system, MarkovChain):
        probabilities = system.probabilities
        values = (
            [_drn_number(p) for p in probabilities] if exact
            else [repr(float(p)) for p in np.asarray(probabilities).tolist()]
        )  # fmt: skip
    edge_labels = None if markov else system.edge_labels
    names = None
    if system.state_labels is not None:
        # as Storm writes state valuations: a comment after the state's line
        names = [" ".join(str(label).split()) for label in system.state_labels]
    for s in range(n):
        words = ["state", str(s), *state_text[output[s]]]
        if s in starts:
            words.append("init")
        lines.append(" ".join(words))
        if names is not None:
            lines.append("//" + names[s])
        if markov:
            lines.append("\taction 0")
            lines += [f"\t\t{targets[j]} : {values[j]}" for j in range(indptr[s], indptr[s + 1])]
            continue
        for j in range(indptr[s], indptr[s + 1]):
            name = _NOLABEL if edge_labels is None else action_names[int(edge_labels[j])]
            lines.append(f"\taction {name}")
            lines.append(f"\t\t{targets[j]} : 1")
    data = ("\n".join(lines) + "\n").encode("utf-8")

    def write(handle: IO[bytes]) -> None:
        handle.write(data)

    write_atomically(target, write)


# ---------------------------------------------------------------------- stormpy


def _require_stormpy() -> Any:
    try:
        import stormpy  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        raise ImportError(
            "reading PRISM and JANI models needs stormpy (pip install abstractions[models]; "
            "wheels for Linux x86_64 and aarch64), which is not installed"
        ) from None
    return stormpy


def from_stormpy(model: Any, *, progress: bool | None = None) -> Any:
    """The system of a sparse stormpy model: a DTMC, a CTMC or an MDP.

    Parameters
    ----------
    model : stormpy sparse model
        E.g. from ``stormpy.build_model``. State labels (but ``init``) and
        reward models become the output, as for :func:`read_drn`; the
        initial states the inputs; choice labels the actions of an MDP (an
        unlabelled relation when the model has no choice labelling; an MDP
        with a probabilistic choice is a
        :class:`~abstractions.MarkovDecisionProcess` whose actions are the
        choice labels, None where a choice has none or the model has no
        choice labelling); state
        valuations, when built, the state names. Exact models
        (``stormpy.build_model[stormpy.Rational]``) give exact Markov chains.
    progress : bool or None
        A progress bar over the states.

    Returns
    -------
    System
        A MarkovChain, ContinuousTimeMarkovChain, MarkovDecisionProcess,
        LabelledSystem or NondeterministicSystem.
        A CTMC's transition matrix holds its rates.

    Raises
    ------
    InvalidValueError
        For other model types (Markov automata, POMDPs, parametric
        models), or action rewards on an MDP.
    """
    stormpy = _require_stormpy()
    kind = str(model.model_type).rsplit(".", 1)[-1]
    if kind not in _SUPPORTED_DRN or model.supports_parameters and model.has_parameters:
        raise InvalidValueError(
            f"from_stormpy reads DTMCs, CTMCs and MDPs, got a {kind}"
            + (" with parameters" if kind in _SUPPORTED_DRN else "")
        )
    exact = bool(model.is_exact)
    n = int(model.nr_states)
    labels_of: list[set[str]] = [set() for _ in range(n)]
    for label in model.labeling.get_labels():
        for s in model.labeling.get_states(label):
            labels_of[int(s)].add(label)
    for s in model.initial_states:
        labels_of[int(s)].add("init")
    stored = sorted(model.reward_models)
    # an unnamed reward model gets the name Storm's DRN parser gives it
    reward_names = [name or f"rew{r}" for r, name in enumerate(stored)]
    zero: Any = Fraction(0) if exact else 0.0

    def number(value: Any) -> Any:
        return Fraction(str(value)) if exact else float(value)

    state_rewards = [[zero] * len(reward_names) for _ in range(n)]
    matrix = model.transition_matrix
    nr_choices = int(model.nr_choices)
    choice_rewards = [[zero] * len(reward_names) for _ in range(nr_choices)]
    for r, name in enumerate(stored):
        reward = model.reward_models[name]
        if reward.has_state_rewards:
            for s, value in enumerate(reward.state_rewards):
                state_rewards[s][r] = number(value)
        if reward.has_state_action_rewards:
            for c, value in enumerate(reward.state_action_rewards):
                choice_rewards[c][r] = number(value)
        if getattr(reward, "has_transition_rewards", False):
            raise InvalidValueError(
                f"the reward model {name!r} has transition rewards, which are not read"
            )
    choice_state: list[int] = []
    choice_name: list[str] = []
    entry_choice: list[int] = []
    entry_target: list[int] = []
    entry_value: list[Any] = []
    labelling = model.choice_labeling if kind == "MDP" and model.has_choice_labeling() else None
    with progress_bar(progress, total=n, desc="reading the stormpy model", unit="states") as bar:
        for s in range(n):
            start, end = matrix.get_row_group_start(s), matrix.get_row_group_end(s)
            for c in range(start, end):
                choice_state.append(s)
                names = sorted(labelling.get_labels_of_choice(c)) if labelling is not None else []
                choice_name.append("_".join(names) if names else _NOLABEL)
                for entry in matrix.get_row(c):
                    entry_choice.append(c)
                    entry_target.append(int(entry.column))
                    value = entry.value
                    entry_value.append(number(value() if callable(value) else value))
            if s % 4096 == 4095:
                bar.update(4096)
    try:
        system = _drn_system(
            "(stormpy model)", kind, labelling is not None, exact,
            [tuple(sorted(labels)) for labels in labels_of], reward_names,
            [tuple(r) for r in state_rewards],
            (choice_state, choice_name, [tuple(r) for r in choice_rewards]),
            (entry_choice, entry_target, entry_value),
        )  # fmt: skip
    except FileFormatError as err:
        raise InvalidValueError(f"the stormpy model: {err.problem}") from None
    if model.has_state_valuations():
        valuations = model.state_valuations
        names = [" ".join(valuations.to_string(s).split()) for s in range(n)]
        if len(set(names)) == n:
            system = _named(system, names)
    del stormpy
    return system


def _parse_prism(stormpy: Any, source: str) -> Any:
    """Storm's PRISM program; a CTMC written as PRISM writes them in PRISM's compatibility mode.

    Storm's own CTMC syntax differs from PRISM's (whose commands look like
    a DTMC's); Storm reads PRISM's only in compatibility mode, which it
    names in its error, so exactly that error is retried in it.
    """
    try:
        return stormpy.parse_prism_program(source)
    except RuntimeError as err:
        if "PRISM compatibility mode" not in str(err):
            raise
        return stormpy.parse_prism_program(source, prism_compatibility=True)


def load_prism(
    path: str | os.PathLike[str],
    *,
    constants: str | Mapping[str, Any] | None = None,
    exact: bool = False,
    progress: bool | None = None,
) -> Any:
    """Build a PRISM or JANI model with Storm (through stormpy) and read it as a system.

    Parameters
    ----------
    path : str or os.PathLike
        A PRISM model (``.pm``, ``.prism``, ``.nm``, ``.sm``) or a JANI model (``.jani``).
    constants : str or mapping, optional
        Values of the model's undefined constants, e.g. ``"N=3,p=0.5"`` or
        ``{"N": 3}``.
    exact : bool, default False
        Build with exact rational probabilities (an exact Markov chain).
    progress : bool or None
        A progress bar while the explicit model is read.

    Returns
    -------
    System
        A MarkovChain, ContinuousTimeMarkovChain, MarkovDecisionProcess,
        LabelledSystem or NondeterministicSystem.
        See :func:`from_stormpy`.

    Raises
    ------
    ImportError
        Without stormpy.
    FileFormatError
        If Storm cannot parse or build the model (the message carries
        Storm's).
    InvalidValueError
        For a model type this library has no kind for (see :func:`from_stormpy`).
    """
    stormpy = _require_stormpy()
    source = as_path(path)
    suffix = file_suffix(source, (".pm", ".prism", ".nm", ".sm", ".jani"))
    if not os.path.exists(source):
        raise FileNotFoundError(2, "No such file or directory", source)
    try:
        if suffix == ".jani":
            description, _ = stormpy.parse_jani_model(source)
        else:
            description = _parse_prism(stormpy, source)
        if constants:
            description, _ = stormpy.instantiate_constants(description, constants)
        # not build_full: it keeps choice origins, which would change the model Storm builds
        options = stormpy.BuilderOptions()
        options.set_build_all_labels()
        options.set_build_all_reward_models()
        options.set_build_choice_labels(True)
        options.set_build_state_valuations(True)
        builder = stormpy.build_model[stormpy.Rational] if exact else stormpy.build_model
        model = builder(description, options=options)
    except (RuntimeError, ValueError, TypeError, stormpy.exceptions.StormError) as err:
        text = " ".join(str(err).split())
        raise FileFormatError(source, f"Storm could not build the model: {text[:300]}") from None
    return from_stormpy(model, progress=progress)
