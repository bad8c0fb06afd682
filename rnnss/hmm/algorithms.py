"""HMM algorithms: sampling, scaled and log-space forward-backward, smoothing, likelihood and Viterbi."""

from __future__ import annotations

import bisect
from dataclasses import InitVar, dataclass
from functools import cached_property
from typing import Any

import numpy as np

from .. import _validate as v
from .._deprecation import warn_deprecated
from .._engine import resolve_engine
from . import _batch
from ._common import _log
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
    ``loglik = -inf``. The properties ``predicted`` (``p(z_t | y_1..y_{t-1})``, shape (T, K)) and ``log_alpha``
    (``log p(y_1..y_t, z_t)``, shape (T, K)) are computed on first access.

    Attributes
    ----------
    filtered : ndarray, shape (T, K)
        ``p(z_t | y_1..y_t)`` (the normalised ``alpha_t``).
    log_normalizers : ndarray, shape (T,)
        ``log p(y_t | y_1..y_{t-1})``; they sum to ``loglik``.
    loglik : float
        ``log p(y_1..y_T)``.
    method : str
        ``"scaled"`` or ``"log"``.
    """

    filtered: np.ndarray
    log_normalizers: np.ndarray
    loglik: float
    method: str
    pi: InitVar[np.ndarray]  # what the lazy properties need: not fields of the record
    A: InitVar[np.ndarray]
    log_filtered: InitVar[np.ndarray | None] = None

    def __post_init__(self, pi: np.ndarray, A: np.ndarray, log_filtered: np.ndarray | None) -> None:
        object.__setattr__(self, "_pi", pi)
        object.__setattr__(self, "_A", A)
        object.__setattr__(self, "_log_filtered", log_filtered)

    @cached_property
    def predicted(self) -> np.ndarray:
        """``p(z_t | y_1..y_{t-1})``, shape ``(T, K)``: ``pi``, then ``A^T`` times the previous filtered row."""
        out = np.empty_like(self.filtered)
        out[0] = self._pi
        out[1:] = self.filtered[:-1] @ self._A
        return out

    @cached_property
    def log_alpha(self) -> np.ndarray:
        """``log alpha_t = log p(y_1..y_t, z_t) = log p(z_t | y_1..y_t) + log p(y_1..y_t)``, shape ``(T, K)``;
        ``-inf`` for impossible states."""
        lf = self._log_filtered if self._log_filtered is not None else _log(self.filtered)
        with np.errstate(invalid="ignore"):
            out = lf + np.cumsum(self.log_normalizers)[:, None]
        out[np.isneginf(self.log_normalizers)] = -np.inf  # the impossible step; NaN after it
        return out

    def __repr__(self) -> str:
        T, K = self.filtered.shape
        return f"HMMFilterResult(T={T}, K={K}, loglik={self.loglik:.6f}, method={self.method!r})"


@dataclass(frozen=True, repr=False)
class HMMBackwardResult:
    """Output of :func:`hmm_backward`.

    The property ``log_beta`` (``log p(y_{t+1}..y_T | z_t)``, shape (T, K)) is computed on first access.

    Attributes
    ----------
    method : str
        ``"scaled"`` or ``"log"``.
    """

    method: str
    normalised: InitVar[np.ndarray]  # beta_t / sum(beta_t), or its log: not a field of the record
    log_scales: InitVar[np.ndarray]  # the logs of the per-step normalisers

    def __post_init__(self, normalised: np.ndarray, log_scales: np.ndarray) -> None:
        object.__setattr__(self, "_normalised", normalised)
        object.__setattr__(self, "_log_scales", log_scales)

    @cached_property
    def log_beta(self) -> np.ndarray:
        """``log beta_t = log p(y_{t+1}..y_T | z_t)``, shape ``(T, K)``: ``0`` at ``t = T``, ``-inf`` where the future
        is impossible from that state (the normalised ``beta_t`` plus the summed log normalisers)."""
        with np.errstate(invalid="ignore"):
            suffix = np.cumsum(self._log_scales[::-1])[::-1]
            return (self._normalised if self.method == "log" else _log(self._normalised)) + suffix[:, None]

    def __repr__(self) -> str:
        T, K = self._normalised.shape
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
    expected_transitions : ndarray, shape (K, K)
        ``sum_{t=1}^{T-1} p(z_t = i, z_{t+1} = j | y_1..y_T)``: the expected number of ``i -> j`` transitions,
        the statistic Baum-Welch re-estimates ``A`` from (hmmlearn's ``stats["trans"]``); zero where
        ``A[i, j] = 0`` and for ``T = 1``.
    """

    posteriors: np.ndarray
    forward: HMMFilterResult
    backward: HMMBackwardResult
    expected_transitions: np.ndarray

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


