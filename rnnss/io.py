"""Saving and loading models: a versioned, validated ``.npz``/``.json`` format, round-trip exact, never pickled."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from . import _validate as v
from ._model import MODEL_REGISTRY as _REGISTRY
from .datafiles import atomic_write, check_output_path
from .exceptions import FileFormatError

__all__ = ["save", "load"]

#: The version of the file layout that :func:`save` writes and :func:`load` reads.
#:
#: Version 1: a JSON object ``{"rnnss_model": <class name>, "format_version": 1, "fields": {...}}``
#: (the whole ``.json`` file, or the ``__meta__`` entry of an ``.npz`` archive). Each field is
#: ``null``, a boolean, a number, a string, an array ``{"__array__": <nested list> (JSON) or <name of
#: the .npz entry>, "shape": [...], "dtype": "<f8"}``, a sequence ``{"__seq__": [...], "tuple": bool}``
#: or a nested model ``{"__model__": <class name>, "fields": {...}}``.
FORMAT_VERSION = 1

_READABLE_VERSIONS = (1,)
_MAX_DEPTH = 32  # nesting of models and sequences in one file
_MAX_NDIM = 32  # dimensions of one array (NumPy's limit is 64)
# Array element types a file may hold: real floats up to double, integers and booleans. Anything else
# (complex, object, strings, structured, long double) is refused rather than converted.
_FLOAT_SIZES = (2, 4, 8)


# -- writing ----------------------------------------------------------------------------------------


def _fields(model: Any) -> dict[str, Any]:
    names = _field_names(type(model))
    out = model._save_fields() if hasattr(model, "_save_fields") else {k: getattr(model, k) for k in names}
    if set(out) != set(names):  # pragma: no cover - a class whose _save_fields disagrees with its fields
        raise TypeError(f"{type(model).__name__}._save_fields must return the init fields {names}; got {sorted(out)}")
    return out


def _field_names(cls: type) -> tuple[str, ...]:
    """The fields a file of ``cls`` must hold: every ``init`` field of the dataclass, none filled by default."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.init)


def _encode(name: str, value: Any, arrays: dict[str, np.ndarray] | None, depth: int = 0) -> Any:
    """JSON-able form of a field value; arrays go inline (JSON) or to ``arrays`` (npz, keyed by ``name``)."""
    if depth > _MAX_DEPTH:
        raise TypeError(f"cannot save field {name!r}: models and sequences nest deeper than {_MAX_DEPTH} levels")
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiub" or (value.dtype.kind == "f" and value.dtype.itemsize not in _FLOAT_SIZES):
            raise TypeError(f"cannot save field {name!r}: arrays of dtype {value.dtype} are not supported")
        if value.ndim > _MAX_NDIM:
            raise TypeError(f"cannot save field {name!r}: arrays with more than {_MAX_NDIM} dimensions")
        head = {"shape": list(value.shape), "dtype": value.dtype.str}
        if arrays is not None:
            arrays[name] = value
            return {"__array__": name, **head}
        # float -> Python float keeps the shortest repr that round-trips exactly.
        return {"__array__": value.tolist(), **head}
    if type(value).__name__ in _REGISTRY and _REGISTRY[type(value).__name__] is type(value):
        fields = _fields(value)
        return {
            "__model__": type(value).__name__,
            "fields": {k: _encode(f"{name}.{k}", val, arrays, depth + 1) for k, val in fields.items()},
        }
    if isinstance(value, (list, tuple)):
        return {
            "__seq__": [_encode(f"{name}.{i}", x, arrays, depth + 1) for i, x in enumerate(value)],
            "tuple": isinstance(value, tuple),
        }
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value.item() if isinstance(value, np.generic) else value
    raise TypeError(
        f"cannot save field {name!r} of type {type(value).__name__}: only arrays, numbers, strings, rnnss models "
        "and lists of them are saveable (a custom activation or read-out function, for instance, is not)"
    )


def _format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        return v.as_choice("fmt", fmt, ("npz", "json"))
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ("npz", "json"):
        raise ValueError(f"cannot tell the file format of {str(path)!r}: use a .npz or .json suffix or pass fmt")
    return fmt


