"""Hidden Markov models with categorical or Gaussian emissions: validated frozen models and their emission densities."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from .. import _validate as v
from .._linalg import LOG_2PI
from .._model import Model, register_model
from ..exceptions import IllConditionedError
from ._common import _freeze_all, _log

__all__ = ["HMM", "GaussianHMM", "HMMSample", "emission_loglik"]

# A Gaussian emission covariance above this condition number is refused: its density (a solve with
# the covariance) would keep fewer than about four significant digits.
COV_MAX_COND = 1e12

METHODS = ("scaled", "log")


# -- a sampled state path ---------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class HMMSample:
    """A sampled hidden-state path and its observations (from an HMM or a one-hot softmax RNN).

    Attributes
    ----------
    states : ndarray of int, shape (T,) or (batch, T)
        Hidden states ``z_1 .. z_T`` in ``[0, K)``.
    y : ndarray, shape (T,) or (batch, T) of int (categorical); (T, d) or (batch, T, d) (Gaussian)
        Observations ``y_1 .. y_T``.
    n_states : int
        Number of hidden states ``K`` (the length of the one-hot vectors :attr:`h`).
    """

    states: np.ndarray
    y: np.ndarray
    n_states: int

    @property
    def h(self) -> np.ndarray:
        """The one-hot hidden states of the softmax RNN, shape ``(T, K)`` or ``(batch, T, K)``."""
        return np.eye(self.n_states)[self.states]

    def __repr__(self) -> str:
        return f"HMMSample(states: shape {self.states.shape}, y: shape {self.y.shape}, K={self.n_states})"


# -- the models ------------------------------------------------------------------------------------


class _HMMBase(Model):
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

    # -- one-line conveniences over the free functions -----------------------------------------
    def sample(self, steps: int, **kwargs: Any) -> HMMSample:
        """Draw states and observations; see :func:`rnnss.simulate`."""
        from .algorithms import hmm_sample

        return hmm_sample(self, steps, **kwargs)

    def loglik(self, y: Any, **kwargs: Any) -> Any:
        """Exact log-likelihood of one or many sequences; see :func:`rnnss.hmm_loglik`."""
        from .algorithms import hmm_loglik

        return hmm_loglik(self, y, **kwargs)

    def forward(self, y: Any, **kwargs: Any) -> Any:
        """Forward algorithm (filtering); see :func:`rnnss.hmm_forward`."""
        from .algorithms import hmm_forward

        return hmm_forward(self, y, **kwargs)

    def smooth(self, y: Any, **kwargs: Any) -> Any:
        """Forward-backward posteriors; see :func:`rnnss.hmm_smoother`."""
        from .algorithms import hmm_smoother

        return hmm_smoother(self, y, **kwargs)

    def viterbi(self, y: Any) -> Any:
        """Most likely state path; see :func:`rnnss.viterbi`."""
        from .algorithms import viterbi

        return viterbi(self, y)

    def to_hmmlearn(self) -> Any:
        """The equivalent hmmlearn model; see :func:`rnnss.to_hmmlearn`."""
        from ..interop.hmmlearn import to_hmmlearn

        return to_hmmlearn(self)


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
    >>> from rnnss import HMM
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

    def to_rnn(self) -> Any:
        """The equivalent one-hot softmax RNN; see :func:`rnnss.hmm_to_rnn`."""
        from .rnn import hmm_to_rnn

        return hmm_to_rnn(self)

    @classmethod
    def from_hmmlearn(cls, model: Any) -> HMM:
        """Build from a fitted ``hmmlearn.hmm.CategoricalHMM``; see :func:`rnnss.from_hmmlearn`."""
        from ..interop.hmmlearn import from_hmmlearn

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
    >>> from rnnss import GaussianHMM
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
            raise v.DimensionError(f"covs must have shape ({K}, {d}, {d}); got shape {v.shape_str(covs.shape)}")
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
        # The densities whiten with L^{-T} = inverse of the transposed Cholesky factor, formed once: a product
        # per state, where a triangular solve per call would hand BLAS a tiny problem it may thread badly.
        chol_inv_T = np.stack([scipy.linalg.solve_triangular(L, np.eye(d), lower=True).T for L in chol])
        logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
        self._cache.update(chol=chol, chol_inv_T=chol_inv_T, logdet=logdet)

    @property
    def n_outputs(self) -> int:
        """Dimension ``d`` of an observation."""
        return self.means.shape[1]

    def _sequences(self, y: Any) -> tuple[list[np.ndarray], bool]:
        d = self.n_outputs

        def is_observation(e: Any) -> bool:
            nd = v.ndim(e)
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
            z = (seq - self.means[k]) @ self._cache["chol_inv_T"][k]  # rows L^{-1} (y_t - mu_k)
            out[:, k] = -0.5 * (d * LOG_2PI + self._cache["logdet"][k] + np.einsum("ij,ij->i", z, z))
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
        from ..interop.hmmlearn import from_hmmlearn

        out = from_hmmlearn(model)
        if not isinstance(out, cls):
            raise TypeError(
                f"model is a {type(model).__name__}, which converts to {type(out).__name__}, not {cls.__name__}"
            )
        return out

    def __repr__(self) -> str:
        z = lambda a: int((a == 0).sum())  # noqa: E731
        return f"GaussianHMM(K={self.n_states} states, d={self.n_outputs}; zeros: pi {z(self.pi)}, A {z(self.A)})"


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
    >>> from rnnss import HMM, emission_loglik
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.5, 0.5], [0.0, 1.0]], B=[[1.0, 0.0], [0.2, 0.8]])
    >>> emission_loglik(hmm, [1, 0])
    array([[       -inf, -0.22314355],
           [ 0.        , -1.60943791]])
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    return hmm._emission_loglik(_one_sequence(hmm, y))
