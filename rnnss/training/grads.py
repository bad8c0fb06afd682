"""Exact gradients by backpropagation through time: the adjoint recursion of ``scan`` for every trainable cell."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate as v
from .._engine import resolve_engine
from ..cells.base import Cell
from ..cells.bidirectional import Bidirectional
from ..cells.elman import ElmanCell
from ..cells.gru import GRUCell, TorchGRUCell
from ..cells.leaky import LeakyCell
from ..cells.lstm import LSTMCell
from ..exceptions import NumericalError
from . import _kernels
from .data import SequenceData
from .losses import apply_loss
from .readout import LinearReadout

__all__ = ["bptt", "CellGradient", "loss_and_grad", "LossGradient", "predict", "evaluate_loss"]

# Codes of the named activations inside the kernels (see _kernels.py).
_ACTIVATION_CODES = {"tanh": 0, "relu": 1, "sigmoid": 2, "identity": 3}

# The trainable parameters of each cell type, in the order gradients are listed and flattened.
_FIELDS = {
    ElmanCell: ("W", "U", "b"),
    LeakyCell: ("W", "U", "b"),
    LSTMCell: ("W", "U", "b"),
    GRUCell: ("W", "U", "b"),
    TorchGRUCell: ("W", "U", "b", "b_h"),
}


def trainable_fields(cell: Cell) -> tuple[str, ...]:
    """Names of the parameters BPTT differentiates for ``cell``; ``TypeError`` if the cell is not trainable."""
    fields = _FIELDS.get(type(cell))
    if fields is None:
        names = ", ".join(c.__name__ for c in _FIELDS)
        raise TypeError(f"cell must be one of the trainable cells ({names}); got {type(cell).__name__}")
    if isinstance(cell, (ElmanCell, LeakyCell)) and not isinstance(cell.activation, str):
        raise TypeError(
            f"cannot train a {type(cell).__name__} with a custom activation: the compiled recursions know the "
            f"named activations {', '.join(map(repr, _ACTIVATION_CODES))}"
        )
    return fields


def directions(model: Any) -> dict[str, Cell]:
    """The cells of a model by name: ``{"": cell}`` or ``{"forward": ..., "backward": ...}`` for a bidirectional pair.

    Only the two direction cells of :class:`rnnss.Bidirectional` are read, so its gradients are built
    here from the cells' own recursions.
    """
    if isinstance(model, Bidirectional):
        return {"forward": model.forward, "backward": model.backward}
    if isinstance(model, Cell):
        return {"": model}
    raise TypeError(f"model must be an rnnss cell or rnnss.Bidirectional; got {type(model).__name__}")


def hidden_size(model: Any) -> int:
    """Size of the hidden vector the read-out sees (both directions for a bidirectional pair)."""
    return sum(c.n_hidden for c in directions(model).values())


def rebuild(model: Any, params: dict[str, np.ndarray]) -> Any:
    """A new model (same type and options) with the parameters in ``params`` (keys as in :class:`LossGradient`)."""
    cells = {}
    for prefix, cell in directions(model).items():
        key = f"{prefix}." if prefix else ""
        cells[prefix] = dataclasses.replace(cell, **{f: params[key + f] for f in trainable_fields(cell)})
    if isinstance(model, Bidirectional):
        return dataclasses.replace(model, forward=cells["forward"], backward=cells["backward"])
    return cells[""]


def model_params(model: Any) -> dict[str, np.ndarray]:
    """The trainable parameters of a cell or bidirectional pair, keyed as in :class:`LossGradient`."""
    out = {}
    for prefix, cell in directions(model).items():
        key = f"{prefix}." if prefix else ""
        out.update({key + f: getattr(cell, f) for f in trainable_fields(cell)})
    return out


# =====================================================================================================
# One cell: forward pass (kept for the adjoint) and backward pass
# =====================================================================================================


def _kernels_for(engine: str) -> dict:
    return _kernels.numba_kernels if resolve_engine(engine) == "numba" else _kernels.numpy_kernels


def _c(a: np.ndarray) -> np.ndarray:
    # One memory layout for every kernel argument: numba compiles one version per layout.
    return np.ascontiguousarray(a, dtype=float)


def _project(X: np.ndarray, M: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``X M^T + b`` for time-major ``X (T, B, p)``: the input drive of every step in one product."""
    T, B, p = X.shape
    return _c((X.reshape(T * B, p) @ M.T + b).reshape(T, B, M.shape[0]))


