"""One verb to draw from any rnnss model: ``simulate`` for linear RNNs, VARMA models, noisy cells and HMMs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import _validate as v
from .cells.noisy import NoisyCell
from .hmm.algorithms import hmm_sample
from .hmm.model import HMM, GaussianHMM, HMMSample
from .linear import LinearRNN, Trajectory
from .linear import simulate as simulate_linear
from .nonlinear_filters import simulate_noisy
from .varma import VARMA, varma_to_rnn

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["simulate"]

_MODELS = "a LinearRNN, VARMA, NoisyCell, HMM or GaussianHMM"


def simulate(
    model: LinearRNN | VARMA | NoisyCell | HMM | GaussianHMM,
    steps: int | None = None,
    x: ArrayLike | None = None,
    *,
    noise: bool = True,
    batch: int | None = None,
    h0: ArrayLike | None = None,
    rng: Any = None,
) -> Trajectory | HMMSample:
    r"""Draw a sample path of a model: hidden states and outputs.

    * :class:`~rnnss.LinearRNN`: ``h_t = W h_{t-1} + U x_t + b + eta_t``, ``y_t = V h_t + d + eps_t`` from
      ``h_0 ~ N(h0, P0)``.
    * :class:`~rnnss.VARMA`: through its state-space realisation :func:`rnnss.varma_to_rnn`, started exactly
      in the stationary distribution (no burn-in) when the VARMA is stationary; ``h`` is the realisation's
      state, whose first ``m`` entries are ``y``.
    * :class:`~rnnss.NoisyCell`: ``s_t = f(x_t, s_{t-1}) + eta_t``, ``y_t = g(s_t) + eps_t``.
    * :class:`~rnnss.HMM`, :class:`~rnnss.GaussianHMM`: a Markov chain of states and its emissions (no inputs).

    Parameters
    ----------
    model : LinearRNN, VARMA, NoisyCell, HMM or GaussianHMM
        The model to draw from.
    steps : int, optional
        Number of steps ``T``; required when there is no input, otherwise read from ``x``.
    x : array_like, shape (T, p), (T,) if p == 1, or (batch, T, p), optional
        Inputs ``x_1 .. x_T`` (models with inputs only).
    noise : bool, default True
        Draw the noise; with False a LinearRNN or VARMA runs its deterministic recursion from its prior mean
        (a NoisyCell or HMM is random by definition: ``noise=False`` is refused).
    batch : int, optional
        Number of independent sequences (LinearRNN, VARMA, HMM).
    h0 : array_like, shape (n,) or (batch, n), optional
        Mean of the initial state, replacing the model's (LinearRNN and VARMA realisation only).
    rng : numpy.random.Generator or int, optional
        Source of randomness.

    Returns
    -------
    Trajectory or HMMSample
        ``Trajectory`` with ``h`` of shape (T, n) and ``y`` of shape (T, m) (a leading batch axis with
        ``batch``); for an HMM an :class:`~rnnss.HMMSample` with ``states`` (T,), ``y`` and one-hot ``h``.

    Raises
    ------
    TypeError
        If ``model`` is not one of the models above.
    ValueError
        If an option does not apply to the model (``x`` for an HMM, ``noise=False`` for a random model,
        ``batch`` or ``h0`` for a NoisyCell).

    Examples
    --------
    >>> import rnnss
    >>> rnnss.simulate(rnnss.LinearRNN(W=0.5, U=[[1.0]]), x=[1.0, 0.0, 0.0], noise=False).h[:, 0]
    array([1.  , 0.5 , 0.25])
    >>> rnnss.simulate(rnnss.VARMA(ar=[0.5], ma=[0.4], sigma=1.0), 5, rng=0).y.shape
    (5, 1)
    >>> flip = rnnss.HMM(pi=[1.0, 0.0], A=[[0.0, 1.0], [1.0, 0.0]], B=[[1.0, 0.0], [0.0, 1.0]])
    >>> rnnss.simulate(flip, 4, rng=1).y  # a deterministic alternation
    array([0, 1, 0, 1])
    """
    noise = v.as_bool("noise", noise)
    if isinstance(model, LinearRNN):
        return simulate_linear(model, steps, x, noise=noise, batch=batch, h0=h0, rng=rng)
    if isinstance(model, VARMA):
        return simulate_linear(varma_to_rnn(model), steps, x, noise=noise, batch=batch, h0=h0, rng=rng)
    if isinstance(model, NoisyCell):
        for name, value in (("batch", batch), ("h0", h0)):
            if value is not None:
                raise ValueError(
                    f"{name} is not supported for a NoisyCell (one sequence from its prior); got {value!r}"
                )
        if not noise:
            raise ValueError("noise=False is not supported for a NoisyCell: run rnnss.scan(model.cell, x) instead")
        return simulate_noisy(model, steps, x, rng=rng)
    if isinstance(model, (HMM, GaussianHMM)):
        if x is not None or h0 is not None:
            raise ValueError("an HMM has no inputs or initial-state mean: pass steps (and batch, rng) only")
        if not noise:
            raise ValueError("noise=False is not supported for an HMM (its states and emissions are random)")
        if steps is None:
            raise TypeError("simulate needs the number of steps for an HMM")
        return hmm_sample(model, steps, batch=batch, rng=rng)
    return v.check_instance(model, (LinearRNN, VARMA, NoisyCell, HMM, GaussianHMM), "model", _MODELS)
