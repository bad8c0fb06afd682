"""Fitting HMMs: Baum-Welch EM over many sequences with restarts and structural zeros, and order selection by BIC."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._engine import resolve_engine
from .._progress import progress_bar
from . import _batch
from .model import HMM, GaussianHMM

__all__ = ["HMMRestart", "HMMFitReport", "HMMOrderSelection", "fit_hmm", "select_hmm_order"]

EMISSIONS = ("categorical", "gaussian")
COVARIANCE_TYPES = ("full", "diag")
CRITERIA = ("bic", "aic")

# How an EM run ended. Only "converged" sets ``converged=True``.
STATUSES = ("converged", "max_iter", "decrease", "not_finite", "singular")


# -- records ----------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class HMMRestart:
    """One EM run of :func:`fit_hmm`: where it started and how it ended (a row of ``HMMFitReport.restarts``).

    Attributes
    ----------
    index : int
        Restart number (0 is ``init`` itself when ``init`` is a model).
    initial_loglik : float
        Log-likelihood of the starting parameters.
    loglik : float
        Log-likelihood of the parameters this run returned.
    n_iter : int
        Number of EM iterations (M-steps) that led to them.
    status : str
        ``"converged"``, ``"max_iter"``, ``"decrease"`` (the log-likelihood fell: the parameters before that
        iteration are returned), ``"not_finite"`` (NaN or infinite log-likelihood or parameters) or
        ``"singular"`` (an M-step made a covariance singular or ill-conditioned).
    message : str
        Why the run stopped, in words, with the numbers.
    loglik_history : ndarray, shape (n_evaluated,)
        Log-likelihood of the starting parameters and after each iteration (see ``HMMFitReport``).
    """

    index: int
    initial_loglik: float
    loglik: float
    n_iter: int
    status: str
    message: str
    loglik_history: np.ndarray

    @property
    def converged(self) -> bool:
        """Whether the run met the convergence criterion (and nothing else stopped it)."""
        return self.status == "converged"

    def __repr__(self) -> str:
        return f"HMMRestart({self.index}: loglik {self.loglik:.6f} after {self.n_iter} iterations, {self.status})"


@dataclass(frozen=True, repr=False)
class HMMFitReport:
    """Result of :func:`fit_hmm`: the fitted model, its likelihood, how EM got there, every restart.

    Attributes
    ----------
    model : HMM or GaussianHMM
        The fitted model of the best restart (highest log-likelihood). Convert it with
        :func:`rnnss.hmm_to_rnn` (the one-hot softmax RNN) or :func:`rnnss.belief_rnn`.
    loglik : float
        ``sum_s log p(y^(s))`` of the data under ``model`` (exactly ``loglik_history[n_iter]``).
    loglik_history : ndarray, shape (n_evaluated,)
        Log-likelihood of the starting parameters and after each EM iteration of the best restart
        (one entry past ``n_iter`` when a decrease or a non-finite value stopped the run).
    objective_history : ndarray, shape (n_evaluated,)
        What EM maximises: ``loglik_history`` plus the covariance penalty
        ``-covariance_prior / 2 * sum_k tr(Sigma_k^{-1})`` (equal to ``loglik_history`` when
        ``covariance_prior = 0`` and for categorical emissions).
    converged : bool
        Whether the best restart met the convergence criterion. Never true after a NaN or a decrease.
    status : str
        How the best restart ended (see :class:`HMMRestart`).
    n_iter : int
        EM iterations of the best restart up to the returned model.
    message : str
        Why it stopped.
    restarts : tuple of HMMRestart
        Every EM run, in order.
    best_restart : int
        Index of the returned run in ``restarts``.
    n_params : int
        Free parameters: ``(K - 1)`` for ``pi``, ``K (K - 1)`` for ``A``, ``K (M - 1)`` for ``B`` (or ``K d``
        means and ``K d (d + 1) / 2`` or ``K d`` covariance entries), less one for each structural zero of
        ``init`` (hmmlearn's count when there are none).
    n_obs : int
        Number of observations (time steps over all sequences).
    n_sequences : int
        Number of sequences.
    emission : str
        ``"categorical"`` or ``"gaussian"``.
    covariance_type : str or None
        ``"full"`` or ``"diag"`` (Gaussian emissions).
    """

    model: HMM | GaussianHMM
    loglik: float
    loglik_history: np.ndarray
    objective_history: np.ndarray
    converged: bool
    status: str
    n_iter: int
    message: str
    restarts: tuple
    best_restart: int
    n_params: int
    n_obs: int
    n_sequences: int
    emission: str
    covariance_type: str | None

    @property
    def aic(self) -> float:
        """Akaike's criterion ``-2 loglik + 2 n_params`` (lower is better)."""
        return -2.0 * self.loglik + 2.0 * self.n_params

    @property
    def bic(self) -> float:
        """Schwarz's criterion ``-2 loglik + n_params log(n_obs)`` (lower is better; hmmlearn's ``bic``)."""
        return -2.0 * self.loglik + self.n_params * math.log(self.n_obs)

    def summary(self) -> str:
        """A printable account of the fit: model, data, likelihood, criteria, convergence, restarts."""
        m = self.model
        what = (
            f"categorical HMM with K = {m.n_states} states, M = {m.n_symbols} symbols"
            if isinstance(m, HMM)
            else f"Gaussian HMM ({self.covariance_type} covariances) with K = {m.n_states} states, d = {m.n_outputs}"
        )
        lines = [
            f"Baum-Welch fit of a {what}",
            f"data: {self.n_sequences} sequence{'s' if self.n_sequences != 1 else ''}, {self.n_obs} observations",
            f"log-likelihood {self.loglik:.6f}   AIC {self.aic:.3f}   BIC {self.bic:.3f}   "
            f"({self.n_params} free parameters)",
            f"{'converged' if self.converged else 'NOT converged'} (restart {self.best_restart}, "
            f"{self.n_iter} iterations): {self.message}",
            "",
            " restart  initial loglik      final loglik   iterations  status",
        ]
        for r in self.restarts:
            mark = "*" if r.index == self.best_restart else " "
            lines.append(f" {r.index:6d}{mark} {r.initial_loglik:16.6f} {r.loglik:17.6f} {r.n_iter:12d}  {r.status}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"HMMFitReport({self.model!r}, loglik={self.loglik:.6f}, converged={self.converged}, "
            f"n_iter={self.n_iter}, restarts={len(self.restarts)})"
        )


@dataclass(frozen=True, repr=False)
class HMMOrderSelection:
    """Result of :func:`select_hmm_order`: one fit per number of states and the criteria that compare them.

    Attributes
    ----------
    n_states : ndarray of int, shape (n_orders,)
        The numbers of states tried.
    loglik, aic, bic : ndarray, shape (n_orders,)
        Maximised log-likelihood and the criteria of each fit.
    n_params : ndarray of int, shape (n_orders,)
        Free parameters of each fit.
    criterion : str
        ``"bic"`` or ``"aic"``: the column minimised.
    best_n_states : int
        The number of states with the lowest criterion.
    best : HMMFitReport
        Its fit.
    fits : tuple of HMMFitReport
        Every fit, in the order of ``n_states``.
    """

    n_states: np.ndarray
    loglik: np.ndarray
    aic: np.ndarray
    bic: np.ndarray
    n_params: np.ndarray
    criterion: str
    best_n_states: int
    best: HMMFitReport
    fits: tuple

    def summary(self) -> str:
        """The table of fits, the chosen order marked."""
        lines = [
            f"HMM order selection by {self.criterion.upper()} on {self.best.n_obs} observations",
            "     K   n_params         loglik            AIC            BIC  converged",
        ]
        for i, K in enumerate(self.n_states):
            mark = "*" if K == self.best_n_states else " "
            lines.append(
                f" {K:4d}{mark} {self.n_params[i]:9d} {self.loglik[i]:14.4f} {self.aic[i]:14.4f} {self.bic[i]:14.4f}"
                f"  {'yes' if self.fits[i].converged else 'no'}"
            )
        lines.append(f"chosen: K = {self.best_n_states} (lowest {self.criterion.upper()})")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"HMMOrderSelection(n_states={self.n_states.tolist()}, best_n_states={self.best_n_states}, "
            f"criterion={self.criterion!r})"
        )


# -- data and starting values -----------------------------------------------------------------------


def _categorical_data(sequences: Any, n_symbols: int | None) -> tuple[list[np.ndarray], int]:
    if n_symbols is None:  # the largest symbol + 1; as_symbol_sequences then checks everything against it
        try:
            parts = sequences if isinstance(sequences, (list, tuple)) and v.ndim(sequences[0]) >= 1 else [sequences]
            n_symbols = max(int(np.max(np.asarray(e, dtype=float))) for e in parts) + 1
        except (TypeError, ValueError, IndexError, OverflowError):
            n_symbols = 1
        n_symbols = max(n_symbols, 1)
    return v.as_symbol_sequences("sequences", sequences, n_symbols)[0], n_symbols


def _gaussian_data(sequences: Any, d: int | None) -> list[np.ndarray]:
    """A list of ``(T_i, d)`` arrays: an array (T,), (T, d) or (batch, T, d), or a list of sequences."""
    if isinstance(sequences, (list, tuple)) and any(v.ndim(e) >= 1 for e in sequences):
        if d is None:
            first = np.asarray(sequences[0])
            d = first.shape[1] if first.ndim == 2 else 1
        out = []
        for i, e in enumerate(sequences):
            arr, batched = v.as_sequence(f"sequences[{i}]", e, d)
            if batched:
                raise v.DimensionError(
                    f"sequences[{i}] must be one sequence of shape (T, {d}); got shape {np.shape(e)}"
                )
            out.append(arr[0])
        return out
    arr = v.as_float_array("sequences", sequences)
    if d is None:
        d = arr.shape[-1] if arr.ndim >= 2 else 1
    arr, _ = v.as_sequence("sequences", arr, d)
    return list(arr)


def _pattern(init: Any, K: int, M: int | None) -> dict:
    """Which entries are free (True) or structural zeros (False), from ``init`` (all free without one)."""
    if isinstance(init, (HMM, GaussianHMM)):
        out = dict(pi=init.pi > 0, A=init.A > 0)
        if isinstance(init, HMM):
            out["B"] = init.B > 0
        return out
    out = dict(pi=np.ones(K, bool), A=np.ones((K, K), bool))
    if M is not None:
        out["B"] = np.ones((K, M), bool)
    return out


def _dirichlet_rows(gen: np.random.Generator, mask: np.ndarray) -> np.ndarray:
    """Uniform random distributions (Dirichlet(1)) on the free entries of each row of ``mask``."""
    P = gen.standard_exponential(mask.shape) * mask
    return P / P.sum(axis=-1, keepdims=True)


def _random_start(
    gen: np.random.Generator, pattern: dict, emission: str, cov_type: str, data: np.ndarray, prior: float
) -> dict:
    pi = _dirichlet_rows(gen, pattern["pi"])
    A = _dirichlet_rows(gen, pattern["A"])
    K = pi.shape[0]
    if emission == "categorical":
        return dict(pi=pi, A=A, B=_dirichlet_rows(gen, pattern["B"]))
    # Means at K observations drawn at random (distinct when there are enough); every covariance the data's.
    pick = gen.choice(data.shape[0], size=K, replace=data.shape[0] < K)
    means = data[pick].copy()
    centred = data - data.mean(axis=0)
    C = (centred.T @ centred + prior * np.eye(data.shape[1])) / data.shape[0]
    if cov_type == "diag":
        C = np.diag(np.diag(C))
    return dict(pi=pi, A=A, means=means, covs=np.repeat(C[None], K, axis=0))


def _check_covariance(C: np.ndarray, prior: float) -> None:
    """Refuse data whose covariance (every random start's) is singular, with what to do about it."""
    w = np.linalg.eigvalsh(C)
    if not w[0] > 1e-12 * max(w[-1], np.finfo(float).tiny):
        raise ValueError(
            f"the data's covariance is singular (eigenvalues {w[0]:.3g} .. {w[-1]:.3g}): "
            "constant features or fewer observations than dimensions; set covariance_prior > 0 or remove the "
            "constant features"
        )


def _build(params: dict, emission: str) -> HMM | GaussianHMM:
    if emission == "categorical":
        return HMM(pi=params["pi"], A=params["A"], B=params["B"])
    return GaussianHMM(pi=params["pi"], A=params["A"], means=params["means"], covs=params["covs"])


def _n_params(pattern: dict, emission: str, cov_type: str, K: int, d: int) -> int:
    free = lambda mask: int(mask.sum() - np.any(mask, axis=-1).sum())  # noqa: E731  (free entries - 1 per row)
    n = free(pattern["pi"]) + free(pattern["A"])
    if emission == "categorical":
        return n + free(pattern["B"])
    return n + K * d + (K * d * (d + 1) // 2 if cov_type == "full" else K * d)


# -- one EM run -------------------------------------------------------------------------------------


def _penalty(model: HMM | GaussianHMM, prior: float) -> float:
    """``-prior / 2 * sum_k tr(Sigma_k^{-1})``: the log of the (improper) covariance prior EM maximises with."""
    if prior == 0.0 or isinstance(model, HMM):
        return 0.0
    Linv = model._cache["chol_inv_T"]  # tr(Sigma^{-1}) = ||L^{-1}||_F^2
    return -0.5 * prior * float(np.sum(Linv * Linv))


def _estep(model: HMM | GaussianHMM, packed: _batch.Packed, method: str, engine: str) -> tuple:
    """Log-likelihood per sequence, posteriors (T, K) and expected transition counts (K, K)."""
    em = _batch.emissions(model, packed, method)
    loglik, stops, F, _ = _batch.forward(model, packed, method, engine, store=True, em=em)
    if not np.all(np.isfinite(loglik)):
        return loglik, stops, None, None
    _, _, gamma, xi = _batch.backward(model, packed, method, engine, F=F, mode=2, em=em)
    return loglik, stops, gamma, xi


def _mstep(
    model: HMM | GaussianHMM, packed: _batch.Packed, gamma: np.ndarray, xi: np.ndarray, cov_type: str, prior: float
) -> dict:
    """Baum-Welch re-estimates. A state (row) with no expected count keeps its previous parameters: they do
    not change the likelihood, so any value maximises it, and keeping them keeps the iteration monotone."""
    start = gamma[packed.offsets[:-1]].sum(axis=0)
    pi = start / start.sum()
    rows = xi.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        A = np.where(rows > 0, xi / rows, model.A)
    N = gamma.sum(axis=0)
    used = N > 0
    if isinstance(model, HMM):
        counts = np.stack(
            [np.bincount(packed.data, weights=gamma[:, k], minlength=model.n_symbols) for k in range(model.n_states)]
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            B = np.where(used[:, None], counts / N[:, None], model.B)
        return dict(pi=pi, A=A, B=B)
    Y = packed.data
    d = Y.shape[1]
    means = np.array(model.means)
    covs = np.array(model.covs)
    for k in np.flatnonzero(used):
        w = gamma[:, k]
        means[k] = (w @ Y) / N[k]
        D = Y - means[k]
        if cov_type == "full":
            C = (w[:, None] * D).T @ D
            C = 0.5 * (C + C.T)
        else:
            C = np.diag(w @ (D * D))
        covs[k] = (C + prior * np.eye(d)) / N[k]
    return dict(pi=pi, A=A, means=means, covs=covs)


def _em(
    start: dict,
    emission: str,
    packed: _batch.Packed,
    *,
    cov_type: str,
    prior: float,
    tol: float,
    max_iter: int,
    engine: str,
    on_iter: Any,
) -> tuple[HMM | GaussianHMM | None, list[float], list[float], int, str, str]:
    """One Baum-Welch run: ``(model, loglik history, objective history, n_iter, status, message)``.

    The returned model is the last one whose log-likelihood was evaluated and accepted; a run whose very
    first likelihood is not finite returns ``model = None``.
    """
    model = prev_model = _build(start, emission)
    method = "scaled"
    lls: list[float] = []
    objs: list[float] = []
    note = ""
    it = 0
    while True:
        loglik, stops, gamma, xi = _estep(model, packed, method, engine)
        if method == "scaled" and np.any(loglik == -np.inf):
            # The scaled recursion stops at c_t = 0: an impossible observation, or an underflow below 1e-308
            # that the log-space recursion survives. Continue in log space if it is only the latter.
            log_try = _estep(model, packed, "log", engine)
            if np.all(np.isfinite(log_try[0])):
                method, note = "log", " (E-steps in log space after the scaled recursion underflowed)"
                loglik, stops, gamma, xi = log_try
        ll = math.fsum(loglik.tolist()) if np.all(np.isfinite(loglik)) else float(np.sum(loglik))
        obj = ll + _penalty(model, prior)
        lls.append(ll)
        objs.append(obj)
        if not math.isfinite(obj):
            if it == 0:
                bad = int(np.flatnonzero(~np.isfinite(loglik))[0])
                why = (
                    f"sequence {bad} is impossible under the starting parameters (probability zero at step "
                    f"{int(stops[bad])})"
                    if loglik[bad] == -np.inf
                    else f"the log-likelihood of sequence {bad} is {loglik[bad]}"
                )
                return None, lls, objs, 0, "not_finite", why
            msg = f"stopped: the log-likelihood became {ll} at iteration {it}; returned the parameters before it"
            return prev_model, lls, objs, it - 1, "not_finite", msg
        if on_iter is not None:
            on_iter(it, ll)
        if it > 0:
            gain = obj - objs[-2]
            thr = tol * (1.0 + abs(obj))
            if gain < 0.0:
                msg = (
                    f"stopped: the {'objective' if prior else 'log-likelihood'} fell by {-gain:.3g} at iteration "
                    f"{it} (relative {-gain / max(abs(obj), 1e-300):.1e}; EM cannot decrease it in exact arithmetic, "
                    f"so this is rounding or numerical trouble); returned the parameters before it{note}"
                )
                return prev_model, lls, objs, it - 1, "decrease", msg
            if gain <= thr:
                msg = f"the log-likelihood rose by {gain:.3g} at iteration {it}, within tol*(1+|loglik|) = {thr:.3g}"
                msg += note
                return model, lls, objs, it, "converged", msg
        if it == max_iter:
            last = f"; the last iteration still gained {objs[-1] - objs[-2]:.3g}" if it else ""
            msg = f"not converged: stopped at max_iter = {max_iter}{last} (threshold {tol * (1 + abs(obj)):.3g}){note}"
            return model, lls, objs, it, "max_iter", msg
        params = _mstep(model, packed, gamma, xi, cov_type, prior)
        if not all(np.all(np.isfinite(p)) for p in params.values()):
            msg = f"stopped: the M-step of iteration {it + 1} gave non-finite parameters; returned the ones before it"
            return model, lls, objs, it, "not_finite", msg
        try:
            new = _build(params, emission)
        except (ValueError, np.linalg.LinAlgError) as exc:
            msg = (
                f"stopped: the M-step of iteration {it + 1} gave an invalid model ({exc}); returned the parameters "
                "before it. A covariance collapsing onto few observations: set covariance_prior > 0 or use fewer states"
            )
            return model, lls, objs, it, "singular", msg
        prev_model, model = model, new
        it += 1


# -- the public functions ---------------------------------------------------------------------------


def fit_hmm(
    sequences: Any,
    n_states: int,
    *,
    emission: str = "categorical",
    covariance_type: str = "full",
    n_symbols: int | None = None,
    init: Any = "random",
    n_restarts: int = 1,
    rng: Any = None,
    tol: float = 1e-8,
    max_iter: int = 1000,
    covariance_prior: float = 0.0,
    progress: bool | None = None,
    engine: str = "auto",
) -> HMMFitReport:
    r"""Maximum-likelihood HMM by Baum-Welch EM, over many sequences, with random restarts.

    Each iteration runs the compiled forward-backward recursions on all sequences (the E-step: posteriors
    ``p(z_t | y)`` and expected transition counts) and sets every parameter to its maximiser given them
    (the M-step): ``pi`` from the first-step posteriors, ``A`` from the expected transitions, ``B`` from the
    expected symbol counts (or the posterior-weighted means and covariances). The log-likelihood never
    decreases in exact arithmetic; it is monitored every iteration.

    **Structural zeros.** A zero in ``init`` (``pi``, ``A`` or ``B``) stays exactly zero: EM's expected counts of
    an impossible event are exactly zero. Random restarts keep ``init``'s zero pattern, and the zeros are
    not counted as free parameters.

    **Convergence** is declared when one iteration raises the log-likelihood by at most
    ``tol * (1 + |loglik|)``. The run stops otherwise at ``max_iter``, or when the log-likelihood is not
    finite or *decreases* (then the parameters before that iteration are returned): neither is ever
    reported as converged; ``message`` says what happened. A state that receives no posterior mass keeps
    its previous parameters.

    Parameters
    ----------
    sequences : array_like or list of array_like
        One sequence or a list of sequences of any lengths. Categorical: integer symbols ``0..M-1``, each
        sequence of shape (T_i,). Gaussian: an array (T,), (T, d) or (batch, T, d), or a list of
        arrays (T_i, d) (or (T_i,) for ``d = 1``); a list of lists is read as a list of sequences.
    n_states : int
        Number of hidden states ``K >= 1``.
    emission : {"categorical", "gaussian"}, default "categorical"
        Emission family.
    covariance_type : {"full", "diag"}, default "full"
        Gaussian covariances: full, or diagonal (the model still stores them as ``(K, d, d)`` matrices).
    n_symbols : int, optional
        Number of symbols ``M`` (categorical); default: from ``init``, else the largest symbol plus one. A
        symbol that never occurs gets emission probability zero.
    init : "random" or HMM or GaussianHMM, default "random"
        Starting parameters: random (``pi`` and the rows of ``A`` and ``B`` uniform on the simplex; Gaussian
        means at ``K`` random observations, covariances the data's), or a model of the right kind and size,
        used as restart 0 and whose zeros are structural for every restart.
    n_restarts : int, default 1
        Number of EM runs; the one with the highest log-likelihood is returned.
    rng : numpy.random.Generator or int, optional
        Random source of the starting values.
    tol : float, default 1e-8
        Relative convergence tolerance (see above); ``0`` runs until the likelihood stops increasing.
    max_iter : int, default 1000
        Maximum EM iterations per restart.
    covariance_prior : float, default 0.0
        ``psi >= 0``: the M-step sets ``Sigma_k = (psi I + S_k) / N_k`` (``S_k`` the posterior-weighted scatter,
        ``N_k`` the expected count), which keeps covariances from collapsing onto single observations. EM
        then maximises ``loglik - psi / 2 * sum_k tr(Sigma_k^{-1})`` (``objective_history``). hmmlearn's
        ``covars_prior`` for ``"diag"`` (and ``covars_prior * I`` for ``"full"``), with ``covars_weight = 1``.
    progress : bool, optional
        Show a tqdm progress bar (restarts, with the current iteration and log-likelihood); by default
        only when stderr is a terminal.
    engine : {"auto", "numba", "numpy"}, default "auto"
        Engine of the forward-backward recursions (see :func:`rnnss.hmm_forward`).

    Returns
    -------
    HMMFitReport
        ``model``, ``loglik``, ``loglik_history``, ``converged``, ``n_iter``, ``message``, the ``restarts``
        table, ``aic``, ``bic``, ``n_params``, and ``summary()``.

    Raises
    ------
    ValueError, TypeError, DimensionError
        If ``sequences`` is empty or invalid, an option is out of range, or ``init`` does not match
        ``n_states``, ``emission``, the symbols or the dimension.
    ValueError
        If every restart starts with a non-finite likelihood (e.g. ``init``'s zeros make the data impossible).

    See Also
    --------
    select_hmm_order : Fit several numbers of states and compare them by BIC.
    hmm_to_rnn, belief_rnn : The fitted HMM as a softmax RNN or a belief-state RNN.

    Examples
    --------
    >>> import rnnss
    >>> casino = rnnss.HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]], B=[[1 / 6] * 6, [0.1] * 5 + [0.5]])
    >>> rolls = casino.sample(2000, rng=0).y
    >>> fit = rnnss.fit_hmm(rolls, 2, n_restarts=3, rng=1)
    >>> fit.converged
    True
    >>> bool(abs(fit.loglik - rnnss.hmm_to_rnn(fit.model).loglik(rolls)) < 1e-9)  # the RNN has its likelihood
    True
    """
    emission = v.as_choice("emission", emission, EMISSIONS)
    cov_type = v.as_choice("covariance_type", covariance_type, COVARIANCE_TYPES)
    K = v.as_int("n_states", n_states, minimum=1)
    n_restarts = v.as_int("n_restarts", n_restarts, minimum=1)
    max_iter = v.as_int("max_iter", max_iter, minimum=0)
    tol = v.as_float("tol", tol, nonnegative=True)
    prior = v.as_float("covariance_prior", covariance_prior, nonnegative=True)
    engine = resolve_engine(engine)
    gen = v.as_rng(rng)
    if isinstance(sequences, (list, tuple)) and len(sequences) == 0:
        raise ValueError("sequences is empty: fit_hmm needs at least one sequence of at least one observation")
    model_init = None
    if isinstance(init, (HMM, GaussianHMM)):
        model_init = _check_init(init, K, emission, cov_type, n_symbols)
    elif isinstance(init, str):
        if init != "random":
            raise ValueError(f"init must be 'random' or an rnnss.HMM / rnnss.GaussianHMM; got {init!r}")
    else:
        raise TypeError(f"init must be 'random' or an rnnss.HMM / rnnss.GaussianHMM; got {type(init).__name__}")
    if emission == "categorical":
        M = (
            model_init.n_symbols
            if model_init is not None
            else (None if n_symbols is None else v.as_int("n_symbols", n_symbols, minimum=1))
        )
        seqs, M = _categorical_data(sequences, M)
        d = 0
    else:
        if n_symbols is not None:
            raise ValueError("n_symbols applies to categorical emissions only; got n_symbols with emission='gaussian'")
        seqs = _gaussian_data(sequences, model_init.n_outputs if model_init is not None else None)
        M, d = None, seqs[0].shape[1]
    packed = _batch.pack(seqs)
    pattern = _pattern(model_init, K, M)
    runs = []
    show = None if progress is None else v.as_bool("progress", progress)
    with progress_bar(n_restarts, f"fit_hmm (K={K})", show=show) as bar:
        for r in range(n_restarts):
            if r == 0 and model_init is not None:
                start = {name: np.array(getattr(model_init, name)) for name in model_init._ARRAYS}
            else:
                start = _random_start(gen, pattern, emission, cov_type, packed.data if d else None, prior)
                if d:
                    _check_covariance(start["covs"][0], prior)

            def on_iter(it: int, ll: float, r: int = r) -> None:
                bar.set_postfix_str(f"restart {r}, iteration {it}, loglik {ll:.6g}", refresh=False)

            runs.append(
                _em(
                    start,
                    emission,
                    packed,
                    cov_type=cov_type,
                    prior=prior,
                    tol=tol,
                    max_iter=max_iter,
                    engine=engine,
                    on_iter=on_iter,
                )
            )
            bar.update(1)
    restarts = tuple(
        HMMRestart(i, lls[0], lls[n] if model is not None else lls[0], n, status, msg, np.array(lls))
        for i, (model, lls, objs, n, status, msg) in enumerate(runs)
    )
    usable = [i for i, run in enumerate(runs) if run[0] is not None]
    if not usable:
        raise ValueError(
            "every restart starts with a non-finite log-likelihood: "
            + runs[0][5]
            + ("; init's structural zeros make the data impossible" if model_init is not None else "")
        )
    best = max(usable, key=lambda i: runs[i][2][runs[i][3]])
    model, lls, objs, n, status, msg = runs[best]
    return HMMFitReport(
        model=model,
        loglik=lls[n],
        loglik_history=np.array(lls),
        objective_history=np.array(objs),
        converged=status == "converged",
        status=status,
        n_iter=n,
        message=msg,
        restarts=restarts,
        best_restart=best,
        n_params=_n_params(pattern, emission, cov_type, K, d),
        n_obs=packed.total,
        n_sequences=packed.n,
        emission=emission,
        covariance_type=cov_type if emission == "gaussian" else None,
    )


def _check_init(init: HMM | GaussianHMM, K: int, emission: str, cov_type: str, n_symbols: Any) -> HMM | GaussianHMM:
    kind = HMM if emission == "categorical" else GaussianHMM
    if not isinstance(init, kind):
        raise TypeError(f"init must be an rnnss.{kind.__name__} for emission={emission!r}; got {type(init).__name__}")
    if init.n_states != K:
        raise ValueError(f"init has {init.n_states} states but n_states = {K}")
    if isinstance(init, HMM) and n_symbols is not None and v.as_int("n_symbols", n_symbols) != init.n_symbols:
        raise ValueError(f"init has {init.n_symbols} symbols but n_symbols = {n_symbols}")
    if isinstance(init, GaussianHMM) and cov_type == "diag":
        off = init.covs - np.einsum("kii->ki", init.covs)[:, :, None] * np.eye(init.n_outputs)
        if np.any(off != 0):
            raise ValueError(
                "init has covariances with off-diagonal entries; covariance_type='diag' needs diagonal ones"
            )
    return init


def select_hmm_order(
    sequences: Any,
    n_states: Any = range(1, 6),
    *,
    emission: str = "categorical",
    covariance_type: str = "full",
    n_symbols: int | None = None,
    criterion: str = "bic",
    n_restarts: int = 5,
    rng: Any = None,
    tol: float = 1e-8,
    max_iter: int = 1000,
    covariance_prior: float = 0.0,
    progress: bool | None = None,
    engine: str = "auto",
) -> HMMOrderSelection:
    """Fit an HMM for each number of states and pick the one with the lowest BIC (or AIC).

    ``BIC = -2 loglik + n_params log(n_obs)`` penalises each free parameter by the log of the number of
    observations; it is consistent for the order of an HMM when the fits reach the global maximum, which
    is what the restarts are for. Every fit is :func:`fit_hmm` with the same options; the random starts
    come from one generator, in the order of ``n_states``.

    Parameters
    ----------
    sequences : array_like or list of array_like
        As for :func:`fit_hmm`.
    n_states : iterable of int, default range(1, 6)
        The numbers of states to try (each >= 1, no repeats).
    emission : {"categorical", "gaussian"}, default "categorical"
        Emission family.
    covariance_type : {"full", "diag"}, default "full"
        Gaussian covariances.
    n_symbols : int, optional
        Number of symbols (categorical); default the largest symbol plus one.
    criterion : {"bic", "aic"}, default "bic"
        The criterion minimised.
    n_restarts : int, default 5
        EM runs per number of states.
    rng : numpy.random.Generator or int, optional
        Random source of all starting values.
    tol : float, default 1e-8
        Convergence tolerance of each fit.
    max_iter : int, default 1000
        Maximum EM iterations per restart.
    covariance_prior : float, default 0.0
        See :func:`fit_hmm`.
    progress : bool, optional
        Progress bars (by default only on a terminal).
    engine : {"auto", "numba", "numpy"}, default "auto"
        Engine of the recursions.

    Returns
    -------
    HMMOrderSelection
        The table (``n_states``, ``loglik``, ``n_params``, ``aic``, ``bic``), ``best_n_states``, ``best`` (its
        :class:`HMMFitReport`), every fit, and ``summary()``.

    Raises
    ------
    ValueError, TypeError
        If ``n_states`` is empty, repeats a value or holds a value below 1, or another argument is invalid.

    Examples
    --------
    >>> import rnnss
    >>> casino = rnnss.HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]], B=[[1 / 6] * 6, [0.1] * 5 + [0.5]])
    >>> rolls = casino.sample(3000, rng=0).y
    >>> sel = rnnss.select_hmm_order(rolls, n_states=[1, 2, 3], n_restarts=3, rng=1)
    >>> sel.best_n_states
    2
    """
    try:
        orders = [v.as_int("n_states", k, minimum=1) for k in n_states]
    except TypeError:
        raise TypeError(f"n_states must be an iterable of integers; got {n_states!r}") from None
    if not orders:
        raise ValueError("n_states must hold at least one number of states; got an empty collection")
    if len(set(orders)) != len(orders):
        raise ValueError(f"n_states must not repeat a value; got {orders}")
    criterion = v.as_choice("criterion", criterion, CRITERIA)
    gen = v.as_rng(rng)
    fits = tuple(
        fit_hmm(
            sequences,
            K,
            emission=emission,
            covariance_type=covariance_type,
            n_symbols=n_symbols,
            n_restarts=n_restarts,
            rng=gen,
            tol=tol,
            max_iter=max_iter,
            covariance_prior=covariance_prior,
            progress=progress,
            engine=engine,
        )
        for K in orders
    )
    aic = np.array([f.aic for f in fits])
    bic = np.array([f.bic for f in fits])
    crit = bic if criterion == "bic" else aic
    i = int(np.argmin(crit))
    return HMMOrderSelection(
        n_states=np.array(orders),
        loglik=np.array([f.loglik for f in fits]),
        aic=aic,
        bic=bic,
        n_params=np.array([f.n_params for f in fits]),
        criterion=criterion,
        best_n_states=orders[i],
        best=fits[i],
        fits=fits,
    )
