"""Controllability and observability: Kalman matrices, numerical rank, PBH, staircase forms, Gramians, report."""

from .gramians import controllability_gramian, hankel_singular_values, observability_gramian
from .matrices import NumericalRank, controllability_matrix, numerical_rank, observability_matrix
from .pbh import PBHResult, is_controllable, is_detectable, is_observable, is_stabilizable, pbh_test
from .report import StructureReport, structure_report
from .staircase import StaircaseForm, controllability_staircase, observability_staircase

__all__ = [
    "NumericalRank",
    "PBHResult",
    "StaircaseForm",
    "StructureReport",
    "controllability_matrix",
    "observability_matrix",
    "numerical_rank",
    "pbh_test",
    "controllability_staircase",
    "observability_staircase",
    "is_controllable",
    "is_observable",
    "is_stabilizable",
    "is_detectable",
    "structure_report",
    "controllability_gramian",
    "observability_gramian",
    "hankel_singular_values",
]
