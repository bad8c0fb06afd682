"""The steady-state Kalman filter and RTS smoother written as (bidirectional) linear RNNs."""

from __future__ import annotations

import dataclasses
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
    r"""A bidirectional pair of linear RNNs whose combination is the steady-state RTS smoother.

    The forward RNN is :func:`kalman_rnn` (state = filtered mean ``m_t``). The backward RNN runs in reverse
    time from ``g_T = m_T``:

    .. math:: g_t = J g_{t+1} + \big[I - J W,\; -J U\big] \begin{bmatrix} m_t \\ x_{t+1} \end{bmatrix} - J b,

    and its state ``g_t`` is the smoothed mean. It reads the forward states, as a bidirectional layer reads
    the concatenation of both directions.

    Attributes
    ----------
    forward : LinearRNN
        Input ``[x_t; y_t]`` (p + m), state the filtered mean.
    backward : LinearRNN
        Input ``[m_t; x_{t+1}]`` (n + p) in reverse time, state the smoothed mean.
    steady : SteadyState
        The steady state the gains come from.
    """

    forward: LinearRNN
    backward: LinearRNN
    steady: SteadyState

    def __repr__(self) -> str:
        return (
            f"SmootherRNN(n={self.forward.n_hidden}, forward radius={self.steady.filter_radius:.4g}, "
            f"backward radius={self.steady.smoother_radius:.4g})"
        )

    def run(self, y: ArrayLike, x: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run both directions on one sequence.

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
        backward : ndarray, shape (T, n)
            Backward states: the steady-state smoothed means.
        """
        p = self.backward.n_inputs - self.forward.n_hidden  # backward input is [m_t; x_{t+1}]
        ys, batched = v.as_sequence("y", y, self.forward.n_inputs - p)
        if batched:
            raise v.DimensionError(
                f"y must be one sequence of shape (T, {ys.shape[2]}); got a batch of shape {ys.shape}"
            )
        ys = ys[0]
        T = ys.shape[0]
        if p and x is None:
            raise ValueError(f"x is required: the model has p = {p} inputs")
        xs = np.zeros((T, 0)) if x is None else v.as_sequence("x", x, p, steps=T)[0][0]
        fwd = simulate(self.forward, x=np.hstack([xs, ys]), noise=False).h
        if T == 1:
            return fwd, fwd.copy()
        # Reverse time: step tau = 1..T-1 reads [m_t; x_{t+1}] for t = T-1, ..., 1.
        z = np.hstack([fwd[:-1], xs[1:]])[::-1]
        back = simulate(dataclasses.replace(self.backward, h0=fwd[-1]), x=z, noise=False).h[::-1]
        return fwd, np.vstack([back, fwd[-1:]])


def smoother_rnn(rnn: LinearRNN) -> SmootherRNN:
    """The steady-state RTS smoother as a bidirectional linear RNN (forward filter RNN + backward RNN).

    Parameters
    ----------
    rnn : LinearRNN
        The generative model (see :func:`steady_state` for the requirements).

    Returns
    -------
    SmootherRNN
        ``forward = kalman_rnn(rnn)``; ``backward`` has ``W = J`` (n, n), ``U = [I - J W, -J U]`` (n, n + p),
        ``b = -J b``, ``V = I``. ``SmootherRNN.run(y, x)`` returns both state sequences; the backward one is
        the smoothed mean.

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
    ss = steady_state(rnn)
    J = ss.smoother_gain
    n = rnn.n_hidden
    backward = LinearRNN(W=J, U=np.hstack([np.eye(n) - J @ rnn.W, -J @ rnn.U]), b=-J @ rnn.b, dt=rnn.dt)
    return SmootherRNN(filter_rnn(rnn, ss), backward, ss)
