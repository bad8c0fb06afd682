"""rnnss: recurrent neural networks as state-space systems, analysed with the exact tools of control and estimation."""

from . import exceptions
from .exceptions import *  # noqa: F401,F403
from .io import load, save
from .linear import (
    LinearRNN,
    Modes,
    Trajectory,
    TransientGrowth,
    eigenmodes,
    fixed_point,
    impulse_response,
    is_stable,
    markov_parameters,
    random_rnn,
    simulate,
    spectral_norm,
    spectral_radius,
    stationary_covariance,
    step_response,
    transient_growth,
    unroll,
    with_stationary_prior,
)
from .kalman import (
    EquivalenceReport,
    FilterResult,
    SmootherResult,
    SmootherRNN,
    SteadyState,
    kalman_filter,
    kalman_rnn,
    rts_smoother,
    smoother_rnn,
    steady_state,
    verify_kalman_equivalence,
)
from .mse import MonteCarloMSE, MSERatio, MSESweep, ar1_mse_ratio, mse_ratio, mse_ratio_mc, mse_ratio_sweep
from .statespace import euler_max_step, from_continuous, from_dlti, from_statespace, to_dlti, to_statespace

__version__ = "0.1.0"

__all__ = [
    # models and records
    "LinearRNN",
    "Trajectory",
    "Modes",
    "TransientGrowth",
    # linear algebra of the core
    "simulate",
    "impulse_response",
    "markov_parameters",
    "step_response",
    "unroll",
    "eigenmodes",
    "spectral_radius",
    "spectral_norm",
    "transient_growth",
    "is_stable",
    "fixed_point",
    "stationary_covariance",
    "with_stationary_prior",
    "random_rnn",
    # bridges and discretisation
    "to_statespace",
    "from_statespace",
    "to_dlti",
    "from_dlti",
    "from_continuous",
    "euler_max_step",
    # Kalman filter, smoother and their RNN equivalents
    "FilterResult",
    "SmootherResult",
    "SteadyState",
    "SmootherRNN",
    "EquivalenceReport",
    "kalman_filter",
    "rts_smoother",
    "steady_state",
    "kalman_rnn",
    "smoother_rnn",
    "verify_kalman_equivalence",
    # filter vs smoother error
    "MSERatio",
    "MonteCarloMSE",
    "MSESweep",
    "mse_ratio",
    "ar1_mse_ratio",
    "mse_ratio_mc",
    "mse_ratio_sweep",
    # files
    "save",
    "load",
    # exceptions
    *exceptions.__all__,
]
