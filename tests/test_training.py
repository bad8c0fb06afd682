"""Tests of rnnss.training: tasks and their baselines, losses, read-out, the training loop and the trained cells."""

import dataclasses
import functools
import io

import numpy as np
import pytest
from scipy import integrate
from scipy.special import log_softmax

import rnnss
from rnnss import DimensionError, NumericalError

# -- the tasks and their baselines ----------------------------------------------------------------------


def test_adding_problem_structure():
    data = rnnss.adding_problem(200, 9, rng=0)
    assert data.x.shape == (200, 9, 2) and data.y.shape == (200, 1) and data.loss == "mse" and data.at == "last"
    marks = data.x[:, :, 1]
    assert np.all(marks.sum(axis=1) == 2) and np.all(np.isin(marks, [0.0, 1.0]))
    assert np.all(marks[:, :4].sum(axis=1) == 1)  # one marker in the first half t < T // 2 = 4
    np.testing.assert_array_equal(data.y[:, 0], np.sum(data.x[:, :, 0] * marks, axis=1))
    assert np.all((data.x[:, :, 0] >= 0) & (data.x[:, :, 0] < 1))
    assert rnnss.adding_problem(5, 9, rng=3).x.tobytes() == rnnss.adding_problem(5, 9, rng=3).x.tobytes()
    assert "adding problem, T = 9" in repr(data)


def test_adding_baseline_is_one_sixth():
    """Derivation: the best constant c minimises E(u1 + u2 - c)^2 = Var + (1 - c)^2, so c = 1 and the MSE is
    Var(u1) + Var(u2) = 1/6 exactly. References: the double integral by scipy quadrature, and Monte Carlo of
    the generator (mean and variance of the target within 4 standard errors)."""
    mse_of_one, _ = integrate.dblquad(lambda u1, u2: (u1 + u2 - 1.0) ** 2, 0, 1, 0, 1, epsabs=1e-13)
    assert mse_of_one == pytest.approx(1 / 6, rel=1e-12)
    data = rnnss.adding_problem(200_000, 2, rng=1)
    assert data.baseline == 1 / 6
    y = data.y[:, 0]
    n = y.size
    assert abs(y.mean() - 1.0) < 4 * np.sqrt(1 / 6 / n)
    # Var of the sample variance: (mu4 - sigma^4) / n with mu4 = E(Y - 1)^4 = 1/15 for the triangular law.
    assert abs(y.var() - 1 / 6) < 4 * np.sqrt((1 / 15 - 1 / 36) / n)
    # The constant prediction 1 through a read-out that ignores the state scores the baseline.
    ones = rnnss.LinearReadout(np.zeros((1, 2)), [1.0])
    loss = rnnss.evaluate_loss(rnnss.random_cell("elman", 2, 2, rng=0), ones, rnnss.adding_problem(20_000, 30, rng=2))
    assert abs(loss - 1 / 6) < 4 * np.sqrt((1 / 15 - 1 / 36) / 20_000)


def test_delayed_recall_structure_and_baseline():
    """Baseline: Var u = int_{-1}^{1} u^2 / 2 du = 1/3 (quadrature)."""
    data = rnnss.delayed_recall(50, 4, rng=0)
    assert data.x.shape == (50, 5, 1)
    np.testing.assert_array_equal(data.y[:, 0], data.x[:, 0, 0])
    assert np.all(data.x[:, 1:] == 0)
    assert data.baseline == pytest.approx(integrate.quad(lambda u: u**2 / 2, -1, 1)[0], rel=1e-14)
    assert rnnss.delayed_recall(3, 0, rng=0).x.shape == (3, 1, 1)


