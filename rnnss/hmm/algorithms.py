"""HMM algorithms: sampling, scaled and log-space forward-backward, smoothing, likelihood and Viterbi."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from ..exceptions import NumericalError
from ._common import _LOG_FLOOR, _log
from .model import HMM, GaussianHMM, HMMSample, _method, _one_sequence

__all__ = [
    "HMMFilterResult",
    "HMMBackwardResult",
    "HMMSmootherResult",
    "ViterbiResult",
    "hmm_forward",
    "hmm_backward",
    "hmm_smoother",
    "hmm_loglik",
    "viterbi",
]

# -- sampling --------------------------------------------------------------------------------------


def hmm_sample(hmm: HMM | GaussianHMM, steps: int, *, batch: int | None = None, rng: Any = None) -> HMMSample:
    """Draw hidden states and observations from the model.

    Each categorical draw inverts the cumulative distribution with one uniform number (states with
    probability zero are never drawn).

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    steps : int
        Sequence length ``T >= 1``.
    batch : int, optional
        Number of independent sequences.
    rng : numpy.random.Generator or int, optional
        Random source. Draw order: ``(batch, T)`` uniforms for the states, then the emissions
        (``(batch, T)`` uniforms, or ``(batch, T, d)`` standard normals).

    Returns
    -------
    HMMSample
        ``states`` of shape (T,) and ``y`` of shape (T,) (categorical) or (T, d) (Gaussian); with a
        batch, a leading axis of length ``batch``.

    Raises
    ------
    ValueError
        If ``steps < 1`` or ``batch < 1``.

    Examples
    --------
    >>> from rnnss import HMM, simulate
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.0, 1.0], [1.0, 0.0]], B=[[1.0, 0.0], [0.0, 1.0]])
    >>> simulate(hmm, 5, rng=0).y  # a deterministic alternation
    array([0, 1, 0, 1, 0])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    T = v.as_int("steps", steps, minimum=1)
    nb = 1 if batch is None else v.as_int("batch", batch, minimum=1)
    gen = v.as_rng(rng)
    u = gen.random((nb, T))
    K = hmm.n_states
    cum = np.cumsum(np.vstack([hmm.pi, hmm.A]), axis=1)
    cum /= cum[:, -1:]  # exactly 1 at the end, so u < 1 always lands on a state of positive probability
    # The drawn state is the number of cumulative probabilities <= u: a state of probability zero has
    # the same cumulative value as its predecessor and is never drawn.
    states = np.empty((nb, T), dtype=np.intp)
    states[:, 0] = np.searchsorted(cum[0], u[:, 0], side="right")
    if nb == 1:  # one long chain: bisection on Python lists is ~20x faster than a NumPy call per step
        rows, z, path = cum[1:].tolist(), int(states[0, 0]), [0] * T
        for t, ut in enumerate(u[0].tolist()):
            if t:
                z = bisect.bisect_right(rows[z], ut)
            path[t] = z
        states[0] = path
    else:
        for t in range(1, T):
            states[:, t] = (cum[1:][states[:, t - 1]] <= u[:, t, None]).sum(axis=1)
    y = hmm._sample_emissions(states, gen)
    if batch is None:
        return HMMSample(states[0], y[0], K)
    return HMMSample(states, y, K)


# -- forward, backward, smoothing -------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class HMMFilterResult:
    """Output of :func:`hmm_forward`.

    After an impossible observation (``p(y_t | y_1..y_{t-1}) = 0``) the filter is undefined: from that step
    on ``filtered`` is NaN, ``log_normalizers`` is ``-inf`` at the step and NaN after it, and
    ``loglik = -inf``.

    Attributes
    ----------
    filtered : ndarray, shape (T, K)
        ``p(z_t | y_1..y_t)`` (the normalised ``alpha_t``).
    predicted : ndarray, shape (T, K)
        ``p(z_t | y_1..y_{t-1})`` (``pi`` at ``t = 1``).
    log_alpha : ndarray, shape (T, K)
        ``log alpha_t = log p(y_1..y_t, z_t)``; ``-inf`` for impossible states.
    log_normalizers : ndarray, shape (T,)
        ``log p(y_t | y_1..y_{t-1})``; they sum to ``loglik``.
    loglik : float
        ``log p(y_1..y_T)``.
    method : str
        ``"scaled"`` or ``"log"``.
    """

    filtered: np.ndarray
    predicted: np.ndarray
    log_alpha: np.ndarray
    log_normalizers: np.ndarray
    loglik: float
    method: str

    def __repr__(self) -> str:
        T, K = self.filtered.shape
        return f"HMMFilterResult(T={T}, K={K}, loglik={self.loglik:.6f}, method={self.method!r})"


