"""Save and load systems of every kind and partitions: ``.npz`` for any size, ``.json`` by hand.

:func:`save` and :func:`load` pick the format from the file's suffix. Every
kind of system (:class:`~abstractions.Computation`,
:class:`~abstractions.LabelledSystem`,
:class:`~abstractions.NondeterministicSystem`,
:class:`~abstractions.MarkovChain`,
:class:`~abstractions.ContinuousTimeMarkovChain`) is stored through the fields of
:meth:`~abstractions.System.to_dict`, which each kind describes in its
:attr:`~abstractions.System.schema`, so a new kind is stored without a
change here. Other formats (Aldebaran ``.aut``, Storm's ``.drn``,
PRISM and JANI) are in :mod:`abstractions.formats`.

``.npz`` (numpy archive, any size)
    The arrays are stored natively (no pickle; :func:`load` reads with
    ``allow_pickle=False``, so a file cannot run code). Entries:

    ====================  ======================================================
    ``format``            the string ``"abstractions"``
    ``version``           the format version, ``1``
    ``kind``              ``"partition"`` or the system's kind: ``"computation"``,
                          ``"labelled"``, ``"nondeterministic"``, ``"probabilistic"``,
                          ``"ctmc"``
    ``labels``            partition: int64 block id per state
    ``output``            system: int64 output id per state
    ``input_states``      system: int64 start state per input
    ``meta``              system: a JSON string ``{"output_values": V,
                          "input_values": V, "state_labels": V or null, ...}``
                          holding every field that is not an array
    ``step``, ``halted``  computation: int64 and bool, shape (n,)
    ``steps``             labelled: int64, shape (symbols, n); ``meta`` has
                          ``"symbols"``
    ``indptr``,           nondeterministic, probabilistic, ctmc: CSR transitions
    ``targets``           (state ``s``'s are ``indptr[s]:indptr[s+1]``)
    ``edge_labels``       nondeterministic with actions: int64 symbol id per
                          transition; ``meta`` has ``"symbols"``
    ``numerators``        exact Markov chain or CTMC: int64 numerator per transition
                          over ``meta``'s ``"denominator"`` (numerators beyond
                          int64 are in ``meta`` as JSON integers instead)
    ``probabilities``     float Markov chain: float64 per transition;
                          ``meta`` has ``"tol"``
    ``rates``             float CTMC: float64 per transition; ``meta`` has
                          ``"tol"``
    ``variable_codes``    structured states: int64, shape (k, n), the index
                          of each state's value in each variable's levels;
                          ``meta`` has ``"variables": {"names": [...],
                          "levels": [...], "reads": {...} or null}``
    ====================  ======================================================

``.json`` (small, hand-written examples)
    One JSON object whose keys are the fields of the kind (or the
    arguments of :class:`~abstractions.Computation` and
    :class:`~abstractions.Partition`)::

        {"format": "abstractions", "version": 1, "kind": "computation",
         "step": [1, 2, 2],                      # required: next state ids
         "halted": [false, false, true],         # optional, default: none halt
         "output": ["run", "run", "done"],       # optional: a value per state ...
         "output_values": ["run", "done"],       # ... or ids into these values
         "inputs": [0, 1],                       # optional: start states, or
                                                 #   [[value, state], ...] pairs
         "state_labels": ["a", "b", "c"],        # optional: state names
         "variables": {"x": [0, 1, 1]}}          # optional: values per state, or the
                                                 #   record {"names", "levels", "codes", "reads"}

        {"kind": "labelled", "steps": [[1, 2, 2], [0, 0, 2]], "symbols": ["a", "b"]}
        {"kind": "nondeterministic", "indptr": [0, 2, 3], "targets": [0, 1, 1],
         "edge_labels": [0, 1, 0], "symbols": ["send", "recv"]}
        {"kind": "probabilistic", "indptr": [0, 2, 3], "targets": [0, 1, 1],
         "numerators": [1, 1, 2], "denominator": 2}
        {"kind": "probabilistic", "indptr": [0, 2, 3], "targets": [0, 1, 1],
         "probabilities": [0.5, 0.5, 1.0], "tol": 1e-9}
        {"kind": "ctmc", "indptr": [0, 2, 2], "targets": [0, 1],
         "numerators": [1, 6], "denominator": 2}  # rates 1/2 and 3; state 1 absorbing

        {"kind": "partition", "labels": [0, 0, 1]}
        {"kind": "partition", "blocks": [[0, 1], [2]], "n": 3}

    ``output``, ``output_values``, ``inputs`` and ``state_labels`` work
    alike for every kind. ``kind`` is required; ``format`` and ``version``
    are optional when read (written always). Unknown keys are errors, so a
    typo is not ignored.

Values (state labels, output values, input values, symbols) are stored as
JSON, in both formats, exactly: ``None``, ``bool``, ``int`` (of any size up to
4,000 digits), ``float`` (``repr`` round-trips every float; NaN and the
infinities as Python's :mod:`json` writes them) and ``str`` as themselves,
``bytes`` as ``{"bytes": "<hex>"}``, tuples as JSON arrays (read back as
tuples: every label and value is hashable, so a list never needs to be
stored), and :data:`~abstractions.UNDETERMINED` as ``{"undetermined": true}``.
Any other value (frozensets, objects) makes :func:`save` raise
:class:`~abstractions.InvalidTypeError` naming it; nothing is dropped or
converted silently. ``range(n)`` (states named by their index) is stored as
``{"range": n}``. Probabilities are exact both ways: Fractions as integer
numerators over one denominator, floats (and ``tol``) bit for bit.

A save never leaves a half-written file: it writes a temporary file in the
target's directory and renames it over the target (:func:`os.replace`,
atomic on POSIX and Windows). It keeps an existing target's permission
bits, refuses to replace a file that is not writable, and removes
temporary files left by earlier saves to the same path that were killed.
A load trusts nothing in the file: every zip member's CRC is verified,
declared sizes are checked against the file's size before anything is
allocated, and JSON is bounded in size, depth and number length (see
:mod:`abstractions._storage`). A file that cannot be read as what it claims
raises :class:`~abstractions.FileFormatError` (a ``ValueError``) naming the
file and the problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import IO, Any, TypeVar, overload

import numpy as np

from abstractions._storage import (
    as_path,
    file_suffix,
    parse_json,
    read_json,
    read_npz,
    write_atomically,
)
from abstractions._validation import object_array, python_value
from abstractions.computation import Computation
from abstractions.exceptions import (
    FileFormatError,
    InvalidTypeError,
    InvalidValueError,
)
from abstractions.partition import Partition
from abstractions.system import SHARED_FIELDS, UNDETERMINED, System, Values
from abstractions.systems import TransitionSystem  # noqa: F401  (every kind registers on import)
from abstractions.variables import Variables

__all__ = ["FORMAT_VERSION", "SUFFIXES", "load", "save"]

_K = TypeVar("_K")

#: Version written into every file; files with a larger version are refused.
FORMAT_VERSION = 1
#: The suffixes :func:`save` and :func:`load` understand (``.zarr``: the
#: chunked store of :mod:`abstractions.distributed`, with the ``distributed`` extra).
SUFFIXES = (".npz", ".json", ".zarr")

_FORMAT = "abstractions"
_HEADER = ("format", "version", "kind")
_PARTITION_KEYS = {"format", "version", "kind", "labels", "blocks", "n"}
#: The keys of the stored variables record of structured states.
_VARIABLES_KEYS = {"names", "levels", "reads"}
#: The JSON form of the shared fields (as the constructors take them).
_SHARED_JSON_KEYS = {"output", "output_values", "inputs", "state_labels"}
#: Roles stored as .npz members (``"ints"`` only when they fit in int64).
_ARRAY_ROLES = {"ids": ("iu", 1), "id_table": ("iu", 2), "mask": ("b", 1),
                "floats": ("f", 1), "ints": ("iu", 1)}


def _kinds() -> dict[str, Any]:
    return {"partition": Partition, **System.kinds()}


def _roles(klass: type[System]) -> dict[str, str]:
    """Every field of a kind with its role, shared fields first."""
    return {**SHARED_FIELDS, **klass.schema}


def _npz_members() -> set[str]:
    """Every array an .npz file of any kind may hold; anything else is refused."""
    names = {*_HEADER, "labels", "meta", "variable_codes"}
    for klass in System.kinds().values():
        names.update(f for f, role in _roles(klass).items() if role in _ARRAY_ROLES)
    return names


#: Largest int saved: bit_length 14,000 is at most 4,215 digits, within what
#: _storage.parse_json reads back (4,300 digits).
_MAX_INT_BITS = 14_000


# ---------------------------------------------------------------------- values


def _encode_value(value: Any, name: str, i: int) -> Any:
    value = python_value(value)
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > _MAX_INT_BITS:
        raise InvalidValueError(
            f"cannot save {name}[{i}]: an int of {value.bit_length()} bits; at most "
            f"{_MAX_INT_BITS} bits (about 4,200 digits) are stored"
        )
    # Subclasses (IntEnum, str enums, named tuples) are stored as their base
    # type's value and come back as the base type, equal to what was saved.
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"bytes": bytes(value).hex()}
    if isinstance(value, tuple):
        return [_encode_value(item, name, i) for item in value]
    if value is UNDETERMINED:
        return {"undetermined": True}
    raise InvalidTypeError(
        f"cannot save {name}[{i}] = {value!r} of type {type(value).__name__}: only None, "
        f"bool, int, float, str, bytes, UNDETERMINED and tuples of these can be stored"
    )


def _encode_values(values: Values | tuple[Any, ...], name: str) -> Any:
    if isinstance(values, range) and values.start == 0 and values.step == 1:
        return {"range": len(values)}
    return [_encode_value(v, name, i) for i, v in enumerate(values)]


def _decode_value(value: Any, name: str, path: str) -> Any:
    if isinstance(value, list):
        return tuple(_decode_value(item, name, path) for item in value)
    if isinstance(value, dict):
        if value == {"undetermined": True}:
            return UNDETERMINED
        if set(value) == {"bytes"} and isinstance(value["bytes"], str):
            try:
                return bytes.fromhex(value["bytes"])
            except ValueError:
                raise FileFormatError(
                    path, f"{name} holds {{\"bytes\": ...}} whose text is not hexadecimal"
                ) from None
        shown = repr(value)
        raise FileFormatError(
            path, f"{name} holds the object {shown[:60]}{'...' if len(shown) > 60 else ''}; the "
            f'only objects allowed as values are {{"undetermined": true}} and {{"bytes": "<hex>"}}'
        )
    return value


def _decode_values(data: Any, name: str, path: str, n_states: int) -> Values:
    if isinstance(data, dict) and set(data) == {"range"}:
        n = data["range"]
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise FileFormatError(path, f'{name} = {{"range": {n!r}}} needs a non-negative int')
        # save writes a range only for the default names 0..n-1; a bigger one
        # would cost memory out of all proportion to the file.
        if n > n_states:
            raise FileFormatError(
                path, f'{name} = {{"range": {n}}} names more values than the {n_states} states'
            )
        return range(n)
    if not isinstance(data, list):
        raise FileFormatError(path, f"{name} must be a JSON array, got {type(data).__name__}")
    return tuple(_decode_value(v, name, path) for v in data)


def _encode_variables(record: Variables) -> dict[str, Any]:
    """The names, levels and reads of a variables record as JSON (the codes go apart)."""
    levels: list[Any] = []
    for name, level in zip(record.names, record.levels):
        if isinstance(level, range):
            levels.append({"start": level.start, "stop": level.stop, "step": level.step})
        else:
            levels.append([_encode_value(v, f"the levels of variable {name!r}", i)
                           for i, v in enumerate(level)])
    reads = record.reads
    return {
        "names": list(record.names),
        "levels": levels,
        "reads": None if reads is None else {k: list(v) for k, v in reads.items()},
    }


def _decode_variables(data: Any, codes: Any, path: str) -> Variables:
    """A variables record from its JSON (names, levels, reads) and its codes."""
    if not isinstance(data, dict) or set(data) != _VARIABLES_KEYS:
        raise FileFormatError(
            path, "'variables' must be a JSON object with keys names, levels, reads"
        )
    names, levels, reads = data["names"], data["levels"], data["reads"]
    if not isinstance(names, list) or not isinstance(levels, list):
        raise FileFormatError(path, "the variables' names and levels must be JSON arrays")
    decoded: list[Any] = []
    for level in levels:
        if isinstance(level, dict):
            if set(level) != {"start", "stop", "step"} or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in level.values()
            ) or level["step"] == 0:
                raise FileFormatError(
                    path, 'a range of levels must be {"start": int, "stop": int, "step": int}'
                )
            decoded.append(range(level["start"], level["stop"], level["step"]))
        elif isinstance(level, list):
            decoded.append(tuple(_decode_value(v, "the levels of a variable", path) for v in level))
        else:
            raise FileFormatError(path, "each variable's levels must be a JSON array or a range")
    if reads is not None and not (
        isinstance(reads, dict) and all(isinstance(v, list) for v in reads.values())
    ):
        raise FileFormatError(path, "the variables' reads must be null or an object of arrays")
    try:
        return Variables(names, codes, decoded, reads)
    except (ValueError, TypeError) as err:
        raise FileFormatError(path, f"inconsistent variables: {err}") from None


def _json_variables(data: Any, path: str, n: int) -> Any:
    """The ``variables`` of a JSON computation: values per state, or the full record."""
    if data is None:
        return None
    if not isinstance(data, dict):
        raise FileFormatError(path, f"'variables' must be a JSON object, got {type(data).__name__}")
    if set(data) == _VARIABLES_KEYS | {"codes"}:
        codes = data["codes"]
        if not isinstance(codes, list) or not all(isinstance(row, list) for row in codes):
            raise FileFormatError(path, "the variables' codes must be a JSON array of arrays")
        try:
            array = np.array(codes, dtype=np.int64).reshape(len(codes), n)
        except (ValueError, TypeError, OverflowError):
            raise FileFormatError(
                path, f"the variables' codes must be rows of {n} integers, one per state"
            ) from None
        return _decode_variables({k: data[k] for k in _VARIABLES_KEYS}, array, path)
    values = {}
    for name, column in data.items():
        if not isinstance(column, list):
            raise FileFormatError(
                path, f"variables[{name!r}] must be a JSON array of one value per state"
            )
        values[name] = object_array([_decode_value(v, f"variables[{name!r}]", path)
                                     for v in column])
    return values


# ---------------------------------------------------------------------- public API


def save(obj: System | Partition, path: str | os.PathLike[str], *, compress: bool = False) -> None:
    """Save a system of any kind or a partition; the format comes from the suffix.

    Parameters
    ----------
    obj : System or Partition
        What to save: a :class:`~abstractions.Computation`, any
        :class:`~abstractions.TransitionSystem` or a
        :class:`~abstractions.Partition`.
    path : str or os.PathLike
        Target file, ending in ``.npz`` (arrays, any size) or ``.json``
        (readable, for small examples). An existing file is replaced.
        A path ending in ``.zarr`` is a chunked store directory, written
        by :func:`abstractions.distributed.save_chunked` (the
        ``distributed`` extra), which
        :func:`abstractions.distributed.minimal_complete_abstraction` also
        reads; names and values must then be None, bool, int, float, str
        or tuples of these, and structured-state variables are not kept.
    compress : bool, default False
        ``.npz`` only: compress the arrays (smaller, slower).

    Raises
    ------
    InvalidValueError
        For an unknown suffix, an int value too long to store, or a target
        that is a device, pipe or socket.
    ImportError
        For a ``.zarr`` path without the ``distributed`` extra (the message
        names it).
    InvalidTypeError
        If ``obj`` is neither a system nor a Partition, or holds a
        state label or value that cannot be stored (see the module notes).
    PermissionError
        If the target exists but is not writable (e.g. mode 0444): it is
        not replaced.
    OSError
        If the file cannot be written; the target is then left as it was.

    See Also
    --------
    load, abstractions.formats.save_model : Aldebaran ``.aut`` and Storm ``.drn`` files.

    Notes
    -----
    The data is written to a temporary file in the target's directory, then
    renamed over the target with :func:`os.replace`: a reader sees either
    the old file or the complete new one, never a half-written file. The
    new file keeps the target's permission bits; a symbolic link is
    followed (the file it points to is replaced, the link stays).

    Examples
    --------
    >>> import os, tempfile
    >>> from fractions import Fraction
    >>> from abstractions import Computation, Partition, TransitionSystem, load, save
    >>> folder = tempfile.mkdtemp()
    >>> C = Computation([1, 2, 2], halted=[False, False, True], output=["run", "run", "done"])
    >>> save(C, os.path.join(folder, "c.npz"))
    >>> load(os.path.join(folder, "c.npz")) == C
    True
    >>> T = TransitionSystem.probabilistic([[Fraction(1, 3), Fraction(2, 3)], [0, 1]])
    >>> save(T, os.path.join(folder, "chain.json"))
    >>> load(os.path.join(folder, "chain.json")).probabilities
    (Fraction(1, 3), Fraction(2, 3), Fraction(1, 1))
    >>> save(Partition([0, 0, 1]), os.path.join(folder, "p.json"))
    >>> print(open(os.path.join(folder, "p.json")).read())
    {
     "format": "abstractions",
     "version": 1,
     "kind": "partition",
     "labels": [0, 0, 1]
    }
    """
    target = as_path(path)
    suffix = file_suffix(target, SUFFIXES)
    if not isinstance(obj, (System, Partition)):
        raise InvalidTypeError(
            f"can only save a system (a Computation or a TransitionSystem) or a Partition, got "
            f"{type(obj).__name__}"
        )
    if suffix == ".zarr":
        _chunked_functions()[0](obj, target)
        return
    # Build the whole payload first: an unstorable value fails before any file exists.
    if suffix == ".npz":
        arrays = _npz_arrays(obj)

        def write(handle: IO[bytes]) -> None:
            if compress:
                np.savez_compressed(handle, **arrays)
            else:
                np.savez(handle, **arrays)

    else:
        text = _json_text(obj).encode("utf-8")

        def write(handle: IO[bytes]) -> None:
            handle.write(text)

    write_atomically(target, write)


@overload
def load(path: str | os.PathLike[str], *, kind: None = None) -> Any: ...
@overload
def load(path: str | os.PathLike[str], *, kind: type[_K]) -> _K: ...


def load(path: str | os.PathLike[str], *, kind: type[Any] | None = None) -> Any:
    """Load a system or a partition saved by :func:`save` (or written by hand).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` or ``.json`` file, or a ``.zarr`` chunked store
        (:func:`abstractions.distributed.load_chunked`, the ``distributed``
        extra); the suffix decides how it is read.
    kind : type, optional
        Require the file to hold this kind of object: :class:`~abstractions.Partition`,
        :class:`~abstractions.System` (any system), :class:`~abstractions.Computation`,
        :class:`~abstractions.TransitionSystem` or one kind's class.

    Returns
    -------
    System or Partition
        Checked exactly as the constructors check their arguments.

    Raises
    ------
    FileFormatError
        If the file is corrupt or truncated, is not an abstractions file,
        has a newer format version, holds another kind than ``kind``, or
        its contents are inconsistent (e.g. ``halted`` of another length
        than ``step``); the message names the file and the problem.
    InvalidValueError
        For an unknown suffix.
    ImportError
        For a ``.zarr`` store without the ``distributed`` extra.
    FileNotFoundError
        If there is no such file.

    See Also
    --------
    save, abstractions.formats.load_model : ``.aut``, ``.drn``, PRISM and JANI files.

    Examples
    --------
    >>> import os, tempfile
    >>> from abstractions import Computation, load
    >>> path = os.path.join(tempfile.mkdtemp(), "countdown.json")
    >>> with open(path, "w") as f:
    ...     _ = f.write('{"kind": "computation", "step": [0, 0, 1], '
    ...                 '"halted": [true, false, false]}')
    >>> C = load(path, kind=Computation)
    >>> C.run(2), C.n
    (0, 3)
    >>> from abstractions import Partition
    >>> load(path, kind=Partition)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    abstractions.exceptions.FileFormatError: ...countdown.json: holds a computation, expected a partition
    """
    source = as_path(path)
    suffix = file_suffix(source, SUFFIXES)
    if kind is not None and not (
        isinstance(kind, type) and (issubclass(kind, System) or kind is Partition)
    ):
        raise InvalidTypeError(
            f"kind must be Partition, System, Computation, TransitionSystem, a kind's class "
            f"or None, got {kind!r}"
        )
    if suffix == ".npz":
        found, obj = _load_npz(source)
    elif suffix == ".json":
        found, obj = _load_json(source)
    else:
        obj = _chunked_functions()[1](source)
        found = "partition" if isinstance(obj, Partition) else obj.kind
    if kind is not None and not isinstance(obj, kind):
        holds = _what(_kinds()[found])
        raise FileFormatError(source, f"holds {_a(holds)}, expected {_a(_what(kind))}")
    return obj


def _chunked_functions() -> tuple[Callable[..., None], Callable[..., Any]]:
    """``save_chunked`` and ``load_chunked``, or an error naming the extra that provides zarr."""
    try:
        import zarr  # noqa: F401

        from abstractions.distributed import load_chunked, save_chunked
    except ImportError as err:
        raise ImportError(
            f".zarr files are chunked stores, which need the 'distributed' extra "
            f"(pip install 'abstractions[distributed]'): {err}"
        ) from err
    return save_chunked, load_chunked


def _what(kind: type[Any]) -> str:
    """How a file's content is named in messages: ``"computation"``, ``"labelled system"``."""
    if kind is Partition:
        return "partition"
    if getattr(kind, "kind", "system") in ("system", "computation"):
        return "computation" if kind is Computation else "system"
    if kind.__dict__.get("kind") is None:
        return "transition system"
    return f"{kind.kind} system"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[:1] in "aeiou" else f"a {noun}"


# ---------------------------------------------------------------------- writing


def _npz_arrays(obj: System | Partition) -> dict[str, Any]:
    # Any: numpy types savez(**arrays) as if a key could be its allow_pickle flag.
    arrays: dict[str, Any] = {
        "format": np.array(_FORMAT),
        "version": np.array(FORMAT_VERSION, dtype=np.int64),
    }
    if isinstance(obj, Partition):
        arrays["kind"] = np.array("partition")
        arrays["labels"] = np.asarray(obj.labels)
        return arrays
    fields = obj.to_dict()
    arrays["kind"] = np.array(fields.pop("kind"))
    meta: dict[str, Any] = {}
    for name, role in _roles(type(obj)).items():
        value = fields[name]
        if value is None:
            if name in SHARED_FIELDS:
                meta[name] = None  # state_labels: null, as files always had it
            continue
        if role in _ARRAY_ROLES and isinstance(value, np.ndarray):
            arrays[name] = np.asarray(value)
        else:
            meta[name] = _encode_field(value, role, name)
    record = obj.state_variables
    if record is not None:
        meta["variables"] = _encode_variables(record)
        arrays["variable_codes"] = np.asarray(record.codes)
    arrays["meta"] = np.array(json.dumps(meta))
    return arrays


def _encode_field(value: Any, role: str, name: str) -> Any:
    """A field that is not an .npz array as JSON."""
    if role == "values":
        return _encode_values(value, name)
    if role == "ints":
        return [int(x) for x in value]
    if role in _ARRAY_ROLES:
        return np.asarray(value).tolist()
    if role == "int":
        return int(value)
    if role == "float":
        return float(value)
    raise InvalidTypeError(f"cannot save the field {name!r}: unknown role {role!r}")  # pragma: no cover


def _json_text(obj: System | Partition) -> str:
    doc: dict[str, Any] = {"format": _FORMAT, "version": FORMAT_VERSION}
    if isinstance(obj, Partition):
        doc["kind"] = "partition"
        doc["labels"] = obj.labels.tolist()
    else:
        S = obj
        doc["kind"] = S.kind
        fields = S.to_dict()
        for name, role in type(S).schema.items():
            value = fields[name]
            if value is None or (role == "mask" and not np.asarray(value).any()):
                continue  # absent, or all False (the default)
            doc[name] = _encode_field(value, role, name)
        default_output = (
            S.state_labels is None
            and isinstance(S.output_values, range)
            and np.array_equal(S.output, np.arange(S.n))
        )
        if not default_output:
            doc["output"] = S.output.tolist()
            doc["output_values"] = _encode_values(tuple(S.output_values), "output_values")
        if not (
            isinstance(S.input_values, range) and np.array_equal(S.input_states, np.arange(S.n))
        ):
            values = _encode_values(tuple(S.input_values), "input_values")
            doc["inputs"] = [[v, s] for v, s in zip(values, S.input_states.tolist())]
        if S.state_labels is not None:
            doc["state_labels"] = _encode_values(S.state_labels, "state_labels")
        if S.state_variables is not None:
            doc["variables"] = {
                **_encode_variables(S.state_variables),
                "codes": S.state_variables.codes.tolist(),
            }
    # One key per line: small files stay readable and diff well.
    lines = [f" {json.dumps(key)}: {json.dumps(value)}" for key, value in doc.items()]
    return "{\n" + ",\n".join(lines) + "\n}\n"


# ---------------------------------------------------------------------- reading


def _check_header(get: Callable[[str], Any], has: Callable[[str], bool], path: str, required: bool) -> str:
    if has("format") or required:
        fmt = get("format") if has("format") else None
        if fmt != _FORMAT:
            raise FileFormatError(
                path, f"not an abstractions file (expected format = {_FORMAT!r}, got {fmt!r})"
            )
    if has("version") or required:
        version = get("version") if has("version") else None
        if isinstance(version, bool) or not isinstance(version, int):
            raise FileFormatError(path, f"the format version must be an integer, got {version!r}")
        if version > FORMAT_VERSION or version < 1:
            raise FileFormatError(
                path, f"format version {version} is not supported (this abstractions reads "
                f"versions 1..{FORMAT_VERSION}); upgrade abstractions to read it"
            )
    kinds = _kinds()
    expected = " or ".join(f'"{k}"' for k in kinds)
    if not has("kind"):
        raise FileFormatError(path, f"missing 'kind' ({expected})")
    kind = get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise FileFormatError(path, f"unknown kind {kind!r}; expected {expected}")
    return kind


def _build(path: str, build: Callable[[], Any]) -> Any:
    """Run a constructor on file contents; its complaints become FileFormatError."""
    try:
        return build()
    except (ValueError, TypeError, ArithmeticError, LookupError) as err:
        # ArithmeticError: e.g. an id beyond int64 (OverflowError); LookupError: a bad index
        raise FileFormatError(path, f"inconsistent contents: {err}") from None


_DESCRIBED = {"iu": "integers", "b": "booleans", "f": "floats"}


def _load_npz(path: str) -> tuple[str, Any]:
    arrays = read_npz(path, _npz_members())

    def get(name: str) -> Any:
        array = arrays[name]
        if array.ndim != 0:
            raise FileFormatError(path, f"{name!r} must be a single value, got shape {array.shape}")
        return array.item()

    kind = _check_header(get, arrays.__contains__, path, required=True)
    what = _what(_kinds()[kind])

    def array(name: str, kinds: str, ndim: int = 1, required: bool = True) -> np.ndarray | None:
        if name not in arrays:
            if not required:
                return None
            raise FileFormatError(path, f"missing the array {name!r} of {_a(what)}")
        value = arrays[name]
        if value.ndim != ndim or value.dtype.kind not in kinds:
            raise FileFormatError(
                path, f"{name!r} must be a {ndim}-d array of {_DESCRIBED[kinds]}, got dtype "
                f"{value.dtype} and shape {value.shape}"
            )
        return value

    if kind == "partition":
        _only(arrays, {*_HEADER, "labels"}, path, what)
        labels = array("labels", "iu")
        return kind, _build(path, lambda: Partition.from_labels(labels))
    klass = _kinds()[kind]
    roles = _roles(klass)
    _only(arrays, {*_HEADER, "meta", "variable_codes", *roles}, path, what)
    # the shared arrays first, then the kind's own: messages name the first missing one
    own_arrays = [f for f, role in klass.schema.items() if role in _ARRAY_ROLES]
    found_arrays: dict[str, Any] = {}
    for name in own_arrays[:1]:
        found_arrays[name] = _own_array(array, name, roles[name], klass)
    for name in ("output", "input_states"):
        found_arrays[name] = array(name, "iu")
    for name in own_arrays[1:]:
        found_arrays[name] = _own_array(array, name, roles[name], klass)
    if "meta" not in arrays:
        raise FileFormatError(path, f"missing the array 'meta' of {_a(what)}")
    text = get("meta")
    if not isinstance(text, str):
        raise FileFormatError(path, f"'meta' must be a string of JSON, got {type(text).__name__}")
    meta = parse_json(text, path, "'meta'")
    variables = _npz_variables(meta, arrays, path)
    meta_fields = [f for f, role in roles.items() if role not in _ARRAY_ROLES or role == "ints"]
    required = [f for f in SHARED_FIELDS if f in meta_fields]
    if (
        not isinstance(meta, dict)
        or not set(required) <= set(meta)
        or not set(meta) <= set(meta_fields)
    ):
        raise FileFormatError(
            path, f"'meta' must be a JSON object with keys {', '.join(required)}"
            + (f" (and optionally {', '.join(f for f in meta_fields if f not in required)})"
               if len(meta_fields) > len(required) else "")
        )
    n = found_arrays["output"].shape[0]
    fields: dict[str, Any] = {"kind": kind}
    for name, role in roles.items():
        if name in found_arrays:
            fields[name] = found_arrays[name]
        if name in meta:
            if name in fields and fields[name] is not None:
                raise FileFormatError(path, f"{name!r} is both an array and in 'meta'")
            # the input values of a quotient may be range(n) on fewer states
            bound = found_arrays["input_states"].shape[0] if name == "input_values" else n
            fields[name] = _decode_field(meta[name], role, name, path, bound)
    fields["variables"] = variables
    return kind, _build(path, lambda: klass.from_dict(fields))


def _npz_variables(meta: Any, arrays: dict[str, Any], path: str) -> Variables | None:
    """The variables record of an .npz system (taken out of ``meta``), or None."""
    if not isinstance(meta, dict) or "variables" not in meta:
        if "variable_codes" in arrays:
            raise FileFormatError(path, "'variable_codes' without variables in 'meta'")
        return None
    data = meta.pop("variables")
    if "variable_codes" not in arrays:
        raise FileFormatError(path, "missing the array 'variable_codes' of the variables")
    codes = arrays["variable_codes"]
    if codes.ndim != 2 or codes.dtype.kind not in "iu":
        raise FileFormatError(
            path, f"'variable_codes' must be a 2-d array of integers, got dtype "
            f"{codes.dtype} and shape {codes.shape}"
        )
    return _decode_variables(data, codes, path)


def _own_array(array: Callable[..., Any], name: str, role: str, klass: type[System]) -> Any:
    kinds, ndim = _ARRAY_ROLES[role]
    # optional fields (labels of an LTS, the exact or the float weights) may be absent
    return array(name, kinds, ndim, required=role in ("id_table", "mask") or name in _REQUIRED)


#: Own array fields a file must hold (the others may be absent).
_REQUIRED = {"step", "steps", "indptr", "targets"}


def _only(arrays: dict[str, Any], allowed: set[str], path: str, what: str) -> None:
    extra = sorted(set(arrays) - allowed)
    if extra:
        raise FileFormatError(path, f"the member {extra[0] + '.npy'!r} does not belong in {_a(what)} file")


def _decode_field(data: Any, role: str, name: str, path: str, n_states: int) -> Any:
    """A field of ``meta`` or of a JSON file, as :meth:`System.from_dict` takes it."""
    if data is None:
        return None
    if role == "values":
        return _decode_values(data, name, path, n_states)
    if role in _ARRAY_ROLES:
        if not isinstance(data, list):
            raise FileFormatError(path, f"{name!r} must be a JSON array")
        if role == "ints":
            bad = next((x for x in data if isinstance(x, bool) or not isinstance(x, int)), None)
            if bad is not None:
                raise FileFormatError(path, f"{name!r} must hold integers, got {bad!r}")
            return tuple(data)
        return data
    return data


def _load_json(path: str) -> tuple[str, Any]:
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise FileFormatError(path, f"must hold a JSON object, got a {type(doc).__name__}")
    kind = _check_header(doc.__getitem__, doc.__contains__, path, required=False)
    if kind == "partition":
        allowed = _PARTITION_KEYS
    else:
        klass = _kinds()[kind]
        allowed = {*_HEADER, *klass.schema, *_SHARED_JSON_KEYS, "variables"}
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise FileFormatError(
            path, f"unknown key {unknown[0]!r} for a {kind}; allowed: {', '.join(sorted(allowed))}"
        )
    if kind == "partition":
        if ("labels" in doc) == ("blocks" in doc):
            raise FileFormatError(path, "a partition needs exactly one of 'labels' and 'blocks'")
        if "labels" in doc:
            if "n" in doc:
                raise FileFormatError(path, "'n' goes with 'blocks', not with 'labels'")
            labels = doc["labels"]
            if not isinstance(labels, list):
                raise FileFormatError(path, "'labels' must be a JSON array")
            values = [_decode_value(v, "labels", path) for v in labels]
            return kind, _build(path, lambda: Partition.from_labels(values))
        blocks, n = doc["blocks"], doc.get("n")
        if not isinstance(blocks, list) or not all(isinstance(b, list) for b in blocks):
            raise FileFormatError(path, "'blocks' must be a JSON array of arrays of states")
        _check_block_count(blocks, n, path)
        return kind, _build(path, lambda: Partition.from_blocks(blocks, n))
    what = _what(klass)
    first = next(iter(klass.schema))
    if first not in doc:
        raise FileFormatError(path, f"missing {first!r} of {_a(what)}")
    for key in (*klass.schema, "output"):
        role = klass.schema.get(key, "ids")
        if key in doc and role in _ARRAY_ROLES and not isinstance(doc[key], list):
            raise FileFormatError(path, f"{key!r} must be a JSON array")
    # A bound for {"range": n}: no field of a system is longer than the file.
    n = _states_hint(doc[first])
    fields: dict[str, Any] = {"kind": kind}
    for name, role in klass.schema.items():
        if name in doc:
            fields[name] = _decode_field(doc[name], role, name, path, n)
    if "output_values" in doc:
        if "output" not in doc:
            raise FileFormatError(path, "'output_values' needs 'output' (ids into the values)")
        fields["output_values"] = _decode_values(doc["output_values"], "output_values", path, n)
        fields["output"] = doc["output"]
    elif "output" in doc:
        # an object array: numpy would turn a list of tuples into a 2-d array
        fields["output"] = object_array([_decode_value(v, "output", path) for v in doc["output"]])
    fields["inputs"] = _json_inputs(doc.get("inputs"), path)
    labels = doc.get("state_labels")
    if labels is not None:
        fields["state_labels"] = _decode_values(labels, "state_labels", path, n)
    fields["variables"] = _json_variables(doc.get("variables"), path, n)
    return kind, _build(path, lambda: klass.from_dict(fields))


def _states_hint(first: Any) -> int:
    """The number of states a JSON system has at most, from its first field."""
    if isinstance(first, list):
        if first and all(isinstance(row, list) for row in first):
            return max(len(row) for row in first)  # a table: one row per symbol
        return len(first)
    return 0


def _json_inputs(data: Any, path: str) -> Any:
    if data is None:
        return None
    if not isinstance(data, list):
        raise FileFormatError(path, "'inputs' must be a JSON array")
    if all(not isinstance(item, list) for item in data):
        return data  # start states; the constructor checks them
    pairs: dict[Any, Any] = {}
    for i, item in enumerate(data):
        if not (isinstance(item, list) and len(item) == 2):
            raise FileFormatError(
                path, f"inputs[{i}] = {item!r}: give either start states or [value, state] pairs"
            )
        value = _decode_value(item[0], f"inputs[{i}]", path)
        if value in pairs:
            raise FileFormatError(path, f"inputs[{i}] repeats the input value {value!r}")
        pairs[value] = item[1]
    return pairs


def _check_block_count(blocks: list[Any], n: Any, path: str) -> None:
    """Refuse a declared ``n`` larger than the states listed, before anything of size n exists.

    Partition.from_blocks would allocate n labels and only then find a
    state in no block: a 50-byte file could ask for gigabytes.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        return  # the constructor names the bad n
    listed = sum(len(block) for block in blocks)
    if n <= listed:
        return
    states = {s for block in blocks for s in block if type(s) is int}
    missing = next(m for m in range(len(states) + 1) if m not in states)
    raise FileFormatError(
        path, f"inconsistent contents: state {missing} is in no block (n = {n}, but the blocks "
        f"list {listed} states)"
    )
