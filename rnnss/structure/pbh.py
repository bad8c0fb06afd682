"""The PBH eigenvalue test per mode (repeated eigenvalues merged) and the four structural verdicts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate as v
from .._linalg import EigenCluster, eigen_clusters
from ..linear import CLEARLY_STABLE_GAP, LinearRNN
from .common import EPS, driving, normalised

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["PBHResult", "pbh_test", "is_controllable", "is_observable", "is_stabilizable", "is_detectable"]


# -- PBH eigenvalue test --------------------------------------------------------------------------------


def _pbh_side(
    W: np.ndarray, M: np.ndarray, rows: bool, clusters: list[EigenCluster], only: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Relative PBH margins, tolerances, defects and verdicts for the clusters selected by ``only``.

    The PBH matrix is ``[z I - W, M]`` (``rows=False``) or ``[z I - W; M]``. Its ``n``-th singular value
    ``sigma_n(z)`` is the 2-norm of the smallest perturbation of ``(W, M)`` that makes ``z`` an
    uncontrollable (unobservable) eigenvalue, and it is 1-Lipschitz in ``z``: an exactly uncontrollable
    ``lambda`` computed as ``z`` with ``|z - lambda| <= delta`` shows ``sigma_n(z) <= delta`` + rounding.
    So each evaluation point ``z`` (the cluster mean, and the distinct computed members) is judged with
    ``tol(z) = (n + k) eps (||W|| + ||M||) + delta(z)``, and the mode is lost if any point has
    ``sigma_n <= tol``. The reported margin and tolerance are those of the point closest to failing
    (smallest ``sigma_n / tol``). Everything is divided by ``||W||_F`` after rescaling ``M`` to that norm.
    """
    n = W.shape[0]
    Ms, scale = normalised(W, M)
    k = Ms.shape[0] if rows else Ms.shape[1]
    base = (n + k) * EPS * 2.0
    eye = np.eye(n)
    nc = len(clusters)
    margin = np.full(nc, np.nan)
    tol = np.full(nc, np.nan)
    defect = np.zeros(nc, dtype=int)
    ok = np.ones(nc, dtype=bool)
    for c, cl in enumerate(clusters):
        if only is not None and not only[c]:
            continue
        # for real W and M the PBH matrices at z and conj(z) are complex conjugates: same singular values
        twin = cl.conj_of
        if twin is not None and not np.isnan(margin[twin]):
            margin[c], tol[c], defect[c], ok[c] = margin[twin], tol[twin], defect[twin], ok[twin]
            continue
        worst = None
        for z, delta in zip(cl.points, cl.errors):
            P = (z.real if z.imag == 0 else z) * eye - W  # real arithmetic (4x cheaper SVD) for real points
            P = np.vstack([P, Ms]) if rows else np.hstack([P, Ms])
            s = np.linalg.svd(P, compute_uv=False)[:n] / scale
            t = base + delta / scale
            if worst is None or s[-1] / t < worst[0][-1] / worst[1]:
                worst = (s, t)
        s, t = worst
        margin[c], tol[c] = float(s[-1]), float(t)
        defect[c] = int(np.sum(s <= t))
        ok[c] = s[-1] > t
    return margin, tol, defect, ok


