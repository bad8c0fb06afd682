"""Saving and loading models to plain ``.npz`` or ``.json`` files, round-trip exact."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ._model import MODEL_REGISTRY as _REGISTRY

__all__ = ["save", "load"]

FORMAT_VERSION = 1


def _fields(model: Any) -> dict[str, Any]:
    if hasattr(model, "_save_fields"):
        return model._save_fields()
    return {f.name: getattr(model, f.name) for f in dataclasses.fields(model) if f.init}


def _encode(name: str, value: Any, arrays: dict[str, np.ndarray] | None) -> Any:
    """JSON-able form of a field value; arrays go inline (JSON) or to ``arrays`` (npz)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiub":
            raise TypeError(f"cannot save field {name!r}: arrays of dtype {value.dtype} are not supported")
        if arrays is not None:
            arrays[name] = value
            return {"__array__": name}
        # float -> Python float keeps the shortest repr that round-trips exactly.
        return {"__array__": value.tolist(), "shape": list(value.shape), "dtype": value.dtype.str}
    if isinstance(value, (list, tuple)):
        return {
            "__seq__": [_encode(f"{name}.{i}", x, arrays) for i, x in enumerate(value)],
            "tuple": isinstance(value, tuple),
        }
    if _REGISTRY.get(type(value).__name__) is type(value):
        # A model inside a model (the cells of a Bidirectional): saved field by field under its own class name,
        # its arrays named by their path ("forward.W").
        return {
            "__model__": type(value).__name__,
            "fields": {k: _encode(f"{name}.{k}", val, arrays) for k, val in _fields(value).items()},
        }
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float, np.integer, np.floating)):
        return value.item() if isinstance(value, np.generic) else value
    raise TypeError(
        f"cannot save field {name!r} of type {type(value).__name__}: only arrays, numbers, strings and lists "
        "of them are saveable (a custom activation function, for instance, is not)"
    )


def _decode(value: Any, arrays: Any) -> Any:
    if isinstance(value, dict) and "__array__" in value:
        ref = value["__array__"]
        if isinstance(ref, str):
            return np.array(arrays[ref])
        return np.array(ref, dtype=np.dtype(value["dtype"])).reshape(value["shape"])
    if isinstance(value, dict) and "__seq__" in value:
        items = [_decode(x, arrays) for x in value["__seq__"]]
        return tuple(items) if value["tuple"] else items
    if isinstance(value, dict) and "__model__" in value:
        return _build(value["__model__"], {k: _decode(val, arrays) for k, val in value["fields"].items()})
    return value


def _build(cls_name: str, values: dict[str, Any]) -> Any:
    cls: Callable[..., Any] | None = _REGISTRY.get(cls_name)
    if cls is None:
        raise ValueError(f"the file holds an unknown model class {cls_name!r} inside the model")
    if hasattr(cls, "_from_saved"):
        return cls._from_saved(values)
    return cls(**values)


def _format(path: Path, fmt: str | None) -> str:
    fmt = fmt or path.suffix.lower().lstrip(".")
    if fmt not in ("npz", "json"):
        raise ValueError(f"cannot tell the file format of {str(path)!r}: use a .npz or .json suffix or pass fmt")
    return fmt


def save(model: Any, path: str | os.PathLike, *, fmt: str | None = None) -> None:
    """Write a model (LinearRNN, VARMA, HMM, a cell, ...) to ``path``.

    Parameters
    ----------
    model : a registered rnnss model
        Any model class decorated with :func:`register_model`.
    path : str or path-like
        Destination; the suffix ``.npz`` or ``.json`` picks the format unless ``fmt`` is given.
    fmt : {"npz", "json"}, optional
        Force a format.

    Raises
    ------
    TypeError
        If ``model`` is not a registered model or holds an unsaveable value.
    ValueError
        If the format cannot be told from the suffix.

    Notes
    -----
    Both formats are exact: ``.npz`` stores the binary arrays, ``.json`` stores floats by their
    shortest round-trip representation. Each file records the model's class name and the format
    version, so :func:`load` needs no hint. A model holding other models (a
    :class:`~rnnss.cells.Bidirectional` and its two cells) stores each inner model under its class name,
    its arrays named by their path (``forward.W``).
    """
    cls_name = type(model).__name__
    if _REGISTRY.get(cls_name) is not type(model):
        raise TypeError(f"model must be an rnnss model ({', '.join(sorted(_REGISTRY))}); got {cls_name}")
    path = Path(path)
    fmt = _format(path, fmt)
    arrays: dict[str, np.ndarray] | None = {} if fmt == "npz" else None
    meta = {
        "rnnss_model": cls_name,
        "format_version": FORMAT_VERSION,
        "fields": {k: _encode(k, val, arrays) for k, val in _fields(model).items()},
    }
    if fmt == "json":
        path.write_text(json.dumps(meta, indent=1))
    else:
        with open(path, "wb") as fh:  # an open handle keeps numpy from appending ".npz"
            np.savez(fh, __meta__=np.array(json.dumps(meta)), **arrays)


def load(path: str | os.PathLike, *, fmt: str | None = None) -> Any:
    """Read a model written by :func:`save`.

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
    ValueError
        If the file is not an rnnss model file or names an unknown model class.
    """
    path = Path(path)
    fmt = _format(path, fmt)
    try:
        if fmt == "json":
            meta, arrays = json.loads(path.read_text()), None
        else:
            arrays = dict(np.load(path, allow_pickle=False))
            meta = json.loads(str(arrays.pop("__meta__")))
    except (OSError, ValueError, KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ValueError(f"{str(path)!r} is not a readable rnnss model file: {exc}") from None
    if not isinstance(meta, dict) or "rnnss_model" not in meta:
        raise ValueError(f"{str(path)!r} is not an rnnss model file (no 'rnnss_model' entry)")
    if meta["rnnss_model"] not in _REGISTRY:
        raise ValueError(f"{str(path)!r} holds an unknown model class {meta['rnnss_model']!r}")
    values = {k: _decode(val, arrays) for k, val in meta["fields"].items()}
    return _build(meta["rnnss_model"], values)
