"""Controllability and observability staircase forms by orthogonal transformations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import scipy.linalg

from .. import _validate as v
from ..exceptions import NumericalError
from ..linear import LinearRNN
from .common import EPS, driving, normalised

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["StaircaseForm", "controllability_staircase", "observability_staircase"]


# -- staircase forms ------------------------------------------------------------------------------------


def _householder(Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """LAPACK's compact QR (reflectors and scalars) of ``Y``: its ``Q`` starts with an orthonormal basis of range(Y)."""
    (qr, tau), _ = scipy.linalg.qr(Y, mode="raw")
    return qr, tau


def _apply_q(qr: np.ndarray, tau: np.ndarray, C: np.ndarray, side: str, trans: str) -> np.ndarray:
    """``Q^T C`` (side "L", trans "T") or ``C Q`` (side "R", trans "N") with ``Q`` from :func:`_householder`."""
    if C.size == 0:
        return C
    lwork = 64 * max(C.shape)
    out, _, info = scipy.linalg.lapack.dormqr(side, trans, qr, tau, np.asfortranarray(C), lwork)
    if info != 0:  # pragma: no cover - LAPACK argument errors only
        raise NumericalError(f"LAPACK dormqr failed with info = {info}")
    return out


def staircase_reduce(
    A: np.ndarray, B: np.ndarray, scale: float, n_full: int | None = None, amp: float = 1.0
) -> tuple[np.ndarray, np.ndarray, tuple, int, float, float, float]:
    """Orthogonal controllability staircase of ``(A, B)`` (Van Dooren 1981; Rosenbrock's algorithm).

    Returns ``(Z, H, blocks, dim, margin, tol, amp)`` with ``H = Z^T A Z`` block upper Hessenberg on
    its leading ``dim`` rows/columns and ``H[dim:, :dim] = 0``: the first ``dim`` columns of ``Z`` span
    the controllable subspace. Each step reveals the rank of the block that feeds the next states with
    an SVD and sets its singular values ``<= tol`` to zero; no power of ``A`` is formed.

    Tolerance of each step: ``n^2 eps s`` (``s`` the scale of the data, ``n`` the full dimension) for the
    backward error of up to ``n`` orthogonal reduction steps, times the amplification
    ``prod_l max(1, s / sigma_l)`` over the smallest singular value ``sigma_l`` kept at each earlier step:
    the basis directions of step ``l + 1`` are computed from a block of size ``sigma_l``, so an error
    ``delta`` in it turns them by ``delta / sigma_l`` and shows up as a spurious coupling ``s`` times that
    in the next block -- the errors compound along the chain. Capped at ``sqrt(eps) s``, beyond which the
    subspace is not determined to half precision anyway. ``amp`` carries the amplification of an earlier
    reduction into a staircase of a restricted pair.
    """
    n = A.shape[0]
    base = (n_full or n) ** 2 * EPS * scale
    H = A.copy()
    Z = np.eye(n)
    blocks: list[int] = []
    margin, tol = np.inf, base
    k = 0
    prev: slice | None = None
    G = B
    while k < n and G.shape[1] > 0:
        tol = min(base * amp, np.sqrt(EPS) * scale)
        Us, s, _ = np.linalg.svd(G, full_matrices=False)
        r = int(np.sum(s > tol))
        if r < s.size:
            margin = min(margin, tol / s[r] if s[r] > 0 else np.inf)
        if r == 0:
            if prev is not None:
                H[k:, prev] = 0.0
            break
        margin = min(margin, s[r - 1] / tol)
        amp *= max(1.0, scale / float(s[r - 1]))
        # An orthogonal Q whose first r columns span the kept singular vectors, applied as r Householder
        # reflectors: O(n (n - k) r) per step instead of O(n (n - k)^2) for an explicit (n - k)-square Q.
        qr, tau = _householder(Us[:, :r])
        H[k:, :] = _apply_q(qr, tau, H[k:, :], "L", "T")
        H[:, k:] = _apply_q(qr, tau, H[:, k:], "R", "N")
        Z[:, k:] = _apply_q(qr, tau, Z[:, k:], "R", "N")
        if prev is not None:
            H[k + r :, prev] = 0.0  # the dropped singular directions of the feeding block
        blocks.append(r)
        prev = slice(k, k + r)
        k += r
        G = H[k:, prev]
    return Z, H, tuple(blocks), k, float(margin), float(tol), amp


