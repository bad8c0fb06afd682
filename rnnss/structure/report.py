"""The structure report: every test of controllability and observability, side by side."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from ..exceptions import NumericalError
from ..linear import LinearRNN
from .matrices import NumericalRank, controllability_matrix, numerical_rank, observability_matrix
from .pbh import PBHResult, pbh_test
from .staircase import controllability_staircase, observability_staircase

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["StructureReport", "structure_report"]


# -- the report -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StructureReport:
    """Controllability, observability, stabilisability and detectability of a LinearRNN, with margins.

    The yes/no answers come from the PBH test (:func:`pbh_test`); the ranks of the Kalman matrices and
    the staircase dimensions are reported alongside so the three methods can be compared.

    Attributes
    ----------
    source : str
        What drives the state in the controllability questions (``"input"``, ``"noise"``, ``"both"``).
    controllable : bool
        Every mode can be steered by the source.
    observable : bool
        Every mode shows in the outputs.
    stabilizable : bool
        Every mode with ``|lambda| >= 1`` can be steered.
    detectable : bool
        Every mode with ``|lambda| >= 1`` shows in the outputs.
    controllability_rank : NumericalRank or None
        Numerical rank of the Kalman matrix ``[B, WB, ..., W^{n-1}B]`` (None if its powers overflow).
    observability_rank : NumericalRank or None
        Numerical rank of ``[V; VW; ...; VW^{n-1}]``.
    reachable_dim : int
        Dimension of the reachable subspace from the staircase form.
    observable_dim : int
        Dimension of the observable subspace from the staircase form.
    controllability_margin : float
        Smallest PBH controllability margin over the modes: the relative size of the smallest
        perturbation of ``(W, B)`` found that loses a mode (an upper bound on the distance to
        uncontrollability).
    observability_margin : float
        Smallest PBH observability margin.
    uncontrollable_modes : ndarray, complex
        Distinct eigenvalues that fail the PBH controllability test.
    unobservable_modes : ndarray, complex
        Distinct eigenvalues that fail the PBH observability test.
    modes : PBHResult
        The per-mode table.
    """

    source: str
    controllable: bool
    observable: bool
    stabilizable: bool
    detectable: bool
    controllability_rank: NumericalRank | None
    observability_rank: NumericalRank | None
    reachable_dim: int
    observable_dim: int
    controllability_margin: float
    observability_margin: float
    uncontrollable_modes: np.ndarray
    unobservable_modes: np.ndarray
    modes: PBHResult

    def __str__(self) -> str:
        n = int(np.sum(self.modes.multiplicity))
        yes = lambda b: "yes" if b else "NO"  # noqa: E731
        fmt = lambda z: ", ".join(f"{x.real:.4g}{x.imag:+.4g}j" if x.imag else f"{x.real:.4g}" for x in z) or "none"  # noqa: E731

        def kalman(r: NumericalRank | None) -> str:
            return "overflow" if r is None else f"{r.rank}/{n} (margin {r.margin:.2g})"

        lines = [
            f"Structure of a LinearRNN with n = {n} hidden units (controllability from: {self.source})",
            f"  controllable : {yes(self.controllable):3}  PBH margin {self.controllability_margin:.2e}; "
            f"Kalman-matrix rank {kalman(self.controllability_rank)}; staircase: reachable dim {self.reachable_dim}",
            f"  observable   : {yes(self.observable):3}  PBH margin {self.observability_margin:.2e}; "
            f"Kalman-matrix rank {kalman(self.observability_rank)}; staircase: observable dim {self.observable_dim}",
            f"  stabilizable : {yes(self.stabilizable)}",
            f"  detectable   : {yes(self.detectable)}",
            f"  uncontrollable modes: {fmt(self.uncontrollable_modes)}",
            f"  unobservable modes  : {fmt(self.unobservable_modes)}",
        ]
        for what, r, ok, dim in (
            ("controllability", self.controllability_rank, self.controllable, self.reachable_dim),
            ("observability", self.observability_rank, self.observable, self.observable_dim),
        ):
            if r is not None and ok and r.rank < n:
                lines.append(
                    f"  note: the {what} Kalman matrix is numerically rank deficient ({r.rank} < {n}) although every "
                    f"mode passes PBH (staircase dim {dim}): its columns W^k B become nearly parallel in floating "
                    "point; trust PBH/staircase"
                )
        lines.append("Modes (margin = relative size of the smallest perturbation that loses the mode):")
        lines.append(str(self.modes))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"StructureReport(controllable={self.controllable}, observable={self.observable}, "
            f"stabilizable={self.stabilizable}, detectable={self.detectable}, source={self.source!r})"
        )


def structure_report(rnn: LinearRNN, *, source: str = "input") -> StructureReport:
    """Can we steer the hidden state, can we read it? Every structural answer with its margin.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    source : {"input", "noise", "both"}
        What drives the state in the controllability questions (``U``, ``Q^{1/2}`` or both).

    Returns
    -------
    StructureReport
        Print it for a readable summary.

    Raises
    ------
    TypeError
        If ``rnn`` is not a LinearRNN.
    ValueError
        If ``source`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> from rnnss import structure_report
    >>> rep = structure_report(rnnss.LinearRNN(W=[[0.9, 0.0], [0.0, 0.5]], U=[[1.0], [1.0]], V=[[1.0, 0.0]]))
    >>> rep.controllable, rep.observable, rep.detectable, rep.unobservable_modes.real
    (True, False, True, array([0.5]))
    """
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    pbh = pbh_test(rnn, source=source)

    def kalman(build: Any) -> NumericalRank | None:
        try:
            return numerical_rank(build())
        except NumericalError:
            return None

    unstable = ~pbh.stable
    return StructureReport(
        source=source,
        controllable=bool(np.all(pbh.controllable)),
        observable=bool(np.all(pbh.observable)),
        stabilizable=bool(np.all(pbh.controllable[unstable])),
        detectable=bool(np.all(pbh.observable[unstable])),
        controllability_rank=kalman(lambda: controllability_matrix(rnn, source=source)),
        observability_rank=kalman(lambda: observability_matrix(rnn)),
        reachable_dim=controllability_staircase(rnn, source=source).dim,
        observable_dim=observability_staircase(rnn).dim,
        controllability_margin=float(np.min(pbh.controllability_margin)),
        observability_margin=float(np.min(pbh.observability_margin)),
        uncontrollable_modes=pbh.eigenvalues[~pbh.controllable],
        unobservable_modes=pbh.eigenvalues[~pbh.observable],
        modes=pbh,
    )