@dataclass(frozen=True)
class PBHResult:
    """The Popov-Belevitch-Hautus test, one row per distinct eigenvalue of ``W``.

    Eigenvalue ``lambda`` is controllable iff ``[lambda I - W, B]`` has full row rank ``n``, observable
    iff ``[lambda I - W; V]`` has full column rank. Computed eigenvalues that lie within each other's
    rounding error are merged into one row (a repeated eigenvalue).

    Attributes
    ----------
    eigenvalues : ndarray, shape (k,), complex
        Distinct eigenvalues (cluster means), by decreasing modulus.
    multiplicity : ndarray, shape (k,), int
        Algebraic multiplicity (size of the cluster).
    stable : ndarray, shape (k,), bool
        ``|lambda| < 1`` by more than the eigenvalue's rounding error. Only unstable rows matter for
        stabilisability and detectability.
    controllable : ndarray, shape (k,), bool
        PBH controllability of each eigenvalue for the chosen ``source``.
    controllability_margin : ndarray, shape (k,)
        ``sigma_n([lambda I - W, B]) / ||W||_F`` with ``B`` rescaled to ``||B||_F = ||W||_F``: the relative
        size of the smallest perturbation of ``(W, B)`` that makes ``lambda`` uncontrollable.
    controllability_tol : ndarray, shape (k,)
        The threshold the margin was compared with (rounding of the SVD plus the eigenvalue's error).
    controllability_defect : ndarray, shape (k,), int
        ``n - rank[lambda I - W, B]``: the number of independent directions of this eigenvalue that
        ``B`` cannot excite (1 for a single-input system with two equal, diagonalisable modes).
    observable : ndarray, shape (k,), bool
        PBH observability of each eigenvalue through ``V``.
    observability_margin : ndarray, shape (k,)
        As ``controllability_margin`` for ``[lambda I - W; V]``.
    observability_tol : ndarray, shape (k,)
        Threshold for the observability margin.
    observability_defect : ndarray, shape (k,), int
        ``n - rank[lambda I - W; V]``.
    source : str
        What drives the state in the controllability columns.
    """

    eigenvalues: np.ndarray
    multiplicity: np.ndarray
    stable: np.ndarray
    controllable: np.ndarray
    controllability_margin: np.ndarray
    controllability_tol: np.ndarray
    controllability_defect: np.ndarray
    observable: np.ndarray
    observability_margin: np.ndarray
    observability_tol: np.ndarray
    observability_defect: np.ndarray
    source: str

    def __str__(self) -> str:
        yes = lambda b: "yes" if b else "NO"  # noqa: E731
        ctrb = f"controllable ({self.source})"
        rows = [
            f"  {'eigenvalue':<18}  {'|lambda|':>8}  mult  stable  {ctrb}  {'margin':>8}  observable  {'margin':>8}"
        ]
        for i, lam in enumerate(self.eigenvalues):
            rows.append(
                f"  {f'{lam.real:+.4f}{lam.imag:+.4f}j':<18}  {abs(lam):8.4f} "
                f" {self.multiplicity[i]:4d}  {yes(self.stable[i]):>6}"
                f"  {yes(self.controllable[i]):>{len(ctrb)}}  {self.controllability_margin[i]:8.2e}"
                f"  {yes(self.observable[i]):>10}  {self.observability_margin[i]:8.2e}"
            )
        return "\n".join(rows)

    def __repr__(self) -> str:
        return (
            f"PBHResult({self.eigenvalues.size} distinct eigenvalues; uncontrollable ({self.source}): "
            f"{int(np.sum(~self.controllable))}, unobservable: {int(np.sum(~self.observable))})"
        )


def pbh_test(rnn: LinearRNN, *, source: str = "input") -> PBHResult:
    r"""Popov-Belevitch-Hautus test of every eigenvalue: controllable? observable? with margins.

    Unlike the rank of the Kalman matrix, the PBH test never forms powers of ``W``: each eigenvalue is
    judged from ``[lambda I - W, B]`` alone, whose smallest singular value is the distance to the nearest
    system in which that eigenvalue is uncontrollable. See :class:`PBHResult` for the columns and
    :func:`structure_report` for the summary.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state: ``B = U``, ``B = Q^{1/2}`` or both (see :func:`controllability_matrix`).

    Returns
    -------
    PBHResult
        One row per distinct eigenvalue.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import pbh_test
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.5]], U=[[1.0], [2.0]])  # two equal modes, one input
    >>> res = pbh_test(rnn)
    >>> res.eigenvalues.real, res.multiplicity, res.controllable, res.controllability_defect
    (array([0.5]), array([2]), array([False]), array([1]))
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    W = rnn.W
    clusters = eigen_clusters(W)
    cm, ct, cd, cok = _pbh_side(W, B, False, clusters)
    om, ot, od, ook = _pbh_side(W, np.array(rnn.V), True, clusters)
    means = np.array([c.mean for c in clusters])
    mult = np.array([c.size for c in clusters])
    stable = np.array([not c.unstable for c in clusters])
    return PBHResult(means, mult, stable, cok, cm, ct, cd, ook, om, ot, od, source)


def is_controllable(rnn: LinearRNN, *, source: str = "input") -> bool:
    """Whether every eigenvalue of ``W`` passes the PBH controllability test.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    bool
        True iff any hidden state can be reached (from any other) by the chosen source.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import is_controllable
    >>> is_controllable(rnnss.LinearRNN(W=[[0.5, 0.0], [1.0, 0.3]], U=[[1.0], [0.0]]))
    True
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    return bool(np.all(_pbh_side(rnn.W, B, False, eigen_clusters(rnn.W))[3]))


