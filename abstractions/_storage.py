"""Bytes on disk, checked: atomic writes, verified ``.npz`` reads, bounded JSON reads.

This is the low level under :mod:`abstractions.files`: it knows about files,
zip members, ``.npy`` headers and JSON text, and nothing about computations
or partitions. Every failure to read becomes a
:class:`~abstractions.FileFormatError` naming the file and the problem;
"unreadable" (permissions, a directory, a device) is told apart from
"corrupt" (the bytes are wrong) in its message. A missing file stays a
:class:`FileNotFoundError`, as from :func:`open`.

The rule for reading: nothing is allocated or parsed beyond what the file's
own size allows. A declared array shape is checked against the bytes its zip
member really holds before the array is allocated; a zip member may inflate
to at most what deflate can produce from its compressed bytes; JSON is
limited in size, nesting depth and integer length before it is parsed. So
the work and memory spent on any file, however it was crafted, are
O(size of the file).

Writes go to a temporary file next to the target, locked while it is
written, and renamed over the target; a later save to the same path removes
temporary files left by saves that were killed.
"""

from __future__ import annotations

import errno
import itertools
import json
import math
import os
import re
import secrets
import stat
import sys
import zipfile
import zlib
from collections.abc import Callable, Collection
from typing import IO, Any

import numpy as np

from abstractions.exceptions import FileFormatError, InvalidTypeError, InvalidValueError

try:  # POSIX: a lock tells a live save's temporary file from a killed one's
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DEFLATE_MAX_RATIO",
    "as_path",
    "file_suffix",
    "JSON_MAX_BYTES",
    "JSON_MAX_DEPTH",
    "JSON_MAX_DIGITS",
    "NPY_MAX_HEADER",
    "parse_json",
    "read_bytes",
    "read_json",
    "read_npz",
    "write_atomically",
]

#: Largest ``.json`` file read (bytes). JSON is for small hand-written
#: examples; Python objects for a parsed document take ~10-40 times its size.
JSON_MAX_BYTES = 64 * 2**20
#: Deepest nesting of arrays and objects in a JSON document.
JSON_MAX_DEPTH = 100
#: Longest integer literal in a JSON document (Python's default limit for
#: converting between int and str, so every int Python prints can be read).
JSON_MAX_DIGITS = 4300
#: Largest ``.npy`` header inside an ``.npz`` (numpy's own default limit).
NPY_MAX_HEADER = 10_000
#: Deflate turns n compressed bytes into at most about 1032 n bytes.
DEFLATE_MAX_RATIO = 1032

_TEMPORARY_SUFFIX = ".abstractions-tmp"
_CHUNK = 1 << 20
# dtype kinds an archive may hold: numbers, bools and fixed-width strings;
# never objects (pickles), structured or void records.
_DTYPE_KINDS = "biufcUS"


# ---------------------------------------------------------------------- opening


def _unreadable(path: str, err: OSError) -> FileFormatError:
    if isinstance(err, PermissionError):
        return FileFormatError(path, "unreadable (permission denied)")
    if isinstance(err, IsADirectoryError):
        return FileFormatError(path, "unreadable (a directory, not a file)")
    return FileFormatError(path, f"unreadable ({err.strerror or err})")


