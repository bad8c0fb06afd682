"""Controllability and observability: Kalman matrices, PBH and staircase tests, Gramians, realisations, steering and state reconstruction."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from . import _validate as v
from .exceptions import IllConditionedWarning, NotReachableError, NumericalError
from .linear import LinearRNN, _check_rnn, _inputs, _psd_sqrt, _require_stable, _solve_stein, simulate

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "NumericalRank",
    "PBHResult",
    "StaircaseForm",
    "StructureReport",
    "KalmanDecomposition",
    "BalancedTruncation",
    "SteeringResult",
    "StateReconstruction",
    "controllability_matrix",
    "observability_matrix",
    "numerical_rank",
    "pbh_test",
    "controllability_staircase",
    "observability_staircase",
    "is_controllable",
    "is_observable",
    "is_stabilizable",
    "is_detectable",
    "structure_report",
    "controllability_gramian",
    "observability_gramian",
    "hankel_singular_values",
    "kalman_decomposition",
    "minimal_realization",
    "balanced_truncation",
    "steer",
    "reconstruct_state",
]

EPS = float(np.finfo(float).eps)

# Computed eigenvalues whose error disks, enlarged by this factor, overlap are treated as one repeated
# eigenvalue. The first-order bound kappa * eps * ||W|| underestimates the O(eps^(1/k)) splitting of a
# k x k Jordan block by a modest factor (about 1 for k = 2, a few for k = 3); 10 covers that.
CLUSTER_FACTOR = 10.0

# A steering target counts as reached when the part of (target - free response) outside the numerically
# reachable subspace is below this fraction of the problem's scale (max of |target|, |free response|).
STEER_RTOL = 1e-8

_SOURCES = ("input", "noise", "both")

# Block order of the orthogonal Kalman decomposition: each leading group of blocks spans a W-invariant
# subspace (R cap N, R, R + N, everything), which is what makes the transformed W block upper triangular.
KALMAN_BLOCKS = ("c_not_o", "co", "not_c_not_o", "not_c_o")


# -- what drives the state ---------------------------------------------------------------------------


def _noise_factor(Q: np.ndarray) -> np.ndarray:
    """A factor ``L`` (n, r) with ``L L^T = Q``, dropping eigenvalues at rounding level of ``max eig Q``."""
    w, vecs = np.linalg.eigh(Q)
    keep = w > Q.shape[0] * EPS * max(float(w[-1]), 0.0)
    return vecs[:, keep] * np.sqrt(w[keep])


def _check_source(source: Any) -> str:
    if source not in _SOURCES:
        raise ValueError(f"source must be one of 'input', 'noise', 'both'; got {source!r}")
    return source


def _driving(rnn: LinearRNN, source: str) -> np.ndarray:
    """The matrix ``B`` through which ``source`` enters: ``U``, a square root of ``Q``, or both side by side."""
    _check_source(source)
    if source == "input":
        return np.array(rnn.U)
    if source == "noise":
        return _noise_factor(rnn.Q)
    return np.hstack([rnn.U, _noise_factor(rnn.Q)])


def _steps(steps: Any, n: int) -> int:
    return n if steps is None else v.as_int("steps", steps, minimum=1)


def _fro(M: np.ndarray) -> float:
    """Frobenius norm, scaled first so that entries near the overflow limit do not overflow their squares."""
    big = float(np.max(np.abs(M), initial=0.0))
    return big * float(np.linalg.norm(M / big)) if big > 0 else 0.0


def _normalised(W: np.ndarray, B: np.ndarray) -> tuple[np.ndarray, float]:
    """``B`` rescaled to the Frobenius norm of ``W``, and that scale.

    Controllability does not depend on the units of the input (``B -> c B``), so every rank decision is
    taken on the rescaled pair and judged relative to ``||W||_F``: tiny input weights are not mistaken
    for missing ones. With ``W = 0`` the scale is that of ``B`` (or 1 when both vanish).
    """
    nb = _fro(B)
    scale = _fro(W) or nb or 1.0
    return (B * (scale / nb) if nb else B), scale


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
    >>> from rnnss.structure import controllability_matrix
    >>> rnn = rnnss.LinearRNN(W=[[0.0, 0.0], [1.0, 0.0]], U=[[1.0], [0.0]])  # a shift register
    >>> controllability_matrix(rnn)
    array([[1., 0.],
           [0., 1.]])
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    blocks = [B]
    for _ in range(_steps(steps, rnn.n_hidden) - 1):
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
    >>> from rnnss.structure import observability_matrix
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 1.0], [0.0, 0.5]], V=[[1.0, 0.0]])
    >>> observability_matrix(rnn)
    array([[1. , 0. ],
           [0.5, 1. ]])
    """
    rnn = _check_rnn(rnn)
    blocks = [np.array(rnn.V)]
    for _ in range(_steps(steps, rnn.n_hidden) - 1):
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
    >>> from rnnss.structure import numerical_rank
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


# -- PBH eigenvalue test --------------------------------------------------------------------------------


