"""Identification: exact-likelihood fits of linear RNNs and VARMA-equivalent RNNs, on one driver."""

from .driver import FitReport
from .functions import fit_linear_rnn, fit_varma_rnn

__all__ = ["FitReport", "fit_linear_rnn", "fit_varma_rnn"]