def _open_regular(path: str) -> tuple[IO[bytes], int]:
    """Open ``path`` for reading if it is a regular file; return it and its size.

    ``O_NONBLOCK`` keeps a named pipe from blocking the open; the type is
    checked on the open descriptor, so a file swapped in between is caught.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as err:
        raise _unreadable(path, err) from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise FileFormatError(path, "unreadable (a directory, not a file)")
        if not stat.S_ISREG(info.st_mode):
            raise FileFormatError(path, "unreadable (not a regular file: a device, pipe or socket)")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        handle = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    return handle, info.st_size


def _read_at_most(path: str, limit: int, what: str) -> bytes:
    handle, size = _open_regular(path)
    with handle:
        if size > limit:
            raise FileFormatError(
                path, f"too large for {what} ({size} bytes; the limit is {limit})"
            )
        try:
            data = handle.read(limit + 1)
        except OSError as err:
            raise _unreadable(path, err) from None
    if len(data) > limit:  # it grew while we read it
        raise FileFormatError(path, f"too large for {what} (more than {limit} bytes)")
    return data


def read_bytes(path: str, *, max_bytes: int, what: str) -> bytes:
    """The whole of a regular file of at most ``max_bytes`` bytes.

    Parameters
    ----------
    path : str
    max_bytes : int
    what : str
        What the file is read as, for the message when it is too large
        (e.g. ``"an .aut file"``).

    Raises
    ------
    FileFormatError
        If the file is unreadable (permissions, a directory, a device) or
        larger than ``max_bytes``.
    FileNotFoundError
        If there is no such file.
    """
    return _read_at_most(path, max_bytes, what)


# ---------------------------------------------------------------------- JSON


def _json_depth(raw: bytes, chunk: int = 1 << 22) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings, in O(len(raw)) array operations.

    Runs before :func:`json.loads`, whose C scanner recurses once per level.
    A quote is escaped when an odd number of backslashes precede it; the
    in-string parity, the trailing backslash run and the depth carry from
    one chunk to the next, so the temporary arrays stay chunk-sized.
    """
    in_string = 0
    run = 0
    depth = deepest = 0
    for start in range(0, len(raw), chunk):
        piece = raw[start : start + chunk]
        b = np.frombuffer(piece, np.uint8)
        n = b.shape[0]
        quotes = b == 34
        if run == 0 and piece.find(b"\\") < 0:
            last_run = 0
        else:
            index = np.arange(n, dtype=np.int32)
            last_other = np.maximum.accumulate(np.where(b == 92, np.int32(-1), index))
            before = np.empty(n, dtype=np.int32)  # backslashes just before each byte
            before[0] = run
            before[1:] = index[:-1] - last_other[:-1]
            before[1:][last_other[:-1] < 0] += run
            quotes &= (before & 1) == 0
            last_run = int(n - 1 - last_other[-1]) + (run if last_other[-1] < 0 else 0)
        inside = np.bitwise_xor.accumulate(quotes.view(np.uint8))
        if in_string:
            inside ^= 1
        delta = ((b == 91) | (b == 123)).view(np.int8) - ((b == 93) | (b == 125)).view(np.int8)
        delta[inside.view(bool)] = 0
        levels = np.cumsum(delta, dtype=np.int32)
        deepest = max(deepest, depth + int(levels.max()))
        depth += int(levels[-1])
        in_string = int(inside[-1])
        run = last_run
    return deepest


class _TooLong(Exception):
    def __init__(self, digits: int) -> None:
        self.digits = digits


