"""Nonlinear recurrent cells on the common ``Cell`` protocol, driven by ``scan``."""

from .base import Cell, numerical_jacobian, scan

__all__ = ["Cell", "scan", "numerical_jacobian"]