@pytest.mark.parametrize("score", ["all", "recall"])
def test_copy_task_structure_and_memoryless_baseline(score):
    """Reference: the cross-entropy of the memoryless predictor (certain blank before the recall, uniform over
    the K symbols during it), evaluated by cross_entropy_loss on its explicit logits."""
    L, K, delay = 3, 5, 4
    data = rnnss.copy_task(40, delay, length=L, n_symbols=K, score=score, rng=0)
    T = 2 * L + delay
    assert data.x.shape == (40, T, K + 2) and data.y.shape == (40, T) and data.n_classes == K + 1
    codes = data.x.argmax(axis=-1)
    assert np.all(data.x.sum(axis=-1) == 1)
    assert np.all((codes[:, :L] >= 1) & (codes[:, :L] <= K)) and np.all(codes[:, L + delay - 1] == K + 1)
    np.testing.assert_array_equal(data.y[:, -L:], codes[:, :L])
    assert np.all(data.y[:, :-L] == 0)
    logits = np.full((40, T, K + 1), -1e3)
    logits[:, :-L, 0] = 0.0
    logits[:, -L:, 1:] = 0.0
    loss, _ = rnnss.cross_entropy_loss(logits, data.y, mask=data.mask)
    assert data.baseline == pytest.approx(loss, rel=1e-12)
    assert data.baseline == pytest.approx(np.log(K) * (L / T if score == "all" else 1.0), rel=1e-14)


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: rnnss.adding_problem(5, 1), ValueError, "T must be an integer >= 2"),
        (lambda: rnnss.adding_problem(0, 5), ValueError, "n_sequences must be an integer >= 1"),
        (lambda: rnnss.delayed_recall(5, -1), ValueError, "delay must be an integer >= 0"),
        (lambda: rnnss.copy_task(5, 0), ValueError, "delay must be an integer >= 1"),
        (lambda: rnnss.copy_task(5, 3, n_symbols=1), ValueError, "n_symbols must be an integer >= 2"),
        (lambda: rnnss.copy_task(5, 3, score="some"), ValueError, "score must be one of"),
        (lambda: rnnss.adding_problem(5, 5, rng="seed"), TypeError, "rng must be"),
    ],
)
def test_task_argument_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# -- losses -------------------------------------------------------------------------------------------------


def test_mse_loss_closed_form_mask_and_gradient(rng):
    y, t = rng.standard_normal((4, 3, 2)), rng.standard_normal((4, 3, 2))
    w = rng.uniform(0, 1, (4, 3))
    loss, grad = rnnss.mse_loss(y, t, mask=w)
    assert loss == pytest.approx(np.sum(w[..., None] * (y - t) ** 2) / (2 * w.sum()), rel=1e-14)
    eps = 1e-6
    e = np.zeros_like(y)
    e[1, 2, 0] = eps
    fd = (rnnss.mse_loss(y + e, t, mask=w)[0] - rnnss.mse_loss(y - e, t, mask=w)[0]) / (2 * eps)
    assert grad[1, 2, 0] == pytest.approx(fd, rel=1e-8)
    assert rnnss.mse_loss(y, t)[0] == pytest.approx(np.mean((y - t) ** 2), rel=1e-14)
    bool_mask = w > 0.5
    assert rnnss.mse_loss(y, t, mask=bool_mask)[0] == pytest.approx(np.mean((y - t)[bool_mask] ** 2), rel=1e-14)


def test_cross_entropy_against_scipy_log_softmax_and_extreme_logits(rng):
    """Reference: -mean log_softmax(y)[label] by scipy.special.log_softmax; gradient by central differences."""
    y = 3 * rng.standard_normal((5, 4))
    c = rng.integers(0, 4, 5)
    loss, grad = rnnss.cross_entropy_loss(y, c)
    assert loss == pytest.approx(-np.mean(log_softmax(y, axis=1)[np.arange(5), c]), rel=1e-14)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-16)
    eps = 1e-6
    e = np.zeros_like(y)
    e[2, 1] = eps
    fd = (rnnss.cross_entropy_loss(y + e, c)[0] - rnnss.cross_entropy_loss(y - e, c)[0]) / (2 * eps)
    assert grad[2, 1] == pytest.approx(fd, rel=1e-7)
    big = np.array([[1e4, 0.0, -1e4]])
    assert rnnss.cross_entropy_loss(big, [1])[0] == pytest.approx(1e4, rel=1e-14)
    assert rnnss.cross_entropy_loss(big, [0])[0] == 0.0
    assert rnnss.cross_entropy_loss(y, c.astype(float))[0] == loss  # integral floats are labels


