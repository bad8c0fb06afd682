"""Numerics shared by the HMM models and their cells: safe logs, softmax, log-sum-exp floors."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate as v

__all__ = []


# -- shared numerics and checks -------------------------------------------------------------------


def _softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(z) / sum exp(z)`` along ``axis``; ``-inf`` logits give exactly zero probability."""
    m = np.max(z, axis=axis, keepdims=True)  # finite: every slice has a finite logit (validated)
    e = np.exp(z - m)
    return e / e.sum(axis=axis, keepdims=True)


def _log_softmax(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """``z - logsumexp(z)`` along ``axis``; ``-inf`` stays ``-inf``."""
    m = np.max(z, axis=axis, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=axis, keepdims=True)))


def _log(p: np.ndarray) -> np.ndarray:
    """Natural log with ``log 0 = -inf`` exactly (structural zeros), no warning."""
    with np.errstate(divide="ignore"):
        return np.log(p)


def _logits(name: str, value: Any, shape: tuple[int | None, ...]) -> np.ndarray:
    """Softmax logits: real or ``-inf`` (probability zero), with a finite logit in every softmax."""
    arr = v.as_float_array(name, value)
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        raise v.DimensionError(f"{name} must have shape {v.shape_str(shape)}; got shape {v.shape_str(arr.shape)}")
    if arr.shape[-1] == 0 or arr.shape[0] == 0:
        raise v.DimensionError(f"{name} must hold at least one state and symbol; got shape {v.shape_str(arr.shape)}")
    bad = np.isnan(arr) | (arr == np.inf)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(
            f"{name} must hold real logits or -inf (probability zero); got {arr[idx].item()!r} at index {idx}"
        )
    dead = ~np.isfinite(arr).any(axis=0)
    if np.any(dead):
        if arr.ndim == 1:
            raise ValueError(f"{name} is all -inf: its softmax is undefined (every probability would be zero)")
        j = int(np.argmax(dead))
        raise ValueError(
            f"{name} column {j} is all -inf: softmax({name}[:, {j}]) is undefined (state {j} would have no outcome)"
        )
    return arr


def _is_start(sa: np.ndarray) -> np.ndarray:
    """Rows that are exactly zero: the flag "before the first step" of the simplex cells, shape (..., 1)."""
    return ~sa.any(axis=-1, keepdims=True)


def _freeze_all(obj: Any, **arrays: np.ndarray) -> None:
    for name, arr in arrays.items():
        object.__setattr__(obj, name, v.freeze(arr))
