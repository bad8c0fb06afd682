"""Bridge to statsmodels VARMAX: rnnss VARMA models to VARMAX parameter vectors and back."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from ..varma import VARMA

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["to_statsmodels_params", "from_statsmodels"]


# -- statsmodels VARMAX bridge ---------------------------------------------------------------------------


def to_statsmodels_params(varma: VARMA, *, trend: str = "c") -> np.ndarray:
    """The parameter vector of statsmodels ``VARMAX(order=(p, q), trend=trend)`` for this VARMA.

    Ordering (statsmodels' ``param_names``): intercepts (``trend="c"``), AR (row ``i`` of
    ``[A_1 .. A_p]`` per equation ``i``), MA likewise, exogenous ``B_0`` row by row, then the lower
    Cholesky factor of ``Sigma`` row by row (``error_cov_type="unstructured"``, the default). Use it with
    ``model.loglike(params)`` (``transformed=True``, the default) on a model built with
    ``measurement_error=False`` (the default).

    Parameters
    ----------
    varma : VARMA
        The model; ``Sigma`` must be positive definite, exogenous inputs contemporaneous only and ``A_0 = I``
        (an echelon form with equal Kronecker indices is a standard VARMA; otherwise use
        :func:`rnnss.varma_standard_form`).
    trend : {"c", "n"}
        Whether the statsmodels model has a constant (``"c"``) or none (``"n"``; then ``c`` must be 0).

    Returns
    -------
    ndarray, shape (k_params,)
        The parameters in statsmodels' order.

    Raises
    ------
    ValueError
        For an unknown trend, a non-zero intercept with ``trend="n"``, a leading matrix ``A_0 != I``, lagged
        exogenous terms, or a singular ``Sigma``.

    Examples
    --------
    >>> from rnnss import VARMA, to_statsmodels_params
    >>> to_statsmodels_params(VARMA(ar=[0.5], ma=[0.4], sigma=4.0, intercept=[1.0]))
    array([1. , 0.5, 0.4, 2. ])
    """
    varma = v.check_instance(varma, VARMA, "varma")
    if trend not in ("c", "n"):
        raise ValueError(f"trend must be 'c' or 'n' (statsmodels VARMAX trends rnnss can represent); got {trend!r}")
    if trend == "n" and np.any(varma.intercept):
        raise ValueError("trend='n' drops the intercept, but this VARMA has a non-zero intercept c; use trend='c'")
    if varma.has_a0:
        raise ValueError(
            "statsmodels VARMAX has no leading matrix A_0 (this VARMA is in echelon form with unequal Kronecker "
            "indices, or has a general A_0); pass rnnss.varma_standard_form(varma), the same process with A_0 = I"
        )
    if len(varma.exog) > 1:
        raise ValueError(
            f"statsmodels VARMAX has only the contemporaneous exogenous term B_0 x_t; this VARMA has exogenous lags "
            f"up to {len(varma.exog) - 1}"
        )
    try:
        L = np.linalg.cholesky(varma.sigma)
    except np.linalg.LinAlgError:
        raise ValueError(
            "statsmodels parameterises Sigma by its Cholesky factor; Sigma must be positive definite"
        ) from None
    m = varma.n_outputs
    parts = [varma.intercept] if trend == "c" else []
    parts.append(np.hstack(varma.ar).ravel() if varma.p else np.zeros(0))
    parts.append(np.hstack(varma.ma).ravel() if varma.q else np.zeros(0))
    parts.append(varma.exog[0].ravel() if varma.exog else np.zeros(0))
    parts.append(L[np.tril_indices(m)])
    return np.concatenate(parts)


def from_statsmodels(results_or_model: Any, params: ArrayLike | None = None) -> VARMA:
    """The VARMA of a statsmodels ``VARMAX`` model (or fitted results) at given parameters.

    Parameters
    ----------
    results_or_model : VARMAXResults or VARMAX
        A fitted result (its ``params`` are used unless ``params`` is given) or a model.
    params : array_like, shape (k_params,), optional
        Constrained parameters in statsmodels' order (as for ``loglike(params)``); required with a model.

    Returns
    -------
    VARMA
        With ``Sigma = L L^T`` from the Cholesky parameters (or the diagonal for
        ``error_cov_type="diagonal"``).

    Raises
    ------
    TypeError
        If the object is not a VARMAX model or results, or ``params`` is missing for a model.
    ValueError
        If the model has measurement error, a non-constant trend, or ``params`` has the wrong length.
    """
    from statsmodels.tsa.statespace.varmax import VARMAX

    model = getattr(results_or_model, "model", results_or_model)
    if not isinstance(model, VARMAX):
        raise TypeError(
            f"results_or_model must be a statsmodels VARMAX model or its results; got {type(results_or_model).__name__}"
        )
    if params is None:
        if model is results_or_model:
            raise TypeError("params is required when a VARMAX model (not a fitted result) is given")
        params = results_or_model.params
    theta = v.as_float_array("params", params)
    if theta.shape != (model.k_params,):
        raise v.DimensionError(
            f"params must have shape ({model.k_params},) for this VARMAX; got {v.shape_str(theta.shape)}"
        )
    if model.measurement_error:
        raise ValueError("VARMAX with measurement_error=True adds observation noise, which a VARMA does not have")
    if model.k_trend > 1 or (model.k_trend == 1 and not model._trend_is_const):
        raise ValueError(f"only trend='c' or 'n' maps to a VARMA intercept; this model has trend={model.trend!r}")
    m, p, q, k = model.k_endog, model.k_ar, model.k_ma, model.k_exog
    pos = 0

    def take(size: int) -> np.ndarray:
        nonlocal pos
        out = theta[pos : pos + size]
        pos += size
        return out

    c = take(m) if model.k_trend else np.zeros(m)
    ar = take(m * m * p).reshape(m, m * p)
    ma = take(m * m * q).reshape(m, m * q)
    B = take(m * k).reshape(m, k)
    if model.error_cov_type == "diagonal":
        sigma = np.diag(take(m))
    else:
        L = np.zeros((m, m))
        L[np.tril_indices(m)] = take(m * (m + 1) // 2)
        sigma = L @ L.T
    return VARMA(
        ar=[ar[:, i * m : (i + 1) * m] for i in range(p)],
        ma=[ma[:, j * m : (j + 1) * m] for j in range(q)],
        sigma=sigma,
        intercept=c,
        exog=B if k else None,
    )