@dataclass(frozen=True)
class StaircaseForm:
    """An orthogonal staircase (block Hessenberg) form that splits off the controllable or observable part.

    Controllability form (``kind="controllability"``): ``T^T W T = [[Wc, W12], [0, Wu]]``,
    ``T^T B = [Bc; 0]``, with ``(Wc, Bc)`` controllable and ``Wc`` block upper Hessenberg whose
    sub-diagonal blocks have full row rank (sizes ``blocks``). Observability form: the dual,
    ``T^T W T = [[Wo, 0], [W21, Wu]]``, ``V T = [Vo, 0]``.

    Attributes
    ----------
    kind : str
        ``"controllability"`` or ``"observability"``.
    T : ndarray, shape (n, n)
        Orthogonal; its first ``dim`` columns span the controllable (or observable) subspace, the others
        the uncontrollable subspace's orthogonal complement (or the unobservable subspace).
    W : ndarray, shape (n, n)
        ``T^T W T`` (the structurally zero block is exactly zero).
    B : ndarray, shape (n, k)
        ``T^T B`` for the driving matrix of ``source`` (``U`` for the observability form).
    V : ndarray, shape (m, n)
        ``V T``.
    blocks : tuple of int
        Sizes of the staircase steps; they sum to ``dim``.
    dim : int
        Dimension of the controllable (reachable) or observable subspace.
    tol : float
        Threshold of the last rank decision, the largest one (after rescaling ``B`` or ``V`` to the norm of
        ``W``): ``n^2 eps ||W||_F`` times the amplification of the earlier steps, at most
        ``sqrt(eps) ||W||_F``. A coupling below it is treated as zero.
    margin : float
        As :attr:`NumericalRank.margin`, over all the rank decisions of the reduction.
    source : str
        What drives the state (controllability form).
    """

    kind: str
    T: np.ndarray
    W: np.ndarray
    B: np.ndarray
    V: np.ndarray
    blocks: tuple
    dim: int
    tol: float
    margin: float
    source: str

    @property
    def deficient_modes(self) -> np.ndarray:
        """Eigenvalues of the trailing block: the uncontrollable (or unobservable) modes, with multiplicity."""
        return np.linalg.eigvals(self.W[self.dim :, self.dim :]).astype(complex)

    def __repr__(self) -> str:
        n = self.W.shape[0]
        what = "controllable" if self.kind == "controllability" else "observable"
        return (
            f"StaircaseForm({self.kind}: {what} dim {self.dim} of {n}, "
            f"blocks {list(self.blocks)}, margin={self.margin:.3g})"
        )


def controllability_staircase(rnn: LinearRNN, *, source: str = "input") -> StaircaseForm:
    """The orthogonal controllability staircase form (MATLAB's ``ctrbf``; SLICOT's ``AB01ND``).

    A second robust answer besides PBH: a sequence of SVD rank decisions on blocks of ``T^T W T``
    that never forms powers of ``W``, so it is backward stable where the Kalman matrix is not.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    StaircaseForm
        ``dim`` is the dimension of the reachable subspace.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import controllability_staircase
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.5]], U=[[1.0], [1.0]])
    >>> controllability_staircase(rnn).dim
    1
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    Bs, scale = normalised(rnn.W, B)
    Z, H, blocks, dim, margin, tol, _ = staircase_reduce(np.array(rnn.W), Bs, scale)
    TB = Z.T @ B
    TB[blocks[0] if blocks else 0 :] = 0.0
    return StaircaseForm("controllability", Z, H, TB, rnn.V @ Z, blocks, dim, tol, margin, source)


def observability_staircase(rnn: LinearRNN) -> StaircaseForm:
    """The orthogonal observability staircase form (MATLAB's ``obsvf``): the dual of the controllability one.

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    StaircaseForm
        ``dim`` is the dimension of the observable subspace; ``T[:, dim:]`` spans the unobservable one.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import observability_staircase
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.3]], V=[[1.0, 0.0]])
    >>> form = observability_staircase(rnn)
    >>> form.dim, form.deficient_modes.real
    (1, array([0.3]))
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    Vs, scale = normalised(rnn.W, np.array(rnn.V).T)
    Z, H, blocks, dim, margin, tol, _ = staircase_reduce(np.array(rnn.W.T), Vs, scale)
    VT = rnn.V @ Z
    VT[:, dim:] = 0.0
    return StaircaseForm("observability", Z, H.T, Z.T @ rnn.U, VT, blocks, dim, tol, margin, "input")