def save(model: Any, path: str | os.PathLike, *, fmt: str | None = None) -> None:
    """Write a model (LinearRNN, VARMA, HMM, a cell, a NoisyCell, ...) to ``path``, atomically.

    Parameters
    ----------
    model : a registered rnnss model
        Any model class decorated with :func:`register_model`; fields may hold other registered models
        (a :class:`~rnnss.NoisyCell` holds its cell).
    path : str or path-like
        Destination; the suffix ``.npz`` or ``.json`` picks the format unless ``fmt`` is given.
    fmt : {"npz", "json"}, optional
        Force a format.

    Raises
    ------
    TypeError
        If ``model`` is not a registered model or holds an unsaveable value (a Python callable).
    ValueError
        If the format cannot be told from the suffix.
    OSError
        If the file cannot be written; an existing file is then left as it was.

    Notes
    -----
    Both formats are exact: ``.npz`` stores the binary arrays, ``.json`` stores floats by their
    shortest round-trip representation. Each file records the model's class name and the format
    version (``rnnss.io.FORMAT_VERSION``), so :func:`load` needs no hint. The file is written to a
    temporary file in the same folder and renamed over ``path`` only when complete
    (:func:`rnnss.atomic_write`): a failure or a killed process never leaves a half-written model.

    Examples
    --------
    >>> import os, tempfile
    >>> import rnnss
    >>> rnn = rnnss.LinearRNN(W=[[0.5]], Q=[[1.0]])
    >>> path = os.path.join(tempfile.mkdtemp(), "rnn.json")
    >>> rnnss.save(rnn, path)
    >>> rnnss.load(path) == rnn
    True
    """
    cls_name = type(model).__name__
    if _REGISTRY.get(cls_name) is not type(model):
        raise TypeError(f"model must be an rnnss model ({', '.join(sorted(_REGISTRY))}); got {cls_name}")
    path = Path(path)
    fmt = _format(path, fmt)
    check_output_path(path, what="model file")
    arrays: dict[str, np.ndarray] | None = {} if fmt == "npz" else None
    meta = {
        "rnnss_model": cls_name,
        "format_version": FORMAT_VERSION,
        "fields": {k: _encode(k, val, arrays) for k, val in _fields(model).items()},
    }
    if fmt == "json":
        with atomic_write(path, "w") as fh:
            fh.write(json.dumps(meta, indent=1))
    else:
        assert arrays is not None
        with atomic_write(path, "wb") as fh:  # an open handle also keeps numpy from appending ".npz"
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)


# -- reading ----------------------------------------------------------------------------------------


