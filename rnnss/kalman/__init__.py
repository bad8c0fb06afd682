"""The Kalman family: filter, smoother, steady state, their RNN forms, the exact score, verification."""

from .filter import FilterResult, kalman_filter
from .rnn import SmootherRNN, kalman_rnn, smoother_rnn
from .score import LoglikGradient, loglik_gradient
from .smoother import SmootherResult, rts_smoother
from .steady import SteadyState, steady_state
from .verify import EquivalenceReport, verify_kalman_equivalence

__all__ = [
    "FilterResult",
    "SmootherResult",
    "SteadyState",
    "SmootherRNN",
    "EquivalenceReport",
    "LoglikGradient",
    "kalman_filter",
    "rts_smoother",
    "steady_state",
    "kalman_rnn",
    "smoother_rnn",
    "loglik_gradient",
    "verify_kalman_equivalence",
]