def _forward(cell: Cell, X: np.ndarray, s0: np.ndarray, K: dict) -> dict[str, Any]:
    """Run ``cell`` over time-major inputs ``X (T, B, p)`` from states ``s0 (B, S)``; keep what the adjoint needs.

    ``cache["H"]`` holds the hidden vectors ``(T+1, B, n)`` with ``H[0] = h_0``.
    """
    n = cell.n_hidden
    with np.errstate(over="ignore", under="ignore"):
        if isinstance(cell, (ElmanCell, LeakyCell)):
            alpha = cell.alpha if isinstance(cell, LeakyCell) else 1.0
            act = _ACTIVATION_CODES[cell.activation]
            H, A = K["affine_forward"](_project(X, cell.U, cell.b), _c(cell.W.T), _c(s0), alpha, act)
            return {"H": H, "A": A, "alpha": alpha, "act": act}
        if isinstance(cell, LSTMCell):
            H, C, G = K["lstm_forward"](_project(X, cell.U, cell.b), _c(cell.W.T), _c(s0[:, :n]), _c(s0[:, n:]))
            return {"H": H, "C": C, "G": G}
        if isinstance(cell, GRUCell):
            H, G, Q = K["gru_forward"](
                _project(X, cell.U, cell.b), _c(cell.W[: 2 * n].T), _c(cell.W[2 * n :].T), _c(s0)
            )
            return {"H": H, "G": G, "Q": Q}
        H, G, GN = K["torch_gru_forward"](_project(X, cell.U, cell.b), _c(cell.W.T), _c(cell.b_h), _c(s0))
        return {"H": H, "G": G, "GN": GN}


def _states(cell: Cell, cache: dict[str, Any]) -> np.ndarray:
    """Full states ``s_1 .. s_T`` time-major ``(T, B, S)`` (``[h; c]`` for an LSTM)."""
    if isinstance(cell, LSTMCell):
        return np.concatenate([cache["H"][1:], cache["C"][1:]], axis=-1)
    return cache["H"][1:]


def _flat(a: np.ndarray) -> np.ndarray:
    """All steps and sequences as rows: ``(..., k) -> (N, k)`` (explicit N, so k = 0 inputs work)."""
    return a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