class _Reader:
    """Decodes one file's JSON tree into model fields, refusing anything ``save`` would not have written."""

    def __init__(self, path: Path, arrays: dict[str, np.ndarray] | None):
        self.path = path
        self.arrays = arrays
        self.used: set[str] = set()

    def fail(self, problem: str) -> FileFormatError:
        return FileFormatError(f"cannot load {str(self.path)!r}: {problem}", str(self.path))

    def model(self, name: Any, fields: Any, where: str, depth: int) -> Any:
        at = f"{where}: " if where else ""
        if not isinstance(name, str):
            raise self.fail(f"{at}the model class must be a string; got {_kind(name)}")
        cls = _REGISTRY.get(name)
        if cls is None:
            raise self.fail(
                f"{at}unknown model class {name!r} (known: {', '.join(sorted(_REGISTRY))}); "
                "a newer rnnss may have written it"
            )
        if not isinstance(fields, dict):
            raise self.fail(f"{at}'fields' must be an object of named fields; got {_kind(fields)}")
        expected = _field_names(cls)
        missing = [k for k in expected if k not in fields]
        if missing:
            raise self.fail(
                f"{at}every {name} holds the fields {', '.join(expected)}; "
                f"{', '.join(map(repr, missing))} {'is' if len(missing) == 1 else 'are'} missing "
                "(a missing field is never filled with a default)"
            )
        unknown = [k for k in fields if k not in expected]
        if unknown:
            raise self.fail(f"{at}unknown field(s) {', '.join(map(repr, unknown))} for a {name}")
        prefix = f"{where}." if where else ""
        values = {k: self.value(fields[k], f"{prefix}{k}", depth + 1) for k in expected}
        try:
            return cls._from_saved(values) if hasattr(cls, "_from_saved") else cls(**values)
        except (ValueError, TypeError, ArithmeticError) as exc:
            message = " ".join(str(exc).split())
            raise self.fail(f"{at}the fields do not make a valid {name}: {message}") from None

    def value(self, value: Any, where: str, depth: int) -> Any:
        if depth > _MAX_DEPTH:
            raise self.fail(f"{where}: models and sequences nest deeper than {_MAX_DEPTH} levels")
        if value is None or isinstance(value, (bool, str, int, float)):
            return value
        if isinstance(value, list):
            raise self.fail(
                f"{where} is a bare list; arrays are written as "
                '{"__array__": [...], "shape": [...], "dtype": "<f8"} and sequences as '
                '{"__seq__": [...], "tuple": false}'
            )
        if not isinstance(value, dict):  # pragma: no cover - JSON has no other types
            raise self.fail(f"{where} has an unsupported type {_kind(value)}")
        if "__array__" in value:
            return self.array(value, where)
        if "__seq__" in value:
            _exact_keys(self, value, ("__seq__", "tuple"), where)
            items, is_tuple = value["__seq__"], value["tuple"]
            if not isinstance(items, list) or not isinstance(is_tuple, bool):
                raise self.fail(f"{where}: a sequence needs a list '__seq__' and a boolean 'tuple'")
            out = [self.value(x, f"{where}.{i}", depth + 1) for i, x in enumerate(items)]
            return tuple(out) if is_tuple else out
        if "__model__" in value:
            _exact_keys(self, value, ("__model__", "fields"), where)
            return self.model(value["__model__"], value["fields"], where, depth)
        raise self.fail(f"{where} is an object with keys {sorted(value)}; expected an array, a sequence or a model")

    def array(self, entry: dict[str, Any], where: str) -> np.ndarray:
        ref = entry["__array__"]
        if isinstance(ref, str):  # an .npz entry; shape and dtype, when recorded, must match it
            if self.arrays is None:
                raise self.fail(f"{where} refers to an array {ref!r} stored outside a JSON file")
            _exact_keys(self, entry, ("__array__", "shape", "dtype"), where, optional=("shape", "dtype"))
            if ref not in self.arrays:
                raise self.fail(f"{where} refers to the array {ref!r}, which the archive does not hold")
            if ref in self.used:
                raise self.fail(f"{where} refers to the array {ref!r} a second time")
            self.used.add(ref)
            arr = self.arrays[ref]
            self.dtype(arr.dtype.str, f"{where} (array {ref!r})")
            if "shape" in entry and self.shape(entry["shape"], where) != arr.shape:
                raise self.fail(f"{where}: the array {ref!r} has shape {arr.shape}; the file declares {entry['shape']}")
            if "dtype" in entry and self.dtype(entry["dtype"], where) != arr.dtype:
                raise self.fail(f"{where}: the array {ref!r} has dtype {arr.dtype}; the file declares {entry['dtype']}")
            return arr
        _exact_keys(self, entry, ("__array__", "shape", "dtype"), where)
        shape = self.shape(entry["shape"], where)
        dtype = self.dtype(entry["dtype"], where)
        flat: list[Any] = []
        self.collect(ref, shape, 0, where, flat)
        return self.convert(flat, shape, dtype, where)

    def shape(self, shape: Any, where: str) -> tuple[int, ...]:
        if (
            not isinstance(shape, list)
            or len(shape) > _MAX_NDIM
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
        ):
            raise self.fail(
                f"{where}: 'shape' must be a list of at most {_MAX_NDIM} non-negative integers; got {shape!r}"
            )
        return tuple(shape)

    def dtype(self, spec: Any, where: str) -> np.dtype:
        try:
            dtype = np.dtype(spec) if isinstance(spec, str) else None
        except TypeError:
            dtype = None
        if (
            dtype is None
            or dtype.kind not in "fiub"
            or dtype.names is not None
            or dtype.subdtype is not None
            or (dtype.kind == "f" and dtype.itemsize not in _FLOAT_SIZES)
        ):
            raise self.fail(
                f"{where}: 'dtype' must name a real float (up to 64 bits), integer or boolean type; got {spec!r}"
            )
        return dtype

    def collect(self, node: Any, shape: tuple[int, ...], level: int, where: str, flat: list[Any]) -> None:
        """Check that ``node`` is a nested list of exactly ``shape`` and append its leaves to ``flat``."""
        if level == len(shape):
            if isinstance(node, list):
                raise self.fail(f"{where}: the nested lists are deeper than the declared shape {list(shape)}")
            flat.append(node)
            return
        if not isinstance(node, list) or len(node) != shape[level]:
            got = f"a list of {len(node)}" if isinstance(node, list) else _kind(node)
            raise self.fail(
                f"{where}: the data do not match the declared shape {list(shape)} "
                f"(axis {level} should hold {shape[level]} entries; got {got})"
            )
        for item in node:
            self.collect(item, shape, level + 1, where, flat)

    def convert(self, flat: list[Any], shape: tuple[int, ...], dtype: np.dtype, where: str) -> np.ndarray:
        """The leaves as an array of ``dtype``, refusing any leaf the type cannot hold exactly."""
        kind = dtype.kind
        for i, x in enumerate(flat):
            if kind == "b":
                ok = isinstance(x, bool)
            elif kind in "iu":
                ok = isinstance(x, int) and not isinstance(x, bool)
                if ok and not np.iinfo(dtype).min <= x <= np.iinfo(dtype).max:
                    raise self.fail(f"{where}: entry {i} ({x}) does not fit the declared dtype {dtype}")
            else:
                ok = isinstance(x, (int, float)) and not isinstance(x, bool)
                if ok and isinstance(x, int):
                    try:
                        exact = float(x) == x
                    except OverflowError:
                        exact = False
                    if not exact:
                        raise self.fail(f"{where}: entry {i} ({x}) is not exactly a float64 number")
            if not ok:
                expect = {"b": "true/false", "i": "integers", "u": "integers"}.get(kind, "numbers")
                raise self.fail(f"{where}: entry {i} is {_kind(x)}; an array of dtype {dtype} holds {expect}")
        if kind == "f":
            wide = np.array(flat, dtype=np.float64)
            arr = wide.astype(dtype)
            lost = ~((arr.astype(np.float64) == wide) | (np.isnan(wide) & np.isnan(arr)))
            if lost.any():
                i = int(np.argmax(lost))
                raise self.fail(f"{where}: entry {i} ({flat[i]!r}) is not exactly representable in dtype {dtype}")
        else:
            arr = np.array(flat, dtype=dtype)
        return arr.reshape(shape)