@pytest.mark.parametrize(
    "call, exc, match",
    [
        (lambda: rnnss.mse_loss(np.zeros((2, 3)), np.zeros((3, 2))), DimensionError, "same shape"),
        (lambda: rnnss.mse_loss(np.zeros((2, 1)), np.zeros((2, 1)), mask=[-1, 1]), ValueError, "non-negative"),
        (lambda: rnnss.mse_loss(np.zeros((2, 1)), np.zeros((2, 1)), mask=[0, 0]), ValueError, "selects no output"),
        (lambda: rnnss.mse_loss(np.zeros((2, 1)), np.zeros((2, 1)), mask=[1, 1, 1]), DimensionError, "mask must"),
        (lambda: rnnss.cross_entropy_loss(np.zeros((2, 3)), [0, 3]), ValueError, r"labels must lie in 0 \.\. 2"),
        (lambda: rnnss.cross_entropy_loss(np.zeros((2, 3)), [0.5, 1]), TypeError, "integer class labels"),
        (lambda: rnnss.cross_entropy_loss(np.zeros((2, 3)), [0, 1, 2]), DimensionError, r"labels must have shape"),
        (lambda: rnnss.cross_entropy_loss(np.full((1, 2), np.inf), [0]), ValueError, "logits must be finite"),
    ],
)
def test_loss_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# -- data and read-out ----------------------------------------------------------------------------------------


def test_sequence_data_layouts_subset_and_errors():
    x = np.zeros((4, 6, 2))
    data = rnnss.SequenceData(x, np.arange(4.0))
    assert data.y.shape == (4, 1) and data.n_outputs == 1 and len(data) == 4
    assert rnnss.SequenceData(x[0], [1.0]).n_sequences == 1  # (T, p) is one sequence
    seq = rnnss.SequenceData(x, np.zeros((4, 6)), at="all", mask=np.ones((4, 6), bool))
    assert seq.y.shape == (4, 6, 1) and seq.subset([0, 2]).mask.shape == (2, 6)
    ce = rnnss.SequenceData(x, np.zeros((4, 6), int), loss="cross_entropy", at="all", n_classes=3, name="toy")
    assert ce.n_outputs == 3 and repr(ce) == (
        "SequenceData(toy: 4 sequences of T = 6, p = 2; cross_entropy on every step, K = 3 classes)"
    )
    with pytest.raises(ValueError, match="read-only"):
        data.x[0, 0, 0] = 1.0
    cases = [
        (lambda: rnnss.SequenceData(np.zeros((0, 6, 2)), np.zeros(0)), ValueError, "holds no sequences"),
        (lambda: rnnss.SequenceData(x, np.zeros((5, 6))), DimensionError, r"y must have shape \(4, 'm'\)"),
        (lambda: rnnss.SequenceData(x, np.zeros(4), mask=np.ones((4, 6))), ValueError, "with at='last'"),
        (lambda: rnnss.SequenceData(x, np.zeros(4, int), loss="cross_entropy"), TypeError, "n_classes is required"),
        (lambda: rnnss.SequenceData(x, np.zeros(4), n_classes=2), ValueError, "n_classes is only used"),
        (lambda: rnnss.SequenceData(x, np.zeros(4), loss="hinge"), ValueError, "loss must be one of"),
        (lambda: rnnss.SequenceData(x, np.zeros((4, 6)), at="all", mask=np.zeros((4, 6))), ValueError, "no step"),
        (lambda: rnnss.SequenceData(np.zeros(6), np.zeros(1)), DimensionError, "x must have shape"),
        (lambda: rnnss.SequenceData(x, np.zeros(4, int) + 5, loss="cross_entropy", n_classes=3), ValueError, "lie in"),
    ]
    for call, exc, match in cases:
        with pytest.raises(exc, match=match):
            call()