def _backward(
    cell: Cell, X: np.ndarray, cache: dict[str, Any], G: np.ndarray, cut: np.ndarray, K: dict
) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Parameter gradients, ``dL/dX (T, B, p)`` and ``dL/ds_0 (B, S)`` for state adjoints ``G = dL/ds_t (T, B, S)``.

    The kernels return the adjoints ``delta_t`` of the pre-activations; every parameter gradient is then
    one product over all steps and sequences, e.g. ``dL/dW = sum_t delta_t^T h_{t-1}``.
    """
    n = cell.n_hidden
    H = cache["H"]
    Xf, Hf = _flat(X), _flat(H[:-1])
    with np.errstate(over="ignore", under="ignore"):
        if isinstance(cell, (ElmanCell, LeakyCell)):
            D, ds0 = K["affine_backward"](_c(cell.W), cache["A"], _c(G), cache["alpha"], cache["act"], cut)
            Df = _flat(D)
            grads = {"W": Df.T @ Hf, "U": Df.T @ Xf, "b": Df.sum(axis=0)}
            dX = D @ cell.U
        elif isinstance(cell, LSTMCell):
            D, dh0, dc0 = K["lstm_backward"](_c(cell.W), cache["G"], cache["C"], _c(G[..., :n]), _c(G[..., n:]), cut)
            Df = _flat(D)
            grads = {"W": Df.T @ Hf, "U": Df.T @ Xf, "b": Df.sum(axis=0)}
            dX = D @ cell.U
            ds0 = np.concatenate([dh0, dc0], axis=-1)
        elif isinstance(cell, GRUCell):
            D, ds0 = K["gru_backward"](_c(cell.W[: 2 * n]), _c(cell.W[2 * n :]), H, cache["G"], _c(G), cut)
            Df = _flat(D)
            gW = np.concatenate([Df[:, : 2 * n].T @ Hf, Df[:, 2 * n :].T @ _flat(cache["Q"])])
            grads = {"W": gW, "U": Df.T @ Xf, "b": Df.sum(axis=0)}
            dX = D @ cell.U
        else:
            Di, Dh, ds0 = K["torch_gru_backward"](_c(cell.W), H, cache["G"], cache["GN"], _c(G), cut)
            Dif, Dhf = _flat(Di), _flat(Dh)
            grads = {"W": Dhf.T @ Hf, "U": Dif.T @ Xf, "b": Dif.sum(axis=0), "b_h": Dhf.sum(axis=0)}
            dX = Di @ cell.U
    return grads, dX, ds0


def _cuts(T: int, truncate: int | None) -> np.ndarray:
    """``cut[t]``: the state entering step ``t`` is a constant for the adjoint (steps ``T - k, T - 2k, ...``)."""
    cut = np.zeros(T, dtype=np.bool_)
    if truncate is not None:
        cut[np.arange(T) > 0] = ((T - np.arange(T)) % truncate == 0)[1:]
    return cut


def _truncate(truncate: Any) -> int | None:
    return None if truncate is None else v.as_int("truncate", truncate, minimum=1)


@dataclass(frozen=True, repr=False)
class CellGradient:
    """Gradients of a scalar loss through one run of a cell, from :func:`bptt`.

    Attributes
    ----------
    params : dict of str to ndarray
        ``dL/dW``, ``dL/dU``, ``dL/db`` (and ``dL/db_h`` for a :class:`TorchGRUCell`), keyed by the cell's
        field names, each with the shape of its field.
    inputs : ndarray, shape (T, p) or (batch, T, p)
        ``dL/dx_t``, in the layout of the inputs given.
    h0 : ndarray, shape (S,) or (batch, S)
        ``dL/ds_0``, the adjoint of the initial state.
    """

    params: dict[str, np.ndarray]
    inputs: np.ndarray
    h0: np.ndarray

    def __repr__(self) -> str:
        norms = ", ".join(f"||d{k}||={np.linalg.norm(g):.4g}" for k, g in self.params.items())
        return f"CellGradient({norms}, ||dx||={np.linalg.norm(self.inputs):.4g})"


def bptt(
    cell: Cell,
    xs: Any,
    state_grads: Any,
    *,
    h0: Any = None,
    truncate: int | None = None,
    engine: str = "auto",
) -> CellGradient:
    r"""Backpropagation through time: the gradient of a loss on the states of :func:`rnnss.scan`.

    Given the direct sensitivities ``g_t = dL/ds_t`` of a loss ``L(s_1, .., s_T)`` to the states a scan
    returns, the adjoint recursion

    .. math::

        \lambda_T = g_T, \qquad \lambda_{t-1} = g_{t-1} + (\partial s_t / \partial s_{t-1})^T \lambda_t

    gives the total derivatives ``lambda_t = dL/ds_t``, and every parameter's gradient is the sum over
    steps of its one-step sensitivity contracted with ``lambda_t``. The cost is one more pass over the
    sequence, whatever the number of parameters; the recursions are written per cell type (the
    Jacobian products are never formed).

    Parameters
    ----------
    cell : ElmanCell, LeakyCell, LSTMCell, GRUCell or TorchGRUCell
        The cell (named activations only).
    xs : array_like, shape (T, p), (T,) if p == 1, or (batch, T, p)
        Inputs ``x_1 .. x_T``.
    state_grads : array_like, shape (T, S) or (batch, T, S)
        ``dL/ds_t`` for the states ``s_1 .. s_T`` exactly as :func:`rnnss.scan` returns them (for an
        LSTM ``S = 2n``, ``[h; c]``).
    h0 : array_like, shape (S,) or (batch, S), optional
        Initial state (default zeros).
    truncate : int, optional
        Truncated BPTT: the adjoint does not flow into the states entering steps ``T - k, T - 2k, ...``
        (``k = truncate``), as if they were constants: chunks of ``k`` steps counted from the end, each
        differentiated on its own (PyTorch's ``detach()`` of the state between chunks). A loss on the last
        step then sees exactly ``k`` steps back. Default: the full gradient.
    engine : {"auto", "numba", "numpy"}
        The compiled recursions or the NumPy reference (same source); ``"auto"`` picks numba when installed.

    Returns
    -------
    CellGradient
        Gradients with respect to the parameters, the inputs and the initial state.

    Raises
    ------
    TypeError
        If the cell is not trainable (custom activation, another cell type).
    DimensionError
        If the shapes disagree.

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> cell = rnnss.ElmanCell(W=[[0.5]], U=[[1.0]], activation="identity")
    >>> g = rnnss.bptt(cell, [1.0, 0.0], [[0.0], [1.0]])  # L = h_2 = W x_1 + x_2
    >>> g.params["W"], g.inputs.ravel()  # dL/dW = x_1, dL/dx = (W, 1)
    (array([[1.]]), array([0.5, 1. ]))
    """
    fields = trainable_fields(cell)
    X, batched = v.as_sequence("xs", xs, cell.n_inputs)
    nb, T, _ = X.shape
    S = cell.state_size
    Gs = v.as_float_array("state_grads", state_grads)
    if Gs.shape not in ((T, S), (nb, T, S)) or (Gs.ndim == 2 and batched and nb != 1):
        raise v.DimensionError(f"state_grads must have shape ({T}, {S}) or ({nb}, {T}, {S}); got shape {Gs.shape}")
    v.check_finite("state_grads", Gs)
    Gs = np.broadcast_to(Gs, (nb, T, S))
    if h0 is None:
        s0 = np.zeros((nb, S))
    else:
        s0 = v.as_float_array("h0", h0)
        if s0.shape not in ((S,), (nb, S)):
            raise v.DimensionError(f"h0 must have shape ({S},) or ({nb}, {S}); got shape {s0.shape}")
        v.check_finite("h0", s0)
        s0 = np.broadcast_to(s0, (nb, S))
    cut = _cuts(T, _truncate(truncate))
    K = _kernels_for(engine)
    if nb == 0:
        grads = {f: np.zeros(getattr(cell, f).shape) for f in fields}
        dX, ds0 = np.zeros((0, T, cell.n_inputs)), np.zeros((0, S))
    else:
        Xt = _c(X.transpose(1, 0, 2))
        cache = _forward(cell, Xt, s0, K)
        grads, dXt, ds0 = _backward(cell, Xt, cache, _c(Gs.transpose(1, 0, 2)), cut, K)
        dX = dXt.transpose(1, 0, 2)
    return CellGradient({f: grads[f] for f in fields}, dX if batched else dX[0], ds0 if batched else ds0[0])


# =====================================================================================================
# A model (cell or bidirectional pair) with a read-out and a loss
# =====================================================================================================


def _check_pair(model: Any, readout: Any, data: Any) -> dict[str, Cell]:
    cells = directions(model)
    for cell in cells.values():
        trainable_fields(cell)
    v.check_instance(readout, LinearReadout, "readout")
    v.check_instance(data, SequenceData, "data")
    n = hidden_size(model)
    if readout.n_hidden != n:
        raise v.DimensionError(f"readout must read {n} hidden units (the model's); got V of shape {readout.V.shape}")
    p = next(iter(cells.values())).n_inputs
    if data.n_inputs != p:
        raise v.DimensionError(f"data.x must have p = {p} inputs (the model's); got {data.n_inputs}")
    if readout.n_outputs != data.n_outputs:
        what = "classes" if data.loss == "cross_entropy" else "outputs"
        raise v.DimensionError(
            f"readout must have {data.n_outputs} outputs (the data's {what}); got V of shape {readout.V.shape}"
        )
    return cells


def _run(cells: dict[str, Cell], X: np.ndarray, K: dict) -> tuple[dict[str, dict], np.ndarray]:
    """Forward passes of every direction over time-major ``X``; the read-out's input ``(T, B, n_total)``."""
    nb = X.shape[1]
    caches, hidden = {}, []
    for name, cell in cells.items():
        Xd = X if name != "backward" else _c(X[::-1])
        cache = _forward(cell, Xd, np.zeros((nb, cell.state_size)), K)
        finite = np.isfinite(cache["H"]).reshape(cache["H"].shape[0], -1).all(axis=1)
        if not finite.all():
            t = int(np.argmin(finite))
            raise NumericalError(
                f"the {name + ' ' if name else ''}cell's state overflowed: it is not finite after step {t} of "
                f"{X.shape[0]} (max |h| before: {np.max(np.abs(cache['H'][t - 1])):.3g}); the weights make the "
                "recurrence explode - shrink W (e.g. a spectral-norm bound) or shorten the sequences"
            )
        caches[name] = cache
        hidden.append(cache["H"][1:] if name != "backward" else cache["H"][:0:-1])
    return caches, (hidden[0] if len(hidden) == 1 else np.concatenate(hidden, axis=-1))


def _outputs(readout: LinearReadout, Hs: np.ndarray, at: str) -> np.ndarray:
    return (Hs[-1] if at == "last" else Hs) @ readout.V.T + readout.d


def _targets(data: SequenceData) -> tuple[np.ndarray, np.ndarray | None]:
    """Targets and mask in the time-major layout of the outputs."""
    if data.at == "last":
        return data.y, None
    y = np.moveaxis(data.y, 1, 0)
    return y, (None if data.mask is None else data.mask.T)


@dataclass(frozen=True, repr=False)
class LossGradient:
    """A loss and its gradient with respect to every trainable parameter, from :func:`loss_and_grad`.

    Attributes
    ----------
    loss : float
        The loss of the data under the model and read-out.
    grads : dict of str to ndarray
        Gradients keyed by parameter: the cell's ``"W"``, ``"U"``, ``"b"`` (``"b_h"`` for a
        :class:`TorchGRUCell`) and the read-out's ``"V"``, ``"d"``. For a bidirectional pair the cell
        keys are prefixed ``"forward."`` and ``"backward."``.
    """

    loss: float
    grads: dict[str, np.ndarray]

    @property
    def norm(self) -> float:
        """Euclidean norm of all gradient entries together (what clipping by norm bounds)."""
        return math.sqrt(sum(float(np.sum(g * g)) for g in self.grads.values()))

    def __repr__(self) -> str:
        return f"LossGradient(loss={self.loss:.6g}, ||grad||={self.norm:.4g}, params={list(self.grads)})"


def loss_and_grad(
    model: Any,
    readout: LinearReadout,
    data: SequenceData,
    *,
    truncate: int | None = None,
    engine: str = "auto",
) -> LossGradient:
    r"""The loss of a cell (or bidirectional pair) with a linear read-out on sequence data, and its exact gradient.

    Forward: run the cell from the zero state over every sequence, read out ``y_t = V h_t + d`` on the
    scored steps (``data.at``), and take the loss (``data.loss``, mean over scored positions). Backward:
    ``dL/dy_t`` through the read-out gives ``dL/dh_t``, and the adjoint recursion of :func:`bptt` gives
    the cell's gradients. For a :class:`rnnss.Bidirectional` pair the read-out sees ``[h^->_t; h^<-_t]``
    and each direction is differentiated along its own time (the backward cell on the reversed sequence).

    Parameters
    ----------
    model : cell or Bidirectional
        An :class:`ElmanCell` or :class:`LeakyCell` with a named activation, an :class:`LSTMCell`,
        :class:`GRUCell`, :class:`TorchGRUCell`, or a :class:`rnnss.Bidirectional` pair of them.
    readout : LinearReadout
        The read-out; ``V`` has ``data.n_outputs`` rows and as many columns as the model's hidden size.
    data : SequenceData
        Inputs, targets, loss and scored steps.
    truncate : int, optional
        Truncated BPTT with chunks of this many steps (see :func:`bptt`).
    engine : {"auto", "numba", "numpy"}
        The compiled recursions or the NumPy reference.

    Returns
    -------
    LossGradient
        The loss and the gradients keyed by parameter name.

    Raises
    ------
    TypeError
        If the model is not trainable or an argument has the wrong type.
    DimensionError
        If the model, read-out and data disagree on sizes.
    NumericalError
        If the states overflow (an exploding recurrence).

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> data = rnnss.adding_problem(8, 20, rng=0)
    >>> cell = rnnss.random_cell("lstm", 4, 2, rng=1)
    >>> res = rnnss.loss_and_grad(cell, rnnss.random_readout(4, 1, rng=2), data)
    >>> list(res.grads), res.grads["W"].shape
    (['W', 'U', 'b', 'V', 'd'], (16, 4))
    """
    cells = _check_pair(model, readout, data)
    K = _kernels_for(engine)
    cut = _cuts(data.n_steps, _truncate(truncate))
    X = _c(data.x.transpose(1, 0, 2))
    caches, Hs = _run(cells, X, K)
    Y = _outputs(readout, Hs, data.at)
    target, mask = _targets(data)
    loss, gY = apply_loss(data.loss, Y, target, mask)
    Hr = Hs[-1] if data.at == "last" else Hs
    grads: dict[str, np.ndarray] = {}
    gH = gY @ readout.V
    if data.at == "last":
        G = np.zeros(Hs.shape)
        G[-1] = gH
    else:
        G = gH
    offset = 0
    for name, cell in cells.items():
        n, S = cell.n_hidden, cell.state_size
        Gd = np.zeros(G.shape[:2] + (S,))
        Gd[..., :n] = G[..., offset : offset + n]
        offset += n
        Xd = X
        if name == "backward":
            Gd, Xd = Gd[::-1], _c(X[::-1])
        g, _, _ = _backward(cell, Xd, caches[name], _c(Gd), cut, K)
        key = f"{name}." if name else ""
        grads.update({key + f: g[f] for f in trainable_fields(cell)})
    grads["V"] = _flat(gY).T @ _flat(Hr)
    grads["d"] = _flat(gY).sum(axis=0)
    return LossGradient(loss, grads)


def predict(model: Any, readout: LinearReadout, xs: Any, *, engine: str = "auto") -> np.ndarray:
    """Read-out of a cell (or bidirectional pair) at every step: ``y_t = V h_t + d`` from the zero state.

    Parameters
    ----------
    model : cell or Bidirectional
        A trainable cell or a :class:`rnnss.Bidirectional` pair of them.
    readout : LinearReadout
        The read-out.
    xs : array_like, shape (T, p), (T,) if p == 1, or (batch, T, p)
        Input sequences.
    engine : {"auto", "numba", "numpy"}
        The compiled recursions or the NumPy reference.

    Returns
    -------
    ndarray, shape (T, m) or (batch, T, m)
        Outputs (logits for a classifier), in the layout of ``xs``.

    Raises
    ------
    TypeError
        If the model is not trainable.
    DimensionError
        If the shapes disagree.
    NumericalError
        If the states overflow (an exploding recurrence).

    Examples
    --------
    >>> import numpy as np, rnnss
    >>> cell = rnnss.ElmanCell(W=[[0.5]], U=[[1.0]], activation="identity")
    >>> rnnss.predict(cell, rnnss.LinearReadout([[2.0]]), [1.0, 0.0]).ravel()
    array([2., 1.])
    """
    cells = directions(model)
    for cell in cells.values():
        trainable_fields(cell)
    v.check_instance(readout, LinearReadout, "readout")
    if readout.n_hidden != hidden_size(model):
        raise v.DimensionError(
            f"readout must read {hidden_size(model)} hidden units (the model's); got V of shape {readout.V.shape}"
        )
    X, batched = v.as_sequence("xs", xs, next(iter(cells.values())).n_inputs)
    if X.shape[0] == 0:
        Y = np.zeros((0, X.shape[1], readout.n_outputs))
    else:
        _, Hs = _run(cells, _c(X.transpose(1, 0, 2)), _kernels_for(engine))
        Y = (Hs @ readout.V.T + readout.d).transpose(1, 0, 2)
    return Y if batched else Y[0]


def evaluate_loss(model: Any, readout: LinearReadout, data: SequenceData, *, engine: str = "auto") -> float:
    """The loss of a model with its read-out on sequence data (the forward half of :func:`loss_and_grad`).

    Parameters
    ----------
    model : cell or Bidirectional
        A trainable cell or a :class:`rnnss.Bidirectional` pair of them.
    readout : LinearReadout
        The read-out.
    data : SequenceData
        Inputs, targets, loss and scored steps.
    engine : {"auto", "numba", "numpy"}
        The compiled recursions or the NumPy reference.

    Returns
    -------
    float
        The loss (mean over the scored positions).

    Raises
    ------
    TypeError
        If the model is not trainable or an argument has the wrong type.
    DimensionError
        If the model, read-out and data disagree on sizes.
    NumericalError
        If the states overflow (an exploding recurrence).

    Examples
    --------
    >>> import rnnss
    >>> data = rnnss.adding_problem(500, 10, rng=0)
    >>> zero = rnnss.LinearReadout([[0.0, 0.0]], d=[1.0])  # predicts the constant 1
    >>> round(rnnss.evaluate_loss(rnnss.random_cell("elman", 2, 2, rng=0), zero, data), 2)
    0.17
    """
    cells = _check_pair(model, readout, data)
    _, Hs = _run(cells, _c(data.x.transpose(1, 0, 2)), _kernels_for(engine))
    target, mask = _targets(data)
    return apply_loss(data.loss, _outputs(readout, Hs, data.at), target, mask)[0]
