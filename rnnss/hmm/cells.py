"""Cells on the probability simplex: the one-hot softmax RNN that is an HMM, and the belief cell that filters it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _validate as v
from .._engine import resolve_engine
from .._model import register_model
from ..cells.base import Cell
from ._common import _freeze_all, _is_start, _log_softmax, _logits, _softmax
from .model import HMMSample

__all__ = ["OneHotSoftmaxCell", "BeliefCell"]

# -- the one-hot softmax RNN ------------------------------------------------------------------------


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class OneHotSoftmaxCell(Cell):
    r"""A stochastic RNN whose hidden state is one-hot and whose transitions and emissions are softmaxes.

    With ``h_t`` the one-hot vector of the current state among ``K``,

    .. math::

        h_1 \sim \mathrm{onehot}\big(\mathrm{softmax}(c)\big), \qquad
        h_t \sim \mathrm{onehot}\big(\mathrm{softmax}(W h_{t-1})\big), \qquad
        y_t \sim \mathrm{Categorical}\big(\mathrm{softmax}(V h_t)\big),

    where ``c`` is ``init_logits``. Because ``h_{t-1} = e_i`` selects column ``i``, the cell is exactly the
    HMM with ``A[i, :] = softmax(W[:, i])``, ``B[i, :] = softmax(V[:, i])``, ``pi = softmax(c)``; the
    logarithmic construction is ``W = (ln A)^T`` (often written ``U``; here it is ``W`` as in
    every rnnss cell), ``V = (ln B)^T``, ``c = ln pi`` (:func:`rnnss.hmm_to_rnn`). A logit ``-inf`` is a
    probability exactly zero.

    **What** :meth:`step` **computes.** The cell is stochastic; its deterministic step is the conditional
    expectation of the next one-hot state, ``step(x, h) = E[h_t | h_{t-1} = h]``. For ``h = e_i`` that is
    the transition distribution ``softmax(W e_i) = A[i, :]``; extended linearly to beliefs (probability
    vectors) it is the Chapman-Kolmogorov prediction ``A^T h``. The all-zero state (the default initial
    state) is not a distribution but the flag "before the first step": its step is ``softmax(c) = pi``.
    So :func:`rnnss.scan` from the zero state returns the prior marginals ``p(z_1), ..., p(z_T)``.
    Sampling is :meth:`sample`; the exact likelihood of observations (the one-hot state summed out) is
    :meth:`loglik`. The cell has no input (``p = 0``).

    Parameters
    ----------
    W : array_like, shape (K, K)
        Transition logits: column ``i`` holds the logits of the next state from state ``i``. Entries are
        real or ``-inf``; every column needs a finite entry.
    V : array_like, shape (M, K)
        Emission logits: column ``i`` holds the logits of the ``M`` symbols in state ``i``.
    init_logits : array_like, shape (K,)
        Logits of the first state.

    Raises
    ------
    DimensionError
        If a shape is wrong (the message names the argument and both shapes).
    ValueError
        If a logit is NaN or ``+inf``, or a softmax has only ``-inf`` logits.
    TypeError
        If an argument is not numeric.

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import HMM, hmm_to_rnn
    >>> hmm = HMM(pi=[1.0, 0.0], A=[[0.9, 0.1], [0.0, 1.0]], B=[[0.8, 0.2], [0.1, 0.9]])
    >>> cell = hmm_to_rnn(hmm)
    >>> cell.W  # (ln A)^T: the structural zero is an exact -inf
    array([[-0.10536052,        -inf],
           [-2.30258509,  0.        ]])
    >>> cell.step(np.zeros(0), np.array([1.0, 0.0]))  # from state 0: the row A[0, :]
    array([0.9, 0.1])
    >>> bool(np.isclose(cell.loglik([0, 1, 1]), hmm.loglik([0, 1, 1])))
    True
    """

    W: np.ndarray
    V: np.ndarray
    init_logits: np.ndarray
    _cache: dict = field(default_factory=dict, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        W = _logits("W", self.W, (None, None))
        K = W.shape[0]
        if W.shape != (K, K):
            raise v.DimensionError(f"W must be a square matrix with shape (K, K); got shape {v.shape_str(W.shape)}")
        V = _logits("V", self.V, (None, K))
        c = _logits("init_logits", self.init_logits, (K,))
        _freeze_all(self, W=W, V=V, init_logits=c)
        # The HMM the cell is: evaluate the softmaxes at each of the K one-hot states once.
        self._cache.update(
            A=v.freeze(_softmax(W, axis=0).T.copy()),
            B=v.freeze(_softmax(V, axis=0).T.copy()),
            pi=v.freeze(_softmax(c)),
            log_A=_log_softmax(W, axis=0).T.copy(),
            log_B=_log_softmax(V, axis=0),  # (M, K): row m is log p(y = m | state k)
            log_pi=_log_softmax(c),
        )

    # -- sizes and the HMM it defines ---------------------------------------------------------------
    @property
    def n_inputs(self) -> int:
        """Input size ``p = 0``: the cell generates its sequence without input."""
        return 0

    @property
    def n_hidden(self) -> int:
        """Number of hidden states ``K`` (length of the one-hot state)."""
        return self.W.shape[0]

    @property
    def n_symbols(self) -> int:
        """Number of observation symbols ``M``."""
        return self.V.shape[0]

    @property
    def transition_matrix(self) -> np.ndarray:
        """``A[i, j] = softmax(W e_i)[j]``, shape ``(K, K)``, row-stochastic (read-only)."""
        return self._cache["A"]

    @property
    def emission_matrix(self) -> np.ndarray:
        """``B[i, m] = softmax(V e_i)[m]``, shape ``(K, M)``, row-stochastic (read-only)."""
        return self._cache["B"]

    @property
    def initial_distribution(self) -> np.ndarray:
        """``pi = softmax(init_logits)``, shape ``(K,)`` (read-only)."""
        return self._cache["pi"]

    @property
    def jacobian_bound(self) -> float:
        """``||A^T||_2``: the step is linear on non-zero states, so this is its Jacobian's norm there."""
        return float(np.linalg.norm(self.transition_matrix, 2))

    # -- the Cell protocol --------------------------------------------------------------------------
    def step(self, x: Any, state: Any) -> np.ndarray:
        """Expected next one-hot state ``E[h_t | h_{t-1} = h] = A^T h``, or ``pi`` from the zero (start) state.

        Parameters
        ----------
        x : array_like, shape (0,) or (batch, 0)
            The (empty) input.
        state : array_like, shape (K,) or (batch, K)
            ``h_{t-1}``: a one-hot state, a belief (probability vector), or zero (before the first step).

        Returns
        -------
        ndarray, shape (K,) or (batch, K)
            The distribution of ``h_t``: ``A[i, :]`` for ``h = e_i``, ``pi`` for ``h = 0``.
        """
        xa, sa, batched = self._check_step_args(x, state)
        out = np.where(_is_start(sa), self.initial_distribution, sa @ self.transition_matrix)
        return out if batched else out[0]

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d step / d h = A^T`` (the step is linear on non-zero states), shape ``(K, K)`` or ``(batch, K, K)``.

        At the zero state, the start flag, the step jumps to ``pi``; the returned matrix is still ``A^T``,
        the derivative of the step on every other state.

        Parameters
        ----------
        x : array_like, shape (0,) or (batch, 0)
            The (empty) input.
        state : array_like, shape (K,) or (batch, K)
            The state (the Jacobian does not depend on it).

        Returns
        -------
        ndarray, shape (K, K) or (batch, K, K)
            ``A^T``.
        """
        xa, sa, batched = self._check_step_args(x, state)
        J = self.transition_matrix.T
        return np.broadcast_to(J, (sa.shape[0], *J.shape)).copy() if batched else J.copy()

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d step / d x``: empty, shape ``(K, 0)`` or ``(batch, K, 0)`` (the cell has no input).

        Parameters
        ----------
        x : array_like, shape (0,) or (batch, 0)
            The (empty) input.
        state : array_like, shape (K,) or (batch, K)
            The state.

        Returns
        -------
        ndarray, shape (K, 0) or (batch, K, 0)
            An empty matrix.
        """
        xa, sa, batched = self._check_step_args(x, state)
        return np.zeros((sa.shape[0], self.n_hidden, 0)) if batched else np.zeros((self.n_hidden, 0))

    # -- the stochastic network ---------------------------------------------------------------------
    def sample(self, steps: int, *, batch: int | None = None, rng: Any = None) -> HMMSample:
        """Run the stochastic network: draw one-hot states from ``softmax(W h_{t-1})``, symbols from ``softmax(V h_t)``.

        Each categorical draw is the Gumbel-max trick on the logits, ``argmax(logits + G)`` with
        ``G`` standard Gumbel, which samples ``softmax(logits)`` exactly and never picks a ``-inf`` logit.

        Parameters
        ----------
        steps : int
            Number of steps ``T >= 1``.
        batch : int, optional
            Number of independent sequences.
        rng : numpy.random.Generator or int, optional
            Random source. Draw order: the ``(batch, K)`` Gumbels of the first state, the
            ``(batch, T-1, K)`` Gumbels of the transitions, the ``(batch, T, M)`` Gumbels of the symbols.

        Returns
        -------
        HMMSample
            ``states`` (T,) and ``y`` (T,) integers (with a batch, (batch, T)); ``.h`` gives the one-hot states.

        Raises
        ------
        ValueError
            If ``steps < 1`` or ``batch < 1``.
        """
        T = v.as_int("steps", steps, minimum=1)
        nb = 1 if batch is None else v.as_int("batch", batch, minimum=1)
        gen = v.as_rng(rng)
        K, M = self.n_hidden, self.n_symbols
        g0 = gen.gumbel(size=(nb, K))
        gt = gen.gumbel(size=(nb, T - 1, K))
        gy = gen.gumbel(size=(nb, T, M))
        states = np.empty((nb, T), dtype=np.intp)
        states[:, 0] = np.argmax(self.init_logits + g0, axis=1)
        Wt = self.W.T  # row i: the logits W e_i of the next state from state i
        for t in range(1, T):
            states[:, t] = np.argmax(Wt[states[:, t - 1]] + gt[:, t - 1], axis=1)
        y = np.argmax(self.V.T[states] + gy, axis=2)
        if batch is None:
            return HMMSample(states[0], y[0], K)
        return HMMSample(states, y, K)

    def loglik(self, y: Any, *, engine: str = "auto") -> Any:
        """Exact ``log p(y_1..y_T)`` of the network, summing the one-hot state over its ``K`` values at every step.

        With ``q_t[k] = log p(y_1..y_t, h_t = e_k)``, ``q_t[k] = log softmax(V e_k)[y_t]
        + logsumexp_i (q_{t-1}[i] + log softmax(W e_i)[k])``, and ``log p = logsumexp_k q_T[k]``. It runs
        in log space (the log-space forward kernel of :func:`rnnss.hmm_forward` on the cell's own
        log-softmax tables), normalising ``q_t`` every step and summing the normalisers apart, so nothing
        underflows or loses accuracy on long sequences; ``-inf`` logits stay exact.

        Parameters
        ----------
        y : array_like of int, shape (T,), or a list of such sequences (any lengths)
            Symbols in ``[0, M)``.
        engine : {"auto", "numba", "numpy"}, default "auto"
            Compiled or reference engine.

        Returns
        -------
        float or ndarray, shape (n_sequences,)
            The log-likelihood (``-inf`` if ``y`` is impossible); one per sequence for a list.

        Raises
        ------
        ValueError, TypeError, DimensionError
            If ``y`` is not integer symbols in ``[0, M)`` (the message names the offending entry), or
            ``engine`` is unknown.
        """
        from . import _batch  # the compiled recursions (layer 2) behind this convenience method

        engine = resolve_engine(engine)
        seqs, many = v.as_symbol_sequences("y", y, self.n_symbols)
        tab = self._cache.get("kernel_tables")
        if tab is None:
            tab = dict(
                logpi=np.array(self._cache["log_pi"]),
                A=np.array(self.transition_matrix),
                AT=np.ascontiguousarray(self.transition_matrix.T),
                logAT=np.ascontiguousarray(self._cache["log_A"].T),
                logB=np.ascontiguousarray(self._cache["log_B"]),
            )
            self._cache["kernel_tables"] = tab
        out = _batch.loglik_log(tab, tab["logB"], _batch.pack(seqs), engine)
        return out if many else float(out[0])

    # -- display -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        zeros = int(np.isneginf(self.W).sum() + np.isneginf(self.V).sum() + np.isneginf(self.init_logits).sum())
        return f"OneHotSoftmaxCell(K={self.n_hidden} states, M={self.n_symbols} symbols, -inf logits={zeros})"