def _exact_keys(
    reader: _Reader, entry: dict[str, Any], keys: tuple[str, ...], where: str, optional: tuple = ()
) -> None:
    missing = [k for k in keys if k not in entry and k not in optional]
    extra = [k for k in entry if k not in keys]
    if missing or extra:
        parts = ([f"missing {', '.join(map(repr, missing))}"] if missing else []) + (
            [f"unexpected {', '.join(map(repr, extra))}"] if extra else []
        )
        raise reader.fail(f"{where}: malformed entry ({'; '.join(parts)})")


def _kind(x: Any) -> str:
    names = {type(None): "null", bool: "a boolean", int: "an integer", float: "a number", str: "a string"}
    if isinstance(x, list):
        return "a list"
    if isinstance(x, dict):
        return "an object"
    return names.get(type(x), type(x).__name__) + (f" ({x!r})" if isinstance(x, (bool, int, float, str)) else "")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, val in pairs:
        if k in out:
            raise ValueError(f"the key {k!r} appears twice in one object")
        out[k] = val
    return out


def _parse_json(text: str) -> Any:
    return json.loads(text, object_pairs_hook=_no_duplicates)


# Reading a corrupt zip or .npy can fail in many layers (zipfile, zlib, NumPy's header parser): each of
# these means "not a valid file" and becomes a FileFormatError.
_CORRUPT = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    ValueError,
    KeyError,
    OverflowError,
    NotImplementedError,
    RecursionError,
    UnicodeDecodeError,
    OSError,
)


