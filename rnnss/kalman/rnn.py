"""The steady-state Kalman filter and RTS smoother written as (bidirectional) linear RNNs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import _validate as v
from ..linear import LinearRNN, simulate
from .steady import SteadyState, steady_state

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["kalman_rnn", "SmootherRNN", "smoother_rnn"]


# -- the RNN equivalents ---------------------------------------------------------------------------


def kalman_rnn(rnn: LinearRNN) -> LinearRNN:
    r"""The steady-state Kalman filter written as a linear RNN driven by ``[x_t; y_t]``.

    Substituting the prediction ``W m_{t-1} + U x_t + b`` into the update ``m_t = m_t^- + K (y_t - V m_t^- - d)``
    gives a linear recurrence whose hidden state **is** the filtered mean:

    .. math:: m_t = (I - K V) W\, m_{t-1} + \big[(I - K V) U,\; K\big] \begin{bmatrix} x_t \\ y_t \end{bmatrix}
              + (I - K V) b - K d .

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (see :func:`steady_state` for the requirements).

    Returns
    -------
    LinearRNN
        ``W' = (I - K V) W`` (n, n), ``U' = [(I - K V) U, K]`` (n, p + m), ``b' = (I - K V) b - K d``, read-out
        ``V' = I`` (the output is the estimate itself), no noise, ``h0' = rnn.h0``, same ``dt``. Run it with
        ``rnnss.simulate(filter_rnn, x=np.hstack([x, y]), noise=False)``; after a transient that decays like
        ``filter_radius^t`` its states equal the exact filter's means.

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`steady_state`.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> model = rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0)
    >>> f = rnnss.kalman_rnn(model)
    >>> f.n_inputs, f.n_hidden
    (1, 1)
    """
    return filter_rnn(rnn, steady_state(rnn))


def filter_rnn(rnn: LinearRNN, ss: SteadyState) -> LinearRNN:
    """:func:`kalman_rnn` from an already solved steady state."""
    A = np.eye(rnn.n_hidden) - ss.gain @ rnn.V
    return LinearRNN(
        W=ss.filter_matrix,
        U=np.hstack([A @ rnn.U, ss.gain]),
        b=A @ rnn.b - ss.gain @ rnn.d,
        h0=rnn.h0,
        dt=rnn.dt,
    )


@dataclass(frozen=True, repr=False)
class SmootherRNN:
    r"""A bidirectional pair of linear RNNs whose combination is the steady-state smoother.

    The forward RNN is :func:`kalman_rnn` (state = filtered mean ``m_t``). The backward RNN runs in reverse
    time from ``r_{T+1} = 0`` and is the backward information recursion of the smoother:

    .. math:: r_t = L^T r_{t+1} + V^T S^{-1} (y_t - d - V a_t), \qquad a_t = W m_{t-1} + U x_t + b,

    with ``L = W (I - K V)``; the two directions combine as a bidirectional layer's read-out does,
    ``E[h_t | all y] = a_t + P r_t``. No inverse of the predicted covariance ``P`` appears, so the pair is
    exact also when ``P`` is singular (rank-deficient ``Q``, ``R = 0``: every VARMA realisation), where the
    RTS form ``g_t = J g_{t+1} + ...`` with ``J = P_f W^T P^{-1}`` does not exist.

    Attributes
    ----------
    forward : LinearRNN
        Input ``[x_t; y_t]`` (p + m), state the filtered mean.
    backward : LinearRNN
        Input ``[m_{t-1}; x_t; y_t]`` (n + p + m) in reverse time, state ``r_t``; its read-out ``V = P`` gives
        the correction ``P r_t`` that the combination adds to ``a_t``.
    steady : SteadyState
        The steady state the gains come from.
    rnn : LinearRNN
        The generative model (its ``W, U, b`` form the predicted mean ``a_t`` of the combination).
    """

    forward: LinearRNN
    backward: LinearRNN
    steady: SteadyState
    rnn: LinearRNN

    def __repr__(self) -> str:
        return (
            f"SmootherRNN(n={self.forward.n_hidden}, forward radius={self.steady.filter_radius:.4g}, "
            f"backward radius={self.steady.smoother_radius:.4g})"
        )

    def run(self, y: ArrayLike, x: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run both directions on one sequence and combine them.

        Parameters
        ----------
        y : array_like, shape (T, m) or (T,) if m == 1
            Complete observations (no NaN: a fixed-gain RNN cannot skip an update).
        x : array_like, shape (T, p), optional
            Inputs.

        Returns
        -------
        forward : ndarray, shape (T, n)
            Forward states: the steady-state filtered means.
        smoothed : ndarray, shape (T, n)
            The combination ``a_t + P r_t`` of both directions: the steady-state smoothed means.
        """
        rnn = self.rnn
        ys, batched = v.as_sequence("y", y, rnn.n_outputs)
        if batched:
            raise v.DimensionError(
                f"y must be one sequence of shape (T, {ys.shape[2]}); got a batch of shape {ys.shape}"
            )
        ys = ys[0]
        T = ys.shape[0]
        if rnn.n_inputs and x is None:
            raise ValueError(f"x is required: the model has p = {rnn.n_inputs} inputs")
        xs = np.zeros((T, 0)) if x is None else v.as_sequence("x", x, rnn.n_inputs, steps=T)[0][0]
        fwd = simulate(self.forward, x=np.hstack([xs, ys]), noise=False).h
        prev = np.vstack([self.forward.h0[None], fwd[:-1]])  # m_{t-1}, with m_0 = h0
        r = simulate(self.backward, x=np.hstack([prev, xs, ys])[::-1], noise=False).h[::-1]
        a = prev @ rnn.W.T + xs @ rnn.U.T + rnn.b
        return fwd, a + r @ self.backward.V.T


def smoother_rnn(rnn: LinearRNN) -> SmootherRNN:
    """The steady-state smoother as a bidirectional linear RNN (forward filter RNN + backward information RNN).

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (see :func:`steady_state` for the requirements).

    Returns
    -------
    SmootherRNN
        ``forward = kalman_rnn(rnn)``; ``backward`` has ``W = L^T`` (n, n) with ``L = W (I - K V)``,
        ``U = V^T S^{-1} [-V W, -V U, I]`` (n, n + p + m), ``b = -V^T S^{-1} (V b + d)`` and read-out ``P``.
        ``SmootherRNN.run(y, x)`` returns the filtered means and the smoothed means ``a_t + P r_t``.

    Raises
    ------
    NotDetectableError, NotStabilizableError, NumericalError
        As :func:`steady_state`.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> pair = rnnss.smoother_rnn(rnnss.LinearRNN(W=0.9, Q=1.0, R=1.0))
    >>> fwd, bwd = pair.run(np.array([1.0, 0.5, -0.3, 0.2]))
    >>> fwd.shape, bwd.shape
    ((4, 1), (4, 1))
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    ss = steady_state(rnn)
    # r_t = L^T r_{t+1} + V^T S^{-1} (y_t - d - V (W m_{t-1} + U x_t + b)), read out through P
    H = np.linalg.solve(ss.innovation_cov, rnn.V)  # S^{-1} V
    backward = LinearRNN(
        W=ss.error_transition.T,
        U=np.hstack([-H.T @ rnn.V @ rnn.W, -H.T @ rnn.V @ rnn.U, H.T]),
        b=-H.T @ (rnn.V @ rnn.b + rnn.d),
        V=ss.predicted_cov,
        dt=rnn.dt,
    )
    return SmootherRNN(filter_rnn(rnn, ss), backward, ss, rnn)
