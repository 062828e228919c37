"""The on-disk chunked store: a ``.zarr`` directory of int64 arrays, checked before use.

A store holds one system (or one partition) in chunks, so that a system of
10**9 states is written and read a chunk at a time. Layout (zarr format
3, any zarr reader opens it):

===============  ==============================================================
group attribute  ``format = "abstractions-chunked"``, ``version``, ``kind``
                 (``"function"``, ``"computation"``, ``"relation"`` or
                 ``"partition"``), ``n`` states, ``m`` transitions,
                 ``chunk_size``, ``how``/``tol`` (relations), ``meta``
                 (computations and relations: output and input values, as JSON), and
                 ``manifest``: per array, every chunk file's size and CRC-32
``step``         function, computation: the successor of each state
``beta``         optional: the labels of the information to keep
``halted``       computation: 0/1 per state; ``output``: output id per state
``source``,      relation: one row per transition (``symbol``, ``weight``
``target``       optional; ``weight`` int64 numerators or float64)
``labels``       partition: a label per state
``output``,      relation: the output id per state, and each array field of the
``field_NAME``   system's schema (flattened; ``meta`` holds the shapes, the
                 other fields and the shared values), so that it loads back
===============  ==============================================================

:func:`open_chunked` rejects a store before any work starts when an array
has the wrong length, a chunk file is missing, or a chunk file has another
size than the manifest says (truncated); each chunk's CRC-32 is checked
when a worker reads it. Needs ``zarr`` (the ``distributed`` extra).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

from abstractions.exceptions import FileFormatError, InvalidTypeError, InvalidValueError
from abstractions.partition import Partition
from abstractions.system import System

__all__ = [
    "STORE_FORMAT",
    "STORE_VERSION",
    "ChunkedStore",
    "load_chunked",
    "open_chunked",
    "read_chunk",
    "save_chunked",
    "write_labels",
]

STORE_FORMAT = "abstractions-chunked"
STORE_VERSION = 1
_DEFAULT_CHUNK = 1 << 22
_ARRAYS = {
    "function": (("step", "n"), ("beta", "n")),
    "computation": (("step", "n"), ("halted", "n"), ("output", "n"), ("beta", "n")),
    "relation": (("source", "m"), ("target", "m"), ("symbol", "m"), ("weight", "m"),
                 ("beta", "n"), ("output", "n")),
    "partition": (("labels", "n"),),
}
_REQUIRED = {"function": {"step"}, "computation": {"step", "halted", "output"},
             "relation": {"source", "target"}, "partition": {"labels"}}


def _zarr() -> Any:
    try:
        import zarr
    except ImportError as err:  # pragma: no cover - the extra is installed in CI
        raise ImportError(
            "the chunked store needs zarr: pip install 'abstractions[distributed]'"
        ) from err
    return zarr


def _chunk_file(root: str, name: str, i: int) -> str:
    return os.path.join(root, name, "c", str(i))


def _file_entry(root: str, name: str, i: int) -> list[int]:
    path = _chunk_file(root, name, i)
    with open(path, "rb") as handle:
        data = handle.read()
    return [len(data), zlib.crc32(data)]


def _json_value(value: Any, name: str) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, tuple):
        return [_json_value(v, name) for v in value]
    raise InvalidTypeError(
        f"cannot store {name} value {value!r} of type {type(value).__name__} in a chunked "
        "store: only None, bool, int, float, str and tuples of these"
    )


def _json_values(values: Any, name: str) -> Any:
    if isinstance(values, range) and values.start == 0 and values.step == 1:
        return {"range": len(values)}
    return [_json_value(v, name) for v in values]


def _from_json(data: Any) -> Any:
    if isinstance(data, dict) and set(data) == {"range"}:
        return range(int(data["range"]))
    return tuple(tuple(_from_json_item(v)) if isinstance(v, list) else v for v in data)


def _from_json_item(v: list[Any]) -> list[Any]:
    return [tuple(_from_json_item(x)) if isinstance(x, list) else x for x in v]


class _Writer:
    def __init__(self, path: str, chunk_size: int) -> None:
        self.path = path
        self.chunk = chunk_size
        zarr = _zarr()
        self.group = zarr.open_group(path, mode="w")
        self.manifest: dict[str, list[list[int]]] = {}

    def array(self, name: str, values: Any, dtype: Any = np.int64) -> None:
        """Write ``values`` (numpy or dask, 1-d) chunk by chunk."""
        length = int(values.shape[0])
        target = self.group.create_array(
            name, shape=(length,), chunks=(max(1, self.chunk),), dtype=dtype, fill_value=0,
            config={"write_empty_chunks": True},
        )
        for lo in range(0, length, self.chunk):
            hi = min(length, lo + self.chunk)
            piece = values[lo:hi]
            if hasattr(piece, "compute"):
                piece = piece.compute()
            target[lo:hi] = np.asarray(piece, dtype=dtype)
            del piece
        self.manifest[name] = [_file_entry(self.path, name, i) for i in range(_nchunks(length, self.chunk))]

    def close(self, attrs: dict[str, Any]) -> None:
        attrs = dict(attrs, format=STORE_FORMAT, version=STORE_VERSION, chunk_size=self.chunk,
                     manifest=self.manifest)
        self.group.attrs.update(attrs)


def _nchunks(length: int, chunk: int) -> int:
    return (length + chunk - 1) // chunk if length else 0


def save_chunked(
    obj: Any,
    path: str | os.PathLike[str],
    *,
    beta: Any = None,
    chunk_size: int = _DEFAULT_CHUNK,
) -> None:
    """Write a system (or a partition) to a chunked ``.zarr`` store, a chunk at a time.

    Parameters
    ----------
    obj : System, Partition, or 1-d integer array (numpy or dask)
        A Computation (step, halted, output and their values), any other
        kind (its transitions), a Partition (its labels), or a bare step
        array, which may be a lazy dask array larger than memory.
    path : str or os.PathLike
        The store, a directory (by convention ending in ``.zarr``);
        replaced if it exists.
    beta : Partition or array_like, optional
        Labels of the information to keep, stored beside the system.
    chunk_size : int, default 2**22
        Entries per chunk.

    Raises
    ------
    InvalidTypeError
        For an object that cannot be stored, or a state name or value
        that is not JSON (None, bool, int, float, str, tuples).

    Examples
    --------
    >>> import os, tempfile
    >>> from abstractions import Computation
    >>> path = os.path.join(tempfile.mkdtemp(), "counter.zarr")
    >>> save_chunked(Computation([1, 2, 0]), path, beta=[0, 1, 1], chunk_size=2)
    >>> open_chunked(path).n
    3
    >>> load_chunked(path) == Computation([1, 2, 0])
    True
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise InvalidValueError(f"chunk_size must be a positive int, got {chunk_size!r}")
    target = os.fsdecode(os.fspath(path))
    from abstractions.computation import Computation

    attrs: dict[str, Any]
    if isinstance(obj, Partition):
        writer = _Writer(target, chunk_size)
        writer.array("labels", obj.labels)
        attrs = {"kind": "partition", "n": obj.n, "m": 0}
    elif isinstance(obj, Computation):
        writer = _Writer(target, chunk_size)
        writer.array("step", obj.step)
        writer.array("halted", obj.halted.astype(np.int64))
        writer.array("output", obj.output)
        meta = {
            "output_values": _json_values(obj.output_values, "output_values"),
            "input_values": _json_values(obj.input_values, "input_values"),
            "input_states": None if (isinstance(obj.input_values, range) and np.array_equal(
                obj.input_states, np.arange(obj.n))) else obj.input_states.tolist(),
            "state_labels": None if obj.state_labels is None
            else _json_values(obj.state_labels, "state_labels"),
        }
        attrs = {"kind": "computation", "n": obj.n, "m": obj.n, "meta": meta}
    elif isinstance(obj, System):
        rel = obj._relation()
        if rel.choices is not None:
            raise InvalidValueError(
                f"a chunked store holds one level of transitions; a {obj.kind} system has "
                "choices of distributions (save it with abstractions.save instead)"
            )
        writer = _Writer(target, chunk_size)
        writer.array("source", rel.sources())
        writer.array("target", rel.targets)
        if rel.symbols is not None:
            writer.array("symbol", rel.symbols)
        if rel.weights is not None:
            if rel.weights.dtype == object:
                raise InvalidValueError(
                    "exact probabilities whose common denominator exceeds 2**62 cannot be "
                    "stored in a chunked store"
                )
            writer.array("weight", rel.weights, dtype=rel.weights.dtype)
        how = "exists" if rel.how == "function" else rel.how
        attrs = {"kind": "relation", "n": rel.n, "m": rel.m, "how": how, "tol": rel.tol,
                 "den": rel.den, "system_kind": obj.kind, "meta": _system_meta(obj, writer)}
    elif hasattr(obj, "shape") and hasattr(obj, "dtype") and len(obj.shape) == 1 and (
        np.dtype(obj.dtype).kind in "iu"
    ):
        writer = _Writer(target, chunk_size)
        writer.array("step", obj)
        attrs = {"kind": "function", "n": int(obj.shape[0]), "m": int(obj.shape[0])}
    else:
        raise InvalidTypeError(
            f"save_chunked stores a System, a Partition or a 1-d integer step array, got "
            f"{type(obj).__name__}"
        )
    if beta is not None:
        labels = beta.labels if isinstance(beta, Partition) else beta
        if not hasattr(labels, "shape"):
            labels = Partition.from_labels(labels).labels
        if int(labels.shape[0]) != attrs["n"]:
            raise InvalidValueError(
                f"beta has length {labels.shape[0]}, expected {attrs['n']} (one label per state)"
            )
        writer.array("beta", labels)
    writer.close(attrs)


