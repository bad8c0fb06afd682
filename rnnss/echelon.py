"""Echelon-form VARMA structures: the zero/one patterns and parameter counts fixed by a vector of Kronecker indices."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _validate as v

__all__ = ["EchelonStructure", "echelon_structure", "kronecker_candidates"]


def as_indices(value: Any, m: int | None = None) -> tuple[int, ...]:
    """A vector of Kronecker indices as a tuple of non-negative Python ints (length ``m`` if given)."""
    if isinstance(value, (str, bytes)) or np.ndim(value) != 1:
        raise TypeError(f"kronecker_indices must be a sequence of non-negative integers; got {value!r}")
    out = tuple(v.as_int(f"kronecker_indices[{i}]", x, minimum=0) for i, x in enumerate(value))
    if not out:
        raise v.DimensionError("kronecker_indices must have one entry per output (m >= 1); got an empty sequence")
    if m is not None and len(out) != m:
        raise v.DimensionError(f"kronecker_indices must have one entry per output, m = {m}; got {len(out)}: {out}")
    return out


def pij_matrix(indices: tuple[int, ...]) -> np.ndarray:
    """Lütkepohl's ``p_ki``: the number of free AR coefficients in row ``k``, column ``i`` of ``A(L)``."""
    p = np.array(indices)
    k, i = np.meshgrid(p, p, indexing="ij")  # k: row index's p_k, i: column index's p_i
    lower = np.tril(np.ones((len(p), len(p)), dtype=bool))  # row >= column
    return np.where(lower, np.minimum(k + 1, i), np.minimum(k, i))


@dataclass(frozen=True, repr=False)
class EchelonStructure:
    r"""The echelon form (ARMA\ :sub:`E`) fixed by a vector of Kronecker indices ``(p_1, ..., p_m)``.

    The echelon-form VARMA (Lütkepohl 2005, *New Introduction to Multiple Time Series Analysis*, Section
    12.1.2; Lütkepohl and Poskitt 1996, *JBES* 14, 69-79) is

    .. math::

        A_0 y_t = c + A_1 y_{t-1} + \dots + A_p y_{t-p} + A_0 \varepsilon_t + M_1 \varepsilon_{t-1}
                  + \dots + M_p \varepsilon_{t-p},\qquad p = \max_k p_k,

    with ``A_0`` lower triangular with unit diagonal (the MA operator starts with the same ``A_0``, so
    ``epsilon_t`` are the one-step prediction errors). Row ``k`` of ``A(L) = A_0 - A_1 L - ... - A_p L^p`` and
    of ``M(L) = A_0 + M_1 L + ... + M_p L^p`` has degree ``p_k``; entry ``(k, i)`` of ``A(L)`` (``k != i``)
    has free coefficients only at the ``p_ki`` lags ``p_k - p_ki + 1, ..., p_k``, where ``p_ki = min(p_k + 1,
    p_i)`` for ``k > i`` and ``min(p_k, p_i)`` for ``k < i``; the diagonal ``1 - a_kk,1 L - ... - a_kk,p_k
    L^{p_k}`` has ``p_k``. So ``A_0[k, i]`` (``k > i``) is free exactly when ``p_i > p_k``, and ``M_j[k, :]``
    is free for ``1 <= j <= p_k``. Every process whose Kronecker indices are ``(p_1, ..., p_m)`` has exactly
    one such representation (the form is identified), of McMillan degree ``sum p_k``.

    Attributes
    ----------
    kronecker_indices : tuple of int
        ``(p_1, ..., p_m)``.
    n_outputs : int
        ``m``.
    order : int
        ``p = max p_k``: the AR and MA orders.
    degree : int
        ``sum p_k``: the McMillan degree (dimension of the minimal innovations state space).
    pij : ndarray, shape (m, m)
        Lütkepohl's ``p_ki`` (free AR coefficients per entry of ``A(L)``, ``A_0`` included).
    a0_free : ndarray of bool, shape (m, m)
        Free entries of ``A_0`` (strictly below the unit diagonal, where ``p_i > p_k``).
    ar_free : ndarray of bool, shape (p, m, m)
        Free entries of ``A_1 .. A_p``; all others are zero.
    ma_free : ndarray of bool, shape (p, m, m)
        Free entries of ``M_1 .. M_p`` (rows ``k`` with ``j <= p_k``).
    n_params : int
        Free parameters: ``sum p_ki`` (AR, ``A_0`` included) ``+ m sum p_k`` (MA) ``+ m (m + 1) / 2``
        (``Sigma``) ``+ m`` (intercept, if ``trend``) ``+ m k`` (contemporaneous exogenous ``B_0``).
    trend : bool
        Whether the count includes an intercept.
    n_inputs : int
        ``k``, exogenous inputs counted (contemporaneous term only).
    """

    kronecker_indices: tuple
    n_outputs: int
    order: int
    degree: int
    pij: np.ndarray
    a0_free: np.ndarray
    ar_free: np.ndarray
    ma_free: np.ndarray
    n_params: int
    trend: bool
    n_inputs: int

    @property
    def n_coefficients(self) -> int:
        """Free AR and MA coefficients (``A_0`` included): ``sum p_ki + m sum p_k``."""
        return int(self.pij.sum()) + self.n_outputs * self.degree

    @property
    def is_standard(self) -> bool:
        """Whether ``A_0 = I`` and every AR/MA entry up to the order is free: the unrestricted VARMA(p, p)."""
        return len(set(self.kronecker_indices)) == 1

    def __repr__(self) -> str:
        return (
            f"EchelonStructure(kronecker_indices={self.kronecker_indices}: VARMA({self.order}, {self.order}) in "
            f"echelon form, McMillan degree {self.degree}, {self.n_params} free parameters)"
        )

    def summary(self) -> str:
        """The patterns as Lütkepohl prints them: ``1`` fixed one, ``0`` fixed zero, ``*`` free.

        Returns
        -------
        str
            ``repr`` followed by the patterns of ``A_0``, ``A_1 .. A_p`` and ``M_1 .. M_p``.
        """
        m = self.n_outputs

        def show(name: str, free: np.ndarray, unit: bool = False) -> list[str]:
            rows = []
            for r in range(m):
                cells = ["1" if unit and r == c else ("*" if free[r, c] else "0") for c in range(m)]
                rows.append("  " + " ".join(cells))
            return [f"{name} ="] + rows

        lines = [repr(self)]
        lines += show("A_0", self.a0_free, unit=True)
        for j in range(self.order):
            lines += show(f"A_{j + 1}", self.ar_free[j])
        for j in range(self.order):
            lines += show(f"M_{j + 1}", self.ma_free[j])
        return "\n".join(lines)


