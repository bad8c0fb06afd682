"""The LinearRNN and its exact algebra: simulation, impulse responses, unrolling, eigenmodes, fixed points."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _validate as v
from ._linalg import eigen_clusters, psd_sqrt, solve_stein
from ._model import Model, register_model
from .exceptions import IllConditionedError, NotStableError, NumericalError

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "LinearRNN",
    "Trajectory",
    "Modes",
    "TransientGrowth",
    "impulse_response",
    "markov_parameters",
    "step_response",
    "unroll",
    "eigenmodes",
    "spectral_radius",
    "spectral_norm",
    "transient_growth",
    "is_stable",
    "fixed_point",
    "stationary_covariance",
    "with_stationary_prior",
    "random_rnn",
]

# Condition number of (I - W) above which a fixed point is refused: beyond it fewer than about
# four significant digits of h* survive double precision.
FIXED_POINT_MAX_COND = 1e12


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class LinearRNN(Model):
    r"""A linear recurrent network with Gaussian noise: a discrete-time linear state-space model.

    .. math::

        h_t = W h_{t-1} + U x_t + b + \eta_t, \qquad \eta_t \sim N(0, Q) \\
        y_t = V h_t + d + \varepsilon_t, \qquad \varepsilon_t \sim N(0, R)

    for ``t = 1, ..., T`` with ``h_0 ~ N(h0, P0)``: ``n`` hidden units, ``p`` inputs, ``m`` outputs.
    The input ``x_t`` acts in the same step as it arrives (``h_1`` already depends on ``x_1``).

    In control-theory notation ``W, U, V`` are ``A, B, C`` (no feed-through ``D``); in statsmodels'
    state-space notation ``W`` is the transition ``T``, ``V`` the design ``Z``, ``Q`` the state
    covariance (with selection ``R = I``) and ``R`` the observation covariance ``H``.

    The object is immutable (arrays are read-only); derive variants with :func:`dataclasses.replace`.

    Parameters
    ----------
    W : array_like, shape (n, n)
        Recurrent weights (a 0-d scalar is read as a 1x1 matrix).
    U : array_like, shape (n, p), optional
        Input weights. Default: no input (``p = 0``).
    b : array_like, shape (n,), optional
        Hidden bias. Default zeros.
    V : array_like, shape (m, n), optional
        Read-out weights. Default the identity (``m = n``).
    d : array_like, shape (m,), optional
        Output bias. Default zeros.
    Q : array_like, shape (n, n) or scalar, optional
        Process-noise covariance, symmetric PSD (a scalar ``s`` means ``s * I``). Default zeros.
    R : array_like, shape (m, m) or scalar, optional
        Observation-noise covariance, symmetric PSD. Default zeros.
    h0 : array_like, shape (n,), optional
        Mean of the state before the first step. Default zeros.
    P0 : array_like, shape (n, n) or scalar, optional
        Covariance of the state before the first step, symmetric PSD. Default zeros (``h_0`` known).
    dt : float, optional
        Sampling interval, in the user's time unit; used for time constants and conversions.

    Raises
    ------
    DimensionError
        If an array has the wrong shape (the message names it, the expected and received shapes).
    ValueError
        If an entry is not finite, or ``Q``, ``R``, ``P0`` are not symmetric PSD, or ``dt <= 0``.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> import rnnss
    >>> rnn = rnnss.LinearRNN(W=[[0.9, 0.1], [0.0, 0.8]], V=[[1.0, 0.0]], Q=0.1, R=0.5)
    >>> rnn.n_hidden, rnn.n_inputs, rnn.n_outputs
    (2, 0, 1)
    >>> round(rnn.spectral_radius, 3)
    0.9
    """

    W: np.ndarray
    U: np.ndarray | None = None
    b: np.ndarray | None = None
    V: np.ndarray | None = None
    d: np.ndarray | None = None
    Q: np.ndarray | None = None
    R: np.ndarray | None = None
    h0: np.ndarray | None = None
    P0: np.ndarray | None = None
    dt: float = 1.0
    _cache: dict = field(default_factory=dict, init=False, compare=False)

    def __post_init__(self) -> None:
        W = v.as_square("W", self.W)
        n = W.shape[0]
        if n == 0:
            raise v.DimensionError("W must have at least one hidden unit; got shape (0, 0)")
        U = np.zeros((n, 0)) if self.U is None else v.as_matrix("U", self.U, (n, None))
        V = np.eye(n) if self.V is None else v.as_matrix("V", self.V, (None, n))
        m = V.shape[0]
        if m == 0:
            raise v.DimensionError(f"V must have at least one output row; got shape (0, {n})")
        values = {
            "W": W,
            "U": U,
            "b": np.zeros(n) if self.b is None else v.as_vector("b", self.b, n),
            "V": V,
            "d": np.zeros(m) if self.d is None else v.as_vector("d", self.d, m),
            "Q": np.zeros((n, n)) if self.Q is None else v.as_psd("Q", self.Q, n),
            "R": np.zeros((m, m)) if self.R is None else v.as_psd("R", self.R, m),
            "h0": np.zeros(n) if self.h0 is None else v.as_vector("h0", self.h0, n),
            "P0": np.zeros((n, n)) if self.P0 is None else v.as_psd("P0", self.P0, n),
        }
        for name, arr in values.items():
            object.__setattr__(self, name, v.freeze(arr))
        object.__setattr__(self, "dt", v.as_float("dt", self.dt, positive=True))

    # -- sizes -------------------------------------------------------------------------------
    @property
    def n_hidden(self) -> int:
        """Number of hidden units ``n``."""
        return self.W.shape[0]

    @property
    def n_inputs(self) -> int:
        """Number of inputs ``p``."""
        return self.U.shape[1]

    @property
    def n_outputs(self) -> int:
        """Number of outputs ``m``."""
        return self.V.shape[0]

    @property
    def has_bias(self) -> bool:
        """Whether ``b`` or ``d`` is non-zero."""
        return bool(np.any(self.b) or np.any(self.d))

    @property
    def spectral_radius(self) -> float:
        """``max |eig(W)|``."""
        return spectral_radius(self)

    @property
    def is_stable(self) -> bool:
        """Whether every mode of ``W`` lies inside the unit circle beyond rounding; see :func:`rnnss.is_stable`."""
        return is_stable(self)

    # -- display ------------------------------------------------------------------------------
    def __repr__(self) -> str:
        rho = spectral_radius(self)
        rank = lambda S: int(np.linalg.matrix_rank(S)) if S.size else 0  # noqa: E731
        return (
            f"LinearRNN(n={self.n_hidden}, p={self.n_inputs}, m={self.n_outputs}, dt={self.dt:g}; "
            f"rho(W)={rho:.4g} {'stable' if is_stable(self) else 'NOT stable'}; "
            f"rank Q={rank(self.Q)}, rank R={rank(self.R)}{'; biased' if self.has_bias else ''})"
        )

    # -- one-line conveniences over the free functions ----------------------------------------
    def simulate(self, steps: int | None = None, x: ArrayLike | None = None, **kwargs: Any) -> Trajectory:
        """Simulate the network; see :func:`rnnss.simulate`."""
        return simulate(self, steps, x, **kwargs)

    def impulse_response(self, steps: int, **kwargs: Any) -> np.ndarray:
        """Impulse response ``V W^i U``; see :func:`rnnss.impulse_response`."""
        return impulse_response(self, steps, **kwargs)

    def eigenmodes(self) -> Modes:
        """Eigenvalues, eigenvectors, half-lives and time constants; see :func:`rnnss.eigenmodes`."""
        return eigenmodes(self)

    def fixed_point(self, x: ArrayLike | None = None) -> np.ndarray:
        """Noiseless fixed point under constant input; see :func:`rnnss.fixed_point`."""
        return fixed_point(self, x)

    def to_statespace(self, **kwargs: Any):
        """python-control ``StateSpace``; see :func:`rnnss.to_statespace`."""
        from .interop.control import to_statespace

        return to_statespace(self, **kwargs)

    def to_dlti(self, **kwargs: Any):
        """scipy.signal ``StateSpace`` (discrete); see :func:`rnnss.to_dlti`."""
        from .interop.control import to_dlti

        return to_dlti(self, **kwargs)

    @classmethod
    def from_statespace(cls, sys: Any, **kwargs: Any) -> LinearRNN:
        """Build from a python-control ``StateSpace``; see :func:`rnnss.from_statespace`."""
        from .interop.control import from_statespace

        return from_statespace(sys, **kwargs)

    @classmethod
    def from_dlti(cls, sys: Any, **kwargs: Any) -> LinearRNN:
        """Build from a scipy.signal discrete system; see :func:`rnnss.from_dlti`."""
        from .interop.control import from_dlti

        return from_dlti(sys, **kwargs)

    @classmethod
    def from_continuous(cls, J: ArrayLike, B: ArrayLike | None = None, **kwargs: Any) -> LinearRNN:
        """Discretise ``dh/dt = J h + B u``; see :func:`rnnss.from_continuous`."""
        from .discretize import from_continuous

        return from_continuous(J, B, **kwargs)


def require_stable(rnn: LinearRNN, what: str, hint: str = "") -> None:
    """Raise :class:`NotStableError` naming ``what`` needs a stable ``W`` (stationary quantities, Gramians, spectra)."""
    if not is_stable(rnn):
        rho = spectral_radius(rnn)
        where = f"{rho:.6g} >= 1" if rho >= 1 else f"{rho:.17g}, within rounding error of 1 (a marginal mode)"
        raise NotStableError(
            f"{what} needs a stable W (every |lambda| < 1 beyond rounding); the spectral radius of W is {where}{hint}"
        )


# -- simulation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trajectory:
    """Hidden states and outputs of a simulation.

    Attributes
    ----------
    h : ndarray, shape (T, n) or (batch, T, n)
        Hidden states ``h_1 .. h_T`` (``h_0`` is not included).
    y : ndarray, shape (T, m) or (batch, T, m)
        Outputs ``y_1 .. y_T``.
    """

    h: np.ndarray
    y: np.ndarray

    def __repr__(self) -> str:
        return f"Trajectory(h: shape {self.h.shape}, y: shape {self.y.shape})"


def input_sequences(rnn: LinearRNN, steps: int | None, x: Any, batch: int | None) -> tuple[np.ndarray, bool]:
    """The input as ``(batch, T, p)`` plus whether the caller asked for a batch."""
    if x is None:
        if steps is None:
            raise TypeError("simulate needs the number of steps or the input sequence x; got neither")
        steps = v.as_int("steps", steps, minimum=1)
        if rnn.n_inputs:
            raise ValueError(f"x is required: this network has p = {rnn.n_inputs} inputs")
        batched = batch is not None
        nb = 1 if batch is None else v.as_int("batch", batch, minimum=1)
        return np.zeros((nb, steps, 0)), batched
    xs, batched = v.as_sequence(
        "x", x, rnn.n_inputs, steps=None if steps is None else v.as_int("steps", steps, minimum=1)
    )
    if batch is not None:
        batch = v.as_int("batch", batch, minimum=1)
        if batched and xs.shape[0] != batch:
            raise v.DimensionError(f"batch = {batch} disagrees with x, which holds {xs.shape[0]} sequences")
        if not batched:
            xs, batched = np.repeat(xs, batch, axis=0), True
    return xs, batched


def simulate(
    rnn: LinearRNN,
    steps: int | None = None,
    x: ArrayLike | None = None,
    *,
    noise: bool = True,
    batch: int | None = None,
    h0: ArrayLike | None = None,
    rng: Any = None,
) -> Trajectory:
    r"""Run the recurrence ``h_t = W h_{t-1} + U x_t + b + eta_t``, ``y_t = V h_t + d + eps_t``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Number of steps ``T``; required when there is no input, otherwise read from ``x``.
    x : array_like, shape (T, p), (T,) if p == 1, or (batch, T, p), optional
        Inputs ``x_1 .. x_T`` (time on axis 0, or batch first).
    noise : bool, default True
        Draw ``h_0 ~ N(h0, P0)``, ``eta_t ~ N(0, Q)`` and ``eps_t ~ N(0, R)``; with False the run is
        the deterministic recursion from ``h_0 = h0``.
    batch : int, optional
        Number of independent sequences; an unbatched ``x`` is shared by all of them.
    h0 : array_like, shape (n,) or (batch, n), optional
        Mean of the initial state, replacing ``rnn.h0`` (one per sequence if 2-D).
    rng : numpy.random.Generator or int, optional
        Source of the noise. Draw order: ``h_0``, then all ``eta``, then all ``eps``.

    Returns
    -------
    Trajectory
        ``h`` of shape (T, n) and ``y`` of shape (T, m); with a batch, (batch, T, n) and (batch, T, m).

    Raises
    ------
    DimensionError
        If ``x`` has the wrong shape or disagrees with ``steps``/``batch``.
    TypeError
        If neither ``steps`` nor ``x`` is given.

    Examples
    --------
    >>> import rnnss
    >>> rnn = rnnss.LinearRNN(W=0.5, U=[[1.0]])
    >>> rnnss.simulate(rnn, x=[1.0, 0.0, 0.0], noise=False).h[:, 0]
    array([1.  , 0.5 , 0.25])
    """
    noise = v.as_bool("noise", noise)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    xs, batched = input_sequences(rnn, steps, x, batch)
    nb, T, _ = xs.shape
    n, m = rnn.n_hidden, rnn.n_outputs
    drive = xs @ rnn.U.T + rnn.b  # (nb, T, n)
    start = rnn.h0 if h0 is None else v.as_float_array("h0", h0)
    if start.shape not in ((n,), (nb, n)):
        raise v.DimensionError(f"h0 must have shape ({n},) or ({nb}, {n}); got shape {start.shape}")
    v.check_finite("h0", start)
    h = np.broadcast_to(start, (nb, n)).copy()
    eps = None
    if noise:
        gen = v.as_rng(rng)
        z0, zq, zr = gen.standard_normal((nb, n)), gen.standard_normal((nb, T, n)), gen.standard_normal((nb, T, m))
        h += z0 @ psd_sqrt(rnn.P0).T
        drive = drive + zq @ psd_sqrt(rnn.Q).T
        eps = zr @ psd_sqrt(rnn.R).T
    H = np.empty((nb, T, n))
    Wt = rnn.W.T
    for t in range(T):
        h = h @ Wt + drive[:, t]
        H[:, t] = h
    Y = H @ rnn.V.T + rnn.d
    if eps is not None:
        Y += eps
    return Trajectory(H if batched else H[0], Y if batched else Y[0])


# -- impulse and step responses, unrolling --------------------------------------------------------


def impulse_response(rnn: LinearRNN, steps: int, *, target: str = "output") -> np.ndarray:
    r"""Response to a unit impulse on each input from ``h_0 = 0`` with no bias or noise.

    Entry ``k`` is the response ``k`` steps after the impulse enters: ``V W^k U`` for the output (the
    Markov parameters) and ``W^k U`` for the hidden state. python-control's ``impulse_response`` of
    :func:`rnnss.to_statespace` is the same sequence delayed by one sample (its first sample is
    ``D = 0`` because there the input acts on the *next* state).

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int
        Number of samples ``K >= 1``.
    target : {"output", "hidden"}
        Which response to return.

    Returns
    -------
    ndarray, shape (K, m, p) or (K, n, p)
        ``out[k, i, j]`` is the response of output (or unit) ``i`` at lag ``k`` to input ``j``.

    Raises
    ------
    ValueError
        If ``steps < 1`` or ``target`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.impulse_response(rnnss.LinearRNN(W=0.5, U=[[2.0]]), 3)[:, 0, 0]
    array([2. , 1. , 0.5])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    steps = v.as_int("steps", steps, minimum=1)
    if target not in ("output", "hidden"):
        raise ValueError(f"target must be 'output' or 'hidden'; got {target!r}")
    out = np.empty((steps, rnn.n_hidden, rnn.n_inputs))
    G = rnn.U.copy()
    for k in range(steps):
        out[k] = G
        G = rnn.W @ G
    return out if target == "hidden" else np.einsum("mn,knp->kmp", rnn.V, out)


def markov_parameters(rnn: LinearRNN, steps: int) -> np.ndarray:
    """The Markov parameters ``V W^k U`` for ``k = 0 .. steps-1``, shape ``(steps, m, p)``.

    The same numbers as ``impulse_response(rnn, steps)``; this is the name system identification
    uses for them.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int
        Number of parameters ``K >= 1``.

    Returns
    -------
    ndarray, shape (K, m, p)
        ``V W^k U``.
    """
    return impulse_response(rnn, steps, target="output")


def step_response(rnn: LinearRNN, steps: int, *, target: str = "output") -> np.ndarray:
    """Response to a unit step on each input (from ``h_0 = 0``, no bias or noise).

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int
        Number of samples ``K >= 1``.
    target : {"output", "hidden"}
        Which response to return.

    Returns
    -------
    ndarray, shape (K, m, p) or (K, n, p)
        Entry ``k`` is ``sum_{i<=k} V W^i U`` (or ``W^i U``): the response ``k`` steps after the step
        starts. For a stable ``W`` it tends to the DC gain ``V (I - W)^{-1} U``.
    """
    return np.cumsum(impulse_response(rnn, steps, target=target), axis=0)


def unroll(
    rnn: LinearRNN, x: ArrayLike | None = None, *, steps: int | None = None, h0: ArrayLike | None = None
) -> np.ndarray:
    r"""The last hidden state from the unrolled (non-recursive) form of the noiseless network.

    .. math:: h_T = \sum_{i=0}^{T-1} W^i (U x_{T-i} + b) + W^T h_0

    This is the state as a "weighted sum of all past inputs"; it equals the recursion in exact
    arithmetic and is useful to see which power of ``W`` weighs each input.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    x : array_like, shape (T, p) or (batch, T, p), optional
        Inputs ``x_1 .. x_T``; omit for ``p = 0`` and give ``steps``.
    steps : int, optional
        ``T`` when there is no input.
    h0 : array_like, shape (n,) or (batch, n), optional
        Initial state; default ``rnn.h0``.

    Returns
    -------
    ndarray, shape (n,) or (batch, n)
        ``h_T``.
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    xs, batched = input_sequences(rnn, steps, x, None)
    nb, T, _ = xs.shape
    start = rnn.h0 if h0 is None else v.as_float_array("h0", h0)
    if start.shape not in ((rnn.n_hidden,), (nb, rnn.n_hidden)):
        raise v.DimensionError(f"h0 must have shape ({rnn.n_hidden},) or ({nb}, {rnn.n_hidden}); got {start.shape}")
    v.check_finite("h0", start)
    drive = xs @ rnn.U.T + rnn.b  # (nb, T, n): U x_t + b for t = 1..T
    acc = np.zeros((nb, rnn.n_hidden))
    P = np.eye(rnn.n_hidden)
    for i in range(T):  # add W^i (U x_{T-i} + b)
        acc += drive[:, T - 1 - i] @ P.T
        P = rnn.W @ P
    acc += np.broadcast_to(start, (nb, rnn.n_hidden)) @ P.T
    return acc if batched else acc[0]


# -- eigenmodes and norms ----------------------------------------------------------------------


@dataclass(frozen=True)
class Modes:
    """Eigenmodes of the recurrence ``h_t = W h_{t-1}``, sorted by decreasing ``|lambda|``.

    Attributes
    ----------
    eigenvalues : ndarray, shape (n,), complex
        Eigenvalues ``lambda_i`` of ``W``.
    eigenvectors : ndarray, shape (n, n), complex
        Column ``i`` is the (unit-norm) eigenvector of ``eigenvalues[i]``.
    modulus : ndarray, shape (n,)
        ``|lambda_i|``: the factor by which the mode shrinks (or grows) per step.
    half_life : ndarray, shape (n,)
        ``ln 0.5 / ln |lambda_i|`` in steps: steps for the mode to halve. ``inf`` for ``|lambda| = 1``,
        negative for a growing mode (then ``-half_life`` is its doubling time, and the printed table
        ``str(modes)`` shows it as "``<t> doubling``"), 0 for ``lambda = 0``.
    time_constant : ndarray, shape (n,)
        ``-dt / ln |lambda_i|`` in the units of ``dt``: the e-folding time of the mode's envelope
        (negative for growing modes).
    period : ndarray, shape (n,)
        Oscillation period ``2 pi dt / |arg lambda_i|`` in units of ``dt`` (``inf`` for real positive).
    dt : float
        The sampling interval the times refer to.
    """

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    modulus: np.ndarray
    half_life: np.ndarray
    time_constant: np.ndarray
    period: np.ndarray
    dt: float

    def __str__(self) -> str:
        """The table of modes; a growing mode (``|lambda| > 1``) shows its doubling time ``-half_life``, marked."""
        rows = ["  #  eigenvalue            |lambda|  half-life [steps]  time const. [dt units]  period [dt units]"]
        for i, lam in enumerate(self.eigenvalues):
            hl = self.half_life[i]
            # A negative half-life is a doubling time: print it as such rather than as a negative duration.
            life = f"{-hl:.4g} doubling" if hl < 0 else f"{hl:.4g}"
            rows.append(
                f"{i:3d}  {lam.real:+.4f}{lam.imag:+.4f}j  {self.modulus[i]:8.4f}  {life:>17}"
                f"  {self.time_constant[i]:22.4g}  {self.period[i]:17.4g}"
            )
        if np.any(self.half_life < 0):
            rows.append("(doubling: |lambda| > 1, the mode doubles in that many steps; half_life holds it negated)")
        return "\n".join(rows)


def eigenmodes(rnn: LinearRNN) -> Modes:
    """Eigenvalues and eigenvectors of ``W`` with per-mode half-life, time constant and period.

    Parameters
    ----------
    rnn : LinearRNN
        The network (only ``W`` and ``dt`` are used).

    Returns
    -------
    Modes
        Sorted by decreasing modulus; see :class:`Modes` for the formulas and units.

    Examples
    --------
    >>> import rnnss
    >>> modes = rnnss.eigenmodes(rnnss.LinearRNN(W=[[0.5, 0.0], [0.0, 0.25]]))
    >>> modes.half_life
    array([1. , 0.5])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    lam, vecs = np.linalg.eig(rnn.W)
    order = np.lexsort((-lam.imag, -np.abs(lam)))
    lam, vecs = lam[order].astype(complex), vecs[:, order].astype(complex)
    mod = np.abs(lam)
    with np.errstate(divide="ignore"):
        log_mod = np.log(mod)  # -inf for lambda = 0
        half = np.where(log_mod == 0, np.inf, math.log(0.5) / np.where(log_mod == 0, 1.0, log_mod))
        tau = np.where(log_mod == 0, np.inf, -rnn.dt / np.where(log_mod == 0, 1.0, log_mod))
        ang = np.abs(np.angle(lam))
        period = np.where(ang == 0, np.inf, 2 * np.pi * rnn.dt / np.where(ang == 0, 1.0, ang))
    return Modes(lam, vecs, mod, half, tau, period, rnn.dt)


def spectral_radius(rnn: LinearRNN) -> float:
    """``max_i |lambda_i(W)|``, which decides asymptotic stability (stable iff < 1).

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    float
        The spectral radius of ``W``.
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if "rho" not in rnn._cache:
        rnn._cache["rho"] = float(np.max(np.abs(np.linalg.eigvals(rnn.W))))
    return rnn._cache["rho"]


def spectral_norm(rnn: LinearRNN) -> float:
    """``||W||_2``, the largest singular value: the worst one-step amplification of any state.

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    float
        The spectral norm of ``W``; it bounds the spectral radius from above.
    """
    return float(np.linalg.norm(v.check_instance(rnn, LinearRNN, "rnn").W, 2))


#: A spectral radius this far below 1 is stable whatever the rounding of the eigenvalues; closer to the unit
#: circle the decision is taken per eigenvalue cluster with its error bound (:func:`rnnss._linalg.eigen_clusters`).
CLEARLY_STABLE_GAP = 1e-6


def is_stable(rnn: LinearRNN) -> bool:
    """Whether the noiseless recurrence forgets its initial state: every mode strictly inside the unit circle.

    A mode counts as stable only when ``|lambda| < 1`` holds beyond the rounding error of the computed
    eigenvalue: ``|lambda| + err < 1``, with ``err`` the first-order bound ``n eps kappa ||W||`` of a simple
    eigenvalue or, for a repeated or defective one, the bound of its cluster mean. So a rotation (computed
    spectral radius ``0.9999999999999999``) or an orthogonal ``W`` is *not* stable, and neither is a
    Jordan block at 1 whose computed eigenvalues split to ``1 +- 1e-8``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.

    Returns
    -------
    bool
        True when every eigenvalue cluster of ``W`` lies inside the unit circle beyond its error bound.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> rnnss.is_stable(rnnss.LinearRNN(W=0.999))
    True
    >>> th = 0.3
    >>> rot = [[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]]
    >>> rnnss.is_stable(rnnss.LinearRNN(W=rot))  # |lambda| = 1: marginal, not stable
    False
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if "stable" not in rnn._cache:
        rho = spectral_radius(rnn)
        if rho < 1.0 - CLEARLY_STABLE_GAP:
            stable = True
        elif rho >= 1.0:
            stable = False
        else:
            stable = not any(cl.unstable for cl in eigen_clusters(np.array(rnn.W)))
        rnn._cache["stable"] = stable
    return rnn._cache["stable"]


@dataclass(frozen=True)
class TransientGrowth:
    """The curve ``k -> ||W^k||_2``.

    Attributes
    ----------
    norms : ndarray, shape (K + 1,)
        ``||W^k||_2`` for ``k = 0 .. K`` (``norms[0] = 1``).
    peak : float
        ``max_k ||W^k||_2``: how much a stable network can still amplify a state before it decays.
    peak_step : int
        The ``k`` where the peak is reached.
    """

    norms: np.ndarray
    peak: float
    peak_step: int

    def __repr__(self) -> str:
        return f"TransientGrowth(peak={self.peak:.4g} at k={self.peak_step}, steps={len(self.norms) - 1})"


def transient_growth(rnn: LinearRNN, steps: int | None = None) -> TransientGrowth:
    """Transient amplification ``||W^k||_2`` over ``k`` steps.

    A stable but non-normal ``W`` (spectral radius < 1 but ``||W||_2 > 1``) amplifies some states for a
    while before they decay: eigenvalues alone hide this, which is why gradient analyses look at the spectral norm.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    steps : int, optional
        Largest power ``K``. Default: long enough for a stable ``W`` to decay by 1e-6 relative to its
        slowest mode (at most 10000), or 100 for an unstable one.

    Returns
    -------
    TransientGrowth
        The curve and its peak.
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if steps is None:
        rho = spectral_radius(rnn)
        steps = 100 if rho >= 1 or rho == 0 else int(min(10_000, max(50, math.ceil(np.log(1e-6) / np.log(rho)))))
    steps = v.as_int("steps", steps, minimum=0)
    norms = np.empty(steps + 1)
    P = np.eye(rnn.n_hidden)
    for k in range(steps + 1):
        norms[k] = np.linalg.norm(P, 2)
        P = rnn.W @ P
    k = int(np.argmax(norms))
    return TransientGrowth(norms, float(norms[k]), k)


# -- fixed point and stationary distribution -------------------------------------------------------


def fixed_point(rnn: LinearRNN, x: ArrayLike | None = None) -> np.ndarray:
    r"""The noiseless fixed point under a constant input, ``h* = (I - W)^{-1} (U x + b)``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    x : array_like, shape (p,), optional
        The constant input; default zeros.

    Returns
    -------
    ndarray, shape (n,)
        ``h*``, the state with ``h* = W h* + U x + b``. It attracts every trajectory iff ``W`` is stable.

    Raises
    ------
    NumericalError
        If ``I - W`` is singular (``W`` has an eigenvalue at 1: a line of fixed points, or none).
    IllConditionedError
        If ``cond(I - W) > 1e12``; the condition number is in the message and on the exception.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.fixed_point(rnnss.LinearRNN(W=0.5, U=[[1.0]], b=[1.0]), x=[1.0])
    array([4.])
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    xc = np.zeros(rnn.n_inputs) if x is None else v.as_vector("x", x, rnn.n_inputs)
    M = np.eye(rnn.n_hidden) - rnn.W
    s = np.linalg.svd(M, compute_uv=False)
    if s[-1] == 0:
        raise NumericalError("I - W is singular (W has an eigenvalue 1): there is no unique fixed point")
    cond = float(s[0] / s[-1])
    if cond > FIXED_POINT_MAX_COND:
        raise IllConditionedError(
            f"I - W is ill-conditioned (condition number {cond:.3g} > {FIXED_POINT_MAX_COND:g}): W has an "
            "eigenvalue within about 1e-12 of 1 and the fixed point is not determined to useful accuracy",
            cond,
        )
    return np.linalg.solve(M, rnn.U @ xc + rnn.b)


def stationary_covariance(rnn: LinearRNN) -> np.ndarray:
    r"""The stationary covariance ``S`` of the hidden state, the solution of ``S = W S W^T + Q``.

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.

    Returns
    -------
    ndarray, shape (n, n)
        ``S = sum_k W^k Q (W^k)^T``, symmetric PSD.

    Raises
    ------
    NotStableError
        If the spectral radius of ``W`` is not below one (no stationary distribution exists).
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    require_stable(rnn, "the stationary covariance")
    return solve_stein(rnn.W, rnn.Q)


def with_stationary_prior(rnn: LinearRNN, x: ArrayLike | None = None) -> LinearRNN:
    """The same network with ``h0, P0`` set to the stationary mean and covariance.

    Use it to start the Kalman filter from the process's own stationary distribution
    (statsmodels' ``initialization="stationary"``).

    Parameters
    ----------
    rnn : LinearRNN
        A network with stable ``W``.
    x : array_like, shape (p,), optional
        The constant input that defines the stationary mean (default zeros).

    Returns
    -------
    LinearRNN
        ``replace(rnn, h0=fixed_point(rnn, x), P0=stationary_covariance(rnn))``.

    Raises
    ------
    NotStableError
        If ``W`` is not stable.
    """
    return dataclasses.replace(rnn, h0=fixed_point(rnn, x), P0=stationary_covariance(rnn))


def random_rnn(
    n: int,
    m: int | None = None,
    p: int = 0,
    *,
    radius: float = 0.9,
    noise: bool = True,
    bias: bool = False,
    rng: Any = None,
) -> LinearRNN:
    """A random network with a prescribed spectral radius, for experiments and tests.

    Parameters
    ----------
    n : int
        Hidden units.
    m : int, optional
        Outputs (default ``n``).
    p : int, default 0
        Inputs.
    radius : float, default 0.9
        Spectral radius of ``W`` (``W`` is a Gaussian matrix rescaled to it).
    noise : bool, default True
        Draw full-rank ``Q`` and ``R`` (Wishart-like, well conditioned); otherwise zero.
    bias : bool, default False
        Draw non-zero ``b`` and ``d``.
    rng : numpy.random.Generator or int, optional
        Random source.

    Returns
    -------
    LinearRNN
        With ``V`` Gaussian of shape (m, n), ``h0 = 0`` and ``P0 = I`` when ``noise`` is set.
    """
    noise, bias = v.as_bool("noise", noise), v.as_bool("bias", bias)
    n = v.as_int("n", n, minimum=1)
    m = n if m is None else v.as_int("m", m, minimum=1)
    p = v.as_int("p", p, minimum=0)
    radius = v.as_float("radius", radius, nonnegative=True)
    gen = v.as_rng(rng)
    W = gen.standard_normal((n, n))
    W *= radius / max(np.max(np.abs(np.linalg.eigvals(W))), 1e-300)
    U = gen.standard_normal((n, p))
    V = gen.standard_normal((m, n))

    def cov(k: int) -> np.ndarray:
        A = gen.standard_normal((k, k)) / np.sqrt(k)
        return A @ A.T + 0.5 * np.eye(k)

    kw: dict[str, Any] = {}
    if noise:
        kw.update(Q=cov(n), R=cov(m), P0=np.eye(n))
    if bias:
        kw.update(b=gen.standard_normal(n), d=gen.standard_normal(m))
    return LinearRNN(W=W, U=U, V=V, **kw)
