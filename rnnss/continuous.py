"""Continuous-time flows: ODE solutions at arbitrary times, Lyapunov spectra of flows, Euler against the exact flow."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.integrate

from . import _validate as v
from .cells.ctrnn import CTRNN
from .discretize import euler_max_step
from .dynamics import LyapunovSpectrum, fixed_points, qr_step, random_frame, spectrum
from .exceptions import NumericalError

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = [
    "FlowTrajectory",
    "EulerComparison",
    "integrate",
    "simulate_flow",
    "flow_lyapunov_exponents",
    "euler_comparison",
]

#: Explicit Runge-Kutta methods of ``solve_ivp`` (no Jacobian needed) and the implicit ones that use it.
EXPLICIT_METHODS = ("RK45", "RK23", "DOP853")
IMPLICIT_METHODS = ("Radau", "BDF", "LSODA")

# An Euler run is reported as diverged once its state exceeds this many times the largest |h| of the exact
# trajectory (at least 1): a CTRNN with a bounded activation stays within max(|h0|, sup|phi|) of the origin.
DIVERGED_FACTOR = 1e3


def _check_system(system: Any) -> Any:
    for attr in ("vector_field", "jacobian", "state_size", "n_inputs"):
        if not hasattr(system, attr):
            raise TypeError(
                "system must be a continuous-time model with vector_field(state, x) and jacobian(state, x) "
                f"(rnnss.CTRNN, rnnss.Lorenz, rnnss.Rossler); got {type(system).__name__}"
            )
    return system


@dataclass(frozen=True, repr=False)
class FlowTrajectory:
    """The solution of an ODE at the requested times.

    Attributes
    ----------
    times : ndarray, shape (K,)
        The output times (``times[0]`` is the initial time).
    states : ndarray, shape (K, S)
        The state at each time (``states[0]`` is the initial state).
    n_evaluations : int
        Vector-field evaluations spent by ``solve_ivp``.
    method : str
        The ``solve_ivp`` method.
    rtol, atol : float
        The tolerances the solver was run with.
    """

    times: np.ndarray
    states: np.ndarray
    n_evaluations: int
    method: str
    rtol: float
    atol: float

    def __repr__(self) -> str:
        return (
            f"FlowTrajectory({self.times.size} times in [{self.times[0]:.4g}, {self.times[-1]:.4g}], "
            f"S={self.states.shape[1]}, {self.method} rtol={self.rtol:g}, {self.n_evaluations} evaluations)"
        )


def _input_function(system: Any, x: Any, x_times: Any, t0: float) -> tuple[Callable[[float], Any], np.ndarray]:
    """``segment(a)``, the input as a function of time on the segment starting at ``a``, and the jump times.

    A held input is constant on each segment, so the function returned for a segment is that constant: the
    solver's last stage at the segment's end must not see the next value.
    """
    p = system.n_inputs
    if x is None:
        if x_times is not None:
            raise ValueError("x_times is only given with a sequence of held inputs x")
        zero = np.zeros(p)
        return (lambda a: lambda t: zero), np.zeros(0)
    if callable(x):
        if x_times is not None:
            raise ValueError("x_times is only given with a sequence of held inputs x, not with a callable x")

        def fun(t: float) -> np.ndarray:
            out = np.asarray(x(t), dtype=float)
            if out.shape != (p,):
                raise v.DimensionError(f"x(t) must return an array of shape ({p},); got shape {out.shape} at t = {t}")
            return out

        fun(t0)
        return (lambda a: fun), np.zeros(0)
    if x_times is None:
        const = v.as_vector("x", x, p)
        v.check_finite("x", const)
        return (lambda a: lambda t: const), np.zeros(0)
    tx = v.as_float_array("x_times", x_times)
    if tx.ndim != 1 or tx.size == 0:
        raise v.DimensionError(f"x_times must have shape (K,) with K >= 1; got shape {tx.shape}")
    v.check_finite("x_times", tx)
    if np.any(np.diff(tx) <= 0):
        raise ValueError("x_times must be strictly increasing")
    xs, batched = v.as_sequence("x", x, p, steps=tx.size)
    if batched:
        raise v.DimensionError(f"x must be one sequence of shape ({tx.size}, {p}); got shape {xs.shape}")
    xs = xs[0]
    if tx[0] > t0:
        raise ValueError(f"x_times[0] = {tx[0]:g} is after the first output time {t0:g}: the input there is undefined")

    def held(a: float) -> Callable[[float], np.ndarray]:
        # Zero-order hold: x[k] on [x_times[k], x_times[k + 1]); the last value holds for ever.
        val = xs[int(np.searchsorted(tx, a, side="right")) - 1]
        return lambda t: val

    return held, tx


def integrate(
    system: Any,
    times: ArrayLike,
    h0: ArrayLike | None = None,
    *,
    x: Any = None,
    x_times: ArrayLike | None = None,
    method: str = "DOP853",
    rtol: float = 1e-10,
    atol: float = 1e-12,
) -> FlowTrajectory:
    r"""Solve ``dh/dt = f(h, x(t))`` with scipy's ``solve_ivp`` and report the state at arbitrary times.

    For a :class:`~rnnss.CTRNN`, ``f = (-h + phi(W h + U x + b)) / tau``. Held inputs (``x`` with
    ``x_times``) are integrated piece by piece between their jumps, so the adaptive solver never steps
    across a discontinuity and keeps its order. Implicit methods get the analytic Jacobian.

    Parameters
    ----------
    system : CTRNN, Lorenz, Rossler
        A continuous-time model with ``vector_field(state, x)`` and ``jacobian(state, x)``.
    times : array_like, shape (K,)
        Strictly increasing output times; ``times[0]`` is the initial time.
    h0 : array_like, shape (S,), optional
        State at ``times[0]`` (default zeros).
    x : None, array_like or callable, optional
        The input: None (zero), a constant of shape ``(p,)``, a sequence of shape ``(K_x, p)`` held
        piecewise constant from each ``x_times[k]`` to the next (the last value holds on), or a callable
        ``x(t)`` returning shape ``(p,)`` (smooth inputs only: the solver assumes a smooth right-hand side).
    x_times : array_like, shape (K_x,), optional
        Strictly increasing switching times of a held input, with ``x_times[0] <= times[0]``.
    method : {"DOP853", "RK45", "RK23", "Radau", "BDF", "LSODA"}
        ``solve_ivp`` method; an implicit one (``Radau``, ``BDF``, ``LSODA``) for stiff networks (widely
        spread time constants).
    rtol, atol : float
        Relative and absolute tolerances of the solver.

    Returns
    -------
    FlowTrajectory
        Times, states and the number of vector-field evaluations.

    Raises
    ------
    TypeError
        If ``system`` is not a continuous-time model.
    DimensionError
        If ``times``, ``h0`` or ``x`` has the wrong shape.
    ValueError
        If ``times`` is not strictly increasing, a value is not finite, or the input is undefined at
        ``times[0]``.
    NumericalError
        If the solver fails or the solution overflows.

    Examples
    --------
    >>> import numpy as np
    >>> import rnnss
    >>> net = rnnss.CTRNN(W=[[0.0]], tau=2.0, activation="identity")  # dh/dt = -h / 2
    >>> sol = rnnss.integrate(net, [0.0, 1.0, 3.5], [1.0])
    >>> np.allclose(sol.states[:, 0], np.exp(-sol.times / 2), rtol=1e-9)
    True
    """
    system = _check_system(system)
    t = v.as_float_array("times", times)
    if t.ndim != 1 or t.size == 0:
        raise v.DimensionError(f"times must have shape (K,) with K >= 1; got shape {t.shape}")
    v.check_finite("times", t)
    if np.any(np.diff(t) <= 0):
        raise ValueError("times must be strictly increasing")
    dim = system.state_size
    y0 = np.zeros(dim) if h0 is None else v.as_vector("h0", h0, dim)
    v.check_finite("h0", y0)
    method = v.as_choice("method", method, EXPLICIT_METHODS + IMPLICIT_METHODS)
    rtol = v.as_float("rtol", rtol, positive=True)
    atol = v.as_float("atol", atol, positive=True)
    segment, jumps = _input_function(system, x, x_times, float(t[0]))
    edges = np.unique(np.concatenate([[t[0]], jumps[(jumps > t[0]) & (jumps < t[-1])], [t[-1]]]))
    out = np.empty((t.size, dim))
    out[0] = y0
    y, nfev, done = y0, 0, 1
    for a, b in zip(edges[:-1], edges[1:]):
        u = segment(a)

        def rhs(tt: float, y: np.ndarray, u: Callable[[float], Any] = u) -> np.ndarray:
            return system.vector_field(y, u(tt))

        def jac(tt: float, y: np.ndarray, u: Callable[[float], Any] = u) -> np.ndarray:
            return system.jacobian(y, u(tt))

        extra = {"jac": jac} if method in IMPLICIT_METHODS else {}
        # Segment [a, b]: report the output times in (a, b]; b itself is the next segment's start.
        k = int(np.searchsorted(t, b, side="right"))
        t_eval = np.concatenate([t[done:k], [b]]) if k == done or t[k - 1] != b else t[done:k]
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            sol = scipy.integrate.solve_ivp(rhs, (a, b), y, method=method, t_eval=t_eval, rtol=rtol, atol=atol, **extra)
        nfev += int(sol.nfev)
        if sol.status != 0 or not np.all(np.isfinite(sol.y)):
            raise NumericalError(
                f"solve_ivp ({method}) failed between t = {a:g} and {b:g}: {sol.message}; the solution may blow up "
                "there, or the system is stiff (try method='Radau' or 'LSODA')"
            )
        out[done:k] = sol.y.T[: k - done]
        y, done = sol.y[:, -1], k
    return FlowTrajectory(t, out, nfev, method, rtol, atol)


def simulate_flow(
    system: Any,
    T: int,
    *,
    dt: float,
    discard: float = 0.0,
    h0: ArrayLike | None = None,
    rng: Any = None,
    rtol: float = 1e-10,
    atol: float = 1e-10,
) -> np.ndarray:
    """Sample an autonomous flow every ``dt`` after a transient: the Lorenz and Rössler data generator.

    Parameters
    ----------
    system : Lorenz, Rossler or another autonomous model
        The flow (``system.n_inputs == 0``).
    T : int
        Number of samples.
    dt : float
        Sampling interval (> 0).
    discard : float, default 0
        Length of the transient integrated (and dropped) before the first sample, in time units; a few
        tens of time units bring a random start onto the Lorenz attractor.
    h0 : array_like, shape (S,), optional
        Initial state; default ``system.random_state(rng)``.
    rng : numpy.random.Generator or int, optional
        Source of the random initial state.
    rtol, atol : float
        Solver tolerances (DOP853).

    Returns
    -------
    ndarray, shape (T, S)
        The state at ``discard + k dt``, ``k = 0 .. T - 1``.

    Raises
    ------
    TypeError
        If the system has an input or, with ``h0`` omitted, no ``random_state``.
    ValueError
        If ``T < 1``, ``dt <= 0`` or ``discard < 0``.
    NumericalError
        If the solver fails.

    Examples
    --------
    >>> import rnnss
    >>> y = rnnss.simulate_flow(rnnss.Lorenz(), 500, dt=0.01, discard=10.0, rng=0)
    >>> y.shape
    (500, 3)
    """
    system = _check_system(system)
    if system.n_inputs:
        raise TypeError(f"simulate_flow needs an autonomous system (no input); this one has p = {system.n_inputs}")
    T = v.as_int("T", T, minimum=1)
    dt = v.as_float("dt", dt, positive=True)
    discard = v.as_float("discard", discard, nonnegative=True)
    if h0 is None:
        if not hasattr(system, "random_state"):
            raise TypeError(f"{type(system).__name__} has no random_state: give h0")
        h0 = system.random_state(rng)
    times = discard + dt * np.arange(T)
    if discard > 0:
        times = np.concatenate([[0.0], times])
    sol = integrate(system, times, h0, rtol=rtol, atol=atol)
    return sol.states[-T:]


def flow_lyapunov_exponents(
    system: Any,
    *,
    duration: float,
    interval: float = 1.0,
    discard: float = 0.0,
    h0: ArrayLike | None = None,
    n_starts: int = 1,
    x: ArrayLike | None = None,
    n_exponents: int | None = None,
    rng: Any = None,
    method: str = "DOP853",
    rtol: float = 1e-9,
    atol: float = 1e-9,
) -> LyapunovSpectrum:
    r"""Lyapunov spectrum of a flow from its variational equations, per unit time.

    Integrates ``dh/dt = f(h)`` together with ``dPhi/dt = J(h) Phi`` (``Phi`` an ``S x k`` frame) with
    scipy's ``solve_ivp``, re-orthonormalises ``Phi = Q R`` after every ``interval`` and averages
    ``ln |R_ii| / interval`` (Benettin et al. 1980), as :func:`rnnss.lyapunov_exponents` does for a cell.
    The frame starts Haar-random, so invariant coordinate axes do not bias it. One exponent of an
    autonomous flow with a bounded non-stationary trajectory is 0 (the direction of the flow).

    On a chaotic attractor the finite-time exponent fluctuates along the trajectory, so the estimate
    converges like ``1 / sqrt(total time)``. Several starts (``n_starts`` or a batch ``h0``) are integrated
    together in one solver call and their estimates averaged: on an ergodic attractor every start has the
    same exponents, and ``B`` starts of length ``duration`` cost little more solver overhead than one.
    For the Lorenz system 16 starts of 40 time units give ``lambda_1 = 0.90 +- 0.01`` against the
    literature's 0.9056 (Sprott 2003).

    Parameters
    ----------
    system : CTRNN, Lorenz, Rossler
        A continuous-time model with ``vector_field(state, x)`` and ``jacobian(state, x)``.
    duration : float
        Averaging time after the transient (> 0), per start.
    interval : float, default 1
        Time between re-orthonormalisations: short enough that ``Phi`` stays well conditioned
        (``exp((lambda_1 - lambda_k) interval)`` far below ``1e16``).
    discard : float, default 0
        Transient time integrated (with re-orthonormalisation) before averaging.
    h0 : array_like, shape (S,) or (B, S), optional
        Initial state(s); default ``n_starts`` draws of ``system.random_state(rng)`` if the system has one,
        else zeros.
    n_starts : int, default 1
        Number of random starts when ``h0`` is omitted.
    x : array_like, shape (p,), optional
        A constant input (default zeros).
    n_exponents : int, optional
        Number of leading exponents (default all ``S``).
    rng : numpy.random.Generator or int, optional
        Source of the random frames (and of the random initial states).
    method : {"DOP853", "RK45", "RK23"}
        Explicit ``solve_ivp`` method.
    rtol, atol : float
        Solver tolerances.

    Returns
    -------
    LyapunovSpectrum
        Exponents per unit time, sorted, averaged over the starts; ``steps`` and ``discard`` count
        intervals; ``history`` holds the running estimates after each interval; ``final_state`` has shape
        ``(S,)`` for one start and ``(B, S)`` for several.

    Raises
    ------
    TypeError
        If ``system`` is not a continuous-time model.
    DimensionError
        If ``h0`` or ``x`` has the wrong shape.
    ValueError
        If ``duration`` or ``interval`` is not positive, ``n_exponents`` is out of range, or ``duration`` is
        shorter than one interval.
    NumericalError
        If the solver fails.

    Examples
    --------
    >>> import rnnss
    >>> net = rnnss.CTRNN(W=[[0.0, 0.0], [0.0, 0.0]], tau=[1.0, 4.0])  # dh/dt = -h / tau
    >>> spec = rnnss.flow_lyapunov_exponents(net, duration=5.0, discard=20.0, h0=[0.0, 0.0], rng=0)
    >>> spec.exponents.round(6)
    array([-0.25, -1.  ])
    """
    system = _check_system(system)
    duration = v.as_float("duration", duration, positive=True)
    interval = v.as_float("interval", interval, positive=True)
    discard = v.as_float("discard", discard, nonnegative=True)
    method = v.as_choice("method", method, EXPLICIT_METHODS)
    rtol = v.as_float("rtol", rtol, positive=True)
    atol = v.as_float("atol", atol, positive=True)
    dim = system.state_size
    k = dim if n_exponents is None else v.as_int("n_exponents", n_exponents, minimum=1)
    if k > dim:
        raise ValueError(f"n_exponents must be <= the state size {dim}; got {k}")
    n_avg, n_skip = int(round(duration / interval)), int(round(discard / interval))
    if n_avg < 1:
        raise ValueError(f"duration must be at least one interval ({interval:g}); got {duration:g}")
    gen = v.as_rng(rng)
    if h0 is None:
        B = v.as_int("n_starts", n_starts, minimum=1)
        single = B == 1
        draw = system.random_state if hasattr(system, "random_state") else (lambda g: np.zeros(dim))
        H = np.array([draw(gen) for _ in range(B)], dtype=float).reshape(B, dim)
    else:
        H = v.as_float_array("h0", h0)
        single = H.ndim == 1
        H = np.atleast_2d(H)
        if H.ndim != 2 or H.shape[1] != dim or H.shape[0] == 0:
            raise v.DimensionError(f"h0 must have shape ({dim},) or (B, {dim}); got shape {np.shape(h0)}")
        v.check_finite("h0", H)
        B = H.shape[0]
    Q = np.stack([random_frame(dim, k, gen) for _ in range(B)])
    u = np.zeros(system.n_inputs) if x is None else v.as_vector("x", x, system.n_inputs)
    cut = B * dim

    def rhs(_: float, y: np.ndarray) -> np.ndarray:
        # All starts in one state vector: one batched vector-field and Jacobian call per evaluation.
        s, F = y[:cut].reshape(B, dim), y[cut:].reshape(B, dim, k)
        return np.concatenate([system.vector_field(s, u).ravel(), (system.jacobian(s, u) @ F).ravel()])

    total = np.zeros((B, k))
    history = np.empty((n_avg, k))
    for i in range(n_skip + n_avg):
        with warnings.catch_warnings(), np.errstate(over="ignore", invalid="ignore"):
            warnings.simplefilter("ignore")
            sol = scipy.integrate.solve_ivp(
                rhs, (0.0, interval), np.concatenate([H.ravel(), Q.ravel()]), method=method, rtol=rtol, atol=atol
            )
        if sol.status != 0 or not np.all(np.isfinite(sol.y[:, -1])):
            raise NumericalError(
                f"solve_ivp ({method}) failed in interval {i + 1}: {sol.message}; the trajectory may diverge, or "
                "the interval is too long for the frame (shorten interval)"
            )
        end = sol.y[:, -1]
        H = end[:cut].reshape(B, dim)
        Q, logs = qr_step(end[cut:].reshape(B, dim, k))
        if i >= n_skip:
            total += logs
            history[i - n_skip] = np.mean(total, axis=0) / ((i - n_skip + 1) * interval)
    return spectrum(np.mean(total, axis=0) / (n_avg * interval), history, n_skip, H[0] if single else H)


@dataclass(frozen=True, repr=False)
class EulerComparison:
    """Forward Euler against the exact flow of a CTRNN, over a range of step sizes.

    Attributes
    ----------
    dts : ndarray, shape (k,)
        The step sizes, increasing.
    max_error : ndarray, shape (k,)
        ``max_j ||h^Euler_j - h(j dt)||_inf`` over the run (``inf`` once diverged).
    final_error : ndarray, shape (k,)
        The same at the last grid time ``N dt <= duration``.
    diverged : ndarray, shape (k,), bool
        Whether the Euler state left the region of the exact trajectory within the run (``max |h|`` above
        1000 times the exact one's, or not finite): with ``|1 - dt / tau_i| > 1`` a unit's leak term
        grows without bound, though it may take many steps to get there.
    euler_radius : ndarray, shape (k,)
        Spectral radius of the Euler map's Jacobian ``I + dt J`` at the equilibrium (NaN without one):
        above 1 the equilibrium the ODE converges to repels the Euler iteration.
    equilibrium : ndarray, shape (n,) or None
        The equilibrium the exact trajectory converges to (None if it does not settle within
        ``duration``).
    ode_jacobian : ndarray, shape (n, n) or None
        ``J`` of the vector field there.
    limit : float
        :func:`rnnss.euler_max_step` of ``J``: the largest stable Euler step of the linearisation (NaN
        without an equilibrium, 0 if the equilibrium is not stable).
    duration : float
        Length of the runs.
    """

    dts: np.ndarray
    max_error: np.ndarray
    final_error: np.ndarray
    diverged: np.ndarray
    euler_radius: np.ndarray
    equilibrium: np.ndarray | None
    ode_jacobian: np.ndarray | None
    limit: float
    duration: float

    def __repr__(self) -> str:
        return (
            f"EulerComparison({self.dts.size} steps in [{self.dts[0]:.4g}, {self.dts[-1]:.4g}], "
            f"linearised limit {self.limit:.4g}, {int(self.diverged.sum())} diverged)"
        )

    def summary(self) -> str:
        """One row per step size: error, divergence and the Euler map's radius at the equilibrium."""
        rows = [repr(self), "        dt    max error  final error  radius(I + dt J)  behaviour"]
        for i, dt in enumerate(self.dts):
            if self.diverged[i]:
                what = "diverges"
            elif self.euler_radius[i] > 1:
                what = "equilibrium repels Euler: bounded oscillation"
            else:
                what = "converges to the equilibrium"
            rows.append(
                f"{dt:10.4g}  {self.max_error[i]:11.3g}  {self.final_error[i]:11.3g}  "
                f"{self.euler_radius[i]:16.4g}  {what}"
            )
        return "\n".join(rows)


def euler_comparison(
    model: CTRNN,
    dts: ArrayLike,
    *,
    duration: float,
    h0: ArrayLike | None = None,
    x: ArrayLike | None = None,
    rtol: float = 1e-11,
    atol: float = 1e-12,
) -> EulerComparison:
    r"""When does forward Euler stop following a nonlinear CTRNN? Euler runs against the exact flow.

    For each ``dt`` the Euler cell :meth:`~rnnss.CTRNN.euler` runs ``N = floor(duration / dt)`` steps from
    ``h0`` under a constant input and is compared with the ``solve_ivp`` solution at the grid times. The
    equilibrium ``h*`` that the exact trajectory reaches is also a fixed point of every Euler cell, and
    the Euler map's Jacobian there is exactly ``I + dt J`` with ``J`` the Jacobian of the vector field,
    so ``h*`` attracts the Euler iteration iff ``dt < euler_max_step(J)`` (:func:`rnnss.euler_max_step`,
    the linear theory). Past that limit a saturating network does not blow up: its states stay bounded
    and oscillate about ``h*`` (a period-doubling), an error of order one that no linear analysis
    predicts; they diverge only when ``|1 - dt / tau_i| > 1`` for some unit (``dt > 2 tau_i``), where
    the leak term itself grows. Below the limit the global error is first order, ``O(dt)``.

    Parameters
    ----------
    model : CTRNN
        The continuous-time network.
    dts : array_like, shape (k,)
        Step sizes to try (> 0), sorted on return.
    duration : float
        Length of each run, in the units of ``tau``.
    h0 : array_like, shape (n,), optional
        Initial state (default zeros).
    x : array_like, shape (p,), optional
        Constant input (default zeros).
    rtol, atol : float
        Tolerances of the exact solution (DOP853).

    Returns
    -------
    EulerComparison
        Errors, divergence flags, the Euler radius at the equilibrium and the linearised limit.

    Raises
    ------
    TypeError
        If ``model`` is not a :class:`~rnnss.CTRNN`.
    ValueError
        If a step size is not positive or longer than ``duration``.
    DimensionError
        If ``h0`` or ``x`` has the wrong shape.

    Examples
    --------
    >>> import rnnss
    >>> net = rnnss.CTRNN(W=[[-4.0]], b=[0.5])  # one stable equilibrium h* = 0.0999, J = -1 - 4 (1 - h*^2)
    >>> cmp = rnnss.euler_comparison(net, [0.1, 0.45, 4.0], duration=40.0, h0=[1.0])
    >>> round(cmp.limit, 4), cmp.euler_radius.round(3), cmp.final_error.round(3), cmp.diverged
    (0.4032, array([ 0.504,  1.232, 18.84 ]), array([0.   , 0.178,   inf]), array([False, False,  True]))
    """
    model = v.check_instance(model, CTRNN, "model")
    steps = np.sort(np.atleast_1d(v.as_float_array("dts", dts)))
    if steps.ndim != 1 or steps.size == 0:
        raise v.DimensionError(f"dts must have shape (k,) with k >= 1; got shape {steps.shape}")
    v.check_finite("dts", steps)
    duration = v.as_float("duration", duration, positive=True)
    if steps[0] <= 0 or steps[-1] > duration:
        raise ValueError(
            f"dts must lie in (0, duration = {duration:g}]; got {steps[0] if steps[0] <= 0 else steps[-1]}"
        )
    n = model.n_hidden
    y0 = np.zeros(n) if h0 is None else v.as_vector("h0", h0, n)
    v.check_finite("h0", y0)
    u = np.zeros(model.n_inputs) if x is None else v.as_vector("x", x, model.n_inputs)
    v.check_finite("x", u)

    # The equilibrium: Newton (on the Euler cell, whose fixed points are the ODE's equilibria) from the end
    # of a long exact run; kept only if the exact trajectory has actually settled there.
    end = integrate(model, [0.0, duration], y0, x=u, rtol=rtol, atol=atol).states[-1]
    fp = fixed_points(model.euler(float(model.tau.min())), u, starts=end[None])
    h_star = J = None
    limit = float("nan")
    if len(fp) and np.max(np.abs(fp.points[0] - end)) < 1e-6 * max(1.0, float(np.max(np.abs(end)))):
        h_star = fp.points[0]
        J = model.jacobian(h_star, u)
        limit = euler_max_step(J)
    max_err, final_err, radius = np.empty(steps.size), np.empty(steps.size), np.empty(steps.size)
    diverged = np.zeros(steps.size, bool)
    for i, dt in enumerate(steps):
        N = int(np.floor(duration / dt * (1 + 1e-12)))
        grid = dt * np.arange(N + 1)
        exact = integrate(model, grid, y0, x=u, rtol=rtol, atol=atol).states
        bound = DIVERGED_FACTOR * max(1.0, float(np.max(np.abs(exact))))
        cell = model.euler(float(dt))
        h = y0.copy()
        err = np.zeros(N + 1)
        for j in range(1, N + 1):
            with np.errstate(over="ignore", invalid="ignore"):
                h = cell.step(u, h)
            if not np.all(np.isfinite(h)) or np.max(np.abs(h)) > bound:
                diverged[i] = True
                err[j:] = np.inf
                break
            err[j] = np.max(np.abs(h - exact[j]))
        max_err[i], final_err[i] = err.max(), err[-1]
        radius[i] = np.nan if J is None else float(np.max(np.abs(np.linalg.eigvals(np.eye(n) + dt * J))))
    return EulerComparison(steps, max_err, final_err, diverged, radius, h_star, J, limit, duration)