#: Roles of System.schema stored as chunked arrays (flattened; the shape is in ``meta``).
_FIELD_DTYPES = {"ids": np.int64, "id_table": np.int64, "mask": np.int64, "ints": np.int64,
                 "floats": np.float64}


def _field_array(name: str) -> str:
    return f"field_{name}"


def _system_meta(obj: System, writer: _Writer) -> dict[str, Any]:
    """Write what a relation store needs to give the system back (by its schema); its meta.

    The kind's own fields are stored by their roles (:data:`abstractions.system.FIELD_ROLES`),
    so a kind added later is stored without a change here.
    """
    fields = obj.to_dict()
    arrays: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for name, role in type(obj).schema.items():
        value = fields.get(name)
        if value is None:
            values[name] = None
        elif role in _FIELD_DTYPES:
            array = np.asarray(value)
            if array.dtype == object:
                raise InvalidValueError(
                    f"{name} holds integers beyond 64 bits, which a chunked store cannot hold"
                )
            writer.array(_field_array(name), array.reshape(-1), dtype=_FIELD_DTYPES[role])
            arrays[name] = {"role": role, "shape": list(array.shape)}
        elif role == "values":
            values[name] = _json_values(value, name)
        else:  # "int", "float": one number
            values[name] = _json_value(value, name)
    writer.array("output", obj.output)
    return {
        "output_values": _json_values(obj.output_values, "output_values"),
        "input_values": _json_values(obj.input_values, "input_values"),
        "input_states": obj.input_states.tolist(),
        "state_labels": None if obj.state_labels is None
        else _json_values(obj.state_labels, "state_labels"),
        "arrays": arrays,
        "values": values,
    }


