"""Save and load computations and partitions: ``.npz`` for any size, ``.json`` by hand.

:func:`save` and :func:`load` pick the format from the file's suffix:

``.npz`` (numpy archive, any size)
    The arrays are stored natively (no pickle; :func:`load` reads with
    ``allow_pickle=False``, so a file cannot run code). Entries:

    ===============  ===========================================================
    ``format``       the string ``"abstractions"``
    ``version``      the format version, ``1``
    ``kind``         ``"computation"`` or ``"partition"``
    ``labels``       partition: int64 block id per state
    ``step``         computation: int64, shape (n,)
    ``halted``       computation: bool, shape (n,)
    ``output``       computation: int64 output id per state
    ``input_states`` computation: int64 start state per input
    ``meta``         computation: a JSON string ``{"output_values": V,
                     "input_values": V, "state_labels": V or null}``, with
                     ``"variables": {"names": [...], "levels": [...],
                     "reads": {...} or null}`` for structured states
    ``variable_codes`` computation with variables: int64, shape (k, n): the
                     index of each state's value in each variable's levels
    ===============  ===========================================================

``.json`` (small, hand-written examples)
    One JSON object whose keys are the arguments of
    :class:`~abstractions.Computation` (or :class:`~abstractions.Partition`)::

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

        {"kind": "partition", "labels": [0, 0, 1]}
        {"kind": "partition", "blocks": [[0, 1], [2]], "n": 3}

    ``kind`` is required; ``format`` and ``version`` are optional when read
    (written always). Unknown keys are errors, so a typo is not ignored.

Values (state labels, output values, input values) are stored as JSON, in
both formats, exactly: ``None``, ``bool``, ``int`` (of any size up to
4,000 digits), ``float`` (``repr`` round-trips every float; NaN and the
infinities as Python's :mod:`json` writes them) and ``str`` as themselves,
``bytes`` as ``{"bytes": "<hex>"}``, tuples as JSON arrays (read back as
tuples: every label and value is hashable, so a list never needs to be
stored), and :data:`~abstractions.UNDETERMINED` as ``{"undetermined": true}``.
Any other value (frozensets, objects) makes :func:`save` raise
:class:`~abstractions.InvalidTypeError` naming it; nothing is dropped or
converted silently. ``range(n)`` (states named by their index) is stored as
``{"range": n}``.

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
from typing import IO, Any, overload

import numpy as np

from abstractions._storage import parse_json, read_json, read_npz, write_atomically
from abstractions._validation import object_array, python_value
from abstractions.computation import Computation, Values
from abstractions.exceptions import (
    FileFormatError,
    InvalidTypeError,
    InvalidValueError,
)
from abstractions.partition import Partition
from abstractions.variables import Variables

__all__ = ["FORMAT_VERSION", "SUFFIXES", "load", "save"]

#: Version written into every file; files with a larger version are refused.
FORMAT_VERSION = 1
#: The suffixes :func:`save` and :func:`load` understand.
SUFFIXES = (".npz", ".json")

_FORMAT = "abstractions"
_KINDS = {"computation": Computation, "partition": Partition}
_COMPUTATION_KEYS = {
    "format", "version", "kind", "step", "halted", "output", "output_values", "inputs",
    "state_labels", "variables",
}
_PARTITION_KEYS = {"format", "version", "kind", "labels", "blocks", "n"}
#: Every array an .npz file of any kind may hold; anything else is refused.
_NPZ_MEMBERS = {
    "format", "version", "kind", "labels", "step", "halted", "output", "input_states", "meta",
    "variable_codes",
}
#: The keys of the stored variables record.
_VARIABLES_KEYS = {"names", "levels", "reads"}
#: Largest int saved: bit_length 14,000 is at most 4,215 digits, within what
#: _storage.parse_json reads back (4,300 digits).
_MAX_INT_BITS = 14_000


# ---------------------------------------------------------------------- values


def _encode_value(value: Any, name: str, i: int) -> Any:
    from abstractions.system import UNDETERMINED

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
    from abstractions.system import UNDETERMINED

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


def _suffix(path: str) -> str:
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise InvalidValueError(
            f"cannot tell the file format of {path!r} from its suffix {suffix or '(none)'!r}; "
            f"use one of {', '.join(SUFFIXES)}"
        )
    return suffix


def _as_path(path: Any) -> str:
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fsdecode(os.fspath(path))


def save(obj: Computation | Partition, path: str | os.PathLike[str], *, compress: bool = False) -> None:
    """Save a computation or a partition; the format comes from the suffix.

    Parameters
    ----------
    obj : Computation or Partition
        What to save.
    path : str or os.PathLike
        Target file, ending in ``.npz`` (arrays, any size) or ``.json``
        (readable, for small examples). An existing file is replaced.
    compress : bool, default False
        ``.npz`` only: compress the arrays (smaller, slower).

    Raises
    ------
    InvalidValueError
        For an unknown suffix, an int value too long to store, or a target
        that is a device, pipe or socket.
    InvalidTypeError
        If ``obj`` is neither a Computation nor a Partition, or holds a
        state label or value that cannot be stored (see the module notes).
    PermissionError
        If the target exists but is not writable (e.g. mode 0444): it is
        not replaced.
    OSError
        If the file cannot be written; the target is then left as it was.

    See Also
    --------
    load

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
    >>> from abstractions import Computation, Partition, load, save
    >>> folder = tempfile.mkdtemp()
    >>> C = Computation([1, 2, 2], halted=[False, False, True], output=["run", "run", "done"])
    >>> save(C, os.path.join(folder, "c.npz"))
    >>> load(os.path.join(folder, "c.npz")) == C
    True
    >>> save(Partition([0, 0, 1]), os.path.join(folder, "p.json"))
    >>> print(open(os.path.join(folder, "p.json")).read())
    {
     "format": "abstractions",
     "version": 1,
     "kind": "partition",
     "labels": [0, 0, 1]
    }
    """
    target = _as_path(path)
    suffix = _suffix(target)
    if not isinstance(obj, (Computation, Partition)):
        raise InvalidTypeError(
            f"can only save a Computation or a Partition, got {type(obj).__name__}"
        )
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
def load(path: str | os.PathLike[str], *, kind: None = None) -> Computation | Partition: ...
@overload
def load(path: str | os.PathLike[str], *, kind: type[Computation]) -> Computation: ...
@overload
def load(path: str | os.PathLike[str], *, kind: type[Partition]) -> Partition: ...


def load(
    path: str | os.PathLike[str],
    *,
    kind: type[Computation | Partition] | None = None,
) -> Computation | Partition:
    """Load a computation or a partition saved by :func:`save` (or written by hand).

    Parameters
    ----------
    path : str or os.PathLike
        A ``.npz`` or ``.json`` file; the suffix decides how it is read.
    kind : {Computation, Partition}, optional
        Require the file to hold this kind of object.

    Returns
    -------
    Computation or Partition
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
    FileNotFoundError
        If there is no such file.

    See Also
    --------
    save

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
    source = _as_path(path)
    suffix = _suffix(source)
    if kind is not None and kind not in (Computation, Partition):
        raise InvalidTypeError(f"kind must be Computation, Partition or None, got {kind!r}")
    if suffix == ".npz":
        found, obj = _load_npz(source)
    else:
        found, obj = _load_json(source)
    if kind is not None and not isinstance(obj, kind):
        raise FileFormatError(source, f"holds a {found}, expected a {kind.__name__.lower()}")
    return obj


