"""One fit driver for both fit functions: BFGS on the exact score, standard errors by the delta method, the report."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .._linalg import symmetrize
from .._progress import progress_bar
from ..exceptions import NumericalError
from ..kalman.filter import kalman_filter
from ..linear import LinearRNN
from ..realization import canonical_form
from ..varma import VARMA
from .params import Data

__all__ = ["FitReport"]


def minimize(
    fun: Callable,
    theta0: np.ndarray,
    *,
    max_iter: int,
    gtol: float,
    progress: bool | None,
    desc: str,
    offset: float,
    scale: int,
):
    """BFGS on the exact gradient, with a progress line showing the log-likelihood."""
    f0, _ = fun(theta0)
    if not math.isfinite(f0):
        raise NumericalError(f"{desc}: the likelihood is not finite at the starting values")
    with progress_bar(max_iter, desc, show=progress) as bar:
        last = {"f": f0}

        def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
            f, g = fun(theta)
            if math.isfinite(f):
                last["f"] = min(last["f"], f)
            return f, g

        def callback(_: np.ndarray) -> None:
            bar.update(1)
            bar.set_postfix_str(f"loglik {-last['f'] * scale - offset:.4f}", refresh=False)

        import scipy.optimize  # lazily: 0.2 s of import time

        res = scipy.optimize.minimize(
            fg, theta0, jac=True, method="BFGS", callback=callback, options=dict(maxiter=max_iter, gtol=gtol)
        )
    gmax = float(np.max(np.abs(res.jac))) if res.jac is not None and res.jac.size else 0.0
    # BFGS stops with "precision loss" when the line search can no longer decrease f at rounding level;
    # with a gradient that small the point is a stationary point all the same.
    converged = bool(res.success) or (res.status == 2 and gmax <= 100 * gtol)
    return res, converged, gmax


def _differentiate(f: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, rel_step: float) -> np.ndarray:
    """Jacobian of a vector function by :func:`scipy.differentiate.jacobian` (central differences, one
    Richardson refinement), with steps ``rel_step * max(1, |theta_i|)``; NaN where a probe is not finite."""
    from scipy.differentiate import jacobian as scipy_jacobian

    def vectorised(X: np.ndarray) -> np.ndarray:
        # scipy evaluates many points at once along trailing axes; our functions take one point
        flat = X.reshape(X.shape[0], -1)
        out = np.array([f(flat[:, j]) for j in range(flat.shape[1])]).T
        return out.reshape((out.shape[0],) + X.shape[1:])

    steps = rel_step * np.maximum(1.0, np.abs(theta))
    res = scipy_jacobian(vectorised, theta, initial_step=steps, order=2, maxiter=2, step_factor=2.0)
    return np.asarray(res.df, dtype=float)


def hessian(fun: Callable, theta: np.ndarray) -> np.ndarray | None:
    """Derivative of the exact gradient (scipy.differentiate); None if a probe leaves the parameter space."""

    def grad(th: np.ndarray) -> np.ndarray:
        f, g = fun(th)
        return g if math.isfinite(f) else np.full(theta.size, np.nan)

    H = _differentiate(grad, theta, 1e-5)
    return symmetrize(H) if np.all(np.isfinite(H)) else None


def jacobian(g: Callable, theta: np.ndarray) -> np.ndarray:
    """Jacobian of a smooth parameter map (scipy.differentiate; no likelihood evaluations)."""
    return _differentiate(g, theta, 1e-6)


def delta_method(
    H: np.ndarray | None, J: np.ndarray, n_obs: int, basis: np.ndarray | None = None
) -> tuple[np.ndarray | None, str]:
    """Standard errors ``sqrt(diag(J I^{-1} J^T))``, ``I = n_obs H`` restricted to ``basis`` (identified directions)."""
    if H is None:
        return None, "not computed: the Hessian probes left the stationary region (optimum at its boundary)"
    N = np.eye(H.shape[0]) if basis is None else basis
    Hr = N.T @ H @ N
    lam = np.linalg.eigvalsh(Hr) if Hr.size else np.ones(1)
    if lam[0] <= 1e-10 * max(lam[-1], 1e-300):
        return None, (
            "not computed: the observed information is singular or indefinite "
            f"(eigenvalues {lam[0]:.3g} .. {lam[-1]:.3g}); "
            "the parameters are not identified at this point, or the optimum was not reached"
        )
    cov = N @ np.linalg.solve(Hr, N.T) / n_obs
    JN = J @ cov @ J.T
    return np.sqrt(
        np.clip(np.diag(JN), 0.0, None)
    ), "from the inverse observed information (numerical Hessian of the exact score)"


@dataclass(frozen=True, repr=False)
class FitReport:
    """Result of :func:`fit_linear_rnn` or :func:`fit_varma_rnn`.

    Attributes
    ----------
    rnn : LinearRNN
        The fitted network, with its prior set to the stationary distribution (so
        ``kalman_filter(rnn, y, x).loglik == loglik``).
    varma : VARMA or None
        The fitted VARMA (:func:`fit_varma_rnn`), else None (use :func:`rnnss.rnn_to_varma`).
    loglik : float
        Maximised exact log-likelihood of the observed data.
    start_loglik : float
        Log-likelihood at the starting values (subspace or Hannan-Rissanen estimate, or ``start``).
    n_params : int
        Free parameters of the identified model (see the fit functions), used by ``aic`` and ``bic``.
    n_obs : int
        Observed scalar values.
    n_steps : int
        Time steps with at least one observation.
    aic : float
        ``-2 loglik + 2 n_params``.
    bic : float
        ``-2 loglik + n_params log(n_steps)`` (statsmodels' convention for multivariate series).
    converged : bool
        Whether the optimiser met its gradient tolerance.
    message : str
        The optimiser's message.
    n_iter : int
        Quasi-Newton iterations.
    n_evals : int
        Likelihood-and-gradient evaluations (each one filter pass plus its adjoint).
    max_gradient : float
        Largest absolute entry of the gradient of ``-loglik / n_obs`` (standardised scale) at the end.
    std_errors : dict or None
        Standard errors by parameter name, arrays shaped like the parameters; None where not defined.
    std_errors_note : str
        How the standard errors were obtained, or why they are missing.
    method : str
        ``"mle"`` or ``"subspace"``.
    elapsed : float
        Wall-clock seconds of the fit (for information only).
    """

    rnn: LinearRNN
    varma: VARMA | None
    loglik: float
    start_loglik: float
    n_params: int
    n_obs: int
    n_steps: int
    aic: float
    bic: float
    converged: bool
    message: str
    n_iter: int
    n_evals: int
    max_gradient: float
    std_errors: dict | None
    std_errors_note: str
    method: str
    elapsed: float = field(compare=False)

    def __repr__(self) -> str:
        model = repr(self.varma) if self.varma is not None else f"LinearRNN(n={self.rnn.n_hidden})"
        return (
            f"FitReport({model}: loglik={self.loglik:.4f}, aic={self.aic:.3f}, bic={self.bic:.3f}, "
            f"{'converged' if self.converged else 'NOT converged'} in {self.n_iter} iterations)"
        )

    def summary(self) -> str:
        """A multi-line report: likelihood, information criteria, convergence, estimates and standard errors."""
        lines = [
            repr(self),
            f"  log-likelihood {self.loglik:.6f} (start {self.start_loglik:.6f}); {self.n_params} parameters, "
            f"{self.n_obs} observed values over {self.n_steps} steps",
            f"  AIC {self.aic:.4f}, BIC {self.bic:.4f}",
            f"  optimiser: {self.message} ({self.n_iter} iterations, {self.n_evals} evaluations, "
            f"max |gradient| {self.max_gradient:.2e}, {self.elapsed:.3f} s)",
            f"  standard errors: {self.std_errors_note}",
        ]
        if self.varma is not None:
            lines.append(self.varma.summary())
        else:
            lines.append(canonical_form(self.rnn).summary())
        if self.std_errors:
            with np.printoptions(precision=4, suppress=True, linewidth=100):
                for name, se in self.std_errors.items():
                    lines.append(f"  se({name}) =\n{se}")
        return "\n".join(lines)


@dataclass(frozen=True)
class StdErrorSpec:
    """How a fit's standard errors are defined: the reported quantities as a smooth map of ``theta``.

    ``values(theta)`` returns the reported parameters on the original scale, flattened in the order of
    ``layout`` (name, shape); ``basis`` (columns) restricts the information matrix to the identified
    directions (None: all of ``theta``); ``drop`` names entries of ``layout`` not to report; ``note`` is
    appended to the description of how they were obtained.
    """

    values: Callable[[np.ndarray], np.ndarray]
    layout: list[tuple[str, tuple[int, ...]]]
    basis: np.ndarray | None = None
    drop: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class FitProblem:
    """What the driver needs from one kind of fit (a VARMA or a linear RNN).

    ``objective(theta, grad)`` is ``-loglik / n_obs`` on the standardised data and its exact gradient;
    ``models(theta)`` the fitted models on the original scale; ``std_errors(theta, rnn)`` the
    :class:`StdErrorSpec`, or a string saying why standard errors are not defined.
    """

    data: Data
    desc: str
    n_params: int
    theta0: np.ndarray
    objective: Callable[[np.ndarray, bool], tuple[float, np.ndarray | None]]
    models: Callable[[np.ndarray], tuple[LinearRNN, VARMA | None]]
    std_errors: Callable[[np.ndarray, LinearRNN], StdErrorSpec | str]


def run_fit(
    problem: FitProblem,
    y: np.ndarray,
    x: np.ndarray | None,
    *,
    optimise: bool,
    max_iter: int,
    gtol: float,
    standard_errors: bool,
    progress: bool | None,
    t_start: float,
) -> FitReport:
    """Optimise ``problem`` from its start, then evaluate the likelihood, standard errors and criteria."""
    data = problem.data

    def fun(theta: np.ndarray, grad: bool = True) -> tuple[float, np.ndarray | None]:
        return problem.objective(theta, grad)

    offset = data.log_jacobian
    f0, _ = fun(problem.theta0, False)
    if optimise:
        res, converged, gmax = minimize(
            fun,
            problem.theta0,
            max_iter=max_iter,
            gtol=gtol,
            progress=progress,
            desc=problem.desc,
            offset=offset,
            scale=data.n_obs,
        )
        theta, message, nit, nfev = res.x, str(res.message), int(res.nit), int(res.nfev)
    else:
        theta, converged, message, nit, nfev, gmax = (
            problem.theta0,
            True,
            "subspace estimate (no likelihood optimisation)",
            0,
            1,
            math.nan,
        )
    rnn, varma = problem.models(theta)
    loglik = float(kalman_filter(rnn, y, x, store_covariances=False).loglik)
    std, note = None, "not requested"
    if standard_errors and optimise:
        spec = problem.std_errors(theta, rnn)
        if isinstance(spec, str):
            note = spec
        else:
            se, note = delta_method(hessian(fun, theta), jacobian(spec.values, theta), data.n_obs, spec.basis)
            if se is not None:
                cuts = np.cumsum([0] + [int(np.prod(shape)) for _, shape in spec.layout])
                std = {
                    name: se[cuts[i] : cuts[i + 1]].reshape(shape)
                    for i, (name, shape) in enumerate(spec.layout)
                    if name not in spec.drop
                }
                note += spec.note
    kp = problem.n_params
    return FitReport(
        rnn=rnn,
        varma=varma,
        loglik=loglik,
        start_loglik=-f0 * data.n_obs - offset,
        n_params=kp,
        n_obs=data.n_obs,
        n_steps=data.n_steps,
        aic=-2 * loglik + 2 * kp,
        bic=-2 * loglik + kp * math.log(data.n_steps),
        converged=converged,
        message=message,
        n_iter=nit,
        n_evals=nfev,
        max_gradient=gmax,
        std_errors=std,
        std_errors_note=note,
        method="mle" if optimise else "subspace",
        elapsed=time.perf_counter() - t_start,
    )