def _load_system(store: ChunkedStore, whole: Any) -> System:
    """The system of a relation store that records its fields (from save_chunked)."""
    meta = store.attrs.get("meta")
    kind = store.attrs.get("system_kind")
    if not isinstance(meta, dict) or not isinstance(meta.get("arrays"), dict):
        raise FileFormatError(
            store.path, "holds the transitions of a system: read it with "
            "abstractions.distributed.minimal_complete_abstraction"
        )
    try:
        fields: dict[str, Any] = {"kind": kind}
        for name, spec in meta["arrays"].items():
            array = whole(_field_array(name)).reshape(tuple(spec["shape"]))
            fields[name] = array.astype(bool) if spec["role"] == "mask" else array
        for name, value in (meta.get("values") or {}).items():
            fields[name] = value if value is None or not isinstance(value, (list, dict)) else \
                _from_json(value)
        fields.update(
            output=whole("output"),
            output_values=_from_json(meta["output_values"]),
            input_values=_from_json(meta["input_values"]),
            input_states=np.asarray(meta["input_states"], dtype=np.int64),
            state_labels=None if meta.get("state_labels") is None
            else _from_json(meta["state_labels"]),
        )
        system: System = System.from_dict(fields)
    except FileFormatError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as err:
        raise FileFormatError(store.path, f"inconsistent contents: {err}") from None
    if system.n != store.n:
        raise FileFormatError(store.path, f"holds {system.n} states, the store says n = {store.n}")
    return system