def test_readout_call_save_load_and_errors(tmp_path):
    ro = rnnss.random_readout(3, 2, rng=0)
    assert np.all(np.abs(ro.V) <= 1 / np.sqrt(3)) and np.all(ro.d == 0)
    h = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(ro(h), h @ ro.V.T)
    for suffix in (".npz", ".json"):
        rnnss.save(ro, tmp_path / f"ro{suffix}")
        assert rnnss.load(tmp_path / f"ro{suffix}") == ro
    assert repr(ro).startswith("LinearReadout(n=3, m=2")
    with pytest.raises(DimensionError, match=r"hidden must have shape \(\.\.\., 3\)"):
        ro(np.zeros(2))
    with pytest.raises(DimensionError, match="d must have shape"):
        rnnss.LinearReadout(np.ones((2, 3)), d=np.zeros(3))
    with pytest.raises(DimensionError, match="at least one output"):
        rnnss.LinearReadout(np.ones((0, 3)))


def test_clip_spectral_norm_is_the_projection(rng):
    """Reference: the variational inequality of a projection onto a convex set, <W - P, Z - P> <= 0 for every Z
    in the ball, with random Z; and the closed form on a diagonal matrix."""
    np.testing.assert_allclose(rnnss.clip_spectral_norm(np.diag([3.0, -0.5]), 1.0), np.diag([1.0, -0.5]))
    W = 2 * rng.standard_normal((4, 3))
    P = rnnss.clip_spectral_norm(W, 1.5)
    assert np.linalg.norm(P, 2) == pytest.approx(1.5, rel=1e-13)
    for _ in range(200):
        Z = rng.standard_normal((4, 3))
        Z *= rng.uniform(0, 1.5) / np.linalg.norm(Z, 2)
        assert np.sum((W - P) * (Z - P)) <= 1e-12
    small = 0.1 * W
    np.testing.assert_array_equal(rnnss.clip_spectral_norm(small, 5.0), small)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        rnnss.clip_spectral_norm(W, 0.0)


# -- training ------------------------------------------------------------------------------------------------


def test_lstm_learns_the_adding_problem_where_a_tanh_rnn_stays_at_the_baseline():
    """The claim of Hochreiter & Schmidhuber (1997), at T = 100 with 8 units, 450 Adam iterations, seed fixed.

    The LSTM (chrono initialisation, Tallec & Ollivier 2018) ends far below 10% of the baseline 1/6; the tanh
    RNN of the same size, trained identically, stays near the baseline (the gradient through 50+ steps of
    tanh units vanishes). Full sweep over T: examples/adding_problem.py.
    """
    task = functools.partial(rnnss.adding_problem, T=100)
    opts = dict(steps=450, batch_size=32, learning_rate=0.02, clip=1.0, validation=256, eval_every=150, rng=0)
    lstm = rnnss.train(rnnss.random_cell("lstm", 8, 2, chrono=100, rng=0), task, **opts)
    tanh = rnnss.train(rnnss.random_cell("elman", 8, 2, rng=0), task, **opts)
    assert lstm.baseline == tanh.baseline == 1 / 6
    assert lstm.relative_loss < 0.1
    assert tanh.relative_loss > 0.75
    assert isinstance(lstm.cell, rnnss.LSTMCell) and isinstance(tanh.cell, rnnss.ElmanCell)


def test_lbfgs_solves_linear_delayed_recall_exactly():
    """Reference: a linear cell recalls a pulse exactly when V W^delay U = 1 (closed form); L-BFGS finds such
    weights from a random start (to a loss below 1e-9, where L-BFGS-B's default tolerances stop it)."""
    data = rnnss.delayed_recall(64, 6, rng=0)
    cell = rnnss.random_cell("elman", 2, 1, activation="identity", gain=0.9, rng=1)
    res = rnnss.train(cell, data, optimizer="lbfgs", steps=500, rng=0)
    assert res.loss[-1] < 1e-9 and res.optimizer == "lbfgs" and "L-BFGS-B" in res.message
    gain = res.readout.V @ np.linalg.matrix_power(res.cell.W, 6) @ res.cell.U
    assert gain[0, 0] == pytest.approx(1.0, abs=1e-4)
    assert res.validation_loss.size == 0 and res.final_validation_loss is None


