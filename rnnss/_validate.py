"""The one place for argument checks: shapes, finiteness, symmetry/PSD, integers, random generators."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .exceptions import DimensionError

# Relative tolerance for "symmetric" and "positive semi-definite": a covariance assembled in
# floating point (e.g. ``L @ L.T``) is symmetric only to a few ulps of its largest entry.
SYMMETRY_RTOL = 1e-10


def shape_str(shape: tuple[Any, ...]) -> str:
    """A shape as the messages print it: ``(3, ?)``, ``(4,)``."""
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def check_instance(value: Any, cls: type | tuple[type, ...], name: str, what: str | None = None) -> Any:
    """Return ``value`` if it is an instance of ``cls``; else ``TypeError`` naming the argument and both types.

    ``what`` overrides the description of the expected type, article included (default ``a rnnss.<ClassName>``).
    """
    if not isinstance(value, cls):
        if what is None:
            classes = cls if isinstance(cls, tuple) else (cls,)
            what = "a " + " or ".join(f"rnnss.{c.__name__}" for c in classes)
        raise TypeError(f"{name} must be {what}; got {type(value).__name__}")
    return value


def as_bool(name: str, value: Any, *, allow_none: bool = False) -> Any:
    """A flag: ``True``/``False`` (or NumPy booleans) only, so ``"False"`` or ``0.5`` is refused, not read as true.

    With ``allow_none``, ``None`` (the "decide for me" default of options like ``progress``) passes through.
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if value is None and allow_none:
        return None
    expected = "True, False or None" if allow_none else "True or False"
    raise TypeError(f"{name} must be {expected}; got {value!r} of type {type(value).__name__}")


def as_choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    """One of the allowed ``choices`` (compared with ``==``); ``ValueError`` listing them otherwise."""
    if isinstance(value, (str, int, float, type(None))) and value in choices and not isinstance(value, bool):
        return value
    listed = ", ".join(repr(c) for c in choices)
    raise ValueError(f"{name} must be one of {listed}; got {value!r}")


def as_float_array(name: str, value: Any) -> np.ndarray:
    """Convert ``value`` to a new float64 array, raising ``TypeError`` for non-numeric input."""
    if value is None:
        raise TypeError(f"{name} must be an array of real numbers; got None")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be an array of real numbers; got {type(value).__name__}")
    try:
        arr = np.array(value)
    except ValueError as exc:  # ragged nested lists
        raise DimensionError(f"{name} must be a rectangular array; got a ragged sequence ({exc})") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise TypeError(f"{name} must be an array of real numbers; got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real; got complex dtype {arr.dtype}")
    return arr.astype(np.float64, copy=True)


def check_finite(name: str, arr: np.ndarray, *, allow_nan: bool = False) -> None:
    """Raise ``ValueError`` if ``arr`` holds inf (or NaN, unless ``allow_nan``)."""
    bad = np.isinf(arr) if allow_nan else ~np.isfinite(arr)
    if bad.any():
        idx = tuple(int(i) for i in np.argwhere(bad)[0])
        what = "infinite" if allow_nan else "non-finite"
        raise ValueError(f"{name} must be finite; got {what} value {arr[idx].item()!r} at index {idx}")


def as_matrix(name: str, value: Any, shape: tuple[int | None, int | None], *, allow_scalar: bool = False) -> np.ndarray:
    """A finite float matrix of the given shape (``None`` = any size on that axis).

    With ``allow_scalar`` a 0-d value ``s`` is read as ``s * I`` (only for square shapes).
    """
    arr = as_float_array(name, value)
    if arr.ndim == 0 and allow_scalar and shape[0] is not None and shape[0] == shape[1]:
        arr = arr * np.eye(shape[0])
    if arr.ndim != 2 or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        raise DimensionError(f"{name} must have shape {shape_str(shape)}; got shape {shape_str(arr.shape)}")
    check_finite(name, arr)
    return arr