# -- the belief-state RNN ---------------------------------------------------------------------------


@register_model
@dataclass(frozen=True, eq=False, repr=False)
class BeliefCell(Cell):
    r"""The HMM forward (or backward) recursion as a deterministic RNN on the probability simplex.

    Forward (``reverse=False``): the state is the filtering distribution
    ``alpha_t = p(z_t | y_1..y_t)``, and with ``b_t = p(y_t | z_t = .)`` the likelihood vector,

    .. math:: \alpha_t = \frac{b_t \odot \hat p_t}{1^T (b_t \odot \hat p_t)}, \qquad
              \hat p_t = A^T \alpha_{t-1} ,

    i.e. ``alpha_t ∝ diag(b_t) A^T alpha_{t-1}``. The all-zero state (the default initial state) is the flag
    "no observation yet", whose prediction is ``pi``: ``scan`` from it is the exact filter. (A flag, tested
    exactly, rather than an affine term ``(1 - 1^T alpha) pi``: that term would be a rounding error, not
    zero, on a normalised belief and would leak into structurally impossible states.)
    The normaliser ``c_t = 1^T (b_t ⊙ p̂_t) = p(y_t | y_1..y_{t-1})``; ``sum_t log c_t = log p(y_1..y_T)``.

    Backward (``reverse=True``), run from ``t = T`` down: the state ``g_t ∝ p(y_{t+1}..y_T | z_t)`` (the
    HMM's ``beta_t``, normalised to sum to one) reads the observation of step ``t + 1``,

    .. math:: g_t = \frac{A (b_{t+1} \odot g_{t+1})}{1^T A (b_{t+1} \odot g_{t+1})} ,

    and the zero state stands for ``beta_T = 1`` (all ones). The smoothing posterior is the normalised product of the
    two directions, ``p(z_t | y_1..y_T) ∝ alpha_t ⊙ g_t`` (:func:`rnnss.run_belief_rnn`).

    The input ``x`` is a one-hot symbol of length ``M`` when ``B`` is given (then ``b = B x``, so a soft
    ``x`` is a mixture of symbols), otherwise the likelihood vector ``b`` itself (length ``K``, any
    positive scale: e.g. Gaussian densities divided by their maximum). If ``b ⊙ p̂`` is zero (the
    observation is impossible given the belief) the next state is NaN.

    Parameters
    ----------
    A : array_like, shape (K, K)
        Row-stochastic transition matrix, ``A[i, j] = p(z_t = j | z_{t-1} = i)``.
    pi : array_like, shape (K,)
        Distribution of the first state (used by the forward direction).
    B : array_like, shape (K, M), optional
        Row-stochastic emission matrix; without it the input is the likelihood vector.
    reverse : bool, default False
        Build the backward recursion.

    Raises
    ------
    DimensionError
        If a shape is wrong.
    ValueError
        If ``A``, ``pi`` or ``B`` is not stochastic (negative entries, rows not summing to one).

    Examples
    --------
    >>> import numpy as np
    >>> from rnnss import BeliefCell
    >>> from rnnss import scan
    >>> cell = BeliefCell(A=[[0.9, 0.1], [0.2, 0.8]], pi=[0.5, 0.5], B=[[0.9, 0.1], [0.2, 0.8]])
    >>> np.round(scan(cell, np.eye(2)[[0, 0, 1]]), 4)  # filtering after y = 0, 0, 1
    array([[0.8182, 0.1818],
           [0.9387, 0.0613],
           [0.4284, 0.5716]])
    """

    A: np.ndarray
    pi: np.ndarray
    B: np.ndarray | None = None
    reverse: bool = False

    def __post_init__(self) -> None:
        pi = v.as_stochastic("pi", self.pi, (None,))
        K = pi.shape[0]
        A = v.as_stochastic("A", self.A, (K, K))
        _freeze_all(self, A=A, pi=pi)
        if self.B is not None:
            _freeze_all(self, B=v.as_stochastic("B", self.B, (K, None)))
        if not isinstance(self.reverse, (bool, np.bool_)):
            raise TypeError(f"reverse must be a bool; got {self.reverse!r}")
        object.__setattr__(self, "reverse", bool(self.reverse))

    @property
    def n_inputs(self) -> int:
        """``M`` (one-hot symbols) when ``B`` is given, else ``K`` (likelihood vectors)."""
        return self.A.shape[0] if self.B is None else self.B.shape[1]

    @property
    def n_hidden(self) -> int:
        """Number of hidden states ``K``."""
        return self.A.shape[0]

    def _likelihoods(self, xa: np.ndarray) -> np.ndarray:
        if (xa < 0).any():
            raise ValueError("x must be non-negative (a one-hot symbol or a likelihood vector)")
        return xa if self.B is None else xa @ self.B.T

    def _prior(self, sa: np.ndarray) -> np.ndarray:
        """``p̂ = A^T alpha`` (forward) or ``g`` itself (backward); the zero state maps to ``pi`` or to ones."""
        if self.reverse:
            return np.where(_is_start(sa), 1.0, sa)
        return np.where(_is_start(sa), self.pi, sa @ self.A)

    def _update(self, b: np.ndarray, sa: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step on raw arrays (no checks): the new state and the normaliser ``c``.

        ``c = 0`` (an impossible observation) gives a NaN state; callers silence that warning.
        """
        u = b * self._prior(sa)
        if self.reverse:
            u = u @ self.A.T
        c = u.sum(axis=-1, keepdims=True)
        return u / c, c[..., 0]

    def step(self, x: Any, state: Any) -> np.ndarray:
        """One belief update (see the class docstring for the formulas).

        Parameters
        ----------
        x : array_like, shape (p,) or (batch, p)
            One-hot symbol (``p = M``) or likelihood vector (``p = K``), non-negative.
        state : array_like, shape (K,) or (batch, K)
            The previous belief, or zero before the first step.

        Returns
        -------
        ndarray, shape (K,) or (batch, K)
            The updated belief (NaN where the observation is impossible).
        """
        xa, sa, batched = self._check_step_args(x, state)
        with np.errstate(invalid="ignore", divide="ignore"):
            out, _ = self._update(self._likelihoods(xa), sa)
        return out if batched else out[0]

    def _pieces(self, x: Any, state: Any) -> tuple[np.ndarray, ...]:
        xa, sa, batched = self._check_step_args(x, state)
        b = self._likelihoods(xa)
        prior = self._prior(sa)
        # d new / d u = (I - new 1^T) / c, for u the unnormalised update.
        with np.errstate(invalid="ignore", divide="ignore"):
            new, c = self._update(b, sa)
            N = (np.eye(self.n_hidden) - new[:, :, None]) / c[:, None, None]
        return b, prior, N, batched

    def jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d s_t / d s_{t-1}``, analytic, shape ``(K, K)`` or ``(batch, K, K)``.

        Forward: ``(I - alpha_t 1^T) / c_t · diag(b_t) A^T``; backward: ``(I - g_t 1^T) / c_t · A diag(b_{t+1})``.
        At the zero state (the start flag, where the step jumps to the prior) it is undefined: NaN.

        Parameters
        ----------
        x : array_like, shape (p,) or (batch, p)
            The input of the step.
        state : array_like, shape (K,) or (batch, K)
            The previous state.

        Returns
        -------
        ndarray, shape (K, K) or (batch, K, K)
            The Jacobian of :meth:`step` with respect to the state.
        """
        b, prior, N, batched = self._pieces(x, state)
        if not self.reverse:
            D = b[:, :, None] * self.A.T  # diag(b) A^T
        else:
            D = self.A[None] * b[:, None, :]  # A diag(b)
        J = N @ D
        J[_is_start(self._check_step_args(x, state)[1])[:, 0]] = np.nan
        return J if batched else J[0]

    def input_jacobian(self, x: Any, state: Any) -> np.ndarray:
        """``d s_t / d x_t``, analytic, shape ``(K, p)`` or ``(batch, K, p)``.

        Forward: ``(I - alpha_t 1^T) / c_t · diag(p̂_t) E``; backward: ``(I - g_t 1^T) / c_t · A diag(g_{t+1}) E``,
        with ``E = B`` (one-hot input) or ``I`` (likelihood input); from the zero state ``p̂ = pi``, ``g = 1``.

        Parameters
        ----------
        x : array_like, shape (p,) or (batch, p)
            The input of the step.
        state : array_like, shape (K,) or (batch, K)
            The previous state.

        Returns
        -------
        ndarray, shape (K, p) or (batch, K, p)
            The Jacobian of :meth:`step` with respect to the input.
        """
        b, prior, N, batched = self._pieces(x, state)
        K = self.n_hidden
        E = np.eye(K) if self.B is None else self.B
        D = prior[:, :, None] * E  # diag(prior) E
        if self.reverse:
            D = self.A @ D
        J = N @ D
        return J if batched else J[0]

    def __repr__(self) -> str:
        inp = f"one-hot symbols, M={self.B.shape[1]}" if self.B is not None else "likelihood vectors"
        return f"BeliefCell(K={self.n_hidden}, {'backward' if self.reverse else 'forward'}, input: {inp})"
