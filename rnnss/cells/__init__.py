"""Nonlinear recurrent cells on the common ``Cell`` protocol, driven by ``scan``."""

from .base import Cell, numerical_jacobian, scan
from .bidirectional import Bidirectional, bidirectional_scan
from .ctrnn import CTRNN, EulerCTRNNCell
from .elman import ACTIVATIONS, ElmanCell
from .gru import GRUCell, TorchGRUCell
from .init import random_cell, random_orthogonal, step_fan_in
from .leaky import LeakyCell
from .lstm import LSTMCell
from .noisy import NoisyCell

__all__ = [
    "Cell",
    "scan",
    "numerical_jacobian",
    "ElmanCell",
    "LeakyCell",
    "LSTMCell",
    "GRUCell",
    "TorchGRUCell",
    "ACTIVATIONS",
    "Bidirectional",
    "bidirectional_scan",
    "step_fan_in",
    "random_orthogonal",
    "random_cell",
    "NoisyCell",
    "CTRNN",
    "EulerCTRNNCell",
]
