"""rnnss: recurrent neural networks as state-space systems, analysed with the exact tools of control and estimation."""

# Every public name is importable from ``rnnss``; the package layout (rnnss.kalman, rnnss.fit, ...) is the
# table of contents, not the API.

from . import (
    cells,
    certificates,
    continuous,
    datafiles,
    discretize,
    dynamics,
    echelon,
    embedding,
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
    simulation,
    snr,
    spectra,
    steering,
    structure,
    systems,
    training,
    varma,
    varma_rnn,
)
from ._version import __version__
from .cells import *  # noqa: F403
from .certificates import *  # noqa: F403
from .continuous import *  # noqa: F403
from .datafiles import *  # noqa: F403
from .discretize import *  # noqa: F403
from .dynamics import *  # noqa: F403
from .echelon import *  # noqa: F403
from .embedding import *  # noqa: F403
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
from .simulation import *  # noqa: F403
from .snr import *  # noqa: F403
from .spectra import *  # noqa: F403
from .steering import *  # noqa: F403
from .structure import *  # noqa: F403
from .systems import *  # noqa: F403
from .training import *  # noqa: F403
from .varma import *  # noqa: F403
from .varma_rnn import *  # noqa: F403

_MODULES = (
    linear,
    simulation,
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
    certificates,
    continuous,
    systems,
    embedding,
    memory,
    training,
    hmm,
    nonlinear_filters,
    io,
    datafiles,
    exceptions,
)
__all__ = [name for mod in _MODULES for name in mod.__all__]

# Names of the previous release, kept working for one more with a DeprecationWarning (not in __all__).
_DEPRECATED = {
    "simulate_varma": (varma.simulate_varma, "rnnss.simulate(varma, ...).y", ""),
    "simulate_noisy": (nonlinear_filters.simulate_noisy, "rnnss.simulate(model, ...)", ""),
    "hmm_sample": (hmm.algorithms.hmm_sample, "rnnss.simulate(hmm, ...)", ""),
}


def __getattr__(name: str):
    if name in _DEPRECATED:
        from ._deprecation import deprecated_alias

        func, new, note = _DEPRECATED[name]
        return deprecated_alias(func, name, new, note)
    raise AttributeError(f"module 'rnnss' has no attribute {name!r}")