def _spectrum(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of ``W`` and their condition numbers ``kappa_i = 1 / |y_i^H x_i|`` (unit eigenvectors).

    LAPACK's eigenvalues are exact for ``W + E`` with ``||E|| ~ n eps ||W||``; to first order a simple
    eigenvalue then moves by at most ``kappa_i ||E||``. Defective eigenvalues have ``kappa = inf`` (or
    huge) and move by ``O(||E||^(1/k))`` instead.
    """
    lam, vl, vr = scipy.linalg.eig(W, left=True, right=True)
    cosine = np.abs(np.einsum("ij,ij->j", vl.conj(), vr))
    with np.errstate(divide="ignore"):
        kappa = np.where(cosine > 0, 1.0 / np.where(cosine > 0, cosine, 1.0), np.inf)
    return lam.astype(complex), kappa


def _projector_norm(W: np.ndarray, members: np.ndarray, mu: complex, kappa: np.ndarray) -> float:
    """``||P||_2`` for the spectral projector onto the invariant subspace of one eigenvalue cluster.

    The mean of a cluster of eigenvalues moves by at most ``||P|| ||E||`` (to first order) under a
    perturbation ``E``; unlike the individual members of a defective cluster it is well conditioned.
    Computed from a Schur form with the cluster moved to the top (``T11``): ``||P||^2 = 1 + ||R||^2``
    where ``T11 R - R T22 = T12`` (the quantity LAPACK's ``trsen`` estimates).
    """
    n, k = W.shape[0], members.size
    if k == n:
        return 1.0
    if k == 1:
        return float(kappa[0])
    rad = 2.0 * float(np.max(np.abs(members - mu))) + 4.0 * n * EPS * _fro(W)
    T, _, sdim = scipy.linalg.schur(W.astype(complex), output="complex", sort=lambda z: abs(z - mu) <= rad)
    if sdim != k:  # the recomputed eigenvalues did not separate the same way: fall back to the members' bound
        return float(np.max(kappa))
    R = scipy.linalg.solve_sylvester(T[:k, :k], -T[k:, k:], T[:k, k:])
    return float(np.sqrt(1.0 + np.linalg.norm(R, 2) ** 2))


@dataclass(frozen=True)
class _Cluster:
    """Computed eigenvalues that cannot be told apart, and where to evaluate the PBH matrices.

    ``points[0]`` is the cluster mean; the other points are the distinct computed members. ``errors`` are
    absolute error bounds of those points as eigenvalues of ``W``.
    """

    mean: complex
    size: int
    points: np.ndarray
    errors: np.ndarray
    unstable: bool
    conj_of: int | None = None


def _modes(W: np.ndarray) -> list[_Cluster]:
    """The eigenvalue clusters of ``W``, by decreasing modulus of their means."""
    n = W.shape[0]
    normW = _fro(W)
    lam, kappa = _spectrum(W)
    # Clustering: eigenvalues whose first-order error disks (enlarged by CLUSTER_FACTOR) overlap are one.
    # kappa * eps matches the actual O(eps^(1/k)) scatter of a perturbed k x k Jordan block within a
    # modest factor, because kappa itself grows like eps^(-(k-1)/k) there; the disks are capped at the
    # scatter of a 4 x 4 block, (n eps)^(1/4), so that one wildly ill-conditioned eigenvalue cannot swallow
    # the spectrum. kappa = inf (exactly parallel eigenvectors) only happens for exactly equal computed
    # eigenvalues (e.g. a triangular Jordan block), which merge by equality with a zero-width disk.
    err = np.where(np.isfinite(kappa), np.minimum(kappa * n * EPS, (n * EPS) ** 0.25), 0.0) * normW
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if abs(lam[i] - lam[j]) <= CLUSTER_FACTOR * (err[i] + err[j]):
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    clusters = []
    for g in groups.values():
        members, kap = lam[g], kappa[g]
        mu = complex(members.mean())
        k = len(g)
        mean_err = min(_projector_norm(W, members, mu, kap) * n * EPS, 1.0) * normW
        # a member of a defective cluster is off by at most about (n eps)^(1/k) ||W|| (Hoelder bound)
        member_err = np.minimum(kap * n * EPS, (n * EPS) ** (1.0 / k)) * normW
        distinct = np.abs(members - mu) > 0
        points = np.concatenate([[mu], members[distinct]]) if k > 1 else np.array([mu])
        errors = np.concatenate([[mean_err], member_err[distinct]]) if k > 1 else np.array([mean_err])
        # unstable unless |lambda| < 1 holds beyond the mean's rounding error
        clusters.append(_Cluster(mu, k, points, errors, abs(mu) >= 1.0 - mean_err))
    clusters.sort(key=lambda c: (-abs(c.mean), -c.mean.imag))
    # mark each cluster in the lower half-plane that mirrors an earlier one (same size, conjugate mean)
    for i, cl in enumerate(clusters):
        if cl.mean.imag < 0:
            for j in range(i):
                other = clusters[j]
                if other.size == cl.size and abs(other.mean - cl.mean.conjugate()) <= 4 * n * EPS * max(normW, 1e-300):
                    clusters[i] = dataclasses.replace(cl, conj_of=j)
                    break
    return clusters


def _pbh_side(
    W: np.ndarray, M: np.ndarray, rows: bool, clusters: list[_Cluster], only: np.ndarray | None = None
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
    Ms, scale = _normalised(W, M)
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
        rows = [f"  {'eigenvalue':<18}  {'|lambda|':>8}  mult  stable  {ctrb}  {'margin':>8}  observable  {'margin':>8}"]
        for i, lam in enumerate(self.eigenvalues):
            rows.append(
                f"  {f'{lam.real:+.4f}{lam.imag:+.4f}j':<18}  {abs(lam):8.4f}  {self.multiplicity[i]:4d}  {yes(self.stable[i]):>6}"
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
    >>> from rnnss.structure import pbh_test
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.5]], U=[[1.0], [2.0]])  # two equal modes, one input
    >>> res = pbh_test(rnn)
    >>> res.eigenvalues.real, res.multiplicity, res.controllable, res.controllability_defect
    (array([0.5]), array([2]), array([False]), array([1]))
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    W = rnn.W
    clusters = _modes(W)
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
    >>> from rnnss.structure import is_controllable
    >>> is_controllable(rnnss.LinearRNN(W=[[0.5, 0.0], [1.0, 0.3]], U=[[1.0], [0.0]]))
    True
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    return bool(np.all(_pbh_side(rnn.W, B, False, _modes(rnn.W))[3]))


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
    >>> from rnnss.structure import is_observable
    >>> is_observable(rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.3]], V=[[1.0, 0.0]]))
    False
    """
    rnn = _check_rnn(rnn)
    return bool(np.all(_pbh_side(rnn.W, np.array(rnn.V), True, _modes(rnn.W))[3]))


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
    >>> from rnnss.structure import is_stabilizable
    >>> rnn = rnnss.LinearRNN(W=[[1.2, 0.0], [0.0, 0.5]], U=[[1.0], [0.0]], Q=[[0.0, 0.0], [0.0, 1.0]])
    >>> is_stabilizable(rnn), is_stabilizable(rnn, source="noise")
    (True, False)
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    clusters = _modes(rnn.W)
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
    >>> from rnnss.structure import is_detectable
    >>> is_detectable(rnnss.LinearRNN(W=[[1.2, 0.0], [0.0, 0.5]], V=[[0.0, 1.0]]))
    False
    """
    rnn = _check_rnn(rnn)
    clusters = _modes(rnn.W)
    unstable = np.array([c.unstable for c in clusters])
    return bool(np.all(_pbh_side(rnn.W, np.array(rnn.V), True, clusters, unstable)[3]))


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


def _staircase(
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
        return f"StaircaseForm({self.kind}: {what} dim {self.dim} of {n}, blocks {list(self.blocks)}, margin={self.margin:.3g})"


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
    >>> from rnnss.structure import controllability_staircase
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.5]], U=[[1.0], [1.0]])
    >>> controllability_staircase(rnn).dim
    1
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    Bs, scale = _normalised(rnn.W, B)
    Z, H, blocks, dim, margin, tol, _ = _staircase(np.array(rnn.W), Bs, scale)
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
    >>> from rnnss.structure import observability_staircase
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.3]], V=[[1.0, 0.0]])
    >>> form = observability_staircase(rnn)
    >>> form.dim, form.deficient_modes.real
    (1, array([0.3]))
    """
    rnn = _check_rnn(rnn)
    Vs, scale = _normalised(rnn.W, np.array(rnn.V).T)
    Z, H, blocks, dim, margin, tol, _ = _staircase(np.array(rnn.W.T), Vs, scale)
    VT = rnn.V @ Z
    VT[:, dim:] = 0.0
    return StaircaseForm("observability", Z, H.T, Z.T @ rnn.U, VT, blocks, dim, tol, margin, "input")


# -- the report -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StructureReport:
    """Controllability, observability, stabilisability and detectability of a LinearRNN, with margins.

    The yes/no answers come from the PBH test (:func:`pbh_test`); the ranks of the Kalman matrices and
    the staircase dimensions are reported alongside so the three methods can be compared.

    Attributes
    ----------
    source : str
        What drives the state in the controllability questions (``"input"``, ``"noise"``, ``"both"``).
    controllable : bool
        Every mode can be steered by the source.
    observable : bool
        Every mode shows in the outputs.
    stabilizable : bool
        Every mode with ``|lambda| >= 1`` can be steered.
    detectable : bool
        Every mode with ``|lambda| >= 1`` shows in the outputs.
    controllability_rank : NumericalRank or None
        Numerical rank of the Kalman matrix ``[B, WB, ..., W^{n-1}B]`` (None if its powers overflow).
    observability_rank : NumericalRank or None
        Numerical rank of ``[V; VW; ...; VW^{n-1}]``.
    reachable_dim : int
        Dimension of the reachable subspace from the staircase form.
    observable_dim : int
        Dimension of the observable subspace from the staircase form.
    controllability_margin : float
        Smallest PBH controllability margin over the modes: the relative size of the smallest
        perturbation of ``(W, B)`` found that loses a mode (an upper bound on the distance to
        uncontrollability).
    observability_margin : float
        Smallest PBH observability margin.
    uncontrollable_modes : ndarray, complex
        Distinct eigenvalues that fail the PBH controllability test.
    unobservable_modes : ndarray, complex
        Distinct eigenvalues that fail the PBH observability test.
    modes : PBHResult
        The per-mode table.
    """

    source: str
    controllable: bool
    observable: bool
    stabilizable: bool
    detectable: bool
    controllability_rank: NumericalRank | None
    observability_rank: NumericalRank | None
    reachable_dim: int
    observable_dim: int
    controllability_margin: float
    observability_margin: float
    uncontrollable_modes: np.ndarray
    unobservable_modes: np.ndarray
    modes: PBHResult

    def __str__(self) -> str:
        n = int(np.sum(self.modes.multiplicity))
        yes = lambda b: "yes" if b else "NO"  # noqa: E731
        fmt = lambda z: ", ".join(f"{x.real:.4g}{x.imag:+.4g}j" if x.imag else f"{x.real:.4g}" for x in z) or "none"  # noqa: E731

        def kalman(r: NumericalRank | None) -> str:
            return "overflow" if r is None else f"{r.rank}/{n} (margin {r.margin:.2g})"

        lines = [
            f"Structure of a LinearRNN with n = {n} hidden units (controllability from: {self.source})",
            f"  controllable : {yes(self.controllable):3}  PBH margin {self.controllability_margin:.2e}; "
            f"Kalman-matrix rank {kalman(self.controllability_rank)}; staircase: reachable dim {self.reachable_dim}",
            f"  observable   : {yes(self.observable):3}  PBH margin {self.observability_margin:.2e}; "
            f"Kalman-matrix rank {kalman(self.observability_rank)}; staircase: observable dim {self.observable_dim}",
            f"  stabilizable : {yes(self.stabilizable)}",
            f"  detectable   : {yes(self.detectable)}",
            f"  uncontrollable modes: {fmt(self.uncontrollable_modes)}",
            f"  unobservable modes  : {fmt(self.unobservable_modes)}",
        ]
        for what, r, ok, dim in (
            ("controllability", self.controllability_rank, self.controllable, self.reachable_dim),
            ("observability", self.observability_rank, self.observable, self.observable_dim),
        ):
            if r is not None and ok and r.rank < n:
                lines.append(
                    f"  note: the {what} Kalman matrix is numerically rank deficient ({r.rank} < {n}) although every "
                    f"mode passes PBH (staircase dim {dim}): its columns W^k B become nearly parallel in floating "
                    "point; trust PBH/staircase"
                )
        lines.append("Modes (margin = relative size of the smallest perturbation that loses the mode):")
        lines.append(str(self.modes))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"StructureReport(controllable={self.controllable}, observable={self.observable}, "
            f"stabilizable={self.stabilizable}, detectable={self.detectable}, source={self.source!r})"
        )


def structure_report(rnn: LinearRNN, *, source: str = "input") -> StructureReport:
    """Can we steer the hidden state, can we read it? Every structural answer with its margin.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state in the controllability questions (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    StructureReport
        Print it for a readable summary.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import structure_report
    >>> rep = structure_report(rnnss.LinearRNN(W=[[0.9, 0.0], [0.0, 0.5]], U=[[1.0], [1.0]], V=[[1.0, 0.0]]))
    >>> rep.controllable, rep.observable, rep.detectable, rep.unobservable_modes.real
    (True, False, True, array([0.5]))
    """
    rnn = _check_rnn(rnn)
    pbh = pbh_test(rnn, source=source)

    def kalman(build: Any) -> NumericalRank | None:
        try:
            return numerical_rank(build())
        except NumericalError:
            return None

    unstable = ~pbh.stable
    return StructureReport(
        source=source,
        controllable=bool(np.all(pbh.controllable)),
        observable=bool(np.all(pbh.observable)),
        stabilizable=bool(np.all(pbh.controllable[unstable])),
        detectable=bool(np.all(pbh.observable[unstable])),
        controllability_rank=kalman(lambda: controllability_matrix(rnn, source=source)),
        observability_rank=kalman(lambda: observability_matrix(rnn)),
        reachable_dim=controllability_staircase(rnn, source=source).dim,
        observable_dim=observability_staircase(rnn).dim,
        controllability_margin=float(np.min(pbh.controllability_margin)),
        observability_margin=float(np.min(pbh.observability_margin)),
        uncontrollable_modes=pbh.eigenvalues[~pbh.controllable],
        unobservable_modes=pbh.eigenvalues[~pbh.observable],
        modes=pbh,
    )


# -- Gramians -------------------------------------------------------------------------------------------


def _gramian(A: np.ndarray, BB: np.ndarray, steps: int | None) -> np.ndarray:
    """``sum_{i<N} A^i BB (A^i)^T``; the infinite sum solves ``X = A X A^T + BB``."""
    if steps is None:
        X = _solve_stein(A, BB)
    else:
        X = np.zeros_like(BB)
        P = BB.copy()
        for _ in range(steps):
            X += P
            P = A @ P @ A.T
    return 0.5 * (X + X.T)


def controllability_gramian(rnn: LinearRNN, steps: int | None = None, *, source: str = "input") -> np.ndarray:
    r"""The controllability Gramian ``sum_i W^i B B^T (W^i)^T``, finite or infinite horizon.

    With ``steps = N`` it is ``C_N C_N^T`` for the Kalman matrix ``C_N``: the minimum input energy that
    reaches ``h`` from 0 in ``N`` steps is ``h^T W_c(N)^{-1} h`` (see :func:`steer`). Without ``steps`` it
    is the solution of the discrete Lyapunov equation ``X = W X W^T + B B^T``; for ``source="noise"``
    that is the stationary covariance of the hidden state.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Horizon ``N >= 1``; default the infinite horizon (needs a stable ``W``).
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric PSD.

    Raises
    ------
    NotStableError
        For the infinite horizon with spectral radius ``>= 1``.
    ValueError
        If ``steps < 1`` or ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import controllability_gramian
    >>> controllability_gramian(rnnss.LinearRNN(W=0.5, U=[[1.0]]))  # 1 / (1 - 0.25)
    array([[1.33333333]])
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    if steps is None:
        _require_stable(rnn, "the infinite-horizon controllability Gramian", "; pass steps=N for the finite-horizon one")
    else:
        steps = v.as_int("steps", steps, minimum=1)
    return _gramian(np.array(rnn.W), B @ B.T, steps)


def observability_gramian(rnn: LinearRNN, steps: int | None = None) -> np.ndarray:
    r"""The observability Gramian ``sum_i (W^i)^T V^T V W^i``, finite or infinite horizon.

    ``h^T W_o(N) h`` is the energy of the noiseless output ``y_t = V W^t h`` over ``t = 0 .. N-1``
    (an initial state ``h`` read ``N`` times). Without ``steps``: the solution of ``X = W^T X W + V^T V``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Horizon ``N >= 1``; default the infinite horizon (needs a stable ``W``).

    Returns
    -------
    ndarray, shape (n, n)
        Symmetric PSD.

    Raises
    ------
    NotStableError
        For the infinite horizon with spectral radius ``>= 1``.
    ValueError
        If ``steps < 1``.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import observability_gramian
    >>> observability_gramian(rnnss.LinearRNN(W=0.5), steps=2)  # 1 + 0.25
    array([[1.25]])
    """
    rnn = _check_rnn(rnn)
    if steps is None:
        _require_stable(rnn, "the infinite-horizon observability Gramian", "; pass steps=N for the finite-horizon one")
    else:
        steps = v.as_int("steps", steps, minimum=1)
    return _gramian(np.array(rnn.W.T), rnn.V.T @ rnn.V, steps)


def _hankel(rnn: LinearRNN) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Square-root balancing data: ``Lc, Lo`` with ``Wc = Lc Lc^T``, ``Wo = Lo Lo^T`` and ``svd(Lo^T Lc)``."""
    _require_stable(rnn, "Hankel singular values (infinite-horizon Gramians)")
    Lc = _psd_sqrt(_gramian(np.array(rnn.W), rnn.U @ rnn.U.T, None))
    Lo = _psd_sqrt(_gramian(np.array(rnn.W.T), rnn.V.T @ rnn.V, None))
    Z, s, Yt = np.linalg.svd(Lo.T @ Lc)
    return Lc, Lo, Z, s, Yt


def hankel_singular_values(rnn: LinearRNN) -> np.ndarray:
    r"""Hankel singular values ``sigma_i = sqrt(lambda_i(W_c W_o))`` of the input-output map ``x -> y``.

    They measure how much each balanced state both receives from the inputs and shows in the outputs;
    their number of non-zero values is the order of a minimal realisation. Computed by the square-root
    method, as the singular values of ``L_o^T L_c`` for Gramian factors ``W_c = L_c L_c^T``,
    ``W_o = L_o L_o^T`` (never forming the product ``W_c W_o``).

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.

    Returns
    -------
    ndarray, shape (n,)
        In decreasing order.

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is ``>= 1``.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import hankel_singular_values
    >>> hankel_singular_values(rnnss.LinearRNN(W=0.5, U=[[1.0]], V=[[1.0]]))  # 1 / (1 - 0.25)
    array([1.33333333])
    """
    return _hankel(_check_rnn(rnn))[3]


# -- Kalman decomposition and minimal realisation ----------------------------------------------------------


@dataclass(frozen=True)
class KalmanDecomposition:
    """The orthogonal Kalman decomposition of ``(W, B, V)`` into four parts.

    With ``R`` the reachable and ``N`` the unobservable subspace, the columns of ``T`` are orthonormal
    bases of ``R cap N`` (``c_not_o``), of the rest of ``R`` (``co``), of the rest of ``R + N``
    (``not_c_not_o``) and of ``(R + N)^perp`` (``not_c_o``), in that order. Each leading group spans an
    invariant subspace, so::

        T^T W T = [[W11, W12, W13, W14],    T^T B = [B1,     V T = [0, V2, V3, V4]
                   [0,   W22, W23, W24],             B2,
                   [0,   0,   W33, W34],             0,
                   [0,   0,   0,   W44]]             0]

    and the input-output map is ``V2 (zI - W22)^{-1} B2``: ``(W22, B2, V2)`` is a minimal realisation.
    The eigenvalues of ``W11, W22, W33, W44`` are the controllable-unobservable, controllable-observable,
    uncontrollable-unobservable and uncontrollable-observable modes. (The textbook form with more zero
    blocks needs a non-orthogonal, possibly ill-conditioned ``T``.)

    Attributes
    ----------
    T : ndarray, shape (n, n)
        Orthogonal transformation, ``h = T z``.
    W : ndarray, shape (n, n)
        ``T^T W T``.
    B : ndarray, shape (n, k)
        ``T^T B`` for the driving matrix of ``source``.
    V : ndarray, shape (m, n)
        ``V T``.
    sizes : tuple of int
        Dimensions of the four parts in the order of ``blocks``.
    blocks : tuple of str
        ``("c_not_o", "co", "not_c_not_o", "not_c_o")``.
    residual : float
        Largest entry of the blocks that should be zero, relative to ``||[W, B; V, 0]||_F``; it is at the
        level of the rank tolerances for a consistent decomposition.
    source : str
        What drives the state.
    """

    T: np.ndarray
    W: np.ndarray
    B: np.ndarray
    V: np.ndarray
    sizes: tuple
    blocks: tuple
    residual: float
    source: str

    @property
    def dims(self) -> dict[str, int]:
        """``{block name: dimension}``."""
        return dict(zip(self.blocks, self.sizes))

    def block(self, name: str) -> slice:
        """The index range of part ``name`` (one of :attr:`blocks`) in the transformed coordinates."""
        if name not in self.blocks:
            raise ValueError(f"name must be one of {self.blocks}; got {name!r}")
        i = self.blocks.index(name)
        start = int(sum(self.sizes[:i]))
        return slice(start, start + self.sizes[i])

    def basis(self, name: str) -> np.ndarray:
        """Orthonormal basis (columns of ``T``) of part ``name``."""
        return self.T[:, self.block(name)]

    def __repr__(self) -> str:
        parts = ", ".join(f"{b}={s}" for b, s in zip(self.blocks, self.sizes))
        return f"KalmanDecomposition(n={self.T.shape[0]}: {parts}; residual={self.residual:.2g})"


def _orth_complement(Y: np.ndarray, n: int) -> np.ndarray:
    """Orthonormal basis of the orthogonal complement of the columns of (orthonormal) ``Y``."""
    if Y.shape[1] == 0:
        return np.eye(n)
    Uq, _ = np.linalg.qr(Y, mode="complete")
    return Uq[:, Y.shape[1] :]


def _kalman(W: np.ndarray, B: np.ndarray, V: np.ndarray) -> tuple[np.ndarray, tuple[int, int, int, int], float]:
    """``T`` and the four sizes of the orthogonal Kalman decomposition, and its structural residual."""
    n = W.shape[0]
    Bs, scale = _normalised(W, B)
    Vs, _ = _normalised(W, V.T)
    empty = (np.zeros((0, 0)), None, (), 0)
    # R from the controllability staircase, then R cap N = unobservable part of the system restricted to R
    # (R is W-invariant, so x = T1 z in R is unobservable iff z is for (T1^T W T1, V T1)). The restricted
    # pair inherits the first reduction's rounding errors: same scale, full n, and its amplification.
    Zc, _, _, r, _, _, sc = _staircase(W, Bs, scale)
    T1 = Zc[:, :r]
    A1, C1s = T1.T @ W @ T1, T1.T @ Vs  # the same scaling of V as below: no re-normalised rounding noise
    So, _, _, q = _staircase(A1.T, C1s, scale, n, sc)[:4] if r else empty
    # (R + N)^perp = R^perp cap N^perp by duality: N^perp is the controllable subspace of (W^T, V^T) and,
    # within it, R^perp is the part the dual "output" B^T cannot see.
    Zo, _, _, k, _, _, so = _staircase(W.T, Vs, scale)
    P = Zo[:, :k]
    A2, B2s = P.T @ W @ P, P.T @ Bs
    Sp, _, _, s = _staircase(A2, B2s, scale, n, so)[:4] if k else empty
    # Both q and s are the McMillan degree in exact arithmetic. Rounding only ever adds spurious couplings,
    # so a disagreement is an overestimate on one side: keep the smaller, and on the other side take the
    # intersection as the principal directions closest to it (R cap N: the directions of R with the
    # smallest component in N^perp; R^perp cap N^perp: those of N^perp with the smallest component in R).
    d = min(q, s)
    if q == d:
        X_cno = T1 @ So[:, q:]
    else:
        X_cno = T1 @ np.linalg.svd(P.T @ T1)[2][d:].T
    if s == d:
        X_nco = P @ Sp[:, s:]
    else:
        X_nco = P @ np.linalg.svd(T1.T @ P)[2][d:].T
    X_co = _orth_complement(T1.T @ X_cno, r)
    X_co = T1 @ X_co
    # Make the last block exactly orthogonal to R (it is so up to the rank tolerances), then fill in.
    head = np.hstack([X_cno, X_co])
    X_nco = X_nco - head @ (head.T @ X_nco)
    if X_nco.shape[1]:
        X_nco = np.linalg.qr(X_nco)[0]
    known = np.hstack([head, X_nco])
    X_ncno = _orth_complement(known, n)
    T = np.hstack([X_cno, X_co, X_ncno, X_nco])
    sizes = (X_cno.shape[1], X_co.shape[1], X_ncno.shape[1], X_nco.shape[1])
    Wt, Bt, Vt = T.T @ W @ T, T.T @ B, V @ T
    cuts = np.cumsum((0,) + sizes)
    off = [0.0]
    for i in range(4):
        for j in range(i):
            blk = Wt[cuts[i] : cuts[i + 1], cuts[j] : cuts[j + 1]]
            off.append(float(np.max(np.abs(blk), initial=0.0)))
    off.append(float(np.max(np.abs(Bt[cuts[2] :]), initial=0.0)))
    off.append(float(np.max(np.abs(Vt[:, : cuts[1]]), initial=0.0)))
    scale = max(np.sqrt(_fro(W) ** 2 + _fro(B) ** 2 + _fro(V) ** 2), np.finfo(float).tiny)
    return T, sizes, max(off) / scale


def kalman_decomposition(rnn: LinearRNN, *, source: str = "input") -> KalmanDecomposition:
    r"""Split the hidden space into controllable/uncontrollable x observable/unobservable parts.

    Built from staircase reductions only (no powers of ``W``, no eigenvectors), with an orthogonal
    transformation; see :class:`KalmanDecomposition` for the block structure.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    KalmanDecomposition
        Transformation, transformed matrices and the four dimensions.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import kalman_decomposition
    >>> rnn = rnnss.LinearRNN(W=[[0.9, 0, 0], [0, 0.5, 0], [0, 0, 0.2]], U=[[1.0], [1.0], [0.0]], V=[[1.0, 0.0, 1.0]])
    >>> kalman_decomposition(rnn).dims
    {'c_not_o': 1, 'co': 1, 'not_c_not_o': 0, 'not_c_o': 1}
    """
    rnn = _check_rnn(rnn)
    B = _driving(rnn, source)
    T, sizes, residual = _kalman(np.array(rnn.W), B, np.array(rnn.V))
    return KalmanDecomposition(T, T.T @ rnn.W @ T, T.T @ B, rnn.V @ T, sizes, KALMAN_BLOCKS, residual, source)


def minimal_realization(rnn: LinearRNN, *, preserve: str = "mean") -> LinearRNN:
    r"""An equivalent LinearRNN without the states the outputs never need.

    The states kept are the controllable-and-observable part of the orthogonal Kalman decomposition
    (``z = T_co^T h``), computed with what drives the state taken as:

    * ``preserve="mean"`` (default): the inputs ``U``, the bias ``b`` and the prior mean ``h0`` (both act
      like inputs: ``b`` is a constant input, ``h0`` an impulse before step 1). The noiseless response
      ``simulate(rnn, x=x, noise=False).y`` is then identical for every input sequence, and so are the
      Markov parameters ``V W^k U``. ``Q`` and ``P0`` are projected (``T_co^T Q T_co``); the output
      covariance is exact only if the noise lies in the kept reachable subspace.
    * ``preserve="distribution"``: also ``Q^{1/2}`` and ``P0^{1/2}``; then the whole output distribution
      (every mean and covariance of ``y_1 .. y_T``, hence the Kalman likelihood) is unchanged, at the
      price of keeping every observable state the noise excites.

    ``d``, ``R`` and ``dt`` are unchanged. Without inputs, bias or prior mean (and with
    ``preserve="mean"``) the minimal order is 0; since a LinearRNN has at least one unit, the result then
    has a single inert unit (``W = 0``, ``U = 0``, ``V = 0``) and outputs ``y = d``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    preserve : {"mean", "distribution"}
        What must stay identical (see above).

    Returns
    -------
    LinearRNN
        Of order ``n_co`` (the McMillan degree for ``preserve="mean"`` with ``b = h0 = 0``).

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``preserve`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import minimal_realization
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.5]], U=[[1.0], [1.0]], V=[[1.0, 1.0]])
    >>> small = minimal_realization(rnn)
    >>> small.n_hidden, float(abs(small.W[0, 0]))
    (1, 0.5)
    """
    rnn = _check_rnn(rnn)
    if preserve not in ("mean", "distribution"):
        raise ValueError(f"preserve must be 'mean' or 'distribution'; got {preserve!r}")
    drive = [rnn.U, rnn.b[:, None], rnn.h0[:, None]]
    if preserve == "distribution":
        drive += [_noise_factor(rnn.Q), _noise_factor(rnn.P0)]
    B = np.hstack(drive)
    n, m = rnn.n_hidden, rnn.n_outputs
    if not np.any(B):
        return dataclasses.replace(rnn, W=np.zeros((1, 1)), U=np.zeros((1, rnn.n_inputs)), b=np.zeros(1), V=np.zeros((m, 1)),
                                   Q=np.zeros((1, 1)), h0=np.zeros(1), P0=np.zeros((1, 1)))
    T, sizes, _ = _kalman(np.array(rnn.W), B, np.array(rnn.V))
    X = T[:, sizes[0] : sizes[0] + sizes[1]]
    if X.shape[1] == 0:  # the drive reaches only unobservable states: the output is y = d
        return minimal_realization(dataclasses.replace(rnn, U=np.zeros_like(rnn.U), b=np.zeros(n), h0=np.zeros(n), Q=0.0, P0=0.0))
    cong = lambda S: (lambda M: 0.5 * (M + M.T))(X.T @ S @ X)  # noqa: E731
    return dataclasses.replace(
        rnn, W=X.T @ rnn.W @ X, U=X.T @ rnn.U, b=X.T @ rnn.b, V=rnn.V @ X, Q=cong(rnn.Q), h0=X.T @ rnn.h0, P0=cong(rnn.P0)
    )


# -- balanced truncation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BalancedTruncation:
    """A reduced-order model by balanced truncation, with the a-priori error bound.

    Attributes
    ----------
    rnn : LinearRNN
        The reduced network (order ``order``).
    order : int
        Number of states kept.
    hankel_singular_values : ndarray, shape (n,)
        All Hankel singular values of the original, decreasing.
    error_bound : float
        ``2 * sum(hankel_singular_values[order:])``: a bound on the H-infinity norm of the error
        ``G - G_r`` of the input-output map ``x -> y`` (Enns; Al-Saggaf & Franklin for discrete time).
        Its lower counterpart is ``hankel_singular_values[order]``.
    T : ndarray, shape (n, order)
        Right projection: the reduced state ``z`` stands for ``h ~ T z``.
    Ti : ndarray, shape (order, n)
        Left projection, ``z = Ti h``; ``Ti @ T = I``.
    """

    rnn: LinearRNN
    order: int
    hankel_singular_values: np.ndarray
    error_bound: float
    T: np.ndarray
    Ti: np.ndarray

    def __repr__(self) -> str:
        n = self.hankel_singular_values.size
        return f"BalancedTruncation(order {self.order} of {n}, H-infinity error bound {self.error_bound:.4g})"


def balanced_truncation(rnn: LinearRNN, order: int) -> BalancedTruncation:
    r"""Reduce a stable LinearRNN to ``order`` states by balanced truncation (square-root method).

    In balanced coordinates both Gramians equal ``diag(sigma)`` (the Hankel singular values); the
    states with small ``sigma`` are both hard to reach and hard to see and are dropped. The reduced
    model is stable and ``sigma_{k+1} <= ||G - G_r||_inf <= 2 sum_{i>k} sigma_i`` for the map
    ``x -> y``. The projection is applied consistently to everything else: ``b -> Ti b``,
    ``h0 -> Ti h0``, ``Q -> Ti Q Ti^T``, ``P0 -> Ti P0 Ti^T`` (``d``, ``R`` unchanged); the bound covers
    only the input-output map.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    order : int
        Number of states to keep, ``1 <= order <= n`` and at most the number of non-zero Hankel
        singular values.

    Returns
    -------
    BalancedTruncation
        The reduced model, the Hankel singular values and the error bound.

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is ``>= 1``.
    ValueError
        If ``order`` is out of range or exceeds the numerical McMillan degree (then use
        :func:`minimal_realization` first).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import balanced_truncation
    >>> rnn = rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.1]], U=[[1.0], [0.1]], V=[[1.0, 0.1]])
    >>> red = balanced_truncation(rnn, 1)
    >>> red.rnn.n_hidden, red.error_bound < 0.01
    (1, True)
    """
    rnn = _check_rnn(rnn)
    n = rnn.n_hidden
    order = v.as_int("order", order, minimum=1)
    if order > n:
        raise ValueError(f"order must be an integer between 1 and n = {n}; got {order}")
    Lc, Lo, Z, s, Yt = _hankel(rnn)
    tol = n * EPS * (s[0] if s.size else 0.0)
    if not s[order - 1] > tol:
        degree = int(np.sum(s > tol))
        raise ValueError(
            f"order = {order} exceeds the numerical McMillan degree {degree} (Hankel singular value {order} is "
            f"{s[order - 1]:.3g} <= tol {tol:.3g}); use minimal_realization for an exact reduction"
        )
    scale = 1.0 / np.sqrt(s[:order])
    T = (Lc @ Yt[:order].T) * scale
    Ti = scale[:, None] * (Z[:, :order].T @ Lo.T)
    cong = lambda S: (lambda M: 0.5 * (M + M.T))(Ti @ S @ Ti.T)  # noqa: E731
    reduced = dataclasses.replace(
        rnn, W=Ti @ rnn.W @ T, U=Ti @ rnn.U, b=Ti @ rnn.b, V=rnn.V @ T, Q=cong(rnn.Q), h0=Ti @ rnn.h0, P0=cong(rnn.P0)
    )
    return BalancedTruncation(reduced, order, s, float(2.0 * np.sum(s[order:])), T, Ti)


# -- acting on the answer: steering and reconstruction ---------------------------------------------------------


@dataclass(frozen=True)
class SteeringResult:
    """The minimum-energy input sequence that drives the noiseless state to a target.

    Attributes
    ----------
    inputs : ndarray, shape (N, p)
        ``x_1 .. x_N``.
    energy : float
        ``sum_t ||x_t||^2``.
    final_state : ndarray, shape (n,)
        ``h_N`` obtained by running the noiseless recursion with ``inputs`` (not the algebraic prediction).
    target : ndarray, shape (n,)
        The requested ``h_N``.
    miss : float
        ``||final_state - target||``.
    reached : bool
        Whether the target lies in the reachable set (False only with ``best_effort=True``).
    rank : int
        Dimension of the subspace reachable in ``N`` steps (numerical rank of the reachability map).
    condition : float
        Condition number of the reachability map on that subspace; the relative accuracy of
        ``final_state`` is about ``eps * condition``.
    """

    inputs: np.ndarray
    energy: float
    final_state: np.ndarray
    target: np.ndarray
    miss: float
    reached: bool
    rank: int
    condition: float

    def __repr__(self) -> str:
        return (
            f"SteeringResult(steps={self.inputs.shape[0]}, energy={self.energy:.4g}, miss={self.miss:.2g}, "
            f"reached={self.reached}, rank={self.rank}, condition={self.condition:.3g})"
        )


def steer(
    rnn: LinearRNN, target: ArrayLike, steps: int, *, h0: ArrayLike | None = None, best_effort: bool = False
) -> SteeringResult:
    r"""The minimum-energy inputs that drive the noiseless hidden state from ``h0`` to ``target`` in ``N`` steps.

    Unrolling ``h_t = W h_{t-1} + U x_t + b`` gives

    .. math:: h_N = W^N h_0 + \sum_{i=0}^{N-1} W^i b + \sum_{i=0}^{N-1} W^i U x_{N-i}
              = f_N + C_N \, [x_1; \dots; x_N],

    with ``C_N = [W^{N-1} U, ..., W U, U]``. The inputs are the minimum-norm solution
    ``C_N^+ (target - f_N)`` (by SVD, singular values below ``n N p eps sigma_max`` dropped); their
    energy is ``(target - f_N)^T W_c(N)^{-1} (target - f_N)`` for the finite-horizon Gramian.

    Parameters
    ----------
    rnn : LinearRNN
        The network (needs inputs, ``p >= 1``, to steer anywhere but along the free response).
    target : array_like, shape (n,)
        The hidden state wanted after ``N`` steps.
    steps : int
        ``N >= 1``.
    h0 : array_like, shape (n,), optional
        Starting state; default ``rnn.h0``.
    best_effort : bool, default False
        If the target is not reachable, return the minimum-energy inputs reaching the closest reachable
        state (``reached=False``) instead of raising.

    Returns
    -------
    SteeringResult
        Inputs ``(N, p)``, energy and the achieved final state.

    Raises
    ------
    NotReachableError
        If the target is not reachable in ``N`` steps (the message gives the closest reachable state and
        the residual; the exception carries them as ``closest_state`` and ``residual``).
    DimensionError
        If ``target`` or ``h0`` has the wrong shape.
    TypeError
        If ``rnn`` is not a LinearRNN or ``steps`` is not an integer.
    ValueError
        If ``steps < 1``.

    Warns
    -----
    IllConditionedWarning
        If the achieved state misses a reachable target by more than ``1e-8`` relative (a badly conditioned
        reachability map; the condition number is in the message).

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import steer
    >>> rnn = rnnss.LinearRNN(W=[[0.0, 0.0], [1.0, 0.0]], U=[[1.0], [0.0]])  # a shift register
    >>> res = steer(rnn, [2.0, 3.0], steps=2)
    >>> res.inputs[:, 0], res.energy
    (array([3., 2.]), 13.0)
    """
    rnn = _check_rnn(rnn)
    N = v.as_int("steps", steps, minimum=1)
    n, p = rnn.n_hidden, rnn.n_inputs
    goal = v.as_vector("target", target, n)
    start = np.array(rnn.h0) if h0 is None else v.as_vector("h0", h0, n)
    free = start.copy()
    blocks = [rnn.U]
    for _ in range(N):
        free = rnn.W @ free + rnn.b
    for _ in range(N - 1):
        blocks.append(rnn.W @ blocks[-1])
    C = np.hstack(blocks[::-1])  # column block j multiplies x_{j+1}: W^{N-1-j} U
    if not (np.all(np.isfinite(C)) and np.all(np.isfinite(free))):
        raise NumericalError(f"W^k overflowed over {N} steps; steer over fewer steps")
    r = goal - free
    if C.size:
        Us, s, Vt = np.linalg.svd(C, full_matrices=False)
        k = int(np.sum(s > max(C.shape) * EPS * s[0]))
    else:
        Us, s, Vt, k = np.zeros((n, 0)), np.zeros(0), np.zeros((0, 0)), 0
    coef = Us[:, :k].T @ r
    u = Vt[:k].T @ (coef / s[:k]) if k else np.zeros(N * p)
    outside = r - Us[:, :k] @ coef  # the part of target - f_N no input can produce
    scale = max(float(np.linalg.norm(goal)), float(np.linalg.norm(free)), np.finfo(float).tiny)
    reached = float(np.linalg.norm(outside)) <= STEER_RTOL * scale
    cond = float(s[0] / s[k - 1]) if k else 1.0
    if not reached and not best_effort:
        closest = goal - outside
        err = NotReachableError(
            f"target is not reachable from h0 in {N} steps: the reachable set is the free response plus a "
            f"{k}-dimensional subspace of the {n}-dimensional hidden space; the closest reachable state is "
            f"{np.array2string(closest, precision=4)} and the residual is |target - closest| = "
            f"{np.linalg.norm(outside):.3g} (relative {np.linalg.norm(outside) / scale:.3g}). Try more steps, "
            "check structure_report(rnn), or pass best_effort=True"
        )
        err.closest_state = closest  # type: ignore[attr-defined]
        err.residual = outside  # type: ignore[attr-defined]
        raise err
    inputs = u.reshape(N, p)
    final = simulate(rnn, x=inputs, h0=start, noise=False).h[-1]
    miss = float(np.linalg.norm(final - goal))
    if reached and miss > 1e-8 * scale:
        warnings.warn(
            f"the steering inputs miss the target by {miss:.3g} (relative {miss / scale:.3g}): the reachability map "
            f"has condition number {cond:.3g}, so the inputs are huge and rounding dominates; steer over more steps",
            IllConditionedWarning,
            stacklevel=2,
        )
    return SteeringResult(inputs, float(np.sum(u**2)), final, goal, miss, bool(reached), k, cond)


@dataclass(frozen=True)
class StateReconstruction:
    """Hidden states recovered from noiseless outputs by least squares.

    Attributes
    ----------
    h0 : ndarray, shape (n,) or (batch, n)
        Minimum-norm least-squares estimate of the state before step 1.
    states : ndarray, shape (T, n) or (batch, T, n)
        The hidden trajectory ``h_1 .. h_T`` implied by ``h0``, the inputs and the biases.
    rank : int
        Numerical rank of the map ``h0 -> (y_1 .. y_T)`` (``[V W; V W^2; ...; V W^T]``).
    condition : float
        Its condition number on the determined subspace: noise in ``y`` is amplified by up to this factor.
    undetermined : ndarray, shape (n, n - rank)
        Orthonormal directions of ``h0`` the outputs do not determine (the estimate has no component
        along them).
    states_determined : bool
        Whether the trajectory is unique. It can be even when ``h0`` is not: directions in the null space of
        ``W`` are forgotten at the first step (``rank(map) == rank(W)``).
    residual : float
        Root-mean-square of ``y - (V h_t + d)``: zero up to rounding for noiseless data from this model.
    """

    h0: np.ndarray
    states: np.ndarray
    rank: int
    condition: float
    undetermined: np.ndarray
    states_determined: bool
    residual: float

    def __repr__(self) -> str:
        return (
            f"StateReconstruction(T={self.states.shape[-2]}, rank={self.rank} of {self.h0.shape[-1]}, "
            f"condition={self.condition:.3g}, states_determined={self.states_determined}, residual={self.residual:.2g})"
        )


def reconstruct_state(rnn: LinearRNN, y: ArrayLike, x: ArrayLike | None = None) -> StateReconstruction:
    r"""Recover the initial state and the hidden trajectory from noiseless outputs (and inputs).

    With known inputs and biases the output is ``y_t = V W^t h_0 + g_t`` where ``g_t`` (the response from
    ``h_0 = 0``) is computed exactly, so ``h_0`` solves the linear least-squares problem
    ``[V W; ...; V W^T] h_0 = y - g``. Its minimum-norm solution (SVD, rank tolerance
    ``max(T m, n) eps sigma_max``) is exact for an observable system with ``T`` large enough and ``W``
    invertible. For noisy outputs this is the plain least-squares fit, not the Kalman smoother.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    y : array_like, shape (T, m), (T,) if m == 1, or (batch, T, m)
        Outputs ``y_1 .. y_T``.
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs ``x_1 .. x_T``; required when ``p > 0``.

    Returns
    -------
    StateReconstruction
        ``h0``, ``states`` and the diagnostics (rank, conditioning, undetermined directions).

    Raises
    ------
    DimensionError
        If ``y`` or ``x`` has the wrong shape or their lengths or batch sizes disagree.
    ValueError
        If ``x`` is missing although ``p > 0``, or ``y`` holds non-finite values.
    TypeError
        If ``rnn`` is not a LinearRNN.

    Warns
    -----
    UserWarning
        If the trajectory is not determined by the outputs (an unobservable mode is excited): the
        minimum-norm solution is returned and ``undetermined`` lists the free directions.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss.structure import reconstruct_state
    >>> rnn = rnnss.LinearRNN(W=[[0.9, 0.0], [1.0, 0.5]], V=[[0.0, 1.0]], h0=[1.0, -2.0])
    >>> y = rnnss.simulate(rnn, steps=4, noise=False).y
    >>> reconstruct_state(rnn, y).h0.round(12)
    array([ 1., -2.])
    """
    rnn = _check_rnn(rnn)
    n, m = rnn.n_hidden, rnn.n_outputs
    ys, batched = v.as_sequence("y", y, m)
    nb, T, _ = ys.shape
    if x is None and rnn.n_inputs:
        raise ValueError(f"x is required: this network has p = {rnn.n_inputs} inputs")
    xs, xbatched = _inputs(rnn, T, x, None) if x is not None else (np.zeros((1, T, 0)), False)
    if xbatched and xs.shape[0] != nb and nb != 1:
        raise v.DimensionError(f"x holds {xs.shape[0]} sequences but y holds {nb}")
    nb = max(nb, xs.shape[0])
    ys = np.broadcast_to(ys, (nb, T, m))
    xs = np.broadcast_to(xs, (nb, T, xs.shape[2]))
    forced = simulate(rnn, x=xs, h0=np.zeros(n), noise=False).h @ rnn.V.T + rnn.d  # g_t
    G = np.empty((T * m, n))
    P = np.array(rnn.W)
    for t in range(T):
        G[t * m : (t + 1) * m] = rnn.V @ P
        P = rnn.W @ P
    if not np.all(np.isfinite(G)):
        raise NumericalError(f"W^t overflowed over T = {T} steps; reconstruct from a shorter window")
    Us, s, Vt = np.linalg.svd(G, full_matrices=True)
    k = int(np.sum(s > max(G.shape) * EPS * (s[0] if s.size else 0.0)))
    rhs = (ys - forced).reshape(nb, T * m)
    h0 = ((rhs @ Us[:, :k]) / s[:k]) @ Vt[:k] if k else np.zeros((nb, n))
    states = simulate(rnn, x=xs, h0=h0, noise=False).h
    resid = ys - (states @ rnn.V.T + rnn.d)
    determined = k >= numerical_rank(rnn.W).rank
    undetermined = Vt[k:].T.copy()
    if not determined:
        warnings.warn(
            f"the outputs do not determine the hidden trajectory: the map h0 -> y has rank {k} < rank W = "
            f"{numerical_rank(rnn.W).rank} (an unobservable mode is in play); returning the minimum-norm solution, "
            "see .undetermined for the free directions of h0",
            UserWarning,
            stacklevel=2,
        )
    cond = float(s[0] / s[k - 1]) if k else np.inf
    return StateReconstruction(
        h0 if batched or xbatched else h0[0],
        states if batched or xbatched else states[0],
        k,
        cond,
        undetermined,
        bool(determined),
        float(np.sqrt(np.mean(resid**2))),
    )