@dataclass(frozen=True)
class ChunkedStore:
    """A checked chunked store (from :func:`open_chunked`).

    Attributes
    ----------
    path : str
    kind : str
        ``"function"``, ``"computation"``, ``"relation"`` or ``"partition"``.
    n : int
        Number of states.
    m : int
        Number of transitions (``n`` for a function).
    chunk_size : int
    attrs : dict
        The store's attributes.
    """

    path: str
    kind: str
    n: int
    m: int
    chunk_size: int
    attrs: dict[str, Any]

    def has(self, name: str) -> bool:
        """Whether the store holds the array ``name``."""
        return name in self.attrs["manifest"]

    def array(self, name: str) -> Any:
        """The array ``name`` as a dask array whose chunk reads check their CRC-32."""
        import dask
        import dask.array as da

        if not self.has(name):
            raise FileFormatError(self.path, f"holds no array {name!r}")
        length = self.n if name in ("step", "beta", "halted", "output", "labels") else self.m
        dtype = np.float64 if (name == "weight" and self.attrs.get("how") == "round") else np.int64
        pieces = []
        for i in range(_nchunks(length, self.chunk_size)):
            size = min(self.chunk_size, length - i * self.chunk_size)
            pieces.append(da.from_delayed(
                dask.delayed(read_chunk)(self.path, name, i, tuple(self.attrs["manifest"][name][i])),
                shape=(size,), dtype=dtype))
        if not pieces:
            return da.zeros(0, dtype=dtype)
        return da.concatenate(pieces)


