"""Sequences packed for the HMM kernels, and the kernel calls every HMM algorithm and the EM fit share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..exceptions import NumericalError
from . import _kernels
from .model import HMM, GaussianHMM


@dataclass(frozen=True)
class Packed:
    """``n`` observation sequences concatenated along time: sequence ``s`` is rows ``offsets[s]:offsets[s+1]``."""

    data: np.ndarray  # (T_total,) symbols as int64, or (T_total, d) floats
    offsets: np.ndarray  # (n + 1,) int64

    @property
    def n(self) -> int:
        return self.offsets.shape[0] - 1

    @property
    def total(self) -> int:
        return int(self.offsets[-1])

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)

    def rows(self, s: int) -> slice:
        return slice(int(self.offsets[s]), int(self.offsets[s + 1]))


def pack(seqs: list[np.ndarray]) -> Packed:
    """Concatenate validated sequences (each of length >= 1)."""
    offsets = np.zeros(len(seqs) + 1, dtype=np.int64)
    np.cumsum([len(s) for s in seqs], out=offsets[1:])
    data = np.concatenate(seqs) if len(seqs) > 1 else np.asarray(seqs[0])
    if data.dtype.kind in "iu":
        data = data.astype(np.int64, copy=False)
    return Packed(np.ascontiguousarray(data), offsets)


def tables(hmm: HMM | GaussianHMM) -> dict:
    """The model's arrays as the kernels take them (writable, C-contiguous float64: one compiled signature)."""
    tab = hmm._cache.get("kernel_tables")
    if tab is None:
        c = hmm._cache
        tab = dict(
            pi=np.array(hmm.pi),
            A=np.array(hmm.A),
            logpi=np.array(c["log_pi"]),
            logA=np.array(c["log_A"]),
            AT=np.ascontiguousarray(hmm.A.T),
            logAT=np.ascontiguousarray(c["log_A"].T),
        )
        if isinstance(hmm, HMM):
            tab.update(BT=np.ascontiguousarray(hmm.B.T), logBT=np.array(c["log_B_T"]), zero=np.zeros(hmm.n_symbols))
        hmm._cache["kernel_tables"] = tab
    return tab


