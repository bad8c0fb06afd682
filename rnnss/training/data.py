"""Supervised sequence data for training: inputs, targets, the loss and where it is scored, in one validated record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .losses import LOSSES, labels_array

__all__ = ["SequenceData"]

_WHERE = ("last", "all")


@dataclass(frozen=True, eq=False, repr=False)
class SequenceData:
    """A batch of input sequences with their targets, the loss and the steps it is scored on.

    ``at="last"`` scores the read-out after the final step only (sequence classification or regression,
    e.g. the adding problem); ``at="all"`` scores every step, weighted by ``mask`` (sequence-to-sequence,
    e.g. the copy task). The loss is the mean over the scored positions (and output components for MSE).

    Parameters
    ----------
    x : array_like, shape (batch, T, p) or (T, p)
        Input sequences, batch first (a 2-D array is one sequence).
    y : array_like
        Targets. MSE: ``(batch, m)`` at the last step or ``(batch, T, m)`` at all steps (``(batch,)`` and
        ``(batch, T)`` are read as ``m = 1``). Cross-entropy: integer labels ``(batch,)`` or ``(batch, T)``.
    loss : {"mse", "cross_entropy"}
        Mean squared error of the read-out, or cross-entropy of the labels under ``softmax`` of the
        read-out (logits).
    at : {"last", "all"}
        Score the last step or every step.
    mask : array_like, shape (batch, T), optional
        With ``at="all"``: non-negative weights of the steps (booleans select). Default all ones.
    n_classes : int, optional
        Number of classes ``K`` for the cross-entropy (the read-out has ``K`` outputs); required there.
    baseline : float, optional
        The loss of the best constant prediction under the distribution that generated the data, when
        known (the task generators fill it in); training curves are read against it.
    name : str, optional
        A label for printing.

    Raises
    ------
    DimensionError
        If the shapes disagree.
    ValueError
        If the batch is empty, an entry is not finite, a label is out of range, ``mask`` is given with
        ``at="last"``, or the mask scores nothing.
    TypeError
        If labels are not integers or ``n_classes`` is missing for the cross-entropy.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> data = rnnss.SequenceData(np.zeros((4, 10, 2)), np.ones(4), loss="mse", at="last")
    >>> data
    SequenceData(4 sequences of T = 10, p = 2; mse on the last step, m = 1)
    """

    x: np.ndarray
    y: np.ndarray
    loss: str = "mse"
    at: str = "last"
    mask: np.ndarray | None = None
    n_classes: int | None = None
    baseline: float | None = None
    name: str = ""

    def __post_init__(self) -> None:
        x = v.as_float_array("x", self.x)
        if x.ndim == 2:
            x = x[None]
        if x.ndim != 3:
            raise v.DimensionError(f"x must have shape (batch, T, p) or (T, p); got shape {x.shape}")
        nb, T, _ = x.shape
        if nb == 0:
            raise ValueError("x holds no sequences (batch = 0): a loss needs at least one")
        if T == 0:
            raise ValueError("x must hold at least one time step; got T = 0")
        v.check_finite("x", x)
        loss = v.as_choice("loss", self.loss, LOSSES)
        at = v.as_choice("at", self.at, _WHERE)
        lead = (nb,) if at == "last" else (nb, T)
        if loss == "mse":
            if self.n_classes is not None:
                raise ValueError("n_classes is only used with loss='cross_entropy'")
            y = v.as_float_array("y", self.y)
            if y.shape == lead:
                y = y[..., None]
            if y.ndim != len(lead) + 1 or y.shape[:-1] != lead or y.shape[-1] == 0:
                raise v.DimensionError(
                    f"y must have shape {lead + ('m',)} (or {lead} for m = 1) for the MSE on "
                    f"{'the last step' if at == 'last' else 'every step'}; got shape {y.shape}"
                )
            v.check_finite("y", y)
        else:
            if self.n_classes is None:
                raise TypeError(
                    "n_classes is required with loss='cross_entropy' (the read-out has one output per class)"
                )
            k = v.as_int("n_classes", self.n_classes, minimum=2)
            object.__setattr__(self, "n_classes", k)
            y = labels_array("y", self.y, k)
            if y.shape != lead:
                raise v.DimensionError(
                    f"y must hold integer labels of shape {lead} for the cross-entropy on "
                    f"{'the last step' if at == 'last' else 'every step'}; got shape {y.shape}"
                )
        mask = None
        if self.mask is not None:
            if at == "last":
                raise ValueError("mask weights the steps of at='all'; with at='last' only the final step is scored")
            mask = v.as_float_array("mask", self.mask)
            if mask.shape != (nb, T):
                raise v.DimensionError(f"mask must have shape ({nb}, {T}); got shape {mask.shape}")
            v.check_finite("mask", mask)
            if np.any(mask < 0):
                raise ValueError(f"mask must be non-negative (True/False or weights); got a minimum of {mask.min():g}")
            if not np.sum(mask) > 0:
                raise ValueError("mask selects no step: the loss needs at least one scored step")
            mask = v.freeze(mask)
        baseline = None if self.baseline is None else v.as_float("baseline", self.baseline, nonnegative=True)
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string; got {type(self.name).__name__}")
        for name, val in (("x", v.freeze(x)), ("y", v.freeze(y)), ("loss", loss), ("at", at), ("mask", mask)):
            object.__setattr__(self, name, val)
        object.__setattr__(self, "baseline", baseline)

    @property
    def n_sequences(self) -> int:
        """Number of sequences in the batch."""
        return self.x.shape[0]

    @property
    def n_steps(self) -> int:
        """Sequence length ``T``."""
        return self.x.shape[1]

    @property
    def n_inputs(self) -> int:
        """Input size ``p``."""
        return self.x.shape[2]

    @property
    def n_outputs(self) -> int:
        """Read-out size the loss expects: ``m`` for the MSE, ``K`` classes for the cross-entropy."""
        return self.y.shape[-1] if self.loss == "mse" else int(self.n_classes)

    def __len__(self) -> int:
        return self.n_sequences

    def subset(self, index: Any) -> SequenceData:
        """The sequences selected by ``index`` (an integer array, slice or boolean mask over the batch).

        Parameters
        ----------
        index : array_like of int or bool, or slice
            Sequences to keep.

        Returns
        -------
        SequenceData
            Same loss, scoring and baseline.
        """
        idx = index if isinstance(index, slice) else np.asarray(index)
        return SequenceData(
            self.x[idx],
            self.y[idx],
            loss=self.loss,
            at=self.at,
            mask=None if self.mask is None else self.mask[idx],
            n_classes=self.n_classes,
            baseline=self.baseline,
            name=self.name,
        )

    def __repr__(self) -> str:
        where = "the last step" if self.at == "last" else "every step" + (" (masked)" if self.mask is not None else "")
        out = f"m = {self.n_outputs}" if self.loss == "mse" else f"K = {self.n_outputs} classes"
        label = f"{self.name}: " if self.name else ""
        return (
            f"SequenceData({label}{self.n_sequences} sequences of T = {self.n_steps}, p = {self.n_inputs}; "
            f"{self.loss} on {where}, {out})"
        )