def echelon_structure(kronecker_indices: Any, *, trend: bool = True, n_inputs: int = 0) -> EchelonStructure:
    """The echelon form (zero/one patterns, orders, parameter count) of a vector of Kronecker indices.

    Parameters
    ----------
    kronecker_indices : sequence of int, length m
        ``(p_1, ..., p_m)``, each ``>= 0``.
    trend : bool, default True
        Count an intercept ``c`` (``m`` parameters).
    n_inputs : int, default 0
        Count a contemporaneous exogenous term ``B_0 x_t`` (``m k`` parameters).

    Returns
    -------
    EchelonStructure
        Patterns and counts; see its docstring for the rules (Lütkepohl 2005, Section 12.1.2).

    Raises
    ------
    TypeError, ValueError
        If the indices are not non-negative integers.

    Examples
    --------
    >>> import rnnss
    >>> s = rnnss.echelon_structure((1, 0))
    >>> print(s.summary())
    EchelonStructure(kronecker_indices=(1, 0): VARMA(1, 1) in echelon form, McMillan degree 1, 9 free parameters)
    A_0 =
      1 0
      * 1
    A_1 =
      * 0
      0 0
    M_1 =
      * *
      0 0
    """
    idx = as_indices(kronecker_indices)
    trend = v.as_bool("trend", trend)
    k = v.as_int("n_inputs", n_inputs, minimum=0)
    m, p = len(idx), max(idx)
    pij = pij_matrix(idx)
    pk = np.array(idx)
    a0_free = np.zeros((m, m), dtype=bool)
    ar_free = np.zeros((p, m, m), dtype=bool)
    ma_free = np.zeros((p, m, m), dtype=bool)
    for r in range(m):
        for c in range(m):
            for lag in range(pk[r] - pij[r, c] + 1, pk[r] + 1):  # the last p_rc lags of a degree-p_r row
                if lag == 0:
                    if r != c:
                        a0_free[r, c] = True
                else:
                    ar_free[lag - 1, r, c] = True
        ma_free[: pk[r], r, :] = True
    n_params = int(pij.sum()) + m * int(pk.sum()) + m * (m + 1) // 2 + (m if trend else 0) + m * k
    return EchelonStructure(
        idx,
        m,
        p,
        int(pk.sum()),
        v.freeze(pij),
        v.freeze(a0_free),
        v.freeze(ar_free),
        v.freeze(ma_free),
        n_params,
        trend,
        k,
    )


def kronecker_candidates(
    m: int, max_index: int, *, max_degree: int | None = None, trend: bool = True, n_inputs: int = 0
) -> tuple[EchelonStructure, ...]:
    """Every Kronecker-index vector with entries ``0 .. max_index``, with its echelon structure and parameter count.

    The search space of an order-selection routine over echelon forms (by AIC/BIC, say): fitting each with
    :func:`rnnss.fit_varma_rnn` ``(y, kronecker_indices=s.kronecker_indices)`` gives identified models whose
    likelihoods can be compared.

    Parameters
    ----------
    m : int
        Number of outputs (``>= 1``).
    max_index : int
        Largest Kronecker index (``>= 0``); there are ``(max_index + 1)^m`` vectors before ``max_degree``.
    max_degree : int, optional
        Keep only vectors with ``sum p_k <= max_degree`` (the McMillan degree).
    trend : bool, default True
        Count an intercept in ``n_params``.
    n_inputs : int, default 0
        Count a contemporaneous exogenous term in ``n_params``.

    Returns
    -------
    tuple of EchelonStructure
        Sorted by McMillan degree, then by the index vector.

    Raises
    ------
    TypeError, ValueError
        For non-integer or negative arguments.

    Examples
    --------
    >>> import rnnss
    >>> [(s.kronecker_indices, s.n_params) for s in rnnss.kronecker_candidates(2, 1)]
    [((0, 0), 5), ((0, 1), 8), ((1, 0), 9), ((1, 1), 13)]
    """
    m = v.as_int("m", m, minimum=1)
    top = v.as_int("max_index", max_index, minimum=0)
    cap = None if max_degree is None else v.as_int("max_degree", max_degree, minimum=0)
    vectors = [idx for idx in itertools.product(range(top + 1), repeat=m) if cap is None or sum(idx) <= cap]
    vectors.sort(key=lambda idx: (sum(idx), idx))
    return tuple(echelon_structure(idx, trend=trend, n_inputs=n_inputs) for idx in vectors)
