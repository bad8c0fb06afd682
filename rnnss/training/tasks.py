"""The classic memory tasks of recurrent networks as seeded generators: adding problem, delayed recall, copy task."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _validate as v
from .data import SequenceData

__all__ = ["adding_problem", "delayed_recall", "copy_task"]

# MSE of the best constant prediction of the adding problem's target, exactly Var(u_1 + u_2) = 2/12 = 1/6.
ADDING_BASELINE = 1.0 / 6.0


def adding_problem(n_sequences: int, T: int, *, rng: Any = None) -> SequenceData:
    r"""The adding problem (Hochreiter & Schmidhuber 1997; in the form of Le et al. 2015 and Arjovsky et al. 2016).

    Each input step has two channels: a value ``u_t ~ Uniform(0, 1)`` and a marker that is 1 at exactly
    two steps, one drawn uniformly from the first half ``t < T // 2`` and one from the second half, and 0
    elsewhere. The target, scored after the last step, is the sum of the two marked values. The network
    must gate its input by the marker and hold the first value for up to ``T`` steps.

    Baseline: a prediction that ignores the inputs is a constant ``c``, with MSE
    ``E(u_1 + u_2 - c)^2 = Var(u_1 + u_2) + (1 - c)^2``, smallest at ``c = E(u_1 + u_2) = 1`` where it is
    ``Var(u_1) + Var(u_2) = 1/12 + 1/12 = 1/6`` for every ``T`` (the markers never coincide; the data's
    ``baseline``). A network has learnt the task when its MSE is far below ``1/6``.

    Parameters
    ----------
    n_sequences : int
        Batch size.
    T : int
        Sequence length (``>= 2``).
    rng : numpy.random.Generator or int, optional
        Random source. Draw order: the values ``(n, T)``, the first markers, the second markers.

    Returns
    -------
    SequenceData
        ``x`` of shape ``(n_sequences, T, 2)`` (value, marker), ``y`` of shape ``(n_sequences, 1)``, MSE on
        the last step, ``baseline = 1/6``.

    Raises
    ------
    ValueError
        If ``n_sequences < 1`` or ``T < 2``.

    Examples
    --------
    >>> import rnnss
    >>> data = rnnss.adding_problem(3, 6, rng=0)
    >>> data.x[0, :, 1], bool(data.y[0, 0] == data.x[0, data.x[0, :, 1] == 1, 0].sum())
    (array([0., 1., 0., 1., 0., 0.]), True)
    """
    n = v.as_int("n_sequences", n_sequences, minimum=1)
    T = v.as_int("T", T, minimum=2)
    gen = v.as_rng(rng)
    values = gen.uniform(0.0, 1.0, (n, T))
    half = T // 2
    first = gen.integers(0, half, n)
    second = gen.integers(half, T, n)
    marks = np.zeros((n, T))
    rows = np.arange(n)
    marks[rows, first] = 1.0
    marks[rows, second] = 1.0
    y = values[rows, first] + values[rows, second]
    x = np.stack([values, marks], axis=-1)
    return SequenceData(x, y, loss="mse", at="last", baseline=ADDING_BASELINE, name=f"adding problem, T = {T}")


def delayed_recall(n_sequences: int, delay: int, *, rng: Any = None) -> SequenceData:
    r"""Pulse memory: recall after ``delay`` steps the amplitude of a pulse given at the first step.

    The single input channel carries ``u ~ Uniform(-1, 1)`` at step 1 and zeros for the next ``delay``
    steps (``T = delay + 1``); the target after the last step is ``u``. A contracting network forgets the
    pulse at the rate of its slowest mode, so the achievable error measures memory at a given lag, the
    nonlinear analogue of a linear RNN's impulse response ``V W^delay U``.

    Baseline: the best constant is ``E u = 0``, with MSE ``Var u = 1/3``.

    Parameters
    ----------
    n_sequences : int
        Batch size.
    delay : int
        Steps between the pulse and the recall (``>= 0``; 0 recalls at once).
    rng : numpy.random.Generator or int, optional
        Random source.

    Returns
    -------
    SequenceData
        ``x`` of shape ``(n_sequences, delay + 1, 1)``, ``y`` of shape ``(n_sequences, 1)``, MSE on the last
        step, ``baseline = 1/3``.

    Raises
    ------
    ValueError
        If ``n_sequences < 1`` or ``delay < 0``.

    Examples
    --------
    >>> import rnnss
    >>> data = rnnss.delayed_recall(2, 3, rng=0)
    >>> data.x.shape, bool(data.y[1, 0] == data.x[1, 0, 0])
    ((2, 4, 1), True)
    """
    n = v.as_int("n_sequences", n_sequences, minimum=1)
    delay = v.as_int("delay", delay, minimum=0)
    u = v.as_rng(rng).uniform(-1.0, 1.0, n)
    x = np.zeros((n, delay + 1, 1))
    x[:, 0, 0] = u
    return SequenceData(x, u, loss="mse", at="last", baseline=1.0 / 3.0, name=f"delayed recall, delay = {delay}")


def copy_task(
    n_sequences: int,
    delay: int,
    *,
    length: int = 10,
    n_symbols: int = 8,
    score: str = "all",
    rng: Any = None,
) -> SequenceData:
    r"""The copy task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): reproduce a sequence after a delay.

    The input shows ``length`` symbols drawn uniformly from ``1 .. K`` (``K = n_symbols``), then
    ``delay - 1`` blanks (symbol 0), a delimiter (symbol ``K + 1``) and ``length`` more blanks:
    ``T = 2 length + delay`` steps, one-hot coded (``p = K + 2``). The target is blank (class 0) at every
    step except the last ``length``, where it is the symbols in order (classes ``1 .. K``). The loss is
    the cross-entropy at every step.

    Baseline: a predictor that ignores the inputs (but knows the step) outputs blank with certainty
    before the recall and the uniform distribution over the ``K`` symbols during it, with cross-entropy
    ``length ln K / T`` over all steps (Arjovsky et al.'s memoryless baseline), or ``ln K`` when only the
    recall is scored.

    Parameters
    ----------
    n_sequences : int
        Batch size.
    delay : int
        Steps from the last symbol shown to the delimiter (``>= 1``).
    length : int, default 10
        Number of symbols to copy.
    n_symbols : int, default 8
        Alphabet size ``K``.
    score : {"all", "recall"}
        Score every step, or (with a mask) only the ``length`` recall steps.
    rng : numpy.random.Generator or int, optional
        Random source.

    Returns
    -------
    SequenceData
        ``x`` of shape ``(n_sequences, T, K + 2)``, integer labels ``y`` of shape ``(n_sequences, T)`` with
        ``K + 1`` classes, cross-entropy at every step (masked to the recall with ``score="recall"``).

    Raises
    ------
    ValueError
        If a size is out of range or ``score`` is unknown.

    Examples
    --------
    >>> import rnnss
    >>> data = rnnss.copy_task(1, 3, length=2, n_symbols=4, rng=0)
    >>> data.x[0].argmax(axis=1), data.y[0]
    (array([4, 3, 0, 0, 5, 0, 0]), array([0, 0, 0, 0, 0, 4, 3]))
    """
    n = v.as_int("n_sequences", n_sequences, minimum=1)
    delay = v.as_int("delay", delay, minimum=1)
    length = v.as_int("length", length, minimum=1)
    K = v.as_int("n_symbols", n_symbols, minimum=2)
    score = v.as_choice("score", score, ("all", "recall"))
    gen = v.as_rng(rng)
    T = 2 * length + delay
    symbols = gen.integers(1, K + 1, (n, length))
    codes = np.zeros((n, T), dtype=np.int64)
    codes[:, :length] = symbols
    codes[:, length + delay - 1] = K + 1
    x = np.zeros((n, T, K + 2))
    np.put_along_axis(x, codes[..., None], 1.0, axis=-1)
    y = np.zeros((n, T), dtype=np.int64)
    y[:, T - length :] = symbols
    mask = None
    baseline = length * math.log(K) / T
    if score == "recall":
        mask = np.zeros((n, T))
        mask[:, T - length :] = 1.0
        baseline = math.log(K)
    return SequenceData(
        x,
        y,
        loss="cross_entropy",
        at="all",
        mask=mask,
        n_classes=K + 1,
        baseline=baseline,
        name=f"copy task, delay = {delay}",
    )
