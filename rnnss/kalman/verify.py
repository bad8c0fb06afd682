"""Numerical proof that the filter RNN and smoother RNN compute the exact Kalman estimates, with peer cross-checks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from .._model import PEER_REGISTRY
from ..linear import LinearRNN
from .filter import observations
from .rnn import smoother_rnn
from .smoother import rts_smoother

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["EquivalenceReport", "verify_kalman_equivalence"]


# -- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class EquivalenceReport:
    """How closely the RNN forms reproduce the exact filter and smoother, and the peers agree.

    Attributes
    ----------
    T : int
        Length of the data.
    tol : float
        The relative tolerance defining the end of the transient and ``passed``.
    filter_transient, smoother_transient : int or None
        Steps until the RNN form's error stays below ``tol`` (relative) for good; None if it never does.
    predicted_transient : int
        ``ceil(log(tol) / log(filter_radius))``: the steps the theory predicts (the error of the start
        decays like ``filter_radius^t``).
    settled_from : int
        Index from which the settled differences below are measured: the end of the transients, and at least
        ``T // 2`` (the last step if a transient never ended).
    filter_max_abs, filter_max_rel, smoother_max_abs, smoother_max_rel : float
        Largest absolute and relative (to the largest exact mean) difference from ``settled_from`` on.
    filter_scale, smoother_scale : float
        The largest absolute exact filtered and smoothed means: the scales of the relative differences.
    filter_errors, smoother_errors : ndarray, shape (T,)
        Per-step max-abs difference between RNN form and exact recursion (the transient's decay curve).
    filter_radius, smoother_radius : float
        Spectral radii of the forward and backward RNNs.
    condition_numbers : dict
        Of the steady innovation and predicted covariances.
    peers : dict
        Per peer library, the largest absolute differences to rnnss's exact filter/smoother and log-likelihood,
        or a note why it was skipped or why the peer itself failed (a peer's failure -- filterpy cannot invert a
        singular innovation covariance, for instance -- is that peer's, and does not decide ``passed``).
    passed : bool
        ``status == "passed"``: RNN forms within ``tol`` after the transient and every peer that ran within
        ``1e-8`` relative.
    status : {"passed", "failed", "inconclusive"}
        ``"inconclusive"`` when a transient has not ended but the record is shorter than ``needed_steps``:
        the data cannot decide (the theory says the steady-state forms need that long to meet ``tol``).
    needed_steps : int
        ``2 * predicted_transient + 10``: a record this long both ends the transient and leaves a settled
        stretch to measure.
    """

    T: int
    tol: float
    filter_transient: int | None
    smoother_transient: int | None
    predicted_transient: int
    settled_from: int
    filter_max_abs: float
    filter_max_rel: float
    smoother_max_abs: float
    smoother_max_rel: float
    filter_scale: float
    smoother_scale: float
    filter_errors: np.ndarray
    smoother_errors: np.ndarray
    filter_radius: float
    smoother_radius: float
    condition_numbers: dict
    peers: dict
    passed: bool
    status: str
    needed_steps: int

    def __str__(self) -> str:
        def tr(t: int | None) -> str:
            return "never (series too short)" if t is None else f"{t} steps"

        verdict = self.status.upper()
        if self.status == "inconclusive":
            verdict += f": the record is shorter than the transient, needs >= {self.needed_steps} steps"
        lines = [
            f"Kalman-RNN equivalence on T = {self.T} steps (tolerance {self.tol:g} relative): {verdict}",
            f"  transient (error above tolerance): filter RNN {tr(self.filter_transient)}, "
            f"smoother RNN {tr(self.smoother_transient)}",
            f"  settled (t >= {self.settled_from + 1}): filter RNN vs exact filter max abs {self.filter_max_abs:.2e} "
            f"(rel {self.filter_max_rel:.2e}); smoother RNN vs exact smoother max abs {self.smoother_max_abs:.2e} "
            f"(rel {self.smoother_max_rel:.2e})",
            f"  transient decay: forward radius {self.filter_radius:.4f}, backward radius {self.smoother_radius:.4f} "
            f"(theory: ~{self.predicted_transient} steps to reach {self.tol:g})",
            "  condition numbers: " + ", ".join(f"{k} {val:.3g}" for k, val in self.condition_numbers.items()),
        ]
        for name, res in self.peers.items():
            if isinstance(res, str):
                lines.append(f"  {name}: {res}")
            else:
                lines.append(f"  {name} vs rnnss exact: " + ", ".join(f"{k} {val:.2e}" for k, val in res.items()))
        return "\n".join(lines)

    __repr__ = __str__


def _transient(err: np.ndarray, bound: float) -> int | None:
    """First index after which ``err`` stays at or below ``bound``; None if the last step is above it."""
    above = np.nonzero(err > bound)[0]
    if not above.size:
        return 0
    return None if above[-1] == len(err) - 1 else int(above[-1] + 1)


def verify_kalman_equivalence(
    rnn: LinearRNN,
    y: ArrayLike,
    x: ArrayLike | None = None,
    *,
    tol: float = 1e-10,
    peers: bool = True,
) -> EquivalenceReport:
    """Check numerically that the filter RNN and smoother RNN compute the exact Kalman estimates.

    Runs the exact time-varying filter and RTS smoother (:func:`rts_smoother`), the steady-state
    :func:`kalman_rnn` and :func:`smoother_rnn` as plain linear RNNs (:func:`rnnss.simulate`), and, when
    installed, filterpy and statsmodels on the same data.

    Parameters
    ----------
    rnn : LinearRNN
        The generative model.
    y : array_like, shape (T, m) or (T,) if m == 1
        One complete observation sequence (no NaN: the fixed-gain RNNs cannot skip updates).
    x : array_like, shape (T, p), optional
        Inputs.
    tol : float, default 1e-10
        Relative tolerance (to the largest exact mean) that ends the transient and decides ``passed``.
    peers : bool, default True
        Also compare with filterpy and statsmodels.

    Returns
    -------
    EquivalenceReport
        Printable; ``report.passed`` summarises it.

    Raises
    ------
    ValueError
        If ``y`` has missing values or ``tol`` is not positive.
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`steady_state`.

    Examples
    --------
    >>> import rnnss
    >>> model = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0)
    >>> y = rnnss.simulate(model, 300, rng=0).y
    >>> rnnss.verify_kalman_equivalence(model, y, peers=False).passed
    True
    """
    peers = v.as_bool("peers", peers)
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    tol = v.as_float("tol", tol, positive=True)
    ys, xs, batched = observations(rnn, y, x)
    if batched:
        raise v.DimensionError(f"y must be one sequence of shape (T, {rnn.n_outputs}); got a batch of shape {ys.shape}")
    ys, xs = ys[0], xs[0]
    if np.isnan(ys).any():
        raise ValueError(
            "y has missing values; the fixed-gain RNN forms need complete data (the exact filter handles NaN)"
        )
    exact = rts_smoother(rnn, ys, xs, steady_tol=None)  # the time-varying recursion at every step
    pair = smoother_rnn(rnn)
    fwd, bwd = pair.run(ys, xs)
    T = ys.shape[0]
    scale_f = max(float(np.max(np.abs(exact.filter.filtered_means))), np.finfo(float).tiny)
    scale_s = max(float(np.max(np.abs(exact.smoothed_means))), np.finfo(float).tiny)
    ef = np.max(np.abs(fwd - exact.filter.filtered_means), axis=1)
    es = np.max(np.abs(bwd - exact.smoothed_means), axis=1)
    tf, ts = _transient(ef, tol * scale_f), _transient(es, tol * scale_s)
    # Judge the settled agreement on the later part of the series (from the end of the transient, and at
    # least the second half), so the reported maximum is the floor reached, not the tolerance crossed.
    start = max(T // 2, tf or 0, ts or 0) if tf is not None and ts is not None else T - 1
    after_f, after_s = ef[start:], es[start:]
    rho = pair.steady.filter_radius
    predicted = 0 if rho == 0 else int(math.ceil(math.log(tol) / math.log(rho)))
    peer_results: dict[str, Any] = {}
    peers_ok = True
    if peers:
        exact_values = {
            "filtered_means": exact.filter.filtered_means,
            "filtered_covs": exact.filter.filtered_covs,
            "smoothed_means": exact.smoothed_means,
            "smoothed_covs": exact.smoothed_covs,
        }
        scale = max(scale_f, scale_s, 1.0)
        scale_ll = max(abs(exact.loglik), 1.0)
        for name, runner in PEER_REGISTRY.get("kalman", {}).items():
            try:
                res = runner(rnn, ys, xs)
            except ImportError:
                peer_results[name] = "not installed"
                continue
            except Exception as exc:  # noqa: BLE001 - a peer's own failure is reported as that peer's
                peer_results[name] = f"failed on this model ({type(exc).__name__}: {' '.join(str(exc).split())})"
                continue
            diffs = {
                key.replace("_", " "): float(np.max(np.abs(res[key] - ref)))
                for key, ref in exact_values.items()
                if key in res
            }
            peers_ok &= all(val <= 1e-8 * scale for val in diffs.values())
            if "loglik" in res:
                diffs["loglik"] = abs(res["loglik"] - exact.loglik)
                peers_ok &= diffs["loglik"] <= 1e-8 * scale_ll
            peer_results[name] = diffs
    needed = 2 * predicted + 10
    settled = tf is not None and ts is not None
    status = "passed" if settled and peers_ok else ("inconclusive" if not settled and T < needed else "failed")
    return EquivalenceReport(
        T=T,
        tol=tol,
        filter_transient=tf,
        smoother_transient=ts,
        predicted_transient=predicted,
        settled_from=start,
        filter_max_abs=float(after_f.max()),
        filter_max_rel=float(after_f.max() / scale_f),
        smoother_max_abs=float(after_s.max()),
        smoother_max_rel=float(after_s.max() / scale_s),
        filter_scale=scale_f,
        smoother_scale=scale_s,
        filter_errors=ef,
        smoother_errors=es,
        filter_radius=rho,
        smoother_radius=pair.steady.smoother_radius,
        condition_numbers=pair.steady.condition_numbers,
        peers=peer_results,
        passed=status == "passed",
        status=status,
        needed_steps=needed,
    )
