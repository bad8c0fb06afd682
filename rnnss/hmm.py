"""Hidden Markov models as RNNs: validated HMMs, forward-backward, Viterbi, and exact HMM <-> softmax-RNN converters."""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from . import _validate as v
from .cells.softmax import (
    _LOG_FLOOR,
    BeliefCell,
    HMMSample,
    OneHotSoftmaxCell,
    _freeze_all,
    _log,
)
from .exceptions import IllConditionedError, NumericalError
from .io import register_model

__all__ = [
    "HMM",
    "GaussianHMM",
    "HMMSample",
    "HMMFilterResult",
    "HMMBackwardResult",
    "HMMSmootherResult",
    "ViterbiResult",
    "BeliefRNN",
    "BeliefRun",
    "emission_loglik",
    "hmm_sample",
    "hmm_forward",
    "hmm_backward",
    "hmm_smoother",
    "hmm_loglik",
    "viterbi",
    "hmm_to_rnn",
    "rnn_to_hmm",
    "belief_rnn",
    "run_belief_rnn",
    "to_hmmlearn",
    "from_hmmlearn",
]

_LOG_2PI = math.log(2.0 * math.pi)

# A Gaussian emission covariance above this condition number is refused: its density (a solve with
# the covariance) would keep fewer than about four significant digits.
COV_MAX_COND = 1e12

METHODS = ("scaled", "log")


# -- the models ------------------------------------------------------------------------------------