def is_observable(rnn: LinearRNN) -> bool:
    """Whether every eigenvalue of ``W`` passes the PBH observability test through ``V``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    bool
        True iff the noiseless outputs determine the hidden state.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import is_observable
    >>> is_observable(rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.3]], V=[[1.0, 0.0]]))
    False
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    return bool(np.all(_pbh_side(rnn.W, np.array(rnn.V), True, eigen_clusters(rnn.W))[3]))


def is_stabilizable(rnn: LinearRNN, *, source: str = "input") -> bool:
    """Whether every mode with ``|lambda| >= 1`` is controllable (PBH on the unstable modes only).

    The Kalman filter's steady state exists with a stabilising gain when ``(W, Q^{1/2})`` is
    stabilisable (``source="noise"``) and ``(W, V)`` is detectable. Cost: one eigen-decomposition of
    ``W`` and one SVD per unstable eigenvalue.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    bool
        True iff no unstable mode escapes the chosen source (always True for a stable ``W``).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import is_stabilizable
    >>> rnn = rnnss.LinearRNN(W=[[1.2, 0.0], [0.0, 0.5]], U=[[1.0], [0.0]], Q=[[0.0, 0.0], [0.0, 1.0]])
    >>> is_stabilizable(rnn), is_stabilizable(rnn, source="noise")
    (True, False)
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    B = driving(rnn, source)
    clusters = eigen_clusters(rnn.W)
    unstable = np.array([c.unstable for c in clusters])
    return bool(np.all(_pbh_side(rnn.W, B, False, clusters, unstable)[3]))


def is_detectable(rnn: LinearRNN) -> bool:
    """Whether every mode with ``|lambda| >= 1`` is observable through ``V`` (PBH on unstable modes only).

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    bool
        True iff no unstable mode is invisible in ``y`` (always True for a stable ``W``).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import is_detectable
    >>> is_detectable(rnnss.LinearRNN(W=[[1.2, 0.0], [0.0, 0.5]], V=[[0.0, 1.0]]))
    False
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    clusters = eigen_clusters(rnn.W)
    unstable = np.array([c.unstable for c in clusters])
    return bool(np.all(_pbh_side(rnn.W, np.array(rnn.V), True, clusters, unstable)[3]))


def unstable_modes_lost(rnn: LinearRNN, *, source: str = "noise") -> tuple[np.ndarray, np.ndarray]:
    """The modes on or outside the unit circle that the outputs do not see, and that ``source`` does not drive.

    The PBH test restricted to those modes (the only ones that decide detectability and stabilisability):
    for a network whose spectral radius is clearly below one nothing is computed beyond the eigenvalues.
    Returns ``(undetectable, unstabilizable)`` eigenvalue arrays (empty when the model is fine).
    """
    W = np.array(rnn.W)
    if float(np.max(np.abs(np.linalg.eigvals(W)))) < 1.0 - CLEARLY_STABLE_GAP:
        empty = np.zeros(0, dtype=complex)
        return empty, empty
    clusters = eigen_clusters(W)
    unstable = np.array([c.unstable for c in clusters])
    means = np.array([c.mean for c in clusters])
    seen = _pbh_side(W, np.array(rnn.V), True, clusters, unstable)[3]
    driven = _pbh_side(W, driving(rnn, source), False, clusters, unstable)[3]
    return means[unstable & ~seen], means[unstable & ~driven]