# ---------------------------------------------------------------------- writing


def _npz_arrays(obj: Computation | Partition) -> dict[str, Any]:
    # Any: numpy types savez(**arrays) as if a key could be its allow_pickle flag.
    arrays: dict[str, Any] = {
        "format": np.array(_FORMAT),
        "version": np.array(FORMAT_VERSION, dtype=np.int64),
    }
    if isinstance(obj, Partition):
        arrays["kind"] = np.array("partition")
        arrays["labels"] = np.asarray(obj.labels)
        return arrays
    arrays["kind"] = np.array("computation")
    arrays["step"] = np.asarray(obj.step)
    arrays["halted"] = np.asarray(obj.halted)
    arrays["output"] = np.asarray(obj.output)
    arrays["input_states"] = np.asarray(obj.input_states)
    labels = obj.state_labels
    meta = {
        "output_values": _encode_values(obj.output_values, "output_values"),
        "input_values": _encode_values(obj.input_values, "input_values"),
        "state_labels": None if labels is None else _encode_values(labels, "state_labels"),
    }
    record = obj.state_variables
    if record is not None:
        meta["variables"] = _encode_variables(record)
        arrays["variable_codes"] = np.asarray(record.codes)
    arrays["meta"] = np.array(json.dumps(meta))
    return arrays


