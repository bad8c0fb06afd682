"""``train``: fit a cell and its read-out by BPTT with Adam or L-BFGS, and the record of the training curve."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.optimize

from .. import _validate as v
from .._progress import progress_bar
from ..exceptions import NumericalError
from ..memory import clip_by_norm
from .data import SequenceData
from .grads import _check_pair, directions, evaluate_loss, hidden_size, loss_and_grad, model_params, predict, rebuild
from .optim import Adam, clip_spectral_norm
from .readout import LinearReadout, random_readout

__all__ = ["train", "TrainingResult"]

_OPTIMIZERS = ("adam", "lbfgs")
_DEFAULT_VALIDATION = 256


@dataclass(frozen=True, repr=False)
class TrainingResult:
    """The outcome of :func:`train`: the trained model and read-out, and the training curve.

    Attributes
    ----------
    cell : cell or Bidirectional
        The trained model: a frozen cell of the type given (same activation, leak, ...), so every
        analysis (:func:`rnnss.fixed_points`, :func:`rnnss.lyapunov_exponents`,
        :func:`rnnss.jacobian_products`, :func:`rnnss.linearize`) and :func:`rnnss.save` apply to it.
    readout : LinearReadout
        The trained read-out.
    loss : ndarray, shape (iterations,)
        Training loss at each iteration, before its update (Adam: on that iteration's mini-batch; L-BFGS:
        on the whole training set).
    grad_norm : ndarray, shape (iterations,)
        Norm of the full gradient at each iteration, before clipping.
    validation_steps : ndarray of int, shape (k,)
        Iterations after which the validation loss was measured (0 = before training).
    validation_loss : ndarray, shape (k,)
        Validation loss at those iterations (empty without validation data).
    baseline : float or None
        The loss of the best input-ignoring prediction of the task, if the data carry it.
    optimizer : str
        ``"adam"`` or ``"lbfgs"``.
    seconds : float
        Wall-clock time of the run.
    message : str
        How the run ended.
    """

    cell: Any
    readout: LinearReadout
    loss: np.ndarray
    grad_norm: np.ndarray
    validation_steps: np.ndarray
    validation_loss: np.ndarray
    baseline: float | None
    optimizer: str
    seconds: float
    message: str

    @property
    def iterations(self) -> int:
        """Number of optimiser iterations run."""
        return int(self.loss.size)

    @property
    def final_validation_loss(self) -> float | None:
        """Validation loss of the trained model (None without validation data)."""
        return float(self.validation_loss[-1]) if self.validation_loss.size else None

    @property
    def relative_loss(self) -> float | None:
        """Final validation loss divided by the baseline (None if either is unknown): below 1 means learnt."""
        val = self.final_validation_loss
        return None if val is None or not self.baseline else val / self.baseline

    def predict(self, xs: Any) -> np.ndarray:
        """Outputs of the trained model at every step; see :func:`rnnss.predict`.

        Parameters
        ----------
        xs : array_like, shape (T, p) or (batch, T, p)
            Input sequences.

        Returns
        -------
        ndarray, shape (T, m) or (batch, T, m)
            Read-out values.
        """
        return predict(self.cell, self.readout, xs)

    def __repr__(self) -> str:
        val = self.final_validation_loss
        rel = self.relative_loss
        tail = "" if val is None else f", validation {val:.4g}" + ("" if rel is None else f" ({rel:.1%} of baseline)")
        return (
            f"TrainingResult({type(self.cell).__name__}, {self.optimizer}, {self.iterations} iterations, "
            f"final loss {self.loss[-1] if self.loss.size else float('nan'):.4g}{tail})"
        )

    def summary(self) -> str:
        """A readable account of the run: model, optimiser, losses against the baseline, time.

        Returns
        -------
        str
            Several lines of text.
        """
        lines = [
            f"Training of {self.cell!r}",
            f"  read-out:   {self.readout!r}",
            f"  optimiser:  {self.optimizer}, {self.iterations} iterations in {self.seconds:.2f} s ({self.message})",
        ]
        if self.loss.size:
            k = max(1, self.loss.size // 10)
            lines.append(f"  train loss: first {self.loss[0]:.5g}, mean of last {k} {np.mean(self.loss[-k:]):.5g}")
        if self.validation_loss.size:
            lines.append(
                f"  validation: start {self.validation_loss[0]:.5g}, best {np.min(self.validation_loss):.5g}, "
                f"final {self.validation_loss[-1]:.5g}"
            )
        if self.baseline is not None:
            rel = self.relative_loss
            lines.append(
                f"  baseline:   {self.baseline:.5g} (best input-ignoring prediction)"
                + ("" if rel is None else f"; final validation = {rel:.2%} of it")
            )
        return "\n".join(lines)


def _sampler(data: Any) -> tuple[SequenceData | None, Callable[..., SequenceData] | None]:
    if isinstance(data, SequenceData):
        return data, None
    if callable(data):
        return None, data
    raise TypeError(
        "data must be rnnss.SequenceData or a task: a callable (n_sequences, *, rng) -> SequenceData such as "
        f"functools.partial(rnnss.adding_problem, T=100); got {type(data).__name__}"
    )


def _draw(task: Callable[..., SequenceData], n: int, rng: np.random.Generator, what: str) -> SequenceData:
    out = task(n, rng=rng)
    if not isinstance(out, SequenceData):
        raise TypeError(f"the task must return rnnss.SequenceData for the {what}; got {type(out).__name__}")
    return out


def _constrain(params: dict[str, np.ndarray], model: Any, max_norm: float) -> dict[str, np.ndarray]:
    """Project every ``(n, n)`` recurrent block of every ``W`` onto the spectral-norm ball."""
    out = dict(params)
    for prefix, cell in directions(model).items():
        key = f"{prefix}.W" if prefix else "W"
        n = cell.n_hidden
        W = params[key]
        out[key] = np.vstack([clip_spectral_norm(W[i : i + n], max_norm) for i in range(0, W.shape[0], n)])
    return out


def _split(params: dict[str, np.ndarray], model: Any) -> tuple[Any, LinearReadout]:
    try:
        return rebuild(model, params), LinearReadout(params["V"], params["d"])
    except ValueError as exc:  # non-finite weights after an update
        raise NumericalError(f"training diverged: the parameters are no longer finite ({exc}); {_ADVICE}") from None


_ADVICE = "lower learning_rate, set clip to a gradient norm (e.g. 1.0) or bound W with spectral_norm"


def _step_gradient(model: Any, readout: LinearReadout, batch: SequenceData, k: int, **kwargs: Any) -> Any:
    """``loss_and_grad`` of iteration ``k``; a numerical failure names the iteration and what to change."""
    try:
        lg = loss_and_grad(model, readout, batch, **kwargs)
    except NumericalError as exc:
        raise NumericalError(f"training diverged at iteration {k + 1}: {exc}; or {_ADVICE}") from None
    if not (np.isfinite(lg.loss) and np.isfinite(lg.norm)):
        raise NumericalError(
            f"training diverged at iteration {k + 1}: the loss is {lg.loss:.4g} and the gradient norm {lg.norm:.4g}; "
            + _ADVICE
        )
    return lg


def train(
    model: Any,
    data: Any,
    *,
    readout: LinearReadout | None = None,
    validation: Any = None,
    optimizer: str = "adam",
    steps: int = 1000,
    batch_size: int = 32,
    learning_rate: float | None = None,
    clip: float | None = None,
    truncate: int | None = None,
    spectral_norm: float | None = None,
    eval_every: int | None = None,
    engine: str = "auto",
    rng: Any = None,
    progress: bool | None = None,
) -> TrainingResult:
    r"""Train a cell (or bidirectional pair) and a linear read-out by backpropagation through time.

    The loss is the data's (:class:`SequenceData`: MSE or cross-entropy, on the last step or every
    step); gradients are exact (:func:`loss_and_grad`). The model keeps its type and fixed options (the
    activation of an Elman cell, the leak of a leaky cell); ``W``, ``U``, ``b`` (and ``b_h`` of a
    :class:`TorchGRUCell`) and the read-out's ``V``, ``d`` are trained. Initial states are zero.

    * ``optimizer="adam"``: ``steps`` Adam iterations on mini-batches of ``batch_size`` sequences -
      shuffled passes over fixed data, or fresh sequences from a task at every iteration - with optional
      gradient clipping by global norm (:func:`rnnss.clip_by_norm`) and a spectral-norm bound on every
      ``(n, n)`` recurrent block (:func:`clip_spectral_norm` after each step).
    * ``optimizer="lbfgs"``: scipy's L-BFGS-B on the full training set (for a task, one sample of
      ``batch_size`` sequences), at most ``steps`` iterations; a deterministic objective, so no clipping
      or projection.

    Parameters
    ----------
    model : cell or Bidirectional
        The starting point, e.g. from :func:`rnnss.random_cell`: an :class:`ElmanCell` or
        :class:`LeakyCell` with a named activation, an :class:`LSTMCell`, :class:`GRUCell`,
        :class:`TorchGRUCell`, or a :class:`rnnss.Bidirectional` pair of them.
    data : SequenceData or callable
        Training data, or a task: a callable ``task(n_sequences, *, rng) -> SequenceData`` such as
        ``functools.partial(rnnss.adding_problem, T=100)``.
    readout : LinearReadout, optional
        Starting read-out (default :func:`random_readout`).
    validation : SequenceData or int, optional
        Validation data, or with a task the number of validation sequences to draw (default 256 for a
        task, none for fixed data).
    optimizer : {"adam", "lbfgs"}
        The optimiser.
    steps : int, default 1000
        Iterations (Adam) or the iteration limit (L-BFGS).
    batch_size : int, default 32
        Sequences per Adam mini-batch (at most all of fixed data); with a task also the size of L-BFGS's
        training sample.
    learning_rate : float, optional
        Adam's step size (default 1e-3).
    clip : float, optional
        Clip the gradient to this global norm before each Adam step.
    truncate : int, optional
        Truncated BPTT in chunks of this many steps (see :func:`bptt`).
    spectral_norm : float, optional
        Keep ``||W_block||_2 <= spectral_norm`` for every recurrent block (Adam only); the starting
        weights are projected too.
    eval_every : int, optional
        Iterations between validation losses (default ``max(1, steps // 20)``).
    engine : {"auto", "numba", "numpy"}
        The compiled recursions or the NumPy reference.
    rng : numpy.random.Generator or int, optional
        Random source of the read-out initialisation, the mini-batches and the task's sequences: a fixed
        seed gives the same run.
    progress : bool, optional
        Show a progress bar (default: only on a terminal).

    Returns
    -------
    TrainingResult
        The trained model and read-out with the loss history.

    Raises
    ------
    TypeError
        If the model is not trainable or ``data`` is neither data nor a task.
    DimensionError
        If the model, read-out and data disagree on sizes.
    ValueError
        If an option is out of range or does not apply to the optimiser.
    NumericalError
        If the loss or gradient stops being finite (with what to change).

    Examples
    --------
    >>> import functools, rnnss
    >>> task = functools.partial(rnnss.adding_problem, T=10)
    >>> cell = rnnss.random_cell("lstm", 4, 2, rng=0)
    >>> res = rnnss.train(cell, task, steps=50, learning_rate=1e-2, rng=0)
    >>> res.iterations, type(res.cell).__name__, bool(res.validation_loss[-1] < res.validation_loss[0])
    (50, 'LSTMCell', True)
    """
    cells = directions(model)
    fixed, task = _sampler(data)
    optimizer = v.as_choice("optimizer", optimizer, _OPTIMIZERS)
    steps = v.as_int("steps", steps, minimum=1)
    batch_size = v.as_int("batch_size", batch_size, minimum=1)
    lr = 1e-3 if learning_rate is None else v.as_float("learning_rate", learning_rate, positive=True)
    clip = None if clip is None else v.as_float("clip", clip, positive=True)
    spectral_norm = None if spectral_norm is None else v.as_float("spectral_norm", spectral_norm, positive=True)
    eval_every = max(1, steps // 20) if eval_every is None else v.as_int("eval_every", eval_every, minimum=1)
    progress = v.as_bool("progress", progress, allow_none=True)
    if optimizer == "lbfgs" and (clip is not None or spectral_norm is not None):
        raise ValueError("clip and spectral_norm apply to optimizer='adam' only (L-BFGS takes exact full steps)")
    if optimizer == "lbfgs" and learning_rate is not None:
        raise ValueError("learning_rate applies to optimizer='adam' only (L-BFGS chooses its steps by line search)")
    gen = v.as_rng(rng)
    seeds = gen.integers(0, 2**63 - 1, size=3)
    init_rng, batch_rng, val_rng = (np.random.default_rng(s) for s in seeds)

    if task is not None:
        n_val = _DEFAULT_VALIDATION if validation is None else validation
        if isinstance(n_val, SequenceData):
            val_data = n_val
        else:
            val_data = _draw(task, v.as_int("validation", n_val, minimum=1), val_rng, "validation set")
        probe = val_data
    else:
        val_data = None if validation is None else v.check_instance(validation, SequenceData, "validation")
        probe = fixed
    if readout is None:
        readout = random_readout(hidden_size(model), probe.n_outputs, rng=init_rng)
    _check_pair(model, readout, probe)
    if val_data is not None:
        _check_pair(model, readout, val_data)

    params = {**model_params(model), "V": readout.V, "d": readout.d}
    params = {k: np.array(p) for k, p in params.items()}
    if spectral_norm is not None:
        params = _constrain(params, model, spectral_norm)
    kind = "+".join(type(c).__name__ for c in cells.values())
    losses: list[float] = []
    norms: list[float] = []
    val_steps: list[int] = []
    val_losses: list[float] = []

    def validate(k: int, current: dict[str, np.ndarray]) -> None:
        if val_data is not None:
            m, r = _split(current, model)
            val_steps.append(k)
            try:
                val_losses.append(evaluate_loss(m, r, val_data, engine=engine))
            except NumericalError:  # the states overflow on some validation sequence: an infinite loss
                val_losses.append(np.inf)

    start = time.perf_counter()
    validate(0, params)
    with progress_bar(steps, f"train {kind} ({optimizer})", show=progress) as bar:
        if optimizer == "adam":
            opt = Adam(params, lr)
            order = np.empty(0, dtype=int)
            if fixed is not None:
                batch_size = min(batch_size, len(fixed))  # a mini-batch never repeats a sequence
            for k in range(steps):
                if task is not None:
                    batch = _draw(task, batch_size, batch_rng, "training batch")
                else:
                    if order.size < batch_size:  # a new shuffled pass over the data
                        order = np.concatenate([order, batch_rng.permutation(len(fixed))])
                    batch, order = fixed.subset(order[:batch_size]), order[batch_size:]
                m, r = _split(params, model)
                lg = _step_gradient(m, r, batch, k, truncate=truncate, engine=engine)
                losses.append(lg.loss)
                norms.append(lg.norm)
                grads = lg.grads
                if clip is not None:
                    clipped, _ = clip_by_norm([grads[key] for key in params], clip)
                    grads = dict(zip(params, clipped))
                params = opt.step(params, grads)
                if spectral_norm is not None:
                    params = _constrain(params, model, spectral_norm)
                if (k + 1) % eval_every == 0 or k + 1 == steps:
                    validate(k + 1, params)
                bar.update(1)
                bar.set_postfix_str(
                    f"loss {lg.loss:.4g}" + (f" val {val_losses[-1]:.4g}" if val_losses else ""), refresh=False
                )
            message = f"{steps} Adam iterations"
        else:
            train_data = fixed if fixed is not None else _draw(task, batch_size, batch_rng, "training set")
            keys = list(params)
            shapes = [params[key].shape for key in keys]
            sizes = [params[key].size for key in keys]

            def unpack(theta: np.ndarray) -> dict[str, np.ndarray]:
                parts = np.split(theta, np.cumsum(sizes)[:-1])
                return {key: part.reshape(shape) for key, part, shape in zip(keys, parts, shapes)}

            cache: dict[str, Any] = {}

            def fun(theta: np.ndarray) -> tuple[float, np.ndarray]:
                if not np.all(np.isfinite(theta)):
                    return np.inf, np.zeros_like(theta)
                m, r = _split(unpack(theta), model)
                try:
                    lg = loss_and_grad(m, r, train_data, engine=engine)
                except NumericalError:  # an overflowing trial point of the line search: reject it
                    return np.inf, np.zeros_like(theta)
                if not np.isfinite(lg.loss):
                    return np.inf, np.zeros_like(theta)
                cache["last"] = (theta.copy(), lg)
                return lg.loss, np.concatenate([lg.grads[key].ravel() for key in keys])

            def record(intermediate_result: Any) -> None:
                theta = intermediate_result.x
                last = cache.get("last")
                lg = last[1] if last is not None and np.array_equal(last[0], theta) else None
                if lg is None:
                    m, r = _split(unpack(theta), model)
                    lg = loss_and_grad(m, r, train_data, engine=engine)
                losses.append(lg.loss)
                norms.append(lg.norm)
                k = len(losses)
                if k % eval_every == 0:
                    validate(k, unpack(theta))
                bar.update(1)
                bar.set_postfix_str(
                    f"loss {lg.loss:.4g}" + (f" val {val_losses[-1]:.4g}" if val_losses else ""), refresh=False
                )

            theta0 = np.concatenate([params[key].ravel() for key in keys])
            res = scipy.optimize.minimize(
                fun, theta0, jac=True, method="L-BFGS-B", callback=record, options={"maxiter": steps}
            )
            params = unpack(res.x)
            if val_data is not None and (not val_steps or val_steps[-1] != len(losses)):
                validate(len(losses), params)
            message = f"L-BFGS-B: {res.message}"
    cell_out, readout_out = _split(params, model)
    baseline = (val_data if val_data is not None else probe).baseline
    return TrainingResult(
        cell=cell_out,
        readout=readout_out,
        loss=np.asarray(losses),
        grad_norm=np.asarray(norms),
        validation_steps=np.asarray(val_steps, dtype=int),
        validation_loss=np.asarray(val_losses),
        baseline=baseline,
        optimizer=optimizer,
        seconds=time.perf_counter() - start,
        message=message,
    )