def scaled_emissions(hmm: HMM | GaussianHMM, packed: Packed) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(E, shift, idx)``: likelihoods ``E[idx[t]] = p(y_t | z_t = .) / exp(shift[idx[t]])``."""
    if isinstance(hmm, HMM):
        tab = tables(hmm)
        return tab["BT"], tab["zero"], packed.data
    ell = hmm._emission_loglik(packed.data)
    shift = ell.max(axis=1)  # densities can over- or underflow; their ratios within a step cannot
    return np.exp(ell - shift[:, None]), shift, np.arange(packed.total, dtype=np.int64)


def log_emissions(hmm: HMM | GaussianHMM, packed: Packed) -> tuple[np.ndarray, np.ndarray]:
    """``(Elog, idx)``: log-likelihoods ``Elog[idx[t]] = log p(y_t | z_t = .)``."""
    if isinstance(hmm, HMM):
        return tables(hmm)["logBT"], packed.data
    return hmm._emission_loglik(packed.data), np.arange(packed.total, dtype=np.int64)


def _quiet() -> Any:
    # The kernels handle zeros, -inf and NaN explicitly; NumPy would only add warnings the compiled engine
    # does not give.
    return np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")


def emissions(hmm: HMM | GaussianHMM, packed: Packed, method: str) -> tuple:
    """The emission table of ``method`` (:func:`scaled_emissions` or :func:`log_emissions`), to compute once
    and pass to :func:`forward` and :func:`backward`."""
    return log_emissions(hmm, packed) if method == "log" else scaled_emissions(hmm, packed)


def forward(
    hmm: HMM | GaussianHMM, packed: Packed, method: str, engine: str, *, store: bool, em: tuple | None = None
) -> tuple:
    """Run the forward kernel: ``(loglik (n,), stops (n,), F (T, K) or None, lognorm (T,) or None)``.

    ``F`` holds filtered probabilities (``"scaled"``) or their logarithms (``"log"``); ``stops[s]`` is the
    first impossible step of sequence ``s`` (its length if none). The scaled kernel's ``-inf`` is not
    checked here (see :func:`check_scaled_stops`).
    """
    kern = _kernels.kernels(engine, hmm.n_states)
    tab = tables(hmm)
    K = hmm.n_states
    F = np.empty((packed.total if store else 1, K))
    lognorm = np.empty(packed.total if store else 1)
    loglik = np.empty(packed.n)
    stops = np.empty(packed.n, dtype=np.int64)
    em = em if em is not None else emissions(hmm, packed, method)
    with _quiet():
        if method == "log":
            Elog, idx = em
            kern.forward_log(
                tab["logpi"],
                tab["A"],
                tab["AT"],
                tab["logAT"],
                Elog,
                idx,
                packed.offsets,
                store,
                F,
                lognorm,
                loglik,
                stops,
            )
        else:
            E, shift, idx = em
            kern.forward_scaled(
                tab["pi"], tab["A"], tab["AT"], E, shift, idx, packed.offsets, store, F, lognorm, loglik, stops
            )
    return loglik, stops, (F if store else None), (lognorm if store else None)


def loglik_log(tab: dict, Elog: np.ndarray, packed: Packed, engine: str) -> np.ndarray:
    """Log-likelihood of every packed sequence by the log-space kernel, from raw tables (``logpi``, ``A``,
    ``logAT``) and log emissions ``Elog`` indexed by the packed symbols (the one-hot softmax RNN's route)."""
    K = tab["A"].shape[0]
    loglik = np.empty(packed.n)
    stops = np.empty(packed.n, dtype=np.int64)
    with _quiet():
        _kernels.kernels(engine, K).forward_log(
            tab["logpi"],
            tab["A"],
            tab["AT"],
            tab["logAT"],
            Elog,
            packed.data,
            packed.offsets,
            False,
            np.empty((1, K)),
            np.empty(1),
            loglik,
            stops,
        )
    return loglik


def check_scaled_stops(
    hmm: HMM | GaussianHMM, packed: Packed, loglik: np.ndarray, stops: np.ndarray, engine: str
) -> None:
    """Raise if the scaled recursion stopped (``-inf``) on a sequence the log-space recursion finds possible."""
    for s in np.flatnonzero(loglik == -np.inf):
        one = pack([packed.data[packed.rows(int(s))]])
        if forward(hmm, one, "log", engine, store=False)[0][0] > -np.inf:
            where = f" of sequence {s}" if packed.n > 1 else ""
            raise NumericalError(
                f"the scaled forward recursion underflowed at step {stops[s]}{where} (a predictive probability "
                "below ~1e-308) although the observations are possible; use method='log'"
            )


def backward(
    hmm: HMM | GaussianHMM,
    packed: Packed,
    method: str,
    engine: str,
    *,
    F: np.ndarray | None = None,
    mode: int = 0,
    em: tuple | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Run the backward kernel: ``(bh or log bh (T, K), off (T,), gamma (T, K) or None, xi (K, K) or None)``.

    ``mode`` 1 adds the posteriors from the forward pass ``F`` (same ``method``), 2 also the expected
    transition counts summed over all sequences and steps.
    """
    kern = _kernels.kernels(engine, hmm.n_states)
    tab = tables(hmm)
    K = hmm.n_states
    off = np.empty(packed.total)
    gamma = np.empty((packed.total if mode else 1, K))
    xi = np.zeros((K, K))
    Fin = F if F is not None else np.empty((1, K))
    em = em if em is not None else emissions(hmm, packed, method)
    with _quiet():
        if method == "log":
            lbn = np.empty((packed.total, K))
            Elog, idx = em
            kern.backward_log(
                tab["A"], tab["AT"], tab["logA"], Elog, idx, packed.offsets, Fin, mode, lbn, off, gamma, xi
            )
            out = lbn
        else:
            bh = np.empty((packed.total, K))
            E, shift, idx = em
            kern.backward_scaled(tab["A"], tab["AT"], E, shift, idx, packed.offsets, Fin, mode, bh, off, gamma, xi)
            out = bh
    return out, off, (gamma if mode else None), (xi if mode == 2 else None)


def viterbi(hmm: HMM | GaussianHMM, packed: Packed, engine: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Run the Viterbi kernel: ``(paths (T,) int, log p(y, z*) (n,), stops (n,))``; ``-inf`` if impossible."""
    kern = _kernels.kernels(engine, hmm.n_states)
    tab = tables(hmm)
    path = np.zeros(packed.total, dtype=np.int64)
    logprob = np.empty(packed.n)
    stops = np.empty(packed.n, dtype=np.int64)
    Elog, idx = log_emissions(hmm, packed)
    with _quiet():
        kern.viterbi(tab["logpi"], tab["logA"], Elog, idx, packed.offsets, path, logprob, stops)
    return path, logprob, stops