def _json_text(obj: Computation | Partition) -> str:
    doc: dict[str, Any] = {"format": _FORMAT, "version": FORMAT_VERSION}
    if isinstance(obj, Partition):
        doc["kind"] = "partition"
        doc["labels"] = obj.labels.tolist()
    else:
        C = obj
        doc["kind"] = "computation"
        doc["step"] = C.step.tolist()
        if C.halted.any():
            doc["halted"] = C.halted.tolist()
        default_output = (
            C.state_labels is None
            and isinstance(C.output_values, range)
            and np.array_equal(C.output, np.arange(C.n))
        )
        if not default_output:
            doc["output"] = C.output.tolist()
            doc["output_values"] = _encode_values(tuple(C.output_values), "output_values")
        if not (
            isinstance(C.input_values, range) and np.array_equal(C.input_states, np.arange(C.n))
        ):
            values = _encode_values(tuple(C.input_values), "input_values")
            doc["inputs"] = [[v, s] for v, s in zip(values, C.input_states.tolist())]
        if C.state_labels is not None:
            doc["state_labels"] = _encode_values(C.state_labels, "state_labels")
        if C.state_variables is not None:
            doc["variables"] = {
                **_encode_variables(C.state_variables),
                "codes": C.state_variables.codes.tolist(),
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
    if not has("kind"):
        raise FileFormatError(path, "missing 'kind' (\"computation\" or \"partition\")")
    kind = get("kind")
    if kind not in _KINDS:
        raise FileFormatError(
            path, f"unknown kind {kind!r}; expected \"computation\" or \"partition\""
        )
    return str(kind)


def _build(path: str, build: Callable[[], Computation | Partition]) -> Computation | Partition:
    """Run a constructor on file contents; its complaints become FileFormatError."""
    try:
        return build()
    except (ValueError, TypeError, ArithmeticError, LookupError) as err:
        # ArithmeticError: e.g. an id beyond int64 (OverflowError); LookupError: a bad index
        raise FileFormatError(path, f"inconsistent contents: {err}") from None


def _load_npz(path: str) -> tuple[str, Computation | Partition]:
    arrays = read_npz(path, _NPZ_MEMBERS)

    def get(name: str) -> Any:
        array = arrays[name]
        if array.ndim != 0:
            raise FileFormatError(path, f"{name!r} must be a single value, got shape {array.shape}")
        return array.item()

    kind = _check_header(get, arrays.__contains__, path, required=True)

    def array(name: str, kinds: str) -> np.ndarray:
        if name not in arrays:
            raise FileFormatError(path, f"missing the array {name!r} of a {kind}")
        value = arrays[name]
        if value.ndim != 1 or value.dtype.kind not in kinds:
            raise FileFormatError(
                path, f"{name!r} must be a 1-d array of "
                f"{'booleans' if kinds == 'b' else 'integers'}, got dtype {value.dtype} "
                f"and shape {value.shape}"
            )
        return value

    if kind == "partition":
        labels = array("labels", "iu")
        return kind, _build(path, lambda: Partition.from_labels(labels))
    step = array("step", "iu")
    halted = array("halted", "b")
    output = array("output", "iu")
    input_states = array("input_states", "iu")
    if "meta" not in arrays:
        raise FileFormatError(path, "missing the array 'meta' of a computation")
    text = get("meta")
    if not isinstance(text, str):
        raise FileFormatError(path, f"'meta' must be a string of JSON, got {type(text).__name__}")
    meta = parse_json(text, path, "'meta'")
    base = {"output_values", "input_values", "state_labels"}
    if not isinstance(meta, dict) or set(meta) not in (base, base | {"variables"}):
        raise FileFormatError(
            path, "'meta' must be a JSON object with keys output_values, input_values, "
            "state_labels (and variables, for structured states)"
        )
    variables = None
    if "variables" in meta:
        if "variable_codes" not in arrays:
            raise FileFormatError(path, "missing the array 'variable_codes' of the variables")
        codes = arrays["variable_codes"]
        if codes.ndim != 2 or codes.dtype.kind not in "iu":
            raise FileFormatError(
                path, f"'variable_codes' must be a 2-d array of integers, got dtype "
                f"{codes.dtype} and shape {codes.shape}"
            )
        variables = _decode_variables(meta["variables"], codes, path)
    elif "variable_codes" in arrays:
        raise FileFormatError(path, "'variable_codes' without variables in 'meta'")
    n = step.shape[0]
    output_values = _decode_values(meta["output_values"], "output_values", path, n)
    input_values = _decode_values(meta["input_values"], "input_values", path, n)
    labels = meta["state_labels"]
    state_labels = None if labels is None else _decode_values(labels, "state_labels", path, n)
    if len(input_values) != input_states.shape[0]:
        raise FileFormatError(
            path, f"{len(input_values)} input values but {input_states.shape[0]} input states"
        )
    return kind, _build(
        path,
        lambda: _computation(step, halted, output, output_values, input_values, input_states,
                             state_labels, path, variables),
    )


def _computation(
    step: Any,
    halted: Any,
    output: Any,
    output_values: Values,
    input_values: Values,
    input_states: Any,
    state_labels: Values | None,
    path: str,
    variables: Any = None,
) -> Computation:
    n = len(step)
    # The defaults (states named by index) are kept as ranges, not tuples of n ints.
    plain_output = (
        state_labels is None
        and isinstance(output_values, range)
        and len(output) == n
        and np.array_equal(output, np.arange(n))
    )
    plain_inputs = (
        isinstance(input_values, range)
        and len(input_states) == n
        and np.array_equal(input_states, np.arange(n))
    )
    inputs: dict[Any, Any] | None = None
    if not plain_inputs:
        try:
            inputs = dict(zip(input_values, np.asarray(input_states).tolist()))
        except TypeError as err:
            raise FileFormatError(path, f"an input value is not hashable: {err}") from None
        if len(inputs) != len(input_values):
            raise FileFormatError(path, "an input value is listed twice")
    return Computation(
        step,
        halted=halted,
        output=None if plain_output else output,
        inputs=inputs,
        output_values=None if plain_output else output_values,
        state_labels=state_labels,
        variables=variables,
    )


def _load_json(path: str) -> tuple[str, Computation | Partition]:
    doc = read_json(path)
    if not isinstance(doc, dict):
        raise FileFormatError(path, f"must hold a JSON object, got a {type(doc).__name__}")
    kind = _check_header(doc.__getitem__, doc.__contains__, path, required=False)
    allowed = _PARTITION_KEYS if kind == "partition" else _COMPUTATION_KEYS
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
    if "step" not in doc:
        raise FileFormatError(path, "missing 'step' of a computation")
    step = doc["step"]
    for key in ("step", "halted", "output"):
        if key in doc and not isinstance(doc[key], list):
            raise FileFormatError(path, f"{key!r} must be a JSON array")
    n = len(step)
    halted = doc.get("halted")
    output: Any = None
    output_values: Values | None = None
    if "output_values" in doc:
        if "output" not in doc:
            raise FileFormatError(path, "'output_values' needs 'output' (ids into the values)")
        output_values = _decode_values(doc["output_values"], "output_values", path, n)
        output = doc["output"]
    elif "output" in doc:
        # an object array: numpy would turn a list of tuples into a 2-d array
        output = object_array([_decode_value(v, "output", path) for v in doc["output"]])
    inputs = _json_inputs(doc.get("inputs"), path)
    labels = doc.get("state_labels")
    state_labels = None if labels is None else _decode_values(labels, "state_labels", path, n)
    variables = _json_variables(doc.get("variables"), path, n)
    return kind, _build(
        path,
        lambda: Computation(
            step,
            halted=halted,
            output=output,
            inputs=inputs,
            output_values=output_values,
            state_labels=state_labels,
            variables=variables,
        ),
    )


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
