"""Proof that an HMM and its RNN forms give identical likelihoods, with brute force and peers as references."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._model import PEER_REGISTRY
from .algorithms import hmm_loglik, hmm_smoother, viterbi
from .cells import OneHotSoftmaxCell
from .model import HMM, GaussianHMM, emission_loglik
from .rnn import belief_rnn, hmm_to_rnn, rnn_to_hmm

__all__ = ["HMMEquivalenceReport", "hmm_loglik_brute_force", "verify_hmm_equivalence"]

#: Largest number of hidden paths ``K^T`` that the brute-force likelihood enumerates.
BRUTE_FORCE_MAX_PATHS = 200_000


def hmm_loglik_brute_force(hmm: HMM | GaussianHMM, y: Any) -> float:
    """``log p(y)`` by summing the joint probability over all ``K^T`` hidden paths (short sequences only).

    The independent reference for the forward recursions: no recursion, no rescaling, one ``fsum`` of
    ``exp`` terms shifted by their maximum.

    Parameters
    ----------
    hmm : HMM or GaussianHMM
        The model.
    y : array_like, shape (T,) or (T, d)
        One observation sequence.

    Returns
    -------
    float
        The log-likelihood (``-inf`` if every path is impossible).

    Raises
    ------
    ValueError
        If ``K^T`` exceeds :data:`BRUTE_FORCE_MAX_PATHS`.

    Examples
    --------
    >>> import rnnss
    >>> hmm = rnnss.HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.7, 0.3], [0.1, 0.9]])
    >>> y = [0, 1, 1, 0]
    >>> bool(abs(rnnss.hmm_loglik_brute_force(hmm, y) - rnnss.hmm_loglik(hmm, y)) < 1e-12)
    True
    """
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
    ell = emission_loglik(hmm, y)
    T = ell.shape[0]
    if hmm.n_states**T > BRUTE_FORCE_MAX_PATHS:
        raise ValueError(
            f"brute force would enumerate K^T = {hmm.n_states}^{T} paths (limit {BRUTE_FORCE_MAX_PATHS}); "
            "use a shorter sequence"
        )
    with np.errstate(divide="ignore"):
        logA, logpi = np.log(hmm.A), np.log(hmm.pi)
    terms = []
    for path in itertools.product(range(hmm.n_states), repeat=T):
        lp = logpi[path[0]] + ell[0, path[0]]
        lp += sum(logA[a, b] + ell[t + 1, b] for t, (a, b) in enumerate(zip(path, path[1:])))
        terms.append(lp)
    top = max(terms)
    return float(top) if top == -np.inf else float(top + math.log(math.fsum(math.exp(t - top) for t in terms)))


@dataclass(frozen=True, repr=False)
class HMMEquivalenceReport:
    """Log-likelihoods of one sequence by every route, and whether they agree.

    Attributes
    ----------
    model : HMM or GaussianHMM
        The model checked (a one-hot softmax cell is converted to its HMM first).
    T : int
        Length of the sequence.
    routes : dict
        ``log p(y)`` by route name (HMM recursions, RNN forms, peers, brute force where feasible).
    reference : str
        The route the others are compared with.
    worst : float
        Largest relative difference to the reference.
    tol : float
        Relative tolerance deciding ``passed``.
    passed : bool
        All routes finite and within ``tol`` of the reference.
    path : ndarray, shape (T,)
        Viterbi path.
    posteriors : ndarray, shape (T, K)
        Smoothed state posteriors.
    """

    model: Any
    T: int
    routes: dict
    reference: str
    worst: float
    tol: float
    passed: bool
    path: np.ndarray
    posteriors: np.ndarray

    def __str__(self) -> str:
        ref = self.routes[self.reference]
        lines = [f"{type(self.model).__name__} with K = {self.model.n_states} states on T = {self.T} observations"]
        for name, value in self.routes.items():
            lines.append(f"  log p(y) by {name:28s} {value: .12f}   rel. diff {_rel(value, ref):.1e}")
        lines.append(
            f"identical likelihoods within {self.tol:g} relative: {'PASSED' if self.passed else 'FAILED'} "
            f"(worst {self.worst:.1e})"
        )
        lines.append(
            "most likely state path (Viterbi), first 40 steps: " + "".join(str(int(k)) for k in self.path[:40])
        )
        share = ", ".join(f"{k}: {self.posteriors[:, k].mean():.3f}" for k in range(self.model.n_states))
        lines.append("time share of each state: smoothed " + share)
        return "\n".join(lines)

    __repr__ = __str__


def _rel(value: float, ref: float) -> float:
    return 0.0 if value == ref else abs(value - ref) / max(abs(ref), np.finfo(float).tiny)


def verify_hmm_equivalence(
    model: HMM | GaussianHMM | OneHotSoftmaxCell, y: Any, *, tol: float = 1e-10, peers: bool = True
) -> HMMEquivalenceReport:
    """Compute ``log p(y)`` by every route rnnss knows and check that they agree.

    Routes: the scaled and log-space forward recursions, the belief-state RNN in both directions, the
    one-hot softmax RNN (categorical HMMs), the registered peers (hmmlearn) and, when ``K^T`` is small,
    brute force over all hidden paths.

    Parameters
    ----------
    model : HMM, GaussianHMM or OneHotSoftmaxCell
        The model (a softmax cell is converted by :func:`rnnss.rnn_to_hmm`).
    y : array_like, shape (T,) or (T, d)
        One sequence: integer symbols, or ``(T, d)`` vectors for a Gaussian HMM.
    tol : float, default 1e-10
        Relative tolerance.
    peers : bool, default True
        Include the peer libraries that are installed.

    Returns
    -------
    HMMEquivalenceReport
        Printable; ``report.passed`` summarises it.

    Raises
    ------
    TypeError
        If ``model`` is not an HMM, GaussianHMM or OneHotSoftmaxCell.

    Examples
    --------
    >>> import rnnss
    >>> hmm = rnnss.HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.7, 0.3], [0.1, 0.9]])
    >>> rnnss.verify_hmm_equivalence(hmm, [0, 1, 1, 0, 1], peers=False).passed
    True
    """
    if isinstance(model, OneHotSoftmaxCell):
        model = rnn_to_hmm(model)
    model = v.check_instance(model, (HMM, GaussianHMM), "model", "an rnnss.HMM, rnnss.GaussianHMM or OneHotSoftmaxCell")
    tol = v.as_float("tol", tol, positive=True)
    peers = v.as_bool("peers", peers)
    run = belief_rnn(model).run(y)
    routes = {
        "HMM forward, scaled": hmm_loglik(model, y),
        "HMM forward, log space": hmm_loglik(model, y, method="log"),
        "belief-state RNN, forward": run.loglik,
        "belief-state RNN, backward": run.backward_loglik,
    }
    if isinstance(model, HMM):
        routes["one-hot softmax RNN"] = hmm_to_rnn(model).loglik(y)
    if peers:
        for name, runner in PEER_REGISTRY.get("hmm", {}).items():
            try:
                routes[f"{name} score"] = float(runner(model, y))
            except ImportError:
                pass
    T = run.filtered.shape[0]
    if model.n_states**T <= BRUTE_FORCE_MAX_PATHS:
        routes["brute force over all paths"] = hmm_loglik_brute_force(model, y)
    reference = "HMM forward, scaled"
    worst = max(_rel(val, routes[reference]) for val in routes.values())
    passed = bool(np.isfinite(worst) and worst <= tol)
    return HMMEquivalenceReport(
        model, T, routes, reference, worst, tol, passed, viterbi(model, y).path, hmm_smoother(model, y).posteriors
    )