class _HMMBase:
    """What categorical and Gaussian HMMs share: ``pi``, ``A``, and the algorithms (via :func:`emission_loglik`)."""

    pi: np.ndarray
    A: np.ndarray
    _cache: dict

    def _validate_chain(self) -> int:
        pi = v.as_stochastic("pi", self.pi, (None,))
        K = pi.shape[0]
        A = v.as_stochastic("A", self.A, (K, K))
        _freeze_all(self, pi=pi, A=A)
        self._cache.update(log_pi=_log(pi), log_A=_log(A))
        return K

    @property
    def n_states(self) -> int:
        """Number of hidden states ``K``."""
        return self.A.shape[0]

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(np.array_equal(getattr(self, n), getattr(other, n)) for n in self._ARRAYS)

    __hash__ = None  # type: ignore[assignment]

    def summary(self) -> str:
        """A multi-line text with every parameter of the model."""
        with np.printoptions(precision=4, suppress=True, linewidth=100):
            parts = [repr(self)]
            for name in self._ARRAYS:
                parts.append(f"{name} =\n{getattr(self, name)}")
        return "\n".join(parts)

    # -- one-line conveniences over the free functions -----------------------------------------
    def sample(self, steps: int, **kwargs: Any) -> HMMSample:
        """Draw states and observations; see :func:`rnnss.hmm_sample`."""
        return hmm_sample(self, steps, **kwargs)

    def loglik(self, y: Any, **kwargs: Any) -> Any:
        """Exact log-likelihood of one or many sequences; see :func:`rnnss.hmm_loglik`."""
        return hmm_loglik(self, y, **kwargs)

    def forward(self, y: Any, **kwargs: Any) -> HMMFilterResult:
        """Forward algorithm (filtering); see :func:`rnnss.hmm_forward`."""
        return hmm_forward(self, y, **kwargs)

    def smooth(self, y: Any, **kwargs: Any) -> HMMSmootherResult:
        """Forward-backward posteriors; see :func:`rnnss.hmm_smoother`."""
        return hmm_smoother(self, y, **kwargs)

    def viterbi(self, y: Any) -> ViterbiResult:
        """Most likely state path; see :func:`rnnss.viterbi`."""
        return viterbi(self, y)

    def to_hmmlearn(self) -> Any:
        """The equivalent hmmlearn model; see :func:`rnnss.to_hmmlearn`."""
        return to_hmmlearn(self)

    def save(self, path: Any) -> None:
        """Write to ``.npz`` or ``.json``; see :func:`rnnss.save`."""
        from .io import save

        save(self, path)


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class HMM(_HMMBase):
    r"""A hidden Markov model with categorical emissions.

    .. math::

        z_1 \sim \pi, \qquad z_t \mid z_{t-1} = i \sim A[i, :], \qquad y_t \mid z_t = i \sim B[i, :]

    for ``t = 1, ..., T``: ``K`` hidden states, ``M`` observation symbols ``0 .. M-1``. ``pi`` is the
    distribution of the *first* state (hmmlearn's ``startprob_``, Rabiner's ``pi``), ``A`` is hmmlearn's
    ``transmat_``, ``B`` its ``emissionprob_``. As an RNN (:func:`hmm_to_rnn`) the hidden state is the
    one-hot vector of ``z_t``.

    Probabilities may be exactly zero (structural zeros): every algorithm works with ``log 0 = -inf``
    and never adds an epsilon. Every row of ``A`` and ``B`` and ``pi`` must sum to one within
    ``STOCHASTIC_ATOL = 1e-8``; a row off by more than rounding (1e-13) is divided by its sum, so all
    algorithms, the softmax RNN and hmmlearn see the same exact distribution. The object is immutable.

    Parameters
    ----------
    pi : array_like, shape (K,)
        Initial distribution ``p(z_1)``.
    A : array_like, shape (K, K)
        Transition matrix, ``A[i, j] = p(z_t = j | z_{t-1} = i)``.
    B : array_like, shape (K, M)
        Emission matrix, ``B[i, m] = p(y_t = m | z_t = i)``.

    Raises
    ------
    DimensionError
        If a shape is wrong (``K`` is read from ``pi``).
    ValueError
        If an entry is negative or not finite, or a row does not sum to one within the tolerance.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> from rnnss.hmm import HMM
    >>> casino = HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]],
    ...                    B=[[1/6] * 6, [0.1] * 5 + [0.5]])
    >>> casino
    HMM(K=2 states, M=6 symbols; zeros: pi 0, A 0, B 0)
    >>> round(casino.loglik([5, 5, 5, 0]), 6)
    -5.066064
    """

    pi: np.ndarray
    A: np.ndarray
    B: np.ndarray
    _cache: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    _ARRAYS = ("pi", "A", "B")

    def __post_init__(self) -> None:
        K = self._validate_chain()
        B = v.as_stochastic("B", self.B, (K, None))
        _freeze_all(self, B=B)
        self._cache["log_B_T"] = np.ascontiguousarray(_log(B).T)  # row m: log p(y = m | z = .)

    @property
    def n_symbols(self) -> int:
        """Number of observation symbols ``M``."""
        return self.B.shape[1]

    def _sequences(self, y: Any) -> tuple[list[np.ndarray], bool]:
        return v.as_symbol_sequences("y", y, self.n_symbols)

    def _emission_loglik(self, seq: np.ndarray) -> np.ndarray:
        return self._cache["log_B_T"][seq]

    def _likelihoods(self, seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.ascontiguousarray(self.B.T[seq]), np.zeros(seq.shape[0])

    def _sample_emissions(self, states: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        u = gen.random(states.shape)
        cum = np.cumsum(self.B, axis=1)
        cum /= cum[:, -1:]  # the last entry exactly 1, so u < 1 always finds a symbol
        y = np.empty(states.shape, dtype=np.intp)
        for k in range(self.n_states):
            mask = states == k
            y[mask] = np.searchsorted(cum[k], u[mask], side="right")
        return y

    def to_rnn(self) -> OneHotSoftmaxCell:
        """The equivalent one-hot softmax RNN; see :func:`rnnss.hmm_to_rnn`."""
        return hmm_to_rnn(self)

    @classmethod
    def from_hmmlearn(cls, model: Any) -> HMM:
        """Build from a fitted ``hmmlearn.hmm.CategoricalHMM``; see :func:`rnnss.from_hmmlearn`."""
        out = from_hmmlearn(model)
        if not isinstance(out, cls):
            raise TypeError(
                f"model is a {type(model).__name__}, which converts to {type(out).__name__}, not {cls.__name__}"
            )
        return out

    def __repr__(self) -> str:
        z = lambda a: int((a == 0).sum())  # noqa: E731
        zeros = f"zeros: pi {z(self.pi)}, A {z(self.A)}, B {z(self.B)}"
        return f"HMM(K={self.n_states} states, M={self.n_symbols} symbols; {zeros})"


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class GaussianHMM(_HMMBase):
    r"""A hidden Markov model with Gaussian emissions (full covariances).

    .. math::

        z_1 \sim \pi, \qquad z_t \mid z_{t-1} = i \sim A[i, :], \qquad y_t \mid z_t = i \sim N(\mu_i, \Sigma_i)

    with ``y_t`` in ``R^d``. It shares every algorithm with :class:`HMM`: they read the model only
    through the ``(T, K)`` matrix of emission log-densities (:func:`emission_loglik`). Equivalent to
    ``hmmlearn.hmm.GaussianHMM(covariance_type="full")`` (``means_``, ``covars_``).

    Parameters
    ----------
    pi : array_like, shape (K,)
        Initial distribution ``p(z_1)``.
    A : array_like, shape (K, K)
        Transition matrix, ``A[i, j] = p(z_t = j | z_{t-1} = i)``.
    means : array_like, shape (K, d)
        Emission means ``mu_i``.
    covs : array_like, shape (K, d, d)
        Emission covariances ``Sigma_i``, symmetric positive definite.

    Raises
    ------
    DimensionError
        If a shape is wrong.
    ValueError
        If ``pi`` or ``A`` is not stochastic, an entry is not finite, or a covariance is not symmetric
        positive definite.
    IllConditionedError
        If a covariance has condition number above ``1e12``.

    Examples
    --------
    >>> from rnnss.hmm import GaussianHMM
    >>> g = GaussianHMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.1, 0.9]],
    ...                       means=[[-1.0], [1.0]], covs=[[[1.0]], [[1.0]]])
    >>> g
    GaussianHMM(K=2 states, d=1; zeros: pi 0, A 0)
    >>> round(g.loglik([-1.2, -0.8, 1.1]), 6)
    -5.032196
    """

    pi: np.ndarray
    A: np.ndarray
    means: np.ndarray
    covs: np.ndarray
    _cache: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    _ARRAYS = ("pi", "A", "means", "covs")

    def __post_init__(self) -> None:
        K = self._validate_chain()
        means = v.as_matrix("means", self.means, (K, None))
        d = means.shape[1]
        if d == 0:
            raise v.DimensionError(f"means must have at least one column (d >= 1); got shape ({K}, 0)")
        covs = v.as_float_array("covs", self.covs)
        if covs.shape != (K, d, d):
            raise v.DimensionError(f"covs must have shape ({K}, {d}, {d}); got shape {v._shape_str(covs.shape)}")
        v.check_finite("covs", covs)
        chol = np.empty_like(covs)
        for k in range(K):
            covs[k] = v.as_psd(f"covs[{k}]", covs[k], d)
            w = np.linalg.eigvalsh(covs[k])
            if w[0] <= 0:
                raise ValueError(
                    f"covs[{k}] must be positive definite (a Gaussian density needs an invertible covariance); "
                    f"got min eigenvalue {w[0]:.3g}"
                )
            cond = float(w[-1] / w[0])
            if cond > COV_MAX_COND:
                raise IllConditionedError(
                    f"covs[{k}] is ill-conditioned (condition number {cond:.3g} > {COV_MAX_COND:g}): its Gaussian "
                    "density cannot be evaluated to useful accuracy; rescale the features or regularise the covariance",
                    cond,
                )
            chol[k] = np.linalg.cholesky(covs[k])
        _freeze_all(self, means=means, covs=covs)
        self._cache.update(chol=chol, logdet=2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1))

    @property
    def n_outputs(self) -> int:
        """Dimension ``d`` of an observation."""
        return self.means.shape[1]

    def _sequences(self, y: Any) -> tuple[list[np.ndarray], bool]:
        d = self.n_outputs

        def is_observation(e: Any) -> bool:
            nd = v._ndim(e)
            return (nd == 0 and d == 1) or (nd == 1 and np.shape(e) == (d,))

        if isinstance(y, (list, tuple)) and len(y) > 0 and not any(is_observation(e) for e in y):
            seqs = []
            for i, e in enumerate(y):
                arr, batched = v.as_sequence(f"y[{i}]", e, d)
                if batched:
                    raise v.DimensionError(f"y[{i}] must be one sequence of shape (T, {d}); got shape {np.shape(e)}")
                seqs.append(arr[0])
            return seqs, True
        arr, batched = v.as_sequence("y", y, d)
        return list(arr), batched

    def _emission_loglik(self, seq: np.ndarray) -> np.ndarray:
        T, d = seq.shape
        out = np.empty((T, self.n_states))
        for k in range(self.n_states):
            z = scipy.linalg.solve_triangular(self._cache["chol"][k], (seq - self.means[k]).T, lower=True)
            out[:, k] = -0.5 * (d * _LOG_2PI + self._cache["logdet"][k] + np.einsum("ij,ij->j", z, z))
        return out

    def _likelihoods(self, seq: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ell = self._emission_loglik(seq)
        shift = ell.max(axis=1)  # densities can over- or underflow; their ratios within a step cannot
        return np.exp(ell - shift[:, None]), shift

    def _sample_emissions(self, states: np.ndarray, gen: np.random.Generator) -> np.ndarray:
        z = gen.standard_normal((*states.shape, self.n_outputs))
        y = np.empty_like(z)
        for k in range(self.n_states):
            mask = states == k
            y[mask] = self.means[k] + z[mask] @ self._cache["chol"][k].T
        return y

    @classmethod
    def from_hmmlearn(cls, model: Any) -> GaussianHMM:
        """Build from a fitted ``hmmlearn.hmm.GaussianHMM``; see :func:`rnnss.from_hmmlearn`."""
        out = from_hmmlearn(model)
        if not isinstance(out, cls):
            raise TypeError(
                f"model is a {type(model).__name__}, which converts to {type(out).__name__}, not {cls.__name__}"
            )
        return out

    def __repr__(self) -> str:
        z = lambda a: int((a == 0).sum())  # noqa: E731
        return f"GaussianHMM(K={self.n_states} states, d={self.n_outputs}; zeros: pi {z(self.pi)}, A {z(self.A)})"


def _check_hmm(hmm: Any, name: str = "hmm") -> HMM | GaussianHMM:
    if not isinstance(hmm, (HMM, GaussianHMM)):
        raise TypeError(f"{name} must be a rnnss.HMM or rnnss.GaussianHMM; got {type(hmm).__name__}")
    return hmm


def _method(method: Any) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, METHODS))}; got {method!r}")
    return method


