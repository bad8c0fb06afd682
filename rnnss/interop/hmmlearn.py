"""Bridge to hmmlearn: rnnss HMMs to hmmlearn models and back, exactly."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _validate as v
from .._model import register_peer
from ..hmm.model import HMM, GaussianHMM

__all__ = ["to_hmmlearn", "from_hmmlearn"]


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
    hmm = v.check_instance(hmm, (HMM, GaussianHMM), "hmm")
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


def hmmlearn_score(hmm: HMM | GaussianHMM, y: Any) -> float:
    """hmmlearn's ``score`` (its scaled forward recursion) of one sequence, for the HMM equivalence report."""
    arr = np.asarray(y)
    data = arr.reshape(len(arr), -1).astype(int if isinstance(hmm, HMM) else float)
    return float(to_hmmlearn(hmm).score(data))


register_peer("hmm", "hmmlearn", hmmlearn_score)