def read_chunk(path: str, name: str, i: int, entry: tuple[int, int]) -> np.ndarray:
    """Chunk ``i`` of the array ``name``, after checking its size and CRC-32."""
    import zarr

    file = _chunk_file(path, name, i)
    try:
        with open(file, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise FileFormatError(path, f"chunk {i} of {name!r} is missing ({file})") from None
    if len(data) != entry[0] or zlib.crc32(data) != entry[1]:
        raise FileFormatError(
            path, f"chunk {i} of {name!r} is corrupt or truncated ({len(data)} bytes, CRC "
            f"{zlib.crc32(data)}; the manifest says {entry[0]} bytes, CRC {entry[1]})"
        )
    array = zarr.open_array(os.path.join(path, name), mode="r")
    chunk = int(array.chunks[0])
    return np.asarray(array[i * chunk : min(array.shape[0], (i + 1) * chunk)])


def open_chunked(path: str | os.PathLike[str]) -> ChunkedStore:
    """Open a chunked store and check it before any work: lengths, and every chunk file.

    Raises
    ------
    FileFormatError
        If the store is not an abstractions store, an array has the wrong
        length, or a chunk file is missing or has another size than the
        manifest records (truncated).
    FileNotFoundError
        If there is no such store.
    """
    source = os.fsdecode(os.fspath(path))
    if not os.path.isdir(source):
        raise FileNotFoundError(f"no chunked store at {source!r}")
    zarr = _zarr()
    try:
        group = zarr.open_group(source, mode="r")
        attrs = dict(group.attrs)
    except Exception as err:
        raise FileFormatError(source, f"not a readable zarr store ({err})") from None
    if attrs.get("format") != STORE_FORMAT:
        raise FileFormatError(source, f"not an abstractions chunked store "
                                      f"(format = {attrs.get('format')!r})")
    version = attrs.get("version")
    if not isinstance(version, int) or not 1 <= version <= STORE_VERSION:
        raise FileFormatError(source, f"store version {version!r} is not supported")
    kind = attrs.get("kind")
    if kind not in _ARRAYS:
        raise FileFormatError(source, f"unknown kind {kind!r}")
    n, m, chunk = attrs.get("n"), attrs.get("m"), attrs.get("chunk_size")
    for name, value in (("n", n), ("m", m), ("chunk_size", chunk)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise FileFormatError(source, f"{name} must be a non-negative int, got {value!r}")
    assert isinstance(n, int) and isinstance(m, int) and isinstance(chunk, int)
    manifest = attrs.get("manifest")
    if not isinstance(manifest, dict):
        raise FileFormatError(source, "missing the chunk manifest")
    lengths = {"n": n, "m": m}
    for name, of in _ARRAYS[kind]:
        if name not in manifest:
            if name in _REQUIRED[kind]:
                raise FileFormatError(source, f"missing the array {name!r} of a {kind}")
            continue
        try:
            shape = tuple(group[name].shape)
        except KeyError:
            raise FileFormatError(source, f"missing the array {name!r} of a {kind}") from None
        if shape != (lengths[of],):
            raise FileFormatError(
                source, f"{name!r} has shape {shape}, expected ({lengths[of]},) ({of} = "
                f"{lengths[of]}): the store is truncated or of the wrong length"
            )
        entries = manifest[name]
        expected = _nchunks(lengths[of], chunk)
        if not isinstance(entries, list) or len(entries) != expected:
            raise FileFormatError(source, f"the manifest lists {len(entries)} chunks of {name!r}, "
                                          f"expected {expected}")
        for i, entry in enumerate(entries):
            file = _chunk_file(source, name, i)
            try:
                size = os.path.getsize(file)
            except OSError:
                raise FileFormatError(source, f"chunk {i} of {name!r} is missing ({file})") from None
            if size != entry[0]:
                raise FileFormatError(
                    source, f"chunk {i} of {name!r} has {size} bytes, the manifest says "
                    f"{entry[0]}: truncated or corrupt"
                )
    return ChunkedStore(source, str(kind), n, m, chunk, attrs)


def load_chunked(path: str | os.PathLike[str]) -> Any:
    """Read a chunked store back into memory: a system of any kind, or a Partition.

    A stored bare step array comes back as ``Computation(step)``. A system
    of another kind comes back equal to the one :func:`save_chunked` wrote
    (its own fields are stored by their schema roles beside the transitions;
    stores written before that hold the transitions only, which
    :func:`abstractions.distributed.minimal_complete_abstraction` reads).

    Raises
    ------
    FileFormatError
        As :func:`open_chunked`, or when a chunk's CRC-32 does not match.
    """
    store = open_chunked(path)

    def whole(name: str) -> np.ndarray:
        chunks = [read_chunk(store.path, name, i, tuple(e))
                  for i, e in enumerate(store.attrs["manifest"][name])]
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)

    if store.kind == "partition":
        return Partition.from_labels(whole("labels"))
    from abstractions.computation import Computation

    if store.kind == "function":
        return Computation(whole("step"))
    if store.kind == "relation":
        return _load_system(store, whole)
    meta = store.attrs.get("meta") or {}
    output_values = _from_json(meta["output_values"])
    input_values = _from_json(meta["input_values"])
    states = meta.get("input_states")
    inputs = None if states is None else dict(zip(input_values, states))
    labels = meta.get("state_labels")
    output = whole("output")
    plain = isinstance(output_values, range) and labels is None
    try:
        return Computation(
            whole("step"), halted=whole("halted").astype(bool),
            output=None if plain else output, output_values=None if plain else output_values,
            inputs=inputs, state_labels=None if labels is None else _from_json(labels),
        )
    except (InvalidValueError, InvalidTypeError) as err:
        raise FileFormatError(store.path, f"inconsistent contents: {err}") from None


def _write_chunk(labels: np.ndarray, path: str, i: int, chunk: int) -> list[int]:
    import zarr

    array = zarr.open_array(os.path.join(path, "labels"), mode="r+")
    array[i * chunk : i * chunk + labels.shape[0]] = labels
    return _file_entry(path, "labels", i)


def write_labels(client: Any, chunks: list[Any], path: str, bounds: np.ndarray) -> None:
    """Write the answer's chunks (futures on the cluster) to a partition store, in parallel."""
    zarr = _zarr()
    n = int(bounds[-1])
    sizes = np.diff(bounds)
    chunk = int(sizes.max()) if sizes.size else 1
    if sizes.size > 1 and not (sizes[:-1] == chunk).all():
        raise InvalidValueError("the answer's chunks must be of one size to be stored")
    group = zarr.open_group(path, mode="w")
    group.create_array("labels", shape=(n,), chunks=(chunk,), dtype=np.int64, fill_value=0,
                       config={"write_empty_chunks": True})
    entries = client.gather([client.submit(_write_chunk, f, path, i, chunk, pure=False)
                             for i, f in enumerate(chunks)])
    group.attrs.update({"format": STORE_FORMAT, "version": STORE_VERSION, "kind": "partition",
                        "n": n, "m": 0, "chunk_size": chunk, "manifest": {"labels": entries}})