def _one_sequence(hmm: HMM | GaussianHMM, y: Any) -> np.ndarray:
    seqs, many = hmm._sequences(y)
    if many:
        raise v.DimensionError(
            f"y must be one sequence here; got {len(seqs)} sequences (loop over them, or use hmm_loglik for many)"
        )
    return seqs[0]


def emission_loglik(hmm: HMM | GaussianHMM, y: Any) -> np.ndarray:
    """The matrix ``log p(y_t | z_t = k)`` that every HMM algorithm reads.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like
        One sequence: integer symbols of shape (T,) for an :class:`HMM`; shape (T, d) (or (T,) if
        ``d == 1``) for a :class:`GaussianHMM`.

    Returns
    -------
    ndarray, shape (T, K)
        Emission log-likelihoods; ``-inf`` where ``B[k, y_t] = 0``.

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``y`` is not a valid observation sequence for the model.

    Examples
    --------
    >>> from rnnss.hmm import HMM, emission_loglik
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> emission_loglik(hmm, [1, 0])
    array([[       -inf, -0.22314355],
           [ 0.        , -1.60943791]])
    """
    hmm = _check_hmm(hmm)
    return hmm._emission_loglik(_one_sequence(hmm, y))


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
    >>> from rnnss.hmm import HMM, hmm_sample
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.0, 1.0], [1.0, 0.0]], B=[[1.0, 0.0], [0.0, 1.0]])
    >>> hmm_sample(hmm, 5, rng=0).y  # a deterministic alternation
    array([0, 1, 0, 1, 0])
    """
    hmm = _check_hmm(hmm)
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
    >>> from rnnss.hmm import HMM, hmm_forward
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> f = hmm_forward(hmm, [0, 0, 1])
    >>> np.round(f.filtered, 4)
    array([[0.8182, 0.1818],
           [0.9387, 0.0613],
           [0.4284, 0.5716]])
    >>> bool(np.isclose(f.loglik, hmm_forward(hmm, [0, 0, 1], method="log").loglik, rtol=1e-14))
    True
    """
    hmm = _check_hmm(hmm)
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
    >>> from rnnss.hmm import HMM, hmm_backward
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> np.round(np.exp(hmm_backward(hmm, [0, 1]).log_beta), 4)  # beta_1 = A @ B[:, 1]
    array([[0.17, 0.66],
           [1.  , 1.  ]])
    """
    hmm = _check_hmm(hmm)
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
    >>> from rnnss.hmm import HMM, hmm_smoother
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> np.round(hmm_smoother(hmm, [0, 0, 1]).posteriors, 4)
    array([[0.8329, 0.1671],
           [0.7976, 0.2024],
           [0.4284, 0.5716]])
    """
    hmm = _check_hmm(hmm)
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
    >>> from rnnss.hmm import HMM, hmm_loglik
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> hmm_loglik(hmm, [[0, 1], [1], [0, 0, 0]])  # the second starts in state 0, which never emits 1
    array([-0.91629073,        -inf, -1.13943428])
    """
    hmm = _check_hmm(hmm)
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
    >>> from rnnss.hmm import HMM, viterbi
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> viterbi(hmm, [0, 0, 1, 1, 1]).path
    array([0, 0, 1, 1, 1])
    """
    hmm = _check_hmm(hmm)
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