@dataclass(frozen=True, repr=False)
class HMMBackwardResult:
    """Output of :func:`hmm_backward`.

    Attributes
    ----------
    log_beta : ndarray, shape (T, K)
        ``log beta_t = log p(y_{t+1}..y_T | z_t)`` (``0`` at ``t = T``; ``-inf`` where the future is
        impossible from that state).
    method : str
        ``"scaled"`` or ``"log"``.
    """

    log_beta: np.ndarray
    method: str

    def __repr__(self) -> str:
        T, K = self.log_beta.shape
        return f"HMMBackwardResult(T={T}, K={K}, method={self.method!r})"


@dataclass(frozen=True, repr=False)
class HMMSmootherResult:
    """Output of :func:`hmm_smoother`.

    Attributes
    ----------
    posteriors : ndarray, shape (T, K)
        ``p(z_t | y_1..y_T)``, rows summing to one (hmmlearn's ``predict_proba``).
    forward : HMMFilterResult
        The forward pass.
    backward : HMMBackwardResult
        The backward pass.
    """

    posteriors: np.ndarray
    forward: HMMFilterResult
    backward: HMMBackwardResult

    @property
    def loglik(self) -> float:
        """``log p(y_1..y_T)`` (from the forward pass)."""
        return self.forward.loglik

    @property
    def filtered(self) -> np.ndarray:
        """``p(z_t | y_1..y_t)``, shape ``(T, K)`` (from the forward pass)."""
        return self.forward.filtered

    def __repr__(self) -> str:
        T, K = self.posteriors.shape
        return f"HMMSmootherResult(T={T}, K={K}, loglik={self.loglik:.6f}, method={self.forward.method!r})"


def _logsumexp_rows(X: np.ndarray) -> np.ndarray:
    m = np.maximum(X.max(axis=-1), _LOG_FLOOR)
    with np.errstate(divide="ignore"):
        return m + np.log(np.exp(X - m[..., None]).sum(axis=-1))


# Both forward recursions return (log filtered, predicted, log normalisers, stop): normalised every
# step, so every stored number is O(1) and the log-likelihood is a sum of T terms of size O(1). This
# keeps ``log p`` accurate to ~1e-16 relative at 1e5 steps, where carrying the unnormalised
# ``log alpha_t`` (of size |log p(y_1..y_t)|) loses ~1e-12 (hmmlearn's log implementation does that).
# ``stop`` is the first impossible step (p(y_t | y_1..y_{t-1}) = 0), or T.


