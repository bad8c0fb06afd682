"""Bridges to python-control, scipy, statsmodels, hmmlearn and peer filters; each imports its library on call."""

from . import peers  # noqa: F401  (registers the Kalman peers with the equivalence report)
from .control import from_dlti, from_statespace, to_dlti, to_statespace
from .hmmlearn import from_hmmlearn, to_hmmlearn
from .statsmodels import from_statsmodels, to_statsmodels_params

__all__ = [
    "to_statespace",
    "from_statespace",
    "to_dlti",
    "from_dlti",
    "to_statsmodels_params",
    "from_statsmodels",
    "to_hmmlearn",
    "from_hmmlearn",
]