def as_square(name: str, value: Any, *, allow_scalar: bool = True) -> np.ndarray:
    """A finite square float matrix; a 0-d scalar is read as a 1x1 matrix when allowed."""
    arr = as_float_array(name, value)
    if arr.ndim == 0 and allow_scalar:
        arr = arr.reshape(1, 1)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise DimensionError(f"{name} must be a square matrix with shape (n, n); got shape {shape_str(arr.shape)}")
    check_finite(name, arr)
    return arr


def as_vector(name: str, value: Any, length: int | None) -> np.ndarray:
    """A finite float vector of the given length (``None`` = any length)."""
    arr = as_float_array(name, value)
    if arr.ndim != 1 or (length is not None and arr.shape[0] != length):
        raise DimensionError(f"{name} must have shape {shape_str((length,))}; got shape {shape_str(arr.shape)}")
    check_finite(name, arr)
    return arr


def as_psd(name: str, value: Any, n: int, *, allow_scalar: bool = True) -> np.ndarray:
    """A symmetric positive semi-definite ``(n, n)`` matrix, symmetrised exactly on return.

    A 0-d ``s`` is read as ``s * I``. Symmetry and the smallest eigenvalue are judged relative to
    the largest absolute entry (tolerance :data:`SYMMETRY_RTOL`), so covariances built in floating
    point pass while a genuinely indefinite matrix is refused with its smallest eigenvalue.
    """
    arr = as_matrix(name, value, (n, n), allow_scalar=allow_scalar)
    scale = max(float(np.max(np.abs(arr), initial=0.0)), np.finfo(float).tiny)
    asym = float(np.max(np.abs(arr - arr.T), initial=0.0))
    if asym > SYMMETRY_RTOL * scale:
        raise ValueError(
            f"{name} must be symmetric positive semi-definite with shape ({n}, {n}); "
            f"got a non-symmetric matrix (max |{name} - {name}.T| = {asym:.3g})"
        )
    with np.errstate(over="ignore"):
        sym = 0.5 * (arr + arr.T)
    if not np.isfinite(sym).all():  # entries near the float64 limit: halve first (still exactly symmetric)
        sym = 0.5 * arr + 0.5 * arr.T
    if n:
        lam_min = float(np.linalg.eigvalsh(sym)[0])
        if lam_min < -SYMMETRY_RTOL * scale * n:
            raise ValueError(
                f"{name} must be symmetric positive semi-definite with shape ({n}, {n}); "
                f"got shape ({n}, {n}) with min eigenvalue {lam_min:.3g}"
            )
    return sym


def as_int(name: str, value: Any, *, minimum: int | None = None) -> int:
    """An integer (bools refused) no smaller than ``minimum``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer; got {value!r} of type {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value}")
    return value


def as_float(name: str, value: Any, *, positive: bool = False, nonnegative: bool = False) -> float:
    """A finite real scalar, optionally required to be positive or non-negative."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a real number; got {value!r} of type {type(value).__name__}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0; got {value}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0; got {value}")
    return value