def test_training_is_reproducible_and_uses_its_options(rng):
    task = functools.partial(rnnss.copy_task, delay=3, length=2, n_symbols=3)
    cell = rnnss.random_cell("gru", 4, 5, rng=0)
    a = rnnss.train(cell, task, steps=20, learning_rate=1e-2, validation=16, rng=7)
    b = rnnss.train(cell, task, steps=20, learning_rate=1e-2, validation=16, rng=7)
    assert a.cell == b.cell and a.readout == b.readout and np.array_equal(a.loss, b.loss)
    assert rnnss.train(cell, task, steps=20, learning_rate=1e-2, validation=16, rng=8).cell != a.cell
    # the recorded norm is the full gradient before clipping; clipping changes the run
    start = rnnss.loss_and_grad(cell, rnnss.random_readout(4, 4, rng=0), task(32, rng=0))
    assert start.norm > 0
    clipped = rnnss.train(cell, task, steps=20, learning_rate=1e-2, validation=16, clip=1e-3, rng=7)
    np.testing.assert_array_equal(clipped.grad_norm[0], a.grad_norm[0])
    assert clipped.cell != a.cell
    # fixed data: shuffled passes, no validation unless given
    data = task(40, rng=1)
    c = rnnss.train(cell, data, steps=5, batch_size=16, validation=task(8, rng=2), eval_every=2, rng=0)
    np.testing.assert_array_equal(c.validation_steps, [0, 2, 4, 5])
    assert c.iterations == 5 and c.baseline == data.baseline
    # truncated BPTT trains too; a batch larger than the data is the whole data
    assert rnnss.train(cell, data, steps=3, truncate=2, rng=0).iterations == 3
    ro = rnnss.random_readout(4, 4, rng=3)
    whole = rnnss.train(cell, data, readout=ro, steps=2, batch_size=100, learning_rate=1e-2, rng=0)
    assert whole.loss[0] == pytest.approx(rnnss.evaluate_loss(cell, ro, data), rel=1e-12)


def test_spectral_norm_constraint_holds_for_every_recurrent_block():
    task = functools.partial(rnnss.adding_problem, T=12)
    res = rnnss.train(
        rnnss.random_cell("lstm", 4, 2, gain=3.0, rng=0),
        task,
        steps=15,
        learning_rate=0.05,
        spectral_norm=0.8,
        validation=8,
        rng=0,
    )
    for block in np.split(res.cell.W, 4):
        assert np.linalg.norm(block, 2) <= 0.8 * (1 + 1e-12)
    elman = rnnss.train(rnnss.random_cell("elman", 5, 2, gain=2.0, rng=1), task, steps=5, spectral_norm=0.9, rng=0)
    assert np.linalg.norm(elman.cell.W, 2) <= 0.9 * (1 + 1e-12)
    assert elman.cell.jacobian_bound <= 0.9 * (1 + 1e-12)


def test_bidirectional_training_keeps_the_pair():
    data = rnnss.copy_task(16, 2, length=2, n_symbols=3, rng=0)
    bi = rnnss.Bidirectional(rnnss.random_cell("lstm", 3, 5, rng=0), rnnss.random_cell("torch_gru", 2, 5, rng=1))
    res = rnnss.train(bi, data, steps=4, rng=0)
    assert isinstance(res.cell, rnnss.Bidirectional) and res.readout.V.shape == (4, 5)
    assert isinstance(res.cell.backward, rnnss.TorchGRUCell) and res.cell.forward != bi.forward


def _trained(kind, **kw):
    task = functools.partial(rnnss.adding_problem, T=8)
    return rnnss.train(rnnss.random_cell(kind, 3, 2, rng=0, **kw), task, steps=3, validation=4, rng=0)