# -- HMM <-> softmax RNN ---------------------------------------------------------------------------


def hmm_to_rnn(hmm: HMM) -> OneHotSoftmaxCell:
    r"""The one-hot softmax RNN that is this HMM: the seeds' logarithmic mapping.

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
    >>> from rnnss.hmm import HMM, hmm_to_rnn
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
        If ``cell`` is not a :class:`~rnnss.cells.OneHotSoftmaxCell`.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss.cells.softmax import OneHotSoftmaxCell
    >>> from rnnss.hmm import rnn_to_hmm
    >>> cell = OneHotSoftmaxCell(W=np.zeros((2, 2)), V=[[0.0, -np.inf], [0.0, 0.0]], init_logits=[0.0, 0.0])
    >>> rnn_to_hmm(cell).B
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    if not isinstance(cell, OneHotSoftmaxCell):
        raise TypeError(f"cell must be a rnnss.cells.OneHotSoftmaxCell; got {type(cell).__name__}")
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

    def run(self, y: Any) -> BeliefRun:
        """Run both directions on one sequence; see :func:`run_belief_rnn`.

        Parameters
        ----------
        y : array_like
            One observation sequence.

        Returns
        -------
        BeliefRun
            Forward and backward states, posteriors, log-likelihoods.
        """
        return run_belief_rnn(self, y)

    def __repr__(self) -> str:
        return f"BeliefRNN({self.hmm!r})"


def belief_rnn(hmm: HMM | GaussianHMM) -> BeliefRNN:
    r"""The belief-state RNN of an HMM: the normalised forward recursion and its backward twin.

    Forward: ``alpha_t ∝ diag(b_t) A^T alpha_{t-1}`` (``pi`` in place of ``A^T alpha_0``), a deterministic RNN
    whose state is the filtering distribution and whose log-normalisers sum to ``log p(y_1..y_T)``.
    Backward: ``g_t ∝ A diag(b_{t+1}) g_{t+1}``, ``g_T ∝ 1``. Their normalised product is the smoothing
    posterior: the bidirectional RNN that computes HMM smoothing exactly. See :class:`~rnnss.cells.BeliefCell`.

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
    >>> from rnnss.hmm import HMM, belief_rnn
    >>> hmm = HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> run = belief_rnn(hmm).run([0, 0, 1])
    >>> bool(np.isclose(run.loglik, hmm.loglik([0, 0, 1]), rtol=1e-14))
    True
    >>> np.round(run.posteriors, 4)
    array([[0.8329, 0.1671],
           [0.7976, 0.2024],
           [0.4284, 0.5716]])
    """
    hmm = _check_hmm(hmm)
    B = hmm.B if isinstance(hmm, HMM) else None
    return BeliefRNN(hmm, BeliefCell(hmm.A, hmm.pi, B), BeliefCell(hmm.A, hmm.pi, B, reverse=True))


def run_belief_rnn(belief: BeliefRNN, y: Any) -> BeliefRun:
    r"""Drive the belief-state RNN over one sequence: filtering, the backward pass, smoothing, likelihood.

    Step ``t`` of the forward cell reads ``y_t`` and returns ``alpha_t`` and ``c_t``; the backward cell runs
    from ``t = T`` and its step reading ``y_{t+1}`` returns ``g_t``. Posteriors are ``alpha_t ⊙ g_t``
    normalised. Each direction gives ``log p(y_1..y_T)`` on its own (``loglik``, ``backward_loglik``).

    Parameters
    ----------
    belief : BeliefRNN
        From :func:`belief_rnn`.
    y : array_like
        One observation sequence (symbols (T,), or (T, d) for a Gaussian HMM).

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
        If ``y`` is not a valid observation sequence.

    Examples
    --------
    >>> from rnnss.hmm import HMM, belief_rnn, run_belief_rnn
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> run_belief_rnn(belief_rnn(hmm), [1, 0]).loglik  # state 0 cannot emit 1
    -inf
    """
    if not isinstance(belief, BeliefRNN):
        raise TypeError(f"belief must be a rnnss.BeliefRNN (from rnnss.belief_rnn); got {type(belief).__name__}")
    hmm = belief.hmm
    seq = _one_sequence(hmm, y)
    b, shift = hmm._likelihoods(seq)  # categorical: B[:, y_t], exactly what B @ onehot(y_t) gives
    T, K = b.shape
    fwd, bwd = belief.forward, belief.backward
    filtered = np.empty((T, K))
    back = np.empty((T, K))
    c = np.empty(T)
    d = np.empty(T - 1)
    h = np.zeros(K)  # "no observation yet"
    g = np.zeros(K)  # stands for beta_T = 1
    with np.errstate(invalid="ignore", divide="ignore"):  # an impossible y makes c = 0 and NaN states
        for t in range(T):
            h, c[t] = fwd._update(b[t], h)
            filtered[t] = h
        for t in range(T - 2, -1, -1):
            g, d[t] = bwd._update(b[t + 1], g)
            back[t] = g
        back[-1] = 1.0 / K
        # The backward direction's own likelihood: p(y) = prod d_t * sum_i pi_i b_1(i) g_1(i) (g = 1 if T = 1).
        close = float(np.sum(hmm.pi * b[0] * (g if T > 1 else 1.0)))
        lognorm = np.log(c) + shift
        loglik = math.fsum(lognorm) if np.all(c > 0) else -np.inf
        ok = np.all(d > 0) and close > 0
        backward_loglik = math.fsum([*(np.log(d) + shift[1:]), math.log(close) + shift[0]]) if ok else -np.inf
        post = filtered * back
        post /= post.sum(axis=1, keepdims=True)
    return BeliefRun(filtered, back, post, lognorm, loglik, backward_loglik)


# -- hmmlearn bridge -------------------------------------------------------------------------------


def _hmmlearn(caller: str) -> Any:
    try:
        from hmmlearn import hmm as hl
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs the optional package hmmlearn (pip install hmmlearn); rnnss itself does not depend on it"
        ) from exc
    return hl


def to_hmmlearn(hmm: HMM | GaussianHMM) -> Any:
    """The same model as an hmmlearn object, ready for ``score``, ``decode``, ``predict_proba`` or further ``fit``.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.

    Returns
    -------
    hmmlearn.hmm.CategoricalHMM or hmmlearn.hmm.GaussianHMM
        ``startprob_ = pi``, ``transmat_ = A`` and ``emissionprob_ = B`` (or ``means_``, ``covars_`` with
        ``covariance_type="full"``); ``init_params=""`` so that ``fit`` starts from these values.
        hmmlearn takes observations as a column: ``y.reshape(-1, 1)`` for symbols.

    Raises
    ------
    ImportError
        If hmmlearn is not installed.
    TypeError
        If ``hmm`` is not an rnnss HMM.
    """
    hmm = _check_hmm(hmm)
    hl = _hmmlearn("to_hmmlearn")
    if isinstance(hmm, HMM):
        model = hl.CategoricalHMM(n_components=hmm.n_states, n_features=hmm.n_symbols, init_params="")
        model.emissionprob_ = np.array(hmm.B)
    else:
        model = hl.GaussianHMM(n_components=hmm.n_states, covariance_type="full", init_params="")
        model.n_features = hmm.n_outputs
        model.means_ = np.array(hmm.means)
        model.covars_ = np.array(hmm.covs)
    model.startprob_ = np.array(hmm.pi)
    model.transmat_ = np.array(hmm.A)
    return model


def from_hmmlearn(model: Any) -> HMM | GaussianHMM:
    """Read an hmmlearn ``CategoricalHMM`` or ``GaussianHMM`` (any covariance type) into rnnss.

    Parameters
    ----------
    model : hmmlearn.hmm.CategoricalHMM or hmmlearn.hmm.GaussianHMM
        A fitted model (or one whose parameters were set).

    Returns
    -------
    HMM or GaussianHMM
        With the model's ``startprob_``, ``transmat_`` and ``emissionprob_`` (or ``means_`` and the full
        ``covars_``).

    Raises
    ------
    ImportError
        If hmmlearn is not installed.
    TypeError
        If ``model`` is another kind of hmmlearn model (e.g. ``MultinomialHMM``, which models counts).
    ValueError
        If the model has no parameters yet, or they are not valid (see :class:`HMM`).
    """
    hl = _hmmlearn("from_hmmlearn")
    if not isinstance(model, (hl.CategoricalHMM, hl.GaussianHMM)):
        raise TypeError(
            f"model must be an hmmlearn.hmm.CategoricalHMM or GaussianHMM; got {type(model).__name__}"
            + (
                " (MultinomialHMM models counts per step; for one symbol per step use CategoricalHMM)"
                if type(model).__name__ == "MultinomialHMM"
                else ""
            )
        )
    names = ("startprob_", "transmat_") + (
        ("emissionprob_",) if isinstance(model, hl.CategoricalHMM) else ("means_", "_covars_")
    )
    missing = [n for n in names if not hasattr(model, n)]
    if missing:
        raise ValueError(
            f"model has no {', '.join(n.lstrip('_') for n in missing)} yet: fit it or set its parameters first"
        )
    if isinstance(model, hl.CategoricalHMM):
        return HMM(pi=model.startprob_, A=model.transmat_, B=model.emissionprob_)
    return GaussianHMM(pi=model.startprob_, A=model.transmat_, means=model.means_, covs=model.covars_)
