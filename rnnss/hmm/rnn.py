"""Exact HMM <-> RNN converters: the one-hot softmax RNN and the belief-state RNN with identical likelihoods."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._engine import resolve_engine
from . import _batch
from .cells import BeliefCell, OneHotSoftmaxCell
from .model import HMM, GaussianHMM, _one_sequence

__all__ = ["BeliefRNN", "BeliefRun", "hmm_to_rnn", "rnn_to_hmm", "belief_rnn", "run_belief_rnn"]

# -- HMM <-> softmax RNN ---------------------------------------------------------------------------


def hmm_to_rnn(hmm: HMM) -> OneHotSoftmaxCell:
    r"""The one-hot softmax RNN that is this HMM, by the logarithmic mapping.

    .. math:: W = (\ln A)^\top, \qquad V = (\ln B)^\top, \qquad c = \ln \pi ,

    so that with a one-hot ``h_{t-1} = e_i``, ``softmax(W h_{t-1}) = A[i, :]`` and with ``h_t = e_k``,
    ``softmax(V h_t) = B[k, :]`` (each row sums to one, so the softmax's normaliser is 1). Zero
    probabilities become ``-inf`` logits, exactly. The cell's sampling distribution and its exact
    likelihood (:meth:`OneHotSoftmaxCell.loglik`) are the HMM's.

    Parameters
    ----------
    hmm : HMM
        A categorical HMM.

    Returns
    -------
    OneHotSoftmaxCell
        ``W`` (K, K), ``V`` (M, K), ``init_logits`` (K,).

    Raises
    ------
    TypeError
        If ``hmm`` is not a categorical :class:`HMM` (a Gaussian HMM's emissions are not a softmax).

    Examples
    --------
    >>> from rnnss import HMM, hmm_to_rnn
    >>> cell = hmm_to_rnn(HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]]))
    >>> cell.init_logits
    array([  0., -inf])
    """
    if isinstance(hmm, GaussianHMM):
        raise TypeError(
            "hmm_to_rnn needs a categorical rnnss.HMM: a GaussianHMM's emissions are not a softmax over symbols"
        )
    if not isinstance(hmm, HMM):
        raise TypeError(f"hmm must be a rnnss.HMM; got {type(hmm).__name__}")
    return OneHotSoftmaxCell(W=hmm._cache["log_A"].T, V=hmm._cache["log_B_T"], init_logits=hmm._cache["log_pi"])


def rnn_to_hmm(cell: OneHotSoftmaxCell) -> HMM:
    """The HMM of a one-hot softmax RNN: ``A[i] = softmax(W e_i)``, ``B[i] = softmax(V e_i)``, ``pi = softmax(c)``.

    Logits need not be normalised (the softmax normalises), so every such cell is an HMM. The round
    trip ``rnn_to_hmm(hmm_to_rnn(hmm))`` returns ``hmm`` up to ``exp(log p)`` rounding, i.e. a relative
    error of about ``(1 + |ln p|) * 1.1e-16`` per probability ``p``; zeros stay exactly zero.

    Parameters
    ----------
    cell : OneHotSoftmaxCell
        The network.

    Returns
    -------
    HMM
        With ``K = cell.n_hidden`` states and ``M = cell.n_symbols`` symbols.

    Raises
    ------
    TypeError
        If ``cell`` is not a :class:`~rnnss.OneHotSoftmaxCell`.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import OneHotSoftmaxCell
    >>> from rnnss import rnn_to_hmm
    >>> cell = OneHotSoftmaxCell(W=np.zeros((2, 2)), V=[[0.0, -np.inf], [0.0, 0.0]], init_logits=[0.0, 0.0])
    >>> rnn_to_hmm(cell).B
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    if not isinstance(cell, OneHotSoftmaxCell):
        raise TypeError(f"cell must be a rnnss.OneHotSoftmaxCell; got {type(cell).__name__}")
    return HMM(pi=cell.initial_distribution, A=cell.transition_matrix, B=cell.emission_matrix)


# -- the belief-state RNN --------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class BeliefRun:
    """Output of :func:`run_belief_rnn`: both directions of the belief-state RNN and their combination.

    Attributes
    ----------
    filtered : ndarray, shape (T, K)
        Forward states ``alpha_t = p(z_t | y_1..y_t)``.
    backward : ndarray, shape (T, K)
        Backward states ``g_t ∝ p(y_{t+1}..y_T | z_t)`` (uniform at ``t = T``).
    posteriors : ndarray, shape (T, K)
        ``p(z_t | y_1..y_T) ∝ alpha_t ⊙ g_t``.
    log_normalizers : ndarray, shape (T,)
        Forward ``log c_t = log p(y_t | y_1..y_{t-1})``.
    loglik : float
        ``sum_t log c_t = log p(y_1..y_T)`` (``-inf`` if impossible).
    backward_loglik : float
        The same likelihood from the backward direction alone: its log-normalisers plus
        ``log sum(pi ⊙ b_1 ⊙ g_1)``.
    """

    filtered: np.ndarray
    backward: np.ndarray
    posteriors: np.ndarray
    log_normalizers: np.ndarray
    loglik: float
    backward_loglik: float

    def __repr__(self) -> str:
        T, K = self.filtered.shape
        return f"BeliefRun(T={T}, K={K}, loglik={self.loglik:.6f}, backward_loglik={self.backward_loglik:.6f})"


