"""Kalman controllability and observability matrices and their scale-aware numerical rank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate as v
from ..exceptions import NumericalError
from ..linear import LinearRNN
from .common import EPS, driving, steps_or_n

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["NumericalRank", "controllability_matrix", "observability_matrix", "numerical_rank"]


# -- Kalman matrices and numerical rank --------------------------------------------------------------


def controllability_matrix(rnn: LinearRNN, steps: int | None = None, *, source: str = "input") -> np.ndarray:
    r"""The controllability (reachability) matrix ``[B, W B, ..., W^{N-1} B]``.

    Its range is the set of states reachable from ``h = 0`` in ``N`` steps (control theory's
    ``ctrb(A, B)``, with ``A = W``).

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Number of blocks ``N >= 1``; default ``n`` (the Cayley-Hamilton horizon: more blocks add no rank).
    source : {"input", "noise", "both"}
        What drives the state: ``B = U`` (inputs), ``B = Q^{1/2}`` (a square-root factor of the process
        noise, the pair the Kalman filter needs to be stabilisable) or ``B = [U, Q^{1/2}]``.

    Returns
    -------
    ndarray, shape (n, N * k)
        ``k`` the number of columns of ``B`` (``p`` for inputs, ``rank Q`` for noise).

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN or ``steps`` is not an integer.
    ValueError
        If ``steps < 1`` or ``source`` is unknown.
    NumericalError
        If the powers of ``W`` overflow (use :func:`pbh_test` or :func:`controllability_staircase`).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import controllability_matrix
    >>> rnn = rnnss.LinearRNN(W=[[0.0, 0.0], [1.0, 0.0]], U=[[1.0], [0.0]])  # a shift register
    >>> controllability_matrix(rnn)
    array([[1., 0.],
           [0., 1.]])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    blocks = [B]
    for _ in range(steps_or_n(steps, rnn.n_hidden) - 1):
        blocks.append(rnn.W @ blocks[-1])
    out = np.hstack(blocks)
    if not np.all(np.isfinite(out)):
        raise NumericalError("the powers W^k B overflowed; use pbh_test or controllability_staircase instead")
    return out


def observability_matrix(rnn: LinearRNN, steps: int | None = None) -> np.ndarray:
    r"""The observability matrix ``[V; V W; ...; V W^{N-1}]``.

    Its null space holds the initial states that produce identically zero noiseless output
    (control theory's ``obsv(A, C)`` with ``A = W``, ``C = V``).

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Number of blocks ``N >= 1``; default ``n``.

    Returns
    -------
    ndarray, shape (N * m, n)
        Block ``i`` (rows ``i*m .. (i+1)*m - 1``) is ``V W^i``.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN or ``steps`` is not an integer.
    ValueError
        If ``steps < 1``.
    NumericalError
        If the powers of ``W`` overflow.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import observability_matrix
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 1.0], [0.0, 0.5]], V=[[1.0, 0.0]])
    >>> observability_matrix(rnn)
    array([[1. , 0. ],
           [0.5, 1. ]])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    blocks = [np.array(rnn.V)]
    for _ in range(steps_or_n(steps, rnn.n_hidden) - 1):
        blocks.append(blocks[-1] @ rnn.W)
    out = np.vstack(blocks)
    if not np.all(np.isfinite(out)):
        raise NumericalError("the powers V W^k overflowed; use pbh_test or observability_staircase instead")
    return out


@dataclass(frozen=True)
class NumericalRank:
    """The numerical rank of a matrix, with the singular values and how firm the decision is.

    Attributes
    ----------
    rank : int
        Number of singular values strictly above ``tol``.
    singular_values : ndarray, shape (min(rows, cols),)
        In decreasing order.
    tol : float
        The threshold used.
    margin : float
        ``min(sigma_r / tol, tol / sigma_{r+1})`` (a missing term counts as ``inf``): the factor by
        which the tolerance would have to change for the rank to change. It is at least 1; near 1 the
        matrix is on the edge of rank deficiency, ``1e6`` means the decision is firm.
    shape : tuple of int
        Shape of the matrix.
    """

    rank: int
    singular_values: np.ndarray
    tol: float
    margin: float
    shape: tuple

    @property
    def full(self) -> bool:
        """Whether ``rank == min(shape)``."""
        return self.rank == min(self.shape)

    @property
    def distance(self) -> float:
        """``sigma_r``: the 2-norm distance to the nearest matrix of lower rank (Eckart-Young)."""
        return float(self.singular_values[self.rank - 1]) if self.rank else 0.0

    def __repr__(self) -> str:
        s = self.singular_values
        smin = f"{s[-1]:.3g}" if s.size else "-"
        smax = f"{s[0]:.3g}" if s.size else "-"
        return (
            f"NumericalRank(rank={self.rank} of {min(self.shape)}, tol={self.tol:.3g}, margin={self.margin:.3g}, "
            f"sigma_max={smax}, sigma_min={smin})"
        )


def _margin(kept: float, dropped: float, tol: float) -> float:
    """``min(kept / tol, tol / dropped)`` with absent terms (``kept = inf`` or ``dropped = 0``) as ``inf``."""
    up = np.inf if not np.isfinite(kept) else (np.inf if tol == 0 else kept / tol)
    down = np.inf if dropped == 0 else tol / dropped
    return float(min(up, down))


def numerical_rank(M: ArrayLike, *, tol: float | None = None) -> NumericalRank:
    r"""Rank of a matrix from its singular values, with the tolerance and the margin of the decision.

    The default tolerance ``max(rows, cols) * eps * sigma_max`` is the size of the rounding error
    committed by the SVD itself (each computed singular value is exact for a matrix within about
    ``eps * sigma_max * dimension`` of ``M``), so a singular value below it carries no information. It is
    relative: scaling ``M`` does not change the rank. It is also NumPy's ``matrix_rank`` default.

    Parameters
    ----------
    M : array_like, shape (rows, cols)
        A real matrix.
    tol : float, optional
        Absolute threshold on the singular values (singular values ``> tol`` count).

    Returns
    -------
    NumericalRank
        Rank, singular values, the tolerance used and the margin.

    Raises
    ------
    DimensionError
        If ``M`` is not two-dimensional.
    ValueError
        If ``M`` has non-finite entries or ``tol < 0``.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import numerical_rank
    >>> r = numerical_rank([[1.0, 0.0], [0.0, 1e-20]])
    >>> r.rank, r.full
    (1, False)
    """
    A = v.as_float_array("M", M)
    if A.ndim != 2:
        raise v.DimensionError(f"M must be a matrix with shape (rows, cols); got shape {A.shape}")
    v.check_finite("M", A)
    s = np.linalg.svd(A, compute_uv=False) if A.size else np.zeros(0)
    if tol is None:
        tol = max(A.shape) * EPS * (float(s[0]) if s.size else 0.0)
    else:
        tol = v.as_float("tol", tol, nonnegative=True)
    r = int(np.sum(s > tol))
    kept = float(s[r - 1]) if r else np.inf
    dropped = float(s[r]) if r < s.size else 0.0
    return NumericalRank(r, s, float(tol), _margin(kept, dropped, tol), tuple(A.shape))
