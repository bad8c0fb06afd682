"""Training losses on read-out values - mean squared error and cross-entropy with logits - and their gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate as v

__all__ = ["mse_loss", "cross_entropy_loss"]

# Names of the losses rnnss.SequenceData accepts.
LOSSES: tuple[str, ...] = ("mse", "cross_entropy")


def _weights(mask: Any, shape: tuple[int, ...]) -> np.ndarray:
    """Non-negative weights of the scored positions (all ones without a mask), not all zero."""
    if mask is None:
        w = np.ones(shape)
    else:
        w = v.as_float_array("mask", mask)
        if w.shape != shape:
            raise v.DimensionError(f"mask must have shape {shape} (one weight per scored output); got {w.shape}")
        v.check_finite("mask", w)
        if np.any(w < 0):
            raise ValueError(f"mask must be non-negative (True/False or weights); got a minimum of {w.min():g}")
    if shape and not np.sum(w) > 0:
        raise ValueError("mask selects no output: the loss is a mean over the masked positions and needs at least one")
    return w


def mse_loss(outputs: Any, targets: Any, *, mask: Any = None) -> tuple[float, np.ndarray]:
    r"""Mean squared error and its gradient: ``L = sum_k w_k ||y_k - t_k||^2 / (m sum_k w_k)``.

    The mean runs over the ``m`` output components and over the positions ``k`` (sequences, steps)
    weighted by the mask: PyTorch's ``MSELoss()`` when there is no mask.

    Parameters
    ----------
    outputs : array_like, shape (..., m)
        Read-out values ``y``.
    targets : array_like, shape (..., m)
        Targets ``t``.
    mask : array_like, shape outputs.shape[:-1], optional
        Non-negative weights ``w`` of the positions (booleans select); default all ones.

    Returns
    -------
    loss : float
        ``L``.
    gradient : ndarray, shape (..., m)
        ``dL/dy = 2 w (y - t) / (m sum w)``.

    Raises
    ------
    DimensionError
        If the shapes disagree.
    ValueError
        If an entry is not finite or the mask is negative or all zero.

    Examples
    --------
    >>> import rnnss
    >>> loss, grad = rnnss.mse_loss([[1.0, 2.0]], [[0.0, 0.0]])
    >>> loss, grad
    (2.5, array([[1., 2.]]))
    """
    y = v.as_float_array("outputs", outputs)
    t = v.as_float_array("targets", targets)
    if y.ndim == 0 or y.shape != t.shape:
        raise v.DimensionError(f"outputs and targets must have the same shape (..., m); got {y.shape} and {t.shape}")
    v.check_finite("outputs", y)
    v.check_finite("targets", t)
    w = _weights(mask, y.shape[:-1])
    scale = y.shape[-1] * float(np.sum(w))
    r = y - t
    loss = float(np.sum(w * np.sum(r * r, axis=-1))) / scale
    return loss, (2.0 / scale) * w[..., None] * r


def cross_entropy_loss(logits: Any, labels: Any, *, mask: Any = None) -> tuple[float, np.ndarray]:
    r"""Cross-entropy of integer class labels under ``softmax(logits)``, and its gradient with respect to the logits.

    ``L = sum_k w_k (logsumexp(y_k) - y_{k, c_k}) / sum_k w_k``: the mean negative log-likelihood of the
    labels ``c_k`` (PyTorch's ``CrossEntropyLoss()`` without a mask). The log-sum-exp is shifted by the
    largest logit, so any finite logits work.

    Parameters
    ----------
    logits : array_like, shape (..., K)
        Read-out values ``y``, one per class.
    labels : array_like of int, shape logits.shape[:-1]
        Classes ``c_k`` in ``0 .. K-1``.
    mask : array_like, shape logits.shape[:-1], optional
        Non-negative weights ``w`` of the positions (booleans select); default all ones.

    Returns
    -------
    loss : float
        ``L`` in nats.
    gradient : ndarray, shape (..., K)
        ``dL/dy = w (softmax(y) - onehot(c)) / sum w``.

    Raises
    ------
    DimensionError
        If the shapes disagree.
    ValueError
        If a label is outside ``0 .. K-1``, an entry is not finite, or the mask is negative or all zero.
    TypeError
        If the labels are not integers.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> loss, grad = rnnss.cross_entropy_loss([[0.0, 0.0]], [1])
    >>> round(float(loss / np.log(2)), 12), grad  # two equal logits: ln 2 nats
    (1.0, array([[ 0.5, -0.5]]))
    """
    y = v.as_float_array("logits", logits)
    v.check_finite("logits", y)
    if y.ndim == 0 or y.shape[-1] < 1:
        raise v.DimensionError(f"logits must have shape (..., K) with K >= 1; got {y.shape}")
    c = labels_array("labels", labels, y.shape[-1])
    if c.shape != y.shape[:-1]:
        raise v.DimensionError(f"labels must have shape {y.shape[:-1]} (logits without the class axis); got {c.shape}")
    w = _weights(mask, c.shape)
    total = float(np.sum(w))
    shifted = y - np.max(y, axis=-1, keepdims=True)
    lse = np.log(np.sum(np.exp(shifted), axis=-1))
    picked = np.take_along_axis(shifted, c[..., None], axis=-1)[..., 0]
    loss = float(np.sum(w * (lse - picked))) / total
    grad = np.exp(shifted - lse[..., None])
    np.put_along_axis(grad, c[..., None], np.take_along_axis(grad, c[..., None], axis=-1) - 1.0, axis=-1)
    return loss, grad * (w[..., None] / total)


def labels_array(name: str, labels: Any, n_classes: int) -> np.ndarray:
    """Integer class labels in ``0 .. n_classes - 1`` as an int64 array."""
    arr = np.asarray(labels)
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or arr.size == 0):
        if (
            np.issubdtype(arr.dtype, np.floating)
            and arr.size
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels; got dtype {arr.dtype}")
    arr = arr.astype(np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n_classes):
        bad = arr[(arr < 0) | (arr >= n_classes)].flat[0]
        raise ValueError(f"{name} must lie in 0 .. {n_classes - 1} (one of {n_classes} classes); got {bad}")
    return arr


def apply_loss(
    kind: str, outputs: np.ndarray, targets: np.ndarray, mask: np.ndarray | None
) -> tuple[float, np.ndarray]:
    """The loss named ``kind`` (one of :data:`LOSSES`) on validated arrays."""
    return (mse_loss if kind == "mse" else cross_entropy_loss)(outputs, targets, mask=mask)