# Both forward recursions normalise alpha_t every step and sum the log normalisers apart (compensated
# summation), so every stored number is O(1) and log p keeps ~16 digits at 1e5 steps, where carrying the
# unnormalised log alpha_t (of size |log p(y_1..y_t)|) loses ~1e-12 (hmmlearn's log implementation does
# that). The recursions themselves are the kernels of _kernels.py.


def _forward(
    hmm: HMM | GaussianHMM, packed: _batch.Packed, method: str, engine: str, em: tuple | None = None
) -> tuple[HMMFilterResult, np.ndarray]:
    """The filter result and the kernel's raw output (filtered probabilities, or their logs for ``"log"``)."""
    loglik, stops, F, lognorm = _batch.forward(hmm, packed, method, engine, store=True, em=em)
    if method == "scaled" and loglik[0] == -np.inf:
        _batch.check_scaled_stops(hmm, packed, loglik, stops, engine)
    if method == "log":
        with np.errstate(invalid="ignore"):
            filtered = np.exp(F)
        return HMMFilterResult(filtered, lognorm, float(loglik[0]), method, hmm.pi, hmm.A, F), F
    return HMMFilterResult(F, lognorm, float(loglik[0]), method, hmm.pi, hmm.A, None), F


def hmm_forward(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled", engine: str = "auto") -> HMMFilterResult:
    r"""The forward algorithm: filtering distributions and the exact log-likelihood of one sequence.

    ``alpha_t(j) = p(y_1..y_t, z_t = j)`` obeys ``alpha_t = b_t ⊙ (A^T alpha_{t-1})``, ``alpha_1 = b_1 ⊙ pi``,
    with ``b_t(k) = p(y_t | z_t = k)``. Two exact ways to keep it in floating-point range, both normalising
    ``alpha_t`` every step and summing the normalisers ``log c_t = log p(y_t | y_1..y_{t-1})`` apart:

    * ``"scaled"`` (Rabiner) in probabilities. This *is* the belief-state RNN (:func:`belief_rnn`). Gaussian
      densities are divided by their per-step maximum first (and the factor added back in log space).
    * ``"log"`` in log space: ``log alpha_t = log b_t + logsumexp_i(log alpha_{t-1}(i) + log A[i, :])``. Each
      column's log-sum-exp is ``m + log(A^T exp(log alpha_{t-1} - m))`` when that sum is above ``1e-250``
      (nothing it could have lost matters), else an exact log-sum-exp with the column's own maximum, so
      that a state reachable only through a tiny probability is never lost.

    Both handle structural zeros exactly (``log 0 = -inf``), never underflow on long sequences and keep
    ``loglik`` accurate to ~1e-16 relative at ``10^5`` steps.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence: symbols of shape (T,), or (T, d) for a Gaussian HMM.
    method : {"scaled", "log"}, default "scaled"
        Which recursion.
    engine : {"auto", "numba", "numpy"}, default "auto"
        ``"numba"`` runs the compiled recursion, ``"numpy"`` the same source uncompiled (the reference);
        ``"auto"`` picks numba when it is installed. Both agree to rounding.

    Returns
    -------
    HMMFilterResult
        ``filtered``, ``predicted``, ``log_alpha`` (T, K), ``log_normalizers`` (T,) and ``loglik``.
        An impossible ``y`` gives ``loglik = -inf`` (see :class:`HMMFilterResult`).

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not a valid observation sequence, or ``method`` or ``engine`` is unknown.
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
    engine = resolve_engine(engine)
    return _forward(hmm, _batch.pack([_one_sequence(hmm, y)]), method, engine)[0]


def _impossible(loglik: float, what: str) -> None:
    if loglik == -np.inf:
        raise ValueError(f"y has probability zero under the model (log-likelihood -inf): {what} undefined")


def hmm_backward(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled", engine: str = "auto") -> HMMBackwardResult:
    r"""The backward algorithm: ``beta_t(i) = p(y_{t+1}..y_T | z_t = i)`` for one sequence.

    ``beta_T = 1`` and ``beta_t = A (b_{t+1} ⊙ beta_{t+1})``. Both methods normalise ``beta_t`` at every
    step and keep the log normalisers apart (so nothing under- or overflows): ``"scaled"`` in
    probabilities (this is the backward belief-state RNN), ``"log"`` in log space (with the column
    log-sum-exp of :func:`hmm_forward`). Neither needs the forward pass.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence: symbols of shape (T,), or (T, d) for a Gaussian HMM.
    method : {"scaled", "log"}, default "scaled"
        Which recursion.
    engine : {"auto", "numba", "numpy"}, default "auto"
        Compiled or reference engine (see :func:`hmm_forward`).

    Returns
    -------
    HMMBackwardResult
        ``log_beta`` of shape (T, K).

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not a valid observation sequence, or ``method`` or ``engine`` is unknown.

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
    engine = resolve_engine(engine)
    packed = _batch.pack([_one_sequence(hmm, y)])
    bh, off, _, _ = _batch.backward(hmm, packed, method, engine)
    return HMMBackwardResult(method, bh, off)


def hmm_smoother(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled", engine: str = "auto") -> HMMSmootherResult:
    """Forward-backward smoothing: the posteriors ``p(z_t | y_1..y_T)`` and expected transitions of one sequence.

    ``gamma_t ∝ alpha_t ⊙ beta_t``, computed from the per-step normalised forward and backward passes of
    the chosen ``method`` (so every number is O(1) and the posteriors are accurate to rounding at any
    length). The backward pass also accumulates the pairwise posteriors
    ``xi_t(i, j) = p(z_t = i, z_{t+1} = j | y) ∝ alpha_t(i) A[i, j] b_{t+1}(j) beta_{t+1}(j)`` into their sum
    over ``t`` (the E-step of Baum-Welch, :func:`rnnss.fit_hmm`).

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence.
    method : {"scaled", "log"}, default "scaled"
        Which recursions.
    engine : {"auto", "numba", "numpy"}, default "auto"
        Compiled or reference engine (see :func:`hmm_forward`).

    Returns
    -------
    HMMSmootherResult
        ``posteriors`` (T, K), ``expected_transitions`` (K, K), the ``forward`` and ``backward`` passes,
        ``loglik``.

    Raises
    ------
    ValueError
        If ``y`` has probability zero under the model (posteriors are undefined), is invalid, or
        ``method`` or ``engine`` is unknown.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import HMM, hmm_smoother
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> sm = hmm_smoother(hmm, [0, 0, 1])
    >>> np.round(sm.posteriors, 4)
    array([[0.8329, 0.1671],
           [0.7976, 0.2024],
           [0.4284, 0.5716]])
    >>> float(sm.expected_transitions.sum())  # T - 1 transitions
    2.0
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    method = _method(method)
    engine = resolve_engine(engine)
    packed = _batch.pack([_one_sequence(hmm, y)])
    em = _batch.emissions(hmm, packed, method)
    fwd, F = _forward(hmm, packed, method, engine, em)
    _impossible(fwd.loglik, "posteriors are")
    bh, off, post, xi = _batch.backward(hmm, packed, method, engine, F=F, mode=2, em=em)
    return HMMSmootherResult(post, fwd, HMMBackwardResult(method, bh, off), xi)


def hmm_loglik(hmm: HMM | GaussianHMM, y: Any, *, method: str = "scaled", engine: str = "auto") -> Any:
    """Exact log-likelihood ``log p(y_1..y_T)`` of one sequence or of each of many sequences.

    Many sequences run through one call of the compiled recursion (no Python loop over them).

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
    engine : {"auto", "numba", "numpy"}, default "auto"
        Compiled or reference engine (see :func:`hmm_forward`).

    Returns
    -------
    float or ndarray, shape (n_sequences,)
        ``-inf`` for an impossible sequence. For many sequences, one value each (hmmlearn's ``score`` with
        ``lengths`` returns their sum).

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not valid for the model (the message names the sequence and entry), or ``method`` or
        ``engine`` is unknown.
    NumericalError
        If the scaled recursion underflows although the sequence is possible (use ``method="log"``).

    Examples
    --------
    >>> from rnnss import HMM, hmm_loglik
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> hmm_loglik(hmm, [[0, 1], [1], [0, 0, 0]])  # the second starts in state 0, which never emits 1
    array([-0.91629073,        -inf, -1.13943428])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    method = _method(method)
    engine = resolve_engine(engine)
    seqs, many = hmm._sequences(y)
    packed = _batch.pack(seqs)
    out, stops, _, _ = _batch.forward(hmm, packed, method, engine, store=False)
    if method == "scaled":
        _batch.check_scaled_stops(hmm, packed, out, stops, engine)
    return out if many else float(out[0])


# -- Viterbi ---------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class ViterbiResult:
    """Output of :func:`viterbi`.

    Attributes
    ----------
    path : ndarray of int, shape (T,)
        The most likely state sequence ``argmax_z p(z_1..z_T | y_1..y_T)`` (ties go to the lowest state).
    loglik : float
        ``log p(y_1..y_T, path)``, the joint log-probability of the path and the data (hmmlearn's
        ``decode`` log-probability). ``log_prob`` is its deprecated old name.
    """

    path: np.ndarray
    loglik: float

    @property
    def log_prob(self) -> float:
        """Deprecated name of :attr:`loglik` (removed in rnnss 0.3)."""
        warn_deprecated("ViterbiResult.log_prob is deprecated; use ViterbiResult.loglik")
        return self.loglik

    def __repr__(self) -> str:
        return f"ViterbiResult(T={len(self.path)}, loglik={self.loglik:.6f})"


def viterbi(hmm: HMM | GaussianHMM, y: Any, *, engine: str = "auto") -> ViterbiResult:
    r"""The most likely hidden-state path (max-product in log space).

    ``delta_t(j) = log b_t(j) + max_i (delta_{t-1}(i) + log A[i, j])``, with back-pointers; ``delta_t`` is
    kept with maximum zero and the subtracted maxima are summed apart.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One observation sequence.
    engine : {"auto", "numba", "numpy"}, default "auto"
        Compiled or reference engine (see :func:`hmm_forward`).

    Returns
    -------
    ViterbiResult
        ``path`` (T,) and ``loglik``.

    Raises
    ------
    ValueError
        If ``y`` has probability zero under the model (no path is possible), is invalid, or ``engine`` is
        unknown.

    Examples
    --------
    >>> from rnnss import HMM, viterbi
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> viterbi(hmm, [0, 0, 1, 1, 1]).path
    array([0, 0, 1, 1, 1])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    engine = resolve_engine(engine)
    packed = _batch.pack([_one_sequence(hmm, y)])
    path, logprob, stops = _batch.viterbi(hmm, packed, engine)
    if logprob[0] == -np.inf:
        raise ValueError(
            f"y has probability zero under the model (impossible at step {stops[0]}): no state path is possible"
        )
    return ViterbiResult(path, float(logprob[0]))