class _Repeated(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json keeps the last of repeated keys; a file saying two things is refused
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _Repeated(key)
            seen.add(key)
    return doc


def _bounded_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > JSON_MAX_DIGITS:
        raise _TooLong(digits)
    return int(text)


def parse_json(raw: bytes | str, path: str, where: str = "") -> Any:
    """Parse JSON text within :data:`JSON_MAX_DEPTH` and :data:`JSON_MAX_DIGITS`.

    Parameters
    ----------
    raw : bytes or str
        The text; bytes must be UTF-8.
    path : str
        The file, for error messages.
    where : str, optional
        What part of the file this is (e.g. ``"'meta'"``), for messages.

    Returns
    -------
    object
        What :func:`json.loads` returns. ``NaN`` and ``Infinity`` are read
        as floats (Python's :mod:`json` writes them); a leading byte order
        mark is skipped.

    Raises
    ------
    FileFormatError
        If the text is not UTF-8 or not JSON, is nested too deep, holds an
        integer with too many digits, or repeats a key in an object.
    """
    def problem(detail: str, verb: str = "is") -> str:
        # "'meta' is not valid JSON" for a part of a file, "not valid JSON" for a whole file
        if where:
            return f"{where} {verb} {detail}"
        return detail if verb == "is" else f"{verb} {detail}"

    if isinstance(raw, bytes):
        data = raw
        try:
            # a byte order mark, as some editors write, is not part of the text
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as err:
            hint = ""
            if raw[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
                hint = "; it is a zip archive (an .npz file?)"
            detail = f"not UTF-8 text ({err.reason} at byte {err.start}){hint}"
            raise FileFormatError(path, problem(detail)) from None
    else:
        text = raw
        data = raw.encode("utf-8", "surrogatepass")
    if data.count(b"[") + data.count(b"{") > JSON_MAX_DEPTH:  # else it cannot nest that deep
        depth = _json_depth(data)
        if depth > JSON_MAX_DEPTH:
            detail = f"nested {depth} levels deep; the limit is {JSON_MAX_DEPTH}"
            raise FileFormatError(path, problem(detail))
    # Only a document with a long run of digits can hold a long integer; it
    # alone pays for the checking hook (a Python call per integer).
    hook = _bounded_int if re.search(rb"[0-9]{%d}" % (JSON_MAX_DIGITS + 1), data) else None
    try:
        return json.loads(text, parse_int=hook, object_pairs_hook=_unique_keys)
    except _Repeated as err:
        raise FileFormatError(path, problem(f"the key {err.key!r} twice", "repeats")) from None
    except _TooLong as err:
        detail = f"an integer of {err.digits} digits; the limit is {JSON_MAX_DIGITS}"
        raise FileFormatError(path, problem(detail, "holds")) from None
    except json.JSONDecodeError as err:
        detail = f"not valid JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        raise FileFormatError(path, problem(detail)) from None
    except (ValueError, RecursionError, MemoryError) as err:  # e.g. int limits set by the user
        detail = f"not readable JSON ({type(err).__name__}: {err})"
        raise FileFormatError(path, problem(detail)) from None


def read_json(path: str, *, max_bytes: int | None = None) -> Any:
    """Read and parse a JSON file of at most ``max_bytes`` bytes (see :func:`parse_json`).

    ``max_bytes`` defaults to :data:`JSON_MAX_BYTES`.

    Raises
    ------
    FileFormatError
        If the file is unreadable, too large, or not bounded JSON.
    FileNotFoundError
        If there is no such file.
    """
    limit = JSON_MAX_BYTES if max_bytes is None else max_bytes
    raw = _read_at_most(path, limit, "a .json file (use .npz for big data)")
    return parse_json(raw, path)


# ---------------------------------------------------------------------- npz


def _corrupt(path: str, problem: str) -> FileFormatError:
    return FileFormatError(path, f"corrupt .npz archive: {problem}")


def _check_members(path: str, infos: list[zipfile.ZipInfo], size: int, names: Collection[str]) -> None:
    """Names, flags, methods and sizes from the zip directory, before reading any member."""
    seen: set[str] = set()
    for info in infos:
        name = info.filename
        if name in seen:
            raise _corrupt(path, f"the member {name!r} appears twice")
        seen.add(name)
        key = name[:-4] if name.endswith(".npy") else None
        if key not in names:
            raise FileFormatError(
                path, f"unexpected member {name!r} in the archive (expected some of "
                f"{', '.join(sorted(k + '.npy' for k in names))})"
            )
        if info.flag_bits & 0x1:
            raise FileFormatError(path, f"the member {name!r} is encrypted; abstractions archives never are")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise FileFormatError(
                path, f"the member {name!r} uses zip compression method {info.compress_type}; "
                f"only stored (0) and deflated (8) are read"
            )
        if info.compress_type == zipfile.ZIP_STORED and info.file_size != info.compress_size:
            raise _corrupt(
                path, f"the stored member {name!r} declares {info.file_size} bytes but "
                f"occupies {info.compress_size}"
            )
        if info.file_size > DEFLATE_MAX_RATIO * info.compress_size + 64:
            raise _corrupt(
                path, f"the member {name!r} declares {info.file_size} bytes from "
                f"{info.compress_size} compressed bytes, more than deflate can produce"
            )
    if sum(info.compress_size for info in infos) > size:
        raise _corrupt(path, f"its members claim more bytes than the file's {size}")
    # Members must not overlap (overlapping entries are how a small zip claims much data).
    ordered = sorted(infos, key=lambda info: info.header_offset)
    for a, b in itertools.pairwise(ordered):
        if a.header_offset + a.compress_size > b.header_offset:
            raise _corrupt(path, f"the members {a.filename!r} and {b.filename!r} overlap")


def _read_header(path: str, name: str, member: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype[Any]]:
    try:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(member, max_header_size=NPY_MAX_HEADER)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(member, max_header_size=NPY_MAX_HEADER)
        else:
            raise ValueError(f".npy format version {version[0]}.{version[1]} is not read")
    except (zipfile.BadZipFile, EOFError, zlib.error) as err:  # a small member is read whole here
        raise _corrupt(path, f"the member {name!r} cannot be read ({type(err).__name__}: {err})") from None
    except Exception as err:
        raise _corrupt(path, f"the member {name!r} has no valid .npy header ({type(err).__name__}: {err})") from None
    if not all(isinstance(d, int) and d >= 0 for d in shape):
        raise _corrupt(path, f"the member {name!r} declares the shape {shape!r}")
    if dtype.hasobject or dtype.fields is not None or dtype.subdtype is not None or dtype.kind not in _DTYPE_KINDS:
        raise FileFormatError(
            path, f"the member {name!r} holds dtype {dtype!s}; only numbers, booleans and "
            f"strings are read (never objects or pickles)"
        )
    if dtype.itemsize == 0:
        raise _corrupt(path, f"the member {name!r} declares an empty dtype {dtype!s}")
    return shape, bool(fortran), dtype


def _read_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> np.ndarray:
    name = info.filename
    with archive.open(info) as member:
        shape, fortran, dtype = _read_header(path, name, member)
        count = math.prod(shape)
        nbytes = count * dtype.itemsize
        available = info.file_size - member.tell()
        if nbytes != available:
            raise _corrupt(
                path, f"the member {name!r} declares shape {shape} of {dtype!s} ({nbytes} bytes) "
                f"but holds {available} bytes of data"
            )
        try:
            array = np.empty(count, dtype=dtype)
        except MemoryError:
            raise FileFormatError(
                path, f"the member {name!r} needs {nbytes} bytes of memory, more than is available"
            ) from None
        buffer = array.view(np.uint8)
        filled = 0
        # Read to the very end: zipfile checks a member's CRC only there.
        while True:
            chunk = member.read(_CHUNK)
            if not chunk:
                break
            if filled + len(chunk) > nbytes:
                raise _corrupt(path, f"the member {name!r} holds more data than it declares")
            buffer[filled : filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
            filled += len(chunk)
        if filled != nbytes:
            raise _corrupt(path, f"the member {name!r} is truncated ({filled} of {nbytes} bytes)")
    if dtype.kind == "b":
        array = array.view(np.uint8) != 0  # a byte other than 0 or 1 is still one bool
    elif dtype.kind == "U" and count and int(array.view(np.dtype(dtype.byteorder + "u4")).max()) > 0x10FFFF:
        raise _corrupt(path, f"the member {name!r} holds a string with an invalid character")
    if not dtype.isnative:
        array = array.astype(dtype.newbyteorder("="))
    return array.reshape(shape, order="F" if fortran else "C")


def read_npz(path: str, names: Collection[str]) -> dict[str, np.ndarray]:
    """Read every member of an ``.npz`` archive, each verified, without trusting the file.

    Parameters
    ----------
    path : str
        The archive.
    names : collection of str
        The array names the archive may hold (member ``name.npy``); any
        other member makes the file unreadable.

    Returns
    -------
    dict of str to numpy.ndarray
        The arrays present, in native byte order.

    Raises
    ------
    FileFormatError
        If the file is unreadable, not a zip archive, holds an unexpected,
        duplicated, encrypted or oddly compressed member, a member whose CRC
        or size is wrong, a ``.npy`` header that is invalid or disagrees with
        the member's size, or an array of objects.
    FileNotFoundError
        If there is no such file.

    Notes
    -----
    Checked before anything is allocated: each member's method, flags and
    declared sizes against the file's size (stored members exactly, deflated
    ones within :data:`DEFLATE_MAX_RATIO`), and each ``.npy`` header's shape
    times item size against the member's declared size. Every member is
    then read to its end, which is where :mod:`zipfile` verifies the CRC.
    """
    handle, size = _open_regular(path)
    with handle:
        try:
            start = handle.read(6)
            handle.seek(0)
        except OSError as err:
            raise _unreadable(path, err) from None
        if start.startswith(b"\x93NUMPY"):
            raise FileFormatError(path, "holds a single .npy array, not an .npz archive")
        if not start.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            hint = " (it looks like JSON: name it .json)" if start.lstrip()[:1] in (b"{", b"[") else ""
            raise FileFormatError(
                path, f"not a readable .npz archive (not a zip file: corrupt or truncated){hint}"
            )
        try:
            archive = zipfile.ZipFile(handle)
        except Exception as err:
            raise FileFormatError(
                path, f"not a readable .npz archive (corrupt or truncated: {err})"
            ) from None
        with archive:
            infos = archive.infolist()
            _check_members(path, infos, size, names)
            arrays: dict[str, np.ndarray] = {}
            for info in infos:
                try:
                    arrays[info.filename[:-4]] = _read_member(path, archive, info)
                except FileFormatError:
                    raise
                except OSError as err:
                    if isinstance(err, zipfile.BadZipFile):
                        raise _corrupt(path, f"the member {info.filename!r}: {err}") from None
                    raise _unreadable(path, err) from None
                except Exception as err:
                    raise _corrupt(
                        path, f"the member {info.filename!r} cannot be read ({type(err).__name__}: {err})"
                    ) from None
    return arrays


# ---------------------------------------------------------------------- writing


def _refuse(target: str, info: os.stat_result) -> None:
    if stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, "cannot save over a directory", target)
    if not stat.S_ISREG(info.st_mode):
        raise InvalidValueError(
            f"cannot save to {target!r}: it is not a regular file (a device, pipe or socket), "
            f"and replacing it would destroy it"
        )
    # os.access is True for root whatever the mode; a file without any write
    # bit is read-only on purpose, so refuse it for everyone (as rm asks).
    if not os.access(target, os.W_OK) or not info.st_mode & 0o222:
        raise PermissionError(
            errno.EACCES, "refusing to replace a file that is not writable (read-only)", target
        )


def _remove_stale(directory: str, base: str) -> None:
    """Delete temporary files of earlier saves to ``base`` that were killed.

    A live save holds an exclusive lock on its temporary file until it has
    renamed it; a file whose lock we can take belongs to a dead process.
    Without ``fcntl`` (Windows) nothing is removed.
    """
    if fcntl is None:  # pragma: no cover - Windows
        return
    prefix = f".{base}."
    try:
        entries = [e.name for e in os.scandir(directory)
                   if e.name.startswith(prefix) and e.name.endswith(_TEMPORARY_SUFFIX)]
    except OSError:
        return
    for name in entries:
        candidate = os.path.join(directory, name)
        try:
            fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
        except OSError:
            continue
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a save in progress
            # Unlink the name only if it still is the file we locked.
            if os.stat(candidate, follow_symlinks=False).st_ino == os.fstat(fd).st_ino:
                os.unlink(candidate)
        except OSError:
            pass
        finally:
            os.close(fd)


def write_atomically(target: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write a file through ``write(handle)`` so that readers see the old or the new file, whole.

    Parameters
    ----------
    target : str
        The file. A symbolic link is followed: the file it points to is
        replaced and the link kept.
    write : callable
        Writes the whole content to the binary handle it is given.

    Raises
    ------
    PermissionError
        If ``target`` exists and is not writable (e.g. mode 0444), or its
        directory is not writable.
    IsADirectoryError
        If ``target`` is a directory.
    InvalidValueError
        If ``target`` is a device, pipe or socket.
    OSError
        If writing fails; ``target`` is then unchanged and no temporary
        file is left.

    Notes
    -----
    The content goes to ``.NAME.PID.RANDOM.abstractions-tmp`` in the
    target's directory, created exclusively and locked, is flushed to disk,
    then renamed over the target (:func:`os.replace`: atomic on POSIX and
    Windows), and the directory is synced. An existing target's permission
    bits are copied to the new file (and its owner and group, where this
    process may set them). Temporary files of earlier saves to the same
    path whose process died are removed first.
    """
    real = os.path.realpath(target)
    try:
        existing: os.stat_result | None = os.stat(real)
    except FileNotFoundError:
        existing = None
    if existing is not None:
        _refuse(target, existing)
    directory, base = os.path.split(real)
    _remove_stale(directory, base)
    temporary = os.path.join(directory, f".{base}.{os.getpid()}.{secrets.token_hex(4)}{_TEMPORARY_SUFFIX}")
    # A new file gets 0o666 less the umask, as any new file; an existing
    # target's bits are copied below (fchmod ignores the umask).
    mode = 0o600 if existing is not None else 0o666
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), mode)
    except OSError as err:
        # name the target, not our temporary file
        raise type(err)(err.errno, err.strerror, target) from None
    replaced = False
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        if existing is not None:
            if hasattr(os, "fchown"):
                try:
                    os.fchown(fd, existing.st_uid, existing.st_gid)
                except OSError:
                    pass  # only root (or a group member) may; the mode still carries over
            if hasattr(os, "fchmod"):
                os.fchmod(fd, stat.S_IMODE(existing.st_mode))
            else:  # pragma: no cover - Windows
                os.chmod(temporary, stat.S_IMODE(existing.st_mode))
        handle = os.fdopen(fd, "wb", closefd=False)
        with handle:
            write(handle)
            handle.flush()
            os.fsync(fd)
        if sys.platform == "win32":  # pragma: no cover - Windows cannot rename an open file
            os.close(fd)
            fd = -1
        # The lock is held until the rename: a concurrent save's clean-up
        # must not take this file for a dead one's.
        os.replace(temporary, real)
        replaced = True
        _sync_directory(directory)
    except BaseException:
        if not replaced:
            try:
                os.unlink(temporary)
            except OSError:
                pass
        raise
    finally:
        if fd >= 0:
            os.close(fd)


def _sync_directory(directory: str) -> None:
    """Flush the rename to disk (POSIX); best effort."""
    if not hasattr(os, "O_DIRECTORY"):  # pragma: no cover - Windows
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def as_path(path: Any) -> str:
    """``path`` (a str or an ``os.PathLike``) as a str, or a clear error naming its type."""
    if not isinstance(path, (str, os.PathLike)):
        raise InvalidTypeError(f"path must be a str or os.PathLike, got {type(path).__name__}")
    return os.fsdecode(os.fspath(path))


def file_suffix(path: str, allowed: Collection[str]) -> str:
    """The lower-case suffix of ``path``, which must be one of ``allowed`` (it names the format)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in allowed:
        raise InvalidValueError(
            f"cannot tell the file format of {path!r} from its suffix {suffix or '(none)'!r}; "
            f"use one of {', '.join(allowed)}"
        )
    return suffix