@pytest.mark.parametrize(
    "kind, kw",
    [
        ("elman", {}),
        ("elman", {"activation": "relu"}),
        ("leaky", {"alpha": 0.5}),
        ("lstm", {}),
        ("gru", {}),
        ("torch_gru", {}),
    ],
)
def test_trained_cells_are_ordinary_frozen_cells(kind, kw, tmp_path):
    """Every analysis tool and save/load accept a trained cell (it is the same frozen type)."""
    res = _trained(kind, **kw)
    cell = res.cell
    with pytest.raises(dataclasses.FrozenInstanceError):
        cell.W = cell.W
    x = np.array([0.3, 0.0])
    fp = rnnss.fixed_points(cell, x, n_starts=8, rng=0)
    if len(fp):
        assert np.max(np.abs(cell.step(x, fp.points[0]) - fp.points[0])) < 1e-10
    spec = rnnss.lyapunov_exponents(cell, np.tile(x, (40, 1)), discard=10)
    assert np.isfinite(spec.max_exponent) and not np.any(np.isnan(spec.exponents))  # dead ReLUs give -inf
    flow = rnnss.jacobian_products(cell, np.tile(x, (10, 1)))
    assert flow.norms.shape == (11,)
    lin = rnnss.linearize(cell, np.zeros(cell.state_size), x)
    np.testing.assert_allclose(lin.W, cell.jacobian(x, np.zeros(cell.state_size)), rtol=1e-14)
    for suffix in (".npz", ".json"):
        rnnss.save(cell, tmp_path / f"cell{suffix}")
        assert rnnss.load(tmp_path / f"cell{suffix}") == cell
    np.testing.assert_allclose(res.predict(np.tile(x, (5, 1))), rnnss.predict(cell, res.readout, np.tile(x, (5, 1))))


def test_training_result_record_and_plot():
    res = _trained("lstm")
    text = res.summary()
    assert "Training of LSTMCell" in text and "baseline:   0.16667" in text and "validation:" in text
    assert repr(res).startswith("TrainingResult(LSTMCell, adam, 3 iterations")
    assert res.relative_loss == pytest.approx(res.final_validation_loss * 6, rel=1e-14)
    from rnnss.plot import plot_training

    fig = plot_training({"lstm": res, "again": _trained("gru")})
    assert len(fig.axes) == 1 and fig.axes[0].get_yscale() == "log"
    with pytest.raises(TypeError, match="results must hold TrainingResult records"):
        plot_training({"x": 1})


class _TTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_silent_off_a_terminal(capsys, monkeypatch):
    _trained("elman")
    assert capsys.readouterr().err == ""
    tty = _TTY()
    monkeypatch.setattr("sys.stderr", tty)
    _trained("elman")
    assert "train ElmanCell (adam)" in tty.getvalue()


def test_training_errors():
    task = functools.partial(rnnss.adding_problem, T=6)
    cell = rnnss.random_cell("elman", 3, 2, rng=0)
    cases = [
        (dict(optimizer="lbfgs", clip=1.0), ValueError, "apply to optimizer='adam' only"),
        (dict(optimizer="lbfgs", learning_rate=0.1), ValueError, "learning_rate applies to optimizer='adam'"),
        (dict(optimizer="sgd"), ValueError, "optimizer must be one of"),
        (dict(steps=0), ValueError, "steps must be an integer >= 1"),
        (dict(readout=rnnss.LinearReadout(np.ones((2, 3)))), DimensionError, "readout must have 1 outputs"),
        (dict(validation="all"), TypeError, "validation must be an integer"),
    ]
    for kw, exc, match in cases:
        with pytest.raises(exc, match=match):
            rnnss.train(cell, task, **kw)
    with pytest.raises(TypeError, match="data must be rnnss.SequenceData or a task"):
        rnnss.train(cell, [1, 2, 3])
    with pytest.raises(TypeError, match="the task must return rnnss.SequenceData"):
        rnnss.train(cell, lambda n, rng: np.zeros((n, 6, 2)))
    with pytest.raises(TypeError, match="validation must be a rnnss.SequenceData"):
        rnnss.train(cell, task(8, rng=0), validation=8)


def test_divergence_is_a_numerical_error():
    """A ReLU network with W = 3 I explodes like 3^T: the loss overflows and training says what to change."""
    exploding = rnnss.random_cell("elman", 2, 2, activation="relu", recurrent="identity", gain=3.0, rng=0)
    with pytest.raises(NumericalError, match="training diverged at iteration 1: .* lower learning_rate"):
        rnnss.train(exploding, functools.partial(rnnss.adding_problem, T=800), steps=2, validation=4, rng=0)
