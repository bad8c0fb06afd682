"""rnnss: recurrent neural networks as state-space systems, analysed with the exact tools of control and estimation."""

# Every public name is importable from ``rnnss``; the package layout (rnnss.kalman, rnnss.fit, ...) is the
# table of contents, not the API.

from . import (
    cells,
    discretize,
    dynamics,
    echelon,
    exceptions,
    fit,
    frequency,
    hmm,
    interop,
    io,
    kalman,
    kronecker,
    linear,
    memory,
    mse,
    nonlinear_filters,
    plot,
    realization,
    snr,
    spectra,
    steering,
    structure,
    varma,
    varma_rnn,
)
from .cells import *  # noqa: F403
from .discretize import *  # noqa: F403
from .dynamics import *  # noqa: F403
from .echelon import *  # noqa: F403
from .exceptions import *  # noqa: F403
from .fit import *  # noqa: F403
from .frequency import *  # noqa: F403
from .hmm import *  # noqa: F403
from .interop import *  # noqa: F403
from .io import *  # noqa: F403
from .kalman import *  # noqa: F403
from .kronecker import *  # noqa: F403
from .linear import *  # noqa: F403
from .memory import *  # noqa: F403
from .mse import *  # noqa: F403
from .nonlinear_filters import *  # noqa: F403
from .realization import *  # noqa: F403
from .snr import *  # noqa: F403
from .spectra import *  # noqa: F403
from .steering import *  # noqa: F403
from .structure import *  # noqa: F403
from .varma import *  # noqa: F403
from .varma_rnn import *  # noqa: F403

__version__ = "0.1.0"

_MODULES = (
    linear,
    discretize,
    interop,
    structure,
    realization,
    steering,
    kalman,
    mse,
    varma,
    echelon,
    kronecker,
    varma_rnn,
    fit,
    frequency,
    spectra,
    snr,
    cells,
    dynamics,
    memory,
    hmm,
    nonlinear_filters,
    io,
    exceptions,
)
_CELL_INTERNALS = {"numerical_jacobian", "ACTIVATIONS"}

__all__ = [name for mod in _MODULES for name in mod.__all__ if name not in _CELL_INTERNALS]