def _forward_log(hmm: HMM | GaussianHMM, ell: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    T, K = ell.shape
    log_A = hmm._cache["log_A"]
    lf = np.full((T, K), np.nan)
    lp = np.full((T, K), np.nan)
    lognorm = np.full(T, np.nan)
    prior = hmm._cache["log_pi"]
    with np.errstate(divide="ignore"):
        for t in range(T):
            if t:
                # log sum_i p(z_{t-1} = i | y_..) A[i, j]: one log-sum-exp per column j with its own maximum,
                # since a term negligible in one column may be the only one in another (structural zeros).
                S = lf[t - 1][:, None] + log_A
                m = np.maximum(S.max(axis=0), _LOG_FLOOR)
                prior = m + np.log(np.exp(S - m).sum(axis=0))
            lp[t] = prior
            joint = prior + ell[t]
            top = joint.max()
            if top == -np.inf:
                lognorm[t] = -np.inf
                return lf, np.exp(lp), lognorm, t
            lognorm[t] = top + np.log(np.exp(joint - top).sum())
            np.subtract(joint, lognorm[t], out=lf[t])
    return lf, np.exp(lp), lognorm, T


def _forward_scaled(
    hmm: HMM | GaussianHMM, b: np.ndarray, shift: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, np.ndarray]:
    """Rabiner's recursion on likelihoods ``b_t = exp(log b_t - shift_t)``; also returns the normalisers ``c``."""
    T, K = b.shape
    A = hmm.A
    filtered = np.full((T, K), np.nan)
    c = np.full(T, np.nan)
    pred = hmm.pi
    stop = T
    for t in range(T):
        bt = b[t]
        ct = np.dot(bt, pred)
        c[t] = ct
        if not ct > 0:
            stop = t
            break
        a = filtered[t]
        np.multiply(bt, pred, out=a)
        a /= ct
        pred = np.dot(a, A)
    predicted = np.empty((T, K))
    predicted[0] = hmm.pi
    predicted[1:] = filtered[:-1] @ A
    with np.errstate(divide="ignore", invalid="ignore"):
        lognorm = np.log(c) + shift  # -inf at an impossible step, NaN after it
    return filtered, predicted, lognorm, stop, c


def _impossible_or_underflow(hmm: HMM | GaussianHMM, ell: np.ndarray, stop: int) -> None:
    """Raise if the scaled pass hit ``c = 0`` where the log-space pass says ``y`` is possible."""
    if _forward_log(hmm, ell[: stop + 1])[3] > stop:
        raise NumericalError(
            f"the scaled forward recursion underflowed at step {stop} (a predictive probability below ~1e-308) "
            "although the observation is possible; use method='log'"
        )


def _forward(hmm: HMM | GaussianHMM, seq: np.ndarray, method: str) -> HMMFilterResult:
    if method == "log":
        lf, predicted, lognorm, stop = _forward_log(hmm, hmm._emission_loglik(seq))
        filtered = np.exp(lf)
    else:
        filtered, predicted, lognorm, stop, c = _forward_scaled(hmm, *hmm._likelihoods(seq))
        if stop < len(c):
            _impossible_or_underflow(hmm, hmm._emission_loglik(seq), stop)
        lf = _log(filtered)
    T = len(lognorm)
    with np.errstate(invalid="ignore"):
        log_alpha = lf + np.cumsum(lognorm)[:, None]  # log p(y_1..y_t, z_t) = log p(z_t | ..) + log p(y_1..y_t)
    if stop < T:
        log_alpha[stop] = -np.inf
    loglik = math.fsum(lognorm) if stop == T else -np.inf  # correctly rounded sum of T terms
    return HMMFilterResult(filtered, predicted, log_alpha, lognorm, loglik, method)


def hmm_forward(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled") -> HMMFilterResult:
    r"""The forward algorithm: filtering distributions and the exact log-likelihood of one sequence.

    ``alpha_t(j) = p(y_1..y_t, z_t = j)`` obeys ``alpha_t = b_t ⊙ (A^T alpha_{t-1})``, ``alpha_1 = b_1 ⊙ pi``,
    with ``b_t(k) = p(y_t | z_t = k)``. Two exact ways to keep it in floating-point range, both normalising
    ``alpha_t`` every step and summing the normalisers ``log c_t = log p(y_t | y_1..y_{t-1})`` apart:

    * ``"scaled"`` (Rabiner) in probabilities. This *is* the belief-state RNN (:func:`belief_rnn`). Gaussian
      densities are divided by their per-step maximum first (and the factor added back in log space).
    * ``"log"`` in log space: ``log alpha_t = log b_t + logsumexp_i(log alpha_{t-1}(i) + log A[i, :])``, with
      one maximum per column, so that a state reachable only through a tiny probability is not lost.

    Both handle structural zeros exactly (``log 0 = -inf``), never underflow on long sequences and keep
    ``loglik`` accurate to ~1e-16 relative at ``10^5`` steps; the scaled one is about four times faster.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence: symbols of shape (T,), or (T, d) for a Gaussian HMM.
    method : {"scaled", "log"}, default "scaled"
        Which recursion.

    Returns
    -------
    HMMFilterResult
        ``filtered``, ``predicted``, ``log_alpha`` (T, K), ``log_normalizers`` (T,) and ``loglik``.
        An impossible ``y`` gives ``loglik = -inf`` (see :class:`HMMFilterResult`).

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not a valid observation sequence or ``method`` is unknown.
    NumericalError
        If the scaled recursion underflows (predictive probability below ~1e-308) although ``y`` is possible.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import HMM, hmm_forward
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> f = hmm_forward(hmm, [0, 0, 1])
    >>> np.round(f.filtered, 4)
    array([[0.8182, 0.1818],
           [0.9387, 0.0613],
           [0.4284, 0.5716]])
    >>> bool(np.isclose(f.loglik, hmm_forward(hmm, [0, 0, 1], method="log").loglik, rtol=1e-14))
    True
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    method = _method(method)
    seq = _one_sequence(hmm, y)
    return _forward(hmm, seq, method)


def _impossible(loglik: float, what: str) -> None:
    if loglik == -np.inf:
        raise ValueError(f"y has probability zero under the model (log-likelihood -inf): {what} undefined")


def hmm_backward(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled") -> HMMBackwardResult:
    r"""The backward algorithm: ``beta_t(i) = p(y_{t+1}..y_T | z_t = i)`` for one sequence.

    ``beta_T = 1`` and ``beta_t = A (b_{t+1} ⊙ beta_{t+1})``. Both methods normalise ``beta_t`` to sum to one
    at every step and keep the log normalisers apart (so nothing under- or overflows): ``"scaled"`` in
    probabilities (this is the backward belief-state RNN), ``"log"`` in log space. Neither needs the
    forward pass.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence: symbols of shape (T,), or (T, d) for a Gaussian HMM.
    method : {"scaled", "log"}, default "scaled"
        Which recursion.

    Returns
    -------
    HMMBackwardResult
        ``log_beta`` of shape (T, K).

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not a valid observation sequence or ``method`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import HMM, hmm_backward
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> np.round(np.exp(hmm_backward(hmm, [0, 1]).log_beta), 4)  # beta_1 = A @ B[:, 1]
    array([[0.17, 0.66],
           [1.  , 1.  ]])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    method = _method(method)
    seq = _one_sequence(hmm, y)
    if method == "log":
        return HMMBackwardResult(_backward_log(hmm, hmm._emission_loglik(seq))[1], "log")
    return HMMBackwardResult(_backward_scaled(hmm, *hmm._likelihoods(seq))[1], "scaled")


# Both backward recursions normalise beta_t to sum to one each step (any positive scale gives the same
# posteriors) and return (normalised, log beta), with log beta_t = log beta_hat_t + sum_{s >= t} log d_s.
# If the future y_{t+1}..y_T is impossible from every state, beta_s = 0 for all s <= t: log beta = -inf.


def _suffix_sums(off: np.ndarray) -> np.ndarray:
    return np.cumsum(off[::-1])[::-1]


def _backward_log(hmm: HMM | GaussianHMM, ell: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    T, K = ell.shape
    log_A = hmm._cache["log_A"]
    lbn = np.full((T, K), -np.inf)
    off = np.zeros(T)
    lbn[-1] = 0.0
    with np.errstate(divide="ignore"):
        for t in range(T - 2, -1, -1):
            S = log_A + (ell[t + 1] + lbn[t + 1])  # S[i, j]: from i to j, then the future from j
            m = np.maximum(S.max(axis=1), _LOG_FLOOR)
            row = m + np.log(np.exp(S - m[:, None]).sum(axis=1))
            top = row.max()
            if top == -np.inf:
                off[: t + 1] = -np.inf
                break
            off[t] = top + np.log(np.exp(row - top).sum())
            np.subtract(row, off[t], out=lbn[t])
    return lbn, lbn + _suffix_sums(off)[:, None]


def _backward_scaled(hmm: HMM | GaussianHMM, b: np.ndarray, shift: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    T, K = b.shape
    A = hmm.A
    bh = np.zeros((T, K))
    off = np.zeros(T)
    bh[-1] = 1.0
    for t in range(T - 2, -1, -1):
        u = np.dot(A, b[t + 1] * bh[t + 1])
        d = u.sum()
        if not d > 0:
            off[: t + 1] = -np.inf
            break
        np.divide(u, d, out=bh[t])
        off[t] = math.log(d) + shift[t + 1]
    return bh, _log(bh) + _suffix_sums(off)[:, None]


def hmm_smoother(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled") -> HMMSmootherResult:
    """Forward-backward smoothing: the posteriors ``p(z_t | y_1..y_T)`` of one sequence.

    ``gamma_t ∝ alpha_t ⊙ beta_t``, computed from the per-step normalised forward and backward passes of
    the chosen ``method`` (so every number is O(1) and the posteriors are accurate to rounding at any
    length).

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence.
    method : {"scaled", "log"}, default "scaled"
        Which recursions.

    Returns
    -------
    HMMSmootherResult
        ``posteriors`` (T, K), the ``forward`` and ``backward`` passes, ``loglik``.

    Raises
    ------
    ValueError
        If ``y`` has probability zero under the model (posteriors are undefined), is invalid, or
        ``method`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import HMM, hmm_smoother
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> np.round(hmm_smoother(hmm, [0, 0, 1]).posteriors, 4)
    array([[0.8329, 0.1671],
           [0.7976, 0.2024],
           [0.4284, 0.5716]])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    method = _method(method)
    seq = _one_sequence(hmm, y)
    fwd = _forward(hmm, seq, method)
    _impossible(fwd.loglik, "posteriors are")
    if method == "log":
        lbn, log_beta = _backward_log(hmm, hmm._emission_loglik(seq))
        with np.errstate(divide="ignore"):
            s = _log(fwd.filtered) + lbn  # both normalised, so O(1): no loss from |log p| being large
        post = np.exp(s - _logsumexp_rows(s)[:, None])
    else:
        bh, log_beta = _backward_scaled(hmm, *hmm._likelihoods(seq))
        post = fwd.filtered * bh
        post /= post.sum(axis=1, keepdims=True)
    return HMMSmootherResult(post, fwd, HMMBackwardResult(log_beta, method))


def hmm_loglik(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled") -> Any:
    """Exact log-likelihood ``log p(y_1..y_T)`` of one sequence or of each of many sequences.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like or list of array_like
        One sequence (symbols (T,); Gaussian (T, d) or (T,) if ``d == 1``), or many as a Python list
        of sequences of any lengths (a Gaussian HMM also takes a (batch, T, d) array). A 2-D array of
        symbols is refused as ambiguous: pass ``list(y)`` for equal-length sequences or ``y.ravel()``
        for hmmlearn's (T, 1) layout.
    method : {"scaled", "log"}, default "scaled"
        Forward recursion used (both exact; see :func:`hmm_forward`).

    Returns
    -------
    float or ndarray, shape (n_sequences,)
        ``-inf`` for an impossible sequence. For many sequences, one value each (hmmlearn's ``score`` with
        ``lengths`` returns their sum).

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not valid for the model (the message names the sequence and entry).

    Examples
    --------
    >>> from rnnss import HMM, hmm_loglik
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> hmm_loglik(hmm, [[0, 1], [1], [0, 0, 0]])  # the second starts in state 0, which never emits 1
    array([-0.91629073,        -inf, -1.13943428])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    method = _method(method)
    seqs, many = hmm._sequences(y)
    out = np.empty(len(seqs))
    for n, seq in enumerate(seqs):
        if method == "log":
            lognorm, stop = _forward_log(hmm, hmm._emission_loglik(seq))[2:]
        else:
            lognorm, stop, c = _forward_scaled(hmm, *hmm._likelihoods(seq))[2:]
            if stop < len(c):
                _impossible_or_underflow(hmm, hmm._emission_loglik(seq), stop)
        out[n] = math.fsum(lognorm) if stop == len(lognorm) else -np.inf
    return out if many else float(out[0])


# -- Viterbi ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ViterbiResult:
    """Output of :func:`viterbi`.

    Attributes
    ----------
    path : ndarray of int, shape (T,)
        The most likely state sequence ``argmax_z p(z_1..z_T | y_1..y_T)`` (ties go to the lowest state).
    log_prob : float
        ``log p(y_1..y_T, path)``, the joint log-probability of the path and the data (hmmlearn's
        ``decode`` log-probability).
    """

    path: np.ndarray
    log_prob: float

    def __repr__(self) -> str:
        return f"ViterbiResult(T={len(self.path)}, log_prob={self.log_prob:.6f})"


def viterbi(hmm: HMM | GaussianHMM, y: Any) -> ViterbiResult:
    r"""The most likely hidden-state path (max-product in log space).

    ``delta_t(j) = log b_t(j) + max_i (delta_{t-1}(i) + log A[i, j])``, with back-pointers.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence.

    Returns
    -------
    ViterbiResult
        ``path`` (T,) and ``log_prob``.

    Raises
    ------
    ValueError
        If ``y`` has probability zero under the model (no path is possible), or is invalid.

    Examples
    --------
    >>> from rnnss import HMM, viterbi
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> viterbi(hmm, [0, 0, 1, 1, 1]).path
    array([0, 0, 1, 1, 1])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    ell = hmm._emission_loglik(_one_sequence(hmm, y))
    T, K = ell.shape
    log_A = hmm._cache["log_A"]
    back = np.empty((T, K), dtype=np.intp)
    offsets = np.zeros(T)  # delta is kept with max 0; subtracting a constant leaves every argmax (and tie) alone
    delta = hmm._cache["log_pi"] + ell[0]
    cols = np.arange(K)
    for t in range(T):
        if t:
            S = delta[:, None] + log_A
            back[t] = np.argmax(S, axis=0)
            delta = S[back[t], cols] + ell[t]
        top = delta.max()
        if top == -np.inf:
            raise ValueError(
                f"y has probability zero under the model (impossible at step {t}): no state path is possible"
            )
        offsets[t] = top
        delta = delta - top
    path = np.empty(T, dtype=np.intp)
    path[-1] = int(np.argmax(delta))
    for t in range(T - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    best = math.fsum(offsets)
    return ViterbiResult(path, best)