def as_rng(rng: Any, name: str = "rng") -> np.random.Generator:
    """A :class:`numpy.random.Generator` from a Generator, a non-negative integer seed, a SeedSequence or None.

    ``name`` is the caller's argument (``rng``, ``seed``) for the messages.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    expected = "a numpy Generator, a non-negative integer seed or None"
    if isinstance(rng, (bool, np.bool_)):
        raise TypeError(f"{name} must be {expected}; got {rng!r}")
    if isinstance(rng, (numbers.Integral, np.integer)):
        if rng < 0:
            raise ValueError(f"{name} must be {expected}; got {rng}")
        return np.random.default_rng(int(rng))
    if rng is None or isinstance(rng, np.random.SeedSequence):
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be {expected}; got {rng!r} of type {type(rng).__name__}")


def as_sequence(
    name: str, value: Any, dim: int, *, allow_nan: bool = False, steps: int | None = None
) -> tuple[np.ndarray, bool]:
    """Read a sequence argument as a float array of shape ``(batch, T, dim)``.

    Accepted layouts: ``(T, dim)`` for one sequence, ``(batch, T, dim)`` for a batch (batch first),
    and ``(T,)`` when ``dim == 1``. Returns the 3-D array and whether the input was batched.
    ``steps`` (if given) is the required ``T``.
    """
    arr = as_float_array(name, value)
    layouts = f"(T, {dim})" + (" or (T,)" if dim == 1 else "") + f" or (batch, T, {dim})"
    if arr.ndim == 1 and dim == 1:
        arr = arr[:, None]
    if arr.ndim == 2 and arr.shape[1] == dim:
        arr, batched = arr[None], False
    elif arr.ndim == 3 and arr.shape[2] == dim:
        batched = True
    else:
        raise DimensionError(f"{name} must have shape {layouts}; got shape {shape_str(arr.shape)}")
    if steps is not None and arr.shape[1] != steps:
        raise DimensionError(
            f"{name} must have T = {steps} time steps on axis {1 if batched else 0}; got {arr.shape[1]}"
        )
    if arr.shape[1] < 1:
        raise ValueError(f"{name} must hold at least one time step; got T = 0")
    check_finite(name, arr, allow_nan=allow_nan)
    return arr, batched


#: Rows of a transition or emission matrix (and the initial distribution) must sum to one within this
#: absolute tolerance: probabilities printed to 8-9 significant digits pass, a typo does not.
STOCHASTIC_ATOL = 1e-8

# Rows whose sum is within this of one are kept bit for bit (a sum of K floats is off by a few ulps);
# rows further off (but within STOCHASTIC_ATOL) are divided by their sum. After that division a row
# sums to one within a few ulps, so validating it again changes nothing: save/load and
# dataclasses.replace keep the arrays exactly.
SUM_ROUNDING = 1e-13


def as_stochastic(name: str, value: Any, shape: tuple[int | None, ...]) -> np.ndarray:
    """A probability vector (1-D shape) or row-stochastic matrix (2-D shape), validated and normalised.

    Entries must be finite and non-negative and every row must sum to one within
    :data:`STOCHASTIC_ATOL`; rows off by more than rounding are then divided by their sum, so every
    algorithm sees an exact distribution.
    """
    arr = as_float_array(name, value)
    if arr.ndim != len(shape) or any(s is not None and s != a for s, a in zip(shape, arr.shape)):
        raise DimensionError(f"{name} must have shape {shape_str(shape)}; got shape {shape_str(arr.shape)}")
    if arr.shape[-1] == 0:
        what = "state" if name in ("pi", "A") else "symbol"
        raise DimensionError(f"{name} must hold at least one {what}; got shape {shape_str(arr.shape)}")
    check_finite(name, arr)
    if (arr < 0).any():
        idx = tuple(int(i) for i in np.argwhere(arr < 0)[0])
        raise ValueError(
            f"{name} must hold probabilities (non-negative); "
            f"got {name}[{', '.join(map(str, idx))}] = {arr[idx].item()!r}"
        )
    sums = arr.sum(axis=-1)
    off = np.abs(sums - 1.0)
    if (off > STOCHASTIC_ATOL).any():
        if arr.ndim == 1:
            raise ValueError(f"{name} must sum to one (within {STOCHASTIC_ATOL:g}); got sum {sums.item():.12g}")
        i = int(np.argmax(off))
        raise ValueError(
            f"{name} must be row-stochastic: every row sums to one (within {STOCHASTIC_ATOL:g}); "
            f"row {i} sums to {sums[i]:.12g}"
        )
    rescale = off > SUM_ROUNDING
    if rescale.any():
        if arr.ndim == 1:
            arr /= sums
        else:
            arr[rescale] /= sums[rescale, None]
    return arr


def ndim(value: Any) -> int:
    """``np.ndim`` that reads a ragged nested sequence as (at least) 2-D instead of raising."""
    try:
        return int(np.ndim(value))
    except ValueError:
        return 2


def as_symbols(name: str, value: Any, n_symbols: int) -> np.ndarray:
    """One sequence of categorical observations: a 1-D integer array with entries in ``[0, n_symbols)``."""
    if isinstance(value, (str, bytes)) or value is None:
        raise TypeError(f"{name} must be a sequence of integer symbols; got {type(value).__name__}")
    try:
        arr = np.asarray(value)
    except ValueError as exc:  # ragged nested lists
        raise DimensionError(
            f"{name} must be a 1-D sequence of integer symbols, shape (T,); got a ragged sequence ({exc})"
        ) from None
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise TypeError(f"{name} must hold integer symbols in [0, {n_symbols}); got dtype {arr.dtype}")
    if arr.ndim != 1:
        hint = (
            ": for several sequences pass a list of 1-D sequences; for hmmlearn's (T, 1) layout pass y.ravel()"
            if arr.ndim == 2
            else ""
        )
        raise DimensionError(
            f"{name} must be a 1-D sequence of integer symbols, shape (T,); got shape {shape_str(arr.shape)}{hint}"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name} must hold at least one time step; got T = 0")
    if arr.dtype.kind == "f":
        bad = ~np.isfinite(arr) | (arr != np.round(arr))
        if bad.any():
            i = int(np.argmax(bad))
            raise ValueError(
                f"{name} must hold integer symbols in [0, {n_symbols}); got {name}[{i}] = {arr[i].item()!r}"
            )
    out = arr.astype(np.intp)
    bad = (out < 0) | (out >= n_symbols)
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"{name} must hold symbols in [0, {n_symbols}) (the model has {n_symbols} symbols); "
            f"got {name}[{i}] = {arr[i].item()!r}"
        )
    return out


def as_symbol_sequences(name: str, value: Any, n_symbols: int) -> tuple[list[np.ndarray], bool]:
    """One sequence or a list of sequences of symbols; returns the sequences and whether there were many."""
    if isinstance(value, (list, tuple)) and len(value) > 0:
        kinds = {ndim(e) >= 1 for e in value}
        if kinds == {True}:
            return [as_symbols(f"{name}[{i}]", e, n_symbols) for i, e in enumerate(value)], True
        if len(kinds) == 2:
            raise TypeError(f"{name} mixes symbols and sequences: pass one sequence of symbols or a list of sequences")
    return [as_symbols(name, value, n_symbols)], False


def as_observations_and_inputs(
    y: Any, n_outputs: int, x: Any, n_inputs: int, *, owner: str = "this network"
) -> tuple[np.ndarray, np.ndarray, bool]:
    """``y`` as ``(batch, T, m)`` (NaN = missing), ``x`` as ``(batch, T, p)``, and whether the caller batched.

    An unbatched ``x`` is shared by a batch of ``y``; ``x`` is required when ``n_inputs > 0`` and must be
    finite.
    """
    ys, batched = as_sequence("y", y, n_outputs, allow_nan=True)
    nb, T, _ = ys.shape
    if x is None:
        if n_inputs:
            raise ValueError(f"x is required: {owner} has p = {n_inputs} inputs")
        return ys, np.zeros((nb, T, 0)), batched
    xs, xb = as_sequence("x", x, n_inputs, steps=T)
    if xb and xs.shape[0] != nb:
        raise DimensionError(f"x holds {xs.shape[0]} sequences but y holds {nb}")
    return ys, np.broadcast_to(xs, (nb, T, n_inputs)), batched or xb


def freeze(arr: np.ndarray) -> np.ndarray:
    """Mark an array read-only so a frozen model cannot be changed in place."""
    arr.setflags(write=False)
    return arr