@dataclass(frozen=True, repr=False)
class BeliefRNN:
    """The HMM's filter and its backward twin as a pair of deterministic RNNs (a bidirectional RNN).

    Attributes
    ----------
    hmm : HMM or GaussianHMM
        The model the cells come from (it supplies the emission likelihoods of the inputs).
    forward : BeliefCell
        State: the filtering distribution ``p(z_t | y_1..y_t)``.
    backward : BeliefCell
        Run in reverse time; state ``∝ p(y_{t+1}..y_T | z_t)``.
    """

    hmm: Any
    forward: BeliefCell
    backward: BeliefCell

    def run(self, y: Any, *, engine: str = "auto") -> BeliefRun:
        """Run both directions on one sequence; see :func:`run_belief_rnn`.

        Parameters
        ----------
        y : array_like
            One observation sequence.
        engine : {"auto", "numba", "numpy"}, default "auto"
            Compiled or reference engine.

        Returns
        -------
        BeliefRun
            Forward and backward states, posteriors, log-likelihoods.
        """
        return run_belief_rnn(self, y, engine=engine)

    def __repr__(self) -> str:
        return f"BeliefRNN({self.hmm!r})"


def belief_rnn(hmm: HMM | GaussianHMM) -> BeliefRNN:
    r"""The belief-state RNN of an HMM: the normalised forward recursion and its backward twin.

    Forward: ``alpha_t ∝ diag(b_t) A^T alpha_{t-1}`` (``pi`` in place of ``A^T alpha_0``), a deterministic RNN
    whose state is the filtering distribution and whose log-normalisers sum to ``log p(y_1..y_T)``.
    Backward: ``g_t ∝ A diag(b_{t+1}) g_{t+1}``, ``g_T ∝ 1``. Their normalised product is the smoothing
    posterior: the bidirectional RNN that computes HMM smoothing exactly. See :class:`~rnnss.BeliefCell`.

    For a categorical HMM the cells read one-hot symbols (``b_t = B x_t``); for a Gaussian HMM they read
    the likelihood vector (the densities divided by their maximum, which the normalisation ignores).

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.

    Returns
    -------
    BeliefRNN
        The pair of cells; ``.run(y)`` (:func:`run_belief_rnn`) drives them over a sequence.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import HMM, belief_rnn
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> run = belief_rnn(hmm).run([0, 0, 1])
    >>> bool(np.isclose(run.loglik, hmm.loglik([0, 0, 1]), rtol=1e-14))
    True
    >>> np.round(run.posteriors, 4)
    array([[0.8329, 0.1671],
           [0.7976, 0.2024],
           [0.4284, 0.5716]])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    B = hmm.B if isinstance(hmm, HMM) else None
    return BeliefRNN(hmm, BeliefCell(hmm.A, hmm.pi, B), BeliefCell(hmm.A, hmm.pi, B, reverse=True))


def run_belief_rnn(belief: BeliefRNN, y: Any, *, engine: str = "auto") -> BeliefRun:
    r"""Drive the belief-state RNN over one sequence: filtering, the backward pass, smoothing, likelihood.

    Step ``t`` of the forward cell reads ``y_t`` and returns ``alpha_t`` and ``c_t``; the backward cell runs
    from ``t = T`` and its step reading ``y_{t+1}`` returns ``g_t``. Posteriors are ``alpha_t ⊙ g_t``
    normalised. Each direction gives ``log p(y_1..y_T)`` on its own (``loglik``, ``backward_loglik``).
    The two directions run as the compiled scaled forward and backward recursions (the cells' steps, one
    definition shared with :func:`rnnss.hmm_forward` and :func:`rnnss.hmm_backward`).

    Parameters
    ----------
    belief : BeliefRNN
        From :func:`belief_rnn`.
    y : array_like
        One observation sequence (symbols (T,), or (T, d) for a Gaussian HMM).
    engine : {"auto", "numba", "numpy"}, default "auto"
        ``"numba"`` runs the compiled recursions, ``"numpy"`` the same source uncompiled (the reference);
        ``"auto"`` picks numba when it is installed.

    Returns
    -------
    BeliefRun
        States of both directions, posteriors, forward log-normalisers and both log-likelihoods. If ``y``
        is impossible the log-likelihoods are ``-inf`` and the states from that step on are NaN.

    Raises
    ------
    TypeError
        If ``belief`` is not a :class:`BeliefRNN`.
    ValueError, DimensionError
        If ``y`` is not a valid observation sequence, or ``engine`` is unknown.

    Examples
    --------
    >>> from rnnss import HMM, belief_rnn, run_belief_rnn
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> run_belief_rnn(belief_rnn(hmm), [1, 0]).loglik  # state 0 cannot emit 1
    -inf
    """
    if not isinstance(belief, BeliefRNN):
        raise TypeError(f"belief must be a rnnss.BeliefRNN (from rnnss.belief_rnn); got {type(belief).__name__}")
    engine = resolve_engine(engine)
    hmm = belief.hmm
    seq = _one_sequence(hmm, y)
    packed = _batch.pack([seq])
    em = _batch.scaled_emissions(hmm, packed)
    loglik, _, filtered, lognorm = _batch.forward(hmm, packed, "scaled", engine, store=True, em=em)
    back, off, post, _ = _batch.backward(hmm, packed, "scaled", engine, F=filtered, mode=1, em=em)
    T, K = back.shape
    back[off == -np.inf] = np.nan  # the backward cell's 0 / 0 where the future is impossible from every state
    back[-1] = 1.0 / K  # the cell's state for beta_T = 1, normalised
    # The backward direction's own likelihood: p(y) = prod d_t * sum_i pi_i b_1(i) g_1(i) (g = 1 if T = 1).
    E, shift, idx = em
    close = float(np.sum(hmm.pi * E[idx[0]] * (back[0] if T > 1 else 1.0)))
    if close > 0 and np.all(off[:-1] > -np.inf):
        backward_loglik = math.fsum([*off[:-1], math.log(close) + shift[idx[0]]])
    else:
        backward_loglik = -np.inf
    return BeliefRun(filtered, back, post, lognorm, float(loglik[0]), backward_loglik)