def _read_npz(path: Path) -> tuple[Any, dict[str, np.ndarray]]:
    fail = _Reader(path, None).fail
    try:
        archive = zipfile.ZipFile(path)
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except _CORRUPT as exc:
        raise fail(f"not a readable .npz archive (not a zip file: {exc})") from None
    arrays: dict[str, np.ndarray] = {}
    with archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(set(names)) != len(names):
            raise fail("the archive holds two entries with the same name")
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise fail(f"the archive entry {info.filename!r} is not a .npy array")
            key = info.filename[: -len(".npy")]
            try:
                arrays[key] = _read_member(archive, info, fail)
            except FileFormatError:
                raise
            except _CORRUPT as exc:
                raise fail(f"the archive entry {info.filename!r} is corrupt ({type(exc).__name__}: {exc})") from None
    if "__meta__" not in arrays:
        raise fail("not an rnnss model file (an .npz archive without the '__meta__' entry rnnss.save writes)")
    meta = arrays.pop("__meta__")
    if meta.dtype.kind != "U" or meta.ndim != 0:
        raise fail(f"the '__meta__' entry must be a text scalar; got dtype {meta.dtype} and shape {meta.shape}")
    try:
        return _parse_json(str(meta)), arrays
    except (ValueError, RecursionError) as exc:
        raise fail(f"the '__meta__' entry is not valid JSON ({exc})") from None


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, fail: Any) -> np.ndarray:
    """One ``.npy`` entry, its header checked against the entry size before any data are read."""
    with archive.open(info) as fh:
        version = np.lib.format.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(fh)
        else:
            raise fail(f"the archive entry {info.filename!r} has an unsupported .npy version {version}")
        if dtype.hasobject:
            raise fail(f"the archive entry {info.filename!r} holds Python objects; rnnss files never do (no pickle)")
        if len(shape) > _MAX_NDIM:
            raise fail(f"the archive entry {info.filename!r} has {len(shape)} dimensions")
        nbytes = math.prod(shape) * dtype.itemsize
        header = fh.tell()
        if header + nbytes != info.file_size:
            raise fail(
                f"the archive entry {info.filename!r} declares shape {shape} and dtype {dtype} "
                f"({nbytes} bytes) but holds {info.file_size - header} bytes"
            )
        data = fh.read(nbytes)
        if len(data) != nbytes or fh.read(1):  # reading to the end checks the entry's CRC
            raise fail(f"the archive entry {info.filename!r} is truncated")
    if dtype.kind not in "fiubU" or dtype.names is not None or dtype.subdtype is not None:
        raise fail(f"the archive entry {info.filename!r} has unsupported dtype {dtype}")
    if dtype.kind == "f" and dtype.itemsize not in _FLOAT_SIZES:
        raise fail(f"the archive entry {info.filename!r} has unsupported dtype {dtype}")
    arr = np.frombuffer(data, dtype=dtype)
    return arr.reshape(shape, order="F" if fortran else "C").copy()


def load(path: str | os.PathLike, *, fmt: str | None = None) -> Any:
    """Read a model written by :func:`save`, checking every part of the file.

    The file must be what :func:`save` writes: a known ``format_version``, a registered model class,
    every field of that class present (none is filled with a default) and none unknown, arrays of real
    floats, integers or booleans whose data match their declared shape and dtype exactly. The model's
    own constructor then validates the values (shapes, finiteness, symmetry, ...). Nothing in a file
    is ever executed or unpickled.

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` or ``.json`` file.
    fmt : {"npz", "json"}, optional
        Force a format.

    Returns
    -------
    model
        An instance of the saved class, equal to the saved one field by field.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    FileFormatError
        (a ``ValueError``) if the file is corrupt, truncated, tampered with, of an unknown or newer
        format version, or does not describe a valid model; the message names the file and the problem.
    ValueError
        If the format cannot be told from the suffix.

    Examples
    --------
    >>> import os, tempfile
    >>> import rnnss
    >>> path = os.path.join(tempfile.mkdtemp(), "bad.json")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write('{"rnnss_model": "LinearRNN", "format_version": 9, "fields": {}}')
    >>> rnnss.load(path)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rnnss.exceptions.FileFormatError: cannot load '...bad.json': it was written in format_version 9; ... upgrade ...
    """
    path = Path(path)
    fmt = _format(path, fmt)
    if not path.exists():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    reader = _Reader(path, None)
    if fmt == "json":
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise reader.fail(f"not a readable rnnss model file (not UTF-8 text: {exc})") from None
        try:
            meta = _parse_json(text)
        except (ValueError, RecursionError) as exc:
            problem = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise reader.fail(f"not a readable rnnss model file (not valid JSON: {problem})") from None
    else:
        meta, reader.arrays = _read_npz(path)
    if not isinstance(meta, dict) or "rnnss_model" not in meta:
        raise reader.fail("not an rnnss model file (no 'rnnss_model' entry)")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise reader.fail(f"'format_version' must be an integer; got {_kind(version)}")
    if version not in _READABLE_VERSIONS:
        newer = version > max(_READABLE_VERSIONS)
        raise reader.fail(
            f"it was written in format_version {version}; this rnnss reads format_version "
            f"{', '.join(map(str, _READABLE_VERSIONS))}" + (": upgrade rnnss to read it" if newer else "")
        )
    extra = [k for k in meta if k not in ("rnnss_model", "format_version", "fields")]
    if extra:
        raise reader.fail(f"unexpected top-level entries {', '.join(map(repr, extra))}")
    try:
        model = reader.model(meta["rnnss_model"], meta.get("fields"), "", 0)
    except RecursionError:  # pragma: no cover - _MAX_DEPTH stops the recursion first
        raise reader.fail("nested too deeply") from None
    if reader.arrays is not None:
        unused = sorted(set(reader.arrays) - reader.used)
        if unused:
            raise reader.fail(f"the archive holds arrays no field refers to: {', '.join(map(repr, unused))}")
    return model
