"""Bridges to python-control and scipy.signal state-space systems, exact both ways (biases as a constant input)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .. import _validate as v
from ..linear import LinearRNN

if TYPE_CHECKING:  # pragma: no cover
    from numpy.typing import ArrayLike

__all__ = ["to_statespace", "from_statespace", "to_dlti", "from_dlti"]

_CONVENTION = """
    Index convention: the state-space system is ``s[k+1] = A s[k] + B u[k]``, ``y[k] = C s[k] + D u[k]``
    with ``A = W``, ``B = U``, ``C = V``, ``D = 0`` and ``s[k] = h_k``. Because the RNN's input acts in the
    step it arrives, ``u[k] = x_{k+1}``: feed the RNN inputs shifted one sample earlier to reproduce
    :func:`rnnss.simulate` (states ``s[1..T]`` are ``h_1..h_T``). The biases ride on an extra constant
    input ``u = 1`` (last column: ``B[:, -1] = b``, ``D[:, -1] = d``). Noise covariances are not part
    of a state-space object and are dropped.
"""


def _documented(func):
    """Insert the shared index-convention note into a docstring."""
    func.__doc__ = func.__doc__.replace("{convention}", _CONVENTION.strip())
    return func


def _matrices(rnn: LinearRNN, bias_input: bool | None) -> tuple[np.ndarray, ...]:
    rnn = v.check_instance(rnn, LinearRNN, "rnn")
    if bias_input is None:
        bias_input = rnn.has_bias
    elif not bias_input and rnn.has_bias:
        raise ValueError(
            "bias_input=False would drop the non-zero biases b, d; pass bias_input=True (or None) to keep "
            "them as a constant input"
        )
    B, D = rnn.U, np.zeros((rnn.n_outputs, rnn.n_inputs))
    if bias_input:
        B, D = np.column_stack([B, rnn.b]), np.column_stack([D, rnn.d])
    return rnn.W.copy(), B, rnn.V.copy(), D


@_documented
def to_statespace(rnn: LinearRNN, *, bias_input: bool | None = None) -> Any:
    """The network as a discrete-time python-control ``StateSpace`` with ``dt = rnn.dt``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    bias_input : bool, optional
        Append a constant input carrying ``b`` and ``d``. Default: only when a bias is non-zero.

    Returns
    -------
    control.StateSpace
        With ``A = W`` (n, n), ``B = U`` (n, p) or ``[U, b]`` (n, p+1), ``C = V`` (m, n) and
        ``D = 0`` or ``[0, d]``.

    Raises
    ------
    ValueError
        If ``bias_input=False`` while a bias is non-zero, or for a system with no input at all when
        ``n`` or ``m`` is 1 (python-control cannot hold a 1x0 ``B`` or ``D``; use ``bias_input=True``).

    Notes
    -----
    {convention}
    Examples
    --------
    >>> import rnnss
    >>> sys = rnnss.to_statespace(rnnss.LinearRNN(W=0.5, U=[[1.0]]))
    >>> sys.A, sys.B
    (array([[0.5]]), array([[1.]]))
    """
    bias_input = v.as_bool("bias_input", bias_input, allow_none=True)
    import control

    A, B, C, D = _matrices(rnn, bias_input)
    if B.shape[1] == 0 and 1 in (A.shape[0], C.shape[0]):
        # python-control 0.10 reads a 1x0 B or D as 0x0 and refuses it.
        raise ValueError(
            "python-control cannot represent a system with no input when n or m is 1; pass bias_input=True"
        )
    return control.StateSpace(A, B, C, D, rnn.dt)


@_documented
def to_dlti(rnn: LinearRNN, *, bias_input: bool | None = None) -> Any:
    """The network as a ``scipy.signal`` discrete-time ``StateSpace`` (a ``dlti``) with ``dt = rnn.dt``.

    Parameters
    ----------
    rnn : LinearRNN
        The network.
    bias_input : bool, optional
        Append a constant input carrying ``b`` and ``d``. Default: only when a bias is non-zero.

    Returns
    -------
    scipy.signal.StateSpace
        Discrete, ``A = W``, ``B = U`` (or ``[U, b]``), ``C = V``, ``D = 0`` (or ``[0, d]``).

    Raises
    ------
    ValueError
        If ``bias_input=False`` while a bias is non-zero.

    Notes
    -----
    {convention}
    """
    bias_input = v.as_bool("bias_input", bias_input, allow_none=True)
    import scipy.signal

    A, B, C, D = _matrices(rnn, bias_input)
    return scipy.signal.StateSpace(A, B, C, D, dt=rnn.dt)


def _from_abcd(A: Any, B: Any, C: Any, D: Any, dt: float, bias_input: bool, source: str, noise: dict) -> LinearRNN:
    A, C = np.asarray(A, float), np.asarray(C, float)
    B = np.asarray(B, float).reshape(A.shape[0], -1)
    D = np.asarray(D, float).reshape(C.shape[0], -1)
    U, b, d = B, None, None
    if bias_input:
        if B.shape[1] < 1:
            raise ValueError(f"bias_input=True needs at least one input column in the {source}; it has none")
        U, b, d, D = B[:, :-1], B[:, -1], D[:, -1], D[:, :-1]
    if np.any(D):
        raise ValueError(
            f"the {source} has a direct feed-through D != 0 (max |D| = {np.max(np.abs(D)):.3g}); a LinearRNN "
            "has none (y_t = V h_t + d). Only the constant-input column may be non-zero (bias_input=True)."
        )
    return LinearRNN(W=A, U=U, b=b, V=C, d=d, dt=dt, **noise)


def _dt(dt: Any, source: str) -> float:
    if dt is True:  # python-control's "discrete, unspecified sampling time"
        return 1.0
    if dt is None or dt is False or dt == 0:
        raise ValueError(f"the {source} is continuous-time (dt = {dt!r}); discretise it with rnnss.from_continuous")
    return v.as_float("dt", dt, positive=True)


@_documented
def from_statespace(
    sys: Any,
    *,
    bias_input: bool = False,
    Q: ArrayLike | None = None,
    R: ArrayLike | None = None,
    h0: ArrayLike | None = None,
    P0: ArrayLike | None = None,
) -> LinearRNN:
    """A LinearRNN from a discrete-time python-control ``StateSpace`` (the inverse of :func:`to_statespace`).

    Parameters
    ----------
    sys : control.StateSpace
        Discrete-time system (``dt=True`` is read as ``dt = 1``).
    bias_input : bool, default False
        Read the last input as the constant ``u = 1`` carrying ``b`` (``B[:, -1]``) and ``d`` (``D[:, -1]``).
    Q, R, h0, P0 : array_like, optional
        Noise covariances and prior, which a state-space object does not hold (see :class:`LinearRNN`).

    Returns
    -------
    LinearRNN
        ``W = A``, ``U = B``, ``V = C`` with ``dt`` taken from the system.

    Raises
    ------
    TypeError
        If ``sys`` is not a python-control ``StateSpace``.
    ValueError
        If the system is continuous-time or has a non-zero feed-through ``D``.

    Notes
    -----
    {convention}
    """
    bias_input = v.as_bool("bias_input", bias_input, allow_none=False)
    import control

    if not isinstance(sys, control.StateSpace):
        raise TypeError(f"sys must be a control.StateSpace; got {type(sys).__name__} (convert with control.ss)")
    noise = {k: val for k, val in dict(Q=Q, R=R, h0=h0, P0=P0).items() if val is not None}
    return _from_abcd(sys.A, sys.B, sys.C, sys.D, _dt(sys.dt, "StateSpace"), bias_input, "StateSpace", noise)


@_documented
def from_dlti(
    sys: Any,
    *,
    bias_input: bool = False,
    Q: ArrayLike | None = None,
    R: ArrayLike | None = None,
    h0: ArrayLike | None = None,
    P0: ArrayLike | None = None,
) -> LinearRNN:
    """A LinearRNN from a discrete ``scipy.signal`` LTI system (the inverse of :func:`to_dlti`).

    Parameters
    ----------
    sys : scipy.signal.dlti
        A discrete system in any representation (transfer functions are realised by scipy).
    bias_input : bool, default False
        Read the last input as the constant carrying ``b`` and ``d``.
    Q, R, h0, P0 : array_like, optional
        Noise covariances and prior.

    Returns
    -------
    LinearRNN
        ``W = A``, ``U = B``, ``V = C``, ``dt = sys.dt``.

    Raises
    ------
    TypeError
        If ``sys`` is not a scipy LTI system.
    ValueError
        If the system is continuous-time or has a non-zero feed-through ``D``.

    Notes
    -----
    {convention}
    """
    bias_input = v.as_bool("bias_input", bias_input, allow_none=False)
    import scipy.signal

    if not isinstance(sys, scipy.signal.lti.__mro__[1]):  # LinearTimeInvariant, the common base
        raise TypeError(f"sys must be a scipy.signal LTI system; got {type(sys).__name__}")
    if not isinstance(sys, scipy.signal.dlti):
        raise ValueError("sys is a continuous-time scipy system; discretise it with rnnss.from_continuous")
    ss = sys.to_ss()
    noise = {k: val for k, val in dict(Q=Q, R=R, h0=h0, P0=P0).items() if val is not None}
    return _from_abcd(ss.A, ss.B, ss.C, ss.D, _dt(ss.dt, "scipy system"), bias_input, "scipy system", noise)
