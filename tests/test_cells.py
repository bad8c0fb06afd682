"""Tests of rnnss.cells: steps against independent formulas, analytic Jacobians against finite differences."""

import dataclasses

import numpy as np
import pytest

import rnnss
from rnnss import DimensionError
from rnnss.cells import (
    Bidirectional,
    ElmanCell,
    GRUCell,
    LeakyCell,
    LSTMCell,
    TorchGRUCell,
    bidirectional_scan,
    numerical_jacobian,
    random_cell,
    random_orthogonal,
    scan,
    step_fan_in,
)


def softplus(z):
    return np.logaddexp(0.0, z)


def dsoftplus(z):
    return 0.5 * (1.0 + np.tanh(0.5 * z))


CELLS = {
    "elman-tanh": lambda: random_cell("elman", 4, 3, gain=1.5, rng=1),
    "elman-relu": lambda: random_cell("elman", 4, 3, activation="relu", gain=1.5, rng=2),
    "elman-sigmoid": lambda: random_cell("elman", 4, 3, activation="sigmoid", gain=1.5, rng=3),
    "elman-identity": lambda: random_cell("elman", 4, 3, activation="identity", rng=4),
    "elman-custom": lambda: ElmanCell(
        W=np.eye(4) * 0.5 + 0.1,
        U=np.ones((4, 3)) * 0.2,
        b=np.arange(4.0) / 4,
        activation=softplus,
        derivative=dsoftplus,
    ),
    "leaky": lambda: random_cell("leaky", 4, 3, alpha=0.3, gain=1.5, rng=5),
    "lstm": lambda: random_cell("lstm", 3, 2, gain=1.5, rng=6),
    "lstm-orthogonal": lambda: random_cell("lstm", 3, 2, recurrent="orthogonal", rng=7),
    "gru": lambda: random_cell("gru", 4, 3, gain=1.5, rng=8),
    "gru-no-input": lambda: random_cell("gru", 3, 0, gain=2.0, rng=9),
    "torch-gru": lambda: dataclasses.replace(
        random_cell("torch_gru", 4, 3, gain=1.5, rng=10), b=np.linspace(-1, 1, 12), b_h=np.linspace(0.8, -0.5, 12)
    ),
    "torch-gru-no-input": lambda: TorchGRUCell(W=random_cell("torch_gru", 3, 0, gain=2.0, rng=11).W, b_h=np.ones(9)),
}


# -- analytic Jacobians against central finite differences ---------------------------------------


@pytest.mark.parametrize("name", CELLS)
def test_jacobians_match_finite_differences_single(name, rng):
    """Reference: rnnss.cells.numerical_jacobian (central differences, error ~1e-10 at eps = 1e-6)."""
    cell = CELLS[name]()
    for _ in range(3):
        x = rng.standard_normal(cell.n_inputs)
        s = rng.standard_normal(cell.state_size)
        np.testing.assert_allclose(cell.jacobian(x, s), numerical_jacobian(cell, x, s), atol=1e-8)
        B = cell.input_jacobian(x, s)
        assert B.shape == (cell.state_size, cell.n_inputs)
        if cell.n_inputs:
            np.testing.assert_allclose(B, numerical_jacobian(cell, x, s, wrt="input"), atol=1e-8)


@pytest.mark.parametrize("name", CELLS)
def test_jacobians_batch_equal_per_sample_finite_differences(name, rng):
    cell = CELLS[name]()
    X = rng.standard_normal((5, cell.n_inputs))
    S = rng.standard_normal((5, cell.state_size))
    J, B, out = cell.jacobian(X, S), cell.input_jacobian(X, S), cell.step(X, S)
    assert J.shape == (5, cell.state_size, cell.state_size) and B.shape == (5, cell.state_size, cell.n_inputs)
    for i in range(5):
        np.testing.assert_allclose(J[i], numerical_jacobian(cell, X[i], S[i]), atol=1e-8)
        # A batched matmul may round differently from a single one: equal to a few ulps.
        np.testing.assert_allclose(out[i], cell.step(X[i], S[i]), rtol=1e-14, atol=1e-15)
    # One input shared by a batch of states (the sigma points of the UKF use this).
    np.testing.assert_array_equal(cell.step(X[0], S), cell.step(np.repeat(X[:1], 5, axis=0), S))


# -- steps against independent formulas -----------------------------------------------------------


def test_elman_step_closed_form(rng):
    W, U, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(3)
    cell = ElmanCell(W, U, b)
    h, x = rng.standard_normal(3), rng.standard_normal(2)
    np.testing.assert_allclose(cell.step(x, h), np.tanh(W @ h + U @ x + b), rtol=1e-15)
    relu = ElmanCell(W, U, b, activation="relu")
    np.testing.assert_allclose(relu.step(x, h), np.maximum(W @ h + U @ x + b, 0), rtol=1e-15)
    sig = ElmanCell(W, U, b, activation="sigmoid")
    np.testing.assert_allclose(sig.step(x, h), 1 / (1 + np.exp(-(W @ h + U @ x + b))), rtol=1e-14)


def _sigma(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_lstm_step_against_gate_by_gate_reference(rng):
    """Reference: the LSTM equations written gate by gate (Hochreiter & Schmidhuber with forget gate)."""
    n, p = 3, 2
    cell = random_cell("lstm", n, p, gain=1.5, rng=11)
    Wi, Wf, Wg, Wo = np.split(cell.W, 4)
    Ui, Uf, Ug, Uo = np.split(cell.U, 4)
    bi, bf, bg, bo = np.split(cell.b, 4)
    h, c, x = rng.standard_normal(n), rng.standard_normal(n), rng.standard_normal(p)
    i = _sigma(Wi @ h + Ui @ x + bi)
    f = _sigma(Wf @ h + Uf @ x + bf)
    g = np.tanh(Wg @ h + Ug @ x + bg)
    o = _sigma(Wo @ h + Uo @ x + bo)
    c_new = f * c + i * g
    np.testing.assert_allclose(cell.step(x, np.r_[h, c]), np.r_[o * np.tanh(c_new), c_new], rtol=1e-14)
    np.testing.assert_allclose(cell.hidden(cell.step(x, np.r_[h, c])), o * np.tanh(c_new), rtol=1e-14)
    np.testing.assert_allclose(cell.gates(x, np.r_[h, c])["f"], f, rtol=1e-14)
    # The cell-state block of the Jacobian is exactly diag(f): the "gradient highway".
    J = cell.jacobian(x, np.r_[h, c])
    np.testing.assert_allclose(J[n:, n:], np.diag(f), rtol=1e-15)
    np.testing.assert_allclose(cell.cell_state(cell.step(x, np.r_[h, c])), c_new, rtol=1e-14)


def test_gru_step_against_cho_reference(rng):
    """Reference: Cho et al. (2014) written out; h_t = (1 - z) h + z * candidate (the seeds' convention)."""
    n, p = 3, 2
    cell = random_cell("gru", n, p, gain=1.5, rng=12)
    Wr, Wz, Wc = np.split(cell.W, 3)
    Ur, Uz, Uc = np.split(cell.U, 3)
    h, x = rng.standard_normal(n), rng.standard_normal(p)
    r = _sigma(Wr @ h + Ur @ x)
    z = _sigma(Wz @ h + Uz @ x)
    cand = np.tanh(Wc @ (r * h) + Uc @ x)
    np.testing.assert_allclose(cell.step(x, h), (1 - z) * h + z * cand, rtol=1e-14)
    gates = cell.gates(x, h)
    np.testing.assert_allclose(gates["z"], z, rtol=1e-14)
    np.testing.assert_allclose(gates["c"], cand, rtol=1e-14)


def test_torch_gru_step_against_reset_after_reference(rng):
    """Reference: PyTorch's nn.GRU equations written out (reset gate after W_n; z near 1 keeps the state)."""
    n, p = 3, 2
    cell = dataclasses.replace(
        random_cell("torch_gru", n, p, gain=1.5, rng=13), b=rng.standard_normal(9), b_h=rng.standard_normal(9)
    )
    Wr, Wz, Wn = np.split(cell.W, 3)
    Ur, Uz, Un = np.split(cell.U, 3)
    bir, biz, bin_ = np.split(cell.b, 3)
    bhr, bhz, bhn = np.split(cell.b_h, 3)
    h, x = rng.standard_normal(n), rng.standard_normal(p)
    r = _sigma(Ur @ x + bir + Wr @ h + bhr)
    z = _sigma(Uz @ x + biz + Wz @ h + bhz)
    cand = np.tanh(Un @ x + bin_ + r * (Wn @ h + bhn))
    np.testing.assert_allclose(cell.step(x, h), (1 - z) * cand + z * h, rtol=1e-14)
    gates = cell.gates(x, h)
    np.testing.assert_allclose(gates["r"], r, rtol=1e-14)
    np.testing.assert_allclose(gates["n"], cand, rtol=1e-14)
    assert "TorchGRUCell(n=3, p=2" in repr(cell)


def test_torch_gru_matches_pytorch_output():
    """Reference: torch.nn.GRU (PyTorch 2.13, float64) with these weights; its output for this input and h0.

    The fields are PyTorch's parameters unchanged: W = weight_hh_l0, U = weight_ih_l0, b = bias_ih_l0,
    b_h = bias_hh_l0 (gate order r, z, n).
    """
    cell = TorchGRUCell(
        W=[[0.27, -0.46], [-0.92, -0.97], [0.63, 0.83], [0.21, 0.46], [0.09, 0.87], [0.63, -0.99]],
        U=[
            [0.02, 0.9, -0.71],
            [0.9, -0.38, -0.15],
            [0.66, -0.18, 0.1],
            [-0.94, 0.51, 0.08],
            [-0.34, 0.58, -0.39],
            [-0.09, -0.73, -0.19],
        ],
        b=[-0.48, -0.4, 0.63, -0.82, 0.2, 0.46],
        b_h=[-0.83, -0.53, 0.6, 0.16, -0.81, -0.13],
    )
    x = [[0.89, 0.02, 0.95], [-0.84, 0.21, -0.25], [0.6, -0.65, 0.74], [0.09, 0.8, -0.05]]
    torch_out = np.array(
        [
            [0.19406050179852485, 0.1899983539792905],
            [0.2799481890239983, 0.2716808381481379],
            [0.19242981000409787, 0.5183839948822856],
            [0.23946576247947915, 0.1519183390306431],
        ]
    )
    np.testing.assert_allclose(scan(cell, x, h0=[0.3, -0.2]), torch_out, rtol=1e-14)


def test_leaky_closed_forms(rng):
    W, U = rng.standard_normal((3, 3)), rng.standard_normal((3, 1))
    h, x = rng.standard_normal(3), rng.standard_normal(1)
    leaky = LeakyCell(W, U, alpha=0.2)
    np.testing.assert_allclose(leaky.step(x, h), 0.8 * h + 0.2 * np.tanh(W @ h + U @ x), rtol=1e-15)
    # alpha = 1 is the Elman cell.
    np.testing.assert_array_equal(LeakyCell(W, U, alpha=1.0).step(x, h), ElmanCell(W, U).step(x, h))
    # With no drive the leak alone acts: h_t = (1 - alpha)^t h_0.
    pure = LeakyCell(np.zeros((3, 3)), alpha=0.05, activation="identity")
    traj = scan(pure, np.zeros((40, 0)), h0=h)
    np.testing.assert_allclose(traj[-1], 0.95**40 * h, rtol=1e-13)


def test_leak_time_constant_is_the_seeds_number():
    """Closed form tau = -dt / ln(1 - alpha): f = 0.95 at dt = 0.02 s gives 0.39 s (the seeds' example)."""
    cell = LeakyCell(W=[[0.0]], alpha=0.05)
    tau = cell.leak_time_constant(dt=0.02)
    assert tau == pytest.approx(-0.02 / np.log(0.95), rel=1e-15)
    assert round(tau, 2) == 0.39
    # After tau / dt steps the undriven leak has shrunk by e (continuous-time reading of the decay).
    assert 0.95 ** (tau / 0.02) == pytest.approx(np.exp(-1), rel=1e-12)
    assert LeakyCell(W=[[0.0]], alpha=1.0).leak_time_constant() == 0.0


# -- memory: the seeds' pulse and growth examples ---------------------------------------------------


def test_pulse_memory_tanh_versus_relu():
    """h_t = phi(h_{t-1} + x_t), x_1 = -0.5 then zeros: tanh keeps the negative pulse, ReLU erases it.

    Closed form tanh(-0.5) = -0.4621 and tanh(tanh(-0.5)) = -0.4318 (the seeds print -0.462, -0.431,
    truncating the second); ReLU gives 0, 0.
    """
    x = np.array([-0.5, 0.0, 0.0])
    tanh_h = scan(ElmanCell(W=[[1.0]], U=[[1.0]]), x)[:, 0]
    np.testing.assert_allclose(tanh_h[:2], [np.tanh(-0.5), np.tanh(np.tanh(-0.5))], rtol=1e-15)
    assert abs(tanh_h[0] - (-0.462)) < 5e-4 and abs(tanh_h[1] - (-0.431)) < 1e-3
    relu_h = scan(ElmanCell(W=[[1.0]], U=[[1.0]], activation="relu"), x)[:, 0]
    np.testing.assert_array_equal(relu_h, [0.0, 0.0, 0.0])


@pytest.mark.parametrize("s", [0.5, 0.9, 1.0, 1.1, 1.5])
def test_relu_scaled_identity_growth_regimes(s):
    """h_t = max(0, s h_{t-1} + x), x > 0, h_0 = 0: closed form h_t = x (1 - s^t) / (1 - s) (t x at s = 1).

    s < 1 converges to x / (1 - s); s = 1 grows linearly; s > 1 grows exponentially.
    """
    n, T, xval = 3, 60, 0.7
    cell = ElmanCell(W=s * np.eye(n), U=np.eye(n), activation="relu")
    h = scan(cell, np.full((T, n), xval))
    t = np.arange(1, T + 1)
    exact = xval * t if s == 1 else xval * (1 - s**t) / (1 - s)
    np.testing.assert_allclose(h[:, 0], exact, rtol=1e-12)
    norms = np.linalg.norm(h, axis=1)
    if s < 1:
        assert norms[-1] == pytest.approx(np.sqrt(n) * xval / (1 - s), rel=1e-2)
    elif s == 1:
        np.testing.assert_allclose(np.diff(norms), np.sqrt(n) * xval, rtol=1e-12)
    else:
        assert norms[-1] / norms[-2] == pytest.approx(s, rel=1e-2)


# -- bidirectional ---------------------------------------------------------------------------------


def test_bidirectional_closed_form_on_linear_cells(rng):
    """Backward half of a linear pair: h<-_t = sum_{s >= t} W^{s-t} U x_s (the unrolled sum, reversed)."""
    Wf, Wb = 0.5 * random_orthogonal(2, rng=1), np.array([[0.6, 0.2], [0.0, 0.3]])
    Uf, Ub = rng.standard_normal((2, 1)), rng.standard_normal((2, 1))
    bi = Bidirectional(ElmanCell(Wf, Uf, activation="identity"), ElmanCell(Wb, Ub, activation="identity"))
    x = rng.standard_normal((7, 1))
    out = bidirectional_scan(bi, x)
    assert out.shape == (7, 4) and bi.n_hidden == 4
    for t in range(7):
        fwd = sum(np.linalg.matrix_power(Wf, t - s) @ Uf @ x[s] for s in range(t + 1))
        bwd = sum(np.linalg.matrix_power(Wb, s - t) @ Ub @ x[s] for s in range(t, 7))
        np.testing.assert_allclose(out[t], np.r_[fwd, bwd], atol=1e-14)
    # Batch layout and the method agree with per-sequence runs.
    xb = rng.standard_normal((3, 7, 1))
    ob = bi.scan(xb)
    assert ob.shape == (3, 7, 4)
    np.testing.assert_allclose(ob[1], bidirectional_scan(bi, xb[1]), rtol=1e-14, atol=1e-15)


def test_bidirectional_lstm_hidden_or_full_state(rng):
    fw, bw = random_cell("lstm", 2, 1, rng=1), random_cell("gru", 3, 1, rng=2)
    bi = Bidirectional(fw, bw)
    x = rng.standard_normal((5, 1))
    full = bidirectional_scan(bi, x, full_state=True)
    hid = bidirectional_scan(bi, x)
    assert full.shape == (5, 4 + 3) and hid.shape == (5, 2 + 3)
    np.testing.assert_array_equal(hid[:, :2], full[:, :2])
    np.testing.assert_array_equal(full[:, :4], scan(fw, x))
    np.testing.assert_array_equal(full[:, 4:], scan(bw, x[::-1])[::-1])
    h0b = rng.standard_normal(3)
    np.testing.assert_array_equal(bidirectional_scan(bi, x, h0_backward=h0b)[:, 2:], scan(bw, x[::-1], h0=h0b)[::-1])


def test_bidirectional_errors():
    with pytest.raises(TypeError, match="forward must be an rnnss cell"):
        Bidirectional("no", random_cell("gru", 2, 1, rng=0))
    with pytest.raises(DimensionError, match="same input size; got p = 1 and p = 2"):
        Bidirectional(random_cell("gru", 2, 1, rng=0), random_cell("gru", 2, 2, rng=0))
    bi = Bidirectional(random_cell("gru", 2, 1, rng=0), random_cell("lstm", 2, 1, rng=0))
    with pytest.raises(DimensionError, match=r"h0_backward must have shape \(4,\) or \(1, 4\); got shape \(2,\)"):
        bidirectional_scan(bi, np.zeros((3, 1)), h0_backward=np.zeros(2))
    with pytest.raises(TypeError, match="bi must be"):
        bidirectional_scan(random_cell("gru", 2, 1, rng=0), np.zeros((3, 1)))


def test_bidirectional_is_a_model_saved_with_its_cells(tmp_path):
    """Round trip through rnnss.save/load (both formats): the two nested cells come back equal, field by field."""
    bi = Bidirectional(random_cell("lstm", 2, 3, rng=1), random_cell("elman", 4, 3, activation="relu", rng=2))
    for suffix in (".npz", ".json"):
        rnnss.save(bi, tmp_path / f"bi{suffix}")
        back = rnnss.load(tmp_path / f"bi{suffix}")
        assert isinstance(back, Bidirectional) and back == bi and back is not bi
        assert isinstance(back.forward, LSTMCell) and back.backward.activation == "relu"
        x = np.random.default_rng(0).standard_normal((6, 3))
        np.testing.assert_array_equal(back.scan(x), bi.scan(x))
    assert bi != Bidirectional(bi.backward, bi.backward)
    custom = Bidirectional(ElmanCell(W=[[0.5]], activation=np.sin, derivative=np.cos), random_cell("gru", 1, 0, rng=0))
    with pytest.raises(TypeError, match="custom activation"):
        rnnss.save(custom, tmp_path / "c.json")


# -- ragged batches ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["elman", "lstm"])
def test_scan_lengths_equal_separate_runs(kind, rng):
    """Reference: each sequence run alone over its own steps; NaN past each end; padding (NaN) is never read."""
    cell = random_cell(kind, 3, 2, rng=5)
    T, L = 6, np.array([6, 3, 0, 1])
    xs = rng.standard_normal((4, T, 2))
    xs[np.arange(T) >= L[:, None]] = np.nan
    h0 = rng.standard_normal((4, cell.state_size))
    out = scan(cell, xs, h0=h0, lengths=L)
    assert out.shape == (4, T, cell.state_size)
    for i, n in enumerate(L):
        if n:
            # Batched and single-row matrix products may round differently: agreement to a few ulps.
            np.testing.assert_allclose(out[i, :n], scan(cell, xs[i, :n], h0=h0[i]), rtol=1e-14, atol=1e-15)
        assert np.isnan(out[i, n:]).all()
    # All full length: the plain scan, bit for bit; one sequence: an int length truncates it.
    full = np.nan_to_num(xs)
    np.testing.assert_array_equal(scan(cell, full, h0=h0, lengths=[T] * 4), scan(cell, full, h0=h0))
    one = scan(cell, full[0], lengths=4)
    np.testing.assert_allclose(one[:4], scan(cell, full[0, :4]), rtol=1e-14, atol=1e-15)
    assert np.isnan(one[4:]).all()


def test_bidirectional_lengths_start_backward_at_each_end(rng):
    """Reference: bidirectional_scan of each truncated sequence alone (the backward cell starts at its own end)."""
    bi = Bidirectional(random_cell("gru", 2, 1, rng=1), random_cell("lstm", 3, 1, rng=2))
    T, L = 5, np.array([5, 2, 4])
    xs = rng.standard_normal((3, T, 1))
    xs[np.arange(T) >= L[:, None]] = np.nan
    for full_state in (False, True):
        out = bidirectional_scan(bi, xs, lengths=L, full_state=full_state)
        for i, n in enumerate(L):
            ref = bidirectional_scan(bi, xs[i, :n], full_state=full_state)
            np.testing.assert_allclose(out[i, :n], ref, rtol=1e-14, atol=1e-15)
            assert np.isnan(out[i, n:]).all()


def test_scan_lengths_errors():
    cell = random_cell("elman", 2, 1, rng=0)
    xs = np.zeros((2, 3, 1))
    with pytest.raises(
        DimensionError, match=r"lengths must have shape \(2,\), one length per sequence; got shape \(3,\)"
    ):
        scan(cell, xs, lengths=[1, 2, 3])
    with pytest.raises(ValueError, match="lengths must lie in \\[0, T\\] with T = 3; got 4"):
        scan(cell, xs, lengths=[1, 4])
    with pytest.raises(ValueError, match="lengths must lie in"):
        scan(cell, xs, lengths=[-1, 2])
    with pytest.raises(TypeError, match="lengths must hold integers; got dtype float64"):
        scan(cell, xs, lengths=[1.0, 2.0])
    with pytest.raises(TypeError, match="lengths must hold integers; got dtype bool"):
        scan(cell, xs, lengths=[True, False])
    bad = xs.copy()
    bad[1, 1] = np.nan
    with pytest.raises(ValueError, match="xs must be finite inside each sequence; got NaN at sequence 1, step 1 < 2"):
        scan(cell, bad, lengths=[3, 2])
    with pytest.raises(ValueError, match="xs must be finite"):
        scan(cell, bad)  # without lengths NaN is an error anywhere
    inf = xs.copy()
    inf[0, 2] = np.inf
    with pytest.raises(ValueError, match="xs must be finite; got infinite value"):
        scan(cell, inf, lengths=[2, 2])
    with pytest.raises(DimensionError, match="lengths must have shape"):
        bidirectional_scan(Bidirectional(cell, cell), xs, lengths=[1])


# -- initialisation ----------------------------------------------------------------------------------


def test_fan_in_is_one_step_of_the_recurrence():
    """The seeds' point: fan-in counts the inputs to one step (h_{t-1} and x_t), never T (n + p)."""
    assert step_fan_in(64, 16) == 80
    assert step_fan_in(5, 0) == 5
    with pytest.raises(ValueError, match="n_hidden must be an integer >= 1"):
        step_fan_in(0, 3)


def test_fan_in_variance_closed_form_and_preactivation_variance():
    """Var Uniform(-a, a) = a^2 / 3 = gain^2 / (n + p); then a pre-activation of n + p unit-variance terms
    has variance gain^2 (Monte Carlo over many inputs)."""
    n, p, gain = 150, 50, 1.3
    cell = random_cell("elman", n, p, gain=gain, rng=0)
    weights = np.concatenate([cell.W.ravel(), cell.U.ravel()])
    a = gain * np.sqrt(3 / (n + p))
    assert np.max(np.abs(weights)) <= a
    assert np.var(weights) == pytest.approx(gain**2 / (n + p), rel=0.03)
    gen = np.random.default_rng(1)
    h, x = gen.standard_normal((4000, n)), gen.standard_normal((4000, p))
    pre = cell.preactivation(x, h)
    assert np.var(pre) == pytest.approx(gain**2, rel=0.05)


def test_orthogonal_init():
    Q = random_orthogonal(6, gain=0.9, rng=3)
    np.testing.assert_allclose(Q.T @ Q, 0.81 * np.eye(6), atol=1e-14)
    np.testing.assert_allclose(np.linalg.svd(Q, compute_uv=False), 0.9, rtol=1e-14)
    # Haar measure: E[Q_11] = 0. Without the sign correction numpy's QR makes it clearly positive.
    first = [random_orthogonal(4, rng=s)[0, 0] for s in range(800)]
    assert abs(np.mean(first)) < 4 * 0.5 / np.sqrt(800)
    cell = random_cell("lstm", 3, 2, recurrent="orthogonal", gain=1.0, rng=4)
    for block in np.split(cell.W, 4):
        np.testing.assert_allclose(block.T @ block, np.eye(3), atol=1e-14)


def test_identity_init_is_le_jaitly_hinton():
    """Le et al. (2015): W = I (times gain) and zero bias; with ReLU and no input the state is copied exactly."""
    cell = random_cell("elman", 4, 2, activation="relu", recurrent="identity", rng=0)
    np.testing.assert_array_equal(cell.W, np.eye(4))
    np.testing.assert_array_equal(cell.b, 0.0)
    h = np.array([0.3, 0.0, 1.2, 2.0])
    np.testing.assert_array_equal(cell.step(np.zeros(2), h), h)
    lstm = random_cell("lstm", 3, 1, recurrent="identity", gain=0.5, rng=0)
    np.testing.assert_array_equal(lstm.W, np.vstack([0.5 * np.eye(3)] * 4))


def test_chrono_init_of_lstm_gates():
    """Tallec & Ollivier (2018): b_f = ln u with u ~ U(1, T_max - 1) and b_i = -b_f (closed-form range and mean)."""
    cell = random_cell("lstm", 500, 2, chrono=100, rng=3)
    n = 500
    bf, bi = cell.b[n : 2 * n], cell.b[:n]
    np.testing.assert_array_equal(bi, -bf)
    u = np.exp(bf)
    assert u.min() >= 1.0 and u.max() <= 99.0
    # Uniform on [1, 99]: mean 50, sd 98 / sqrt(12) = 28.3; the sample mean is within 4 standard errors.
    assert abs(u.mean() - 50.0) < 4 * 28.3 / np.sqrt(n)
    np.testing.assert_array_equal(cell.b[2 * n :], 0.0)
    with pytest.raises(ValueError, match="chrono initialises the gates of kind='lstm' only"):
        random_cell("gru", 3, 1, chrono=10, rng=0)
    with pytest.raises(ValueError, match="chrono must be an integer >= 3"):
        random_cell("lstm", 3, 1, chrono=2, rng=0)


def test_init_is_seeded_and_sets_forget_bias():
    a, b = random_cell("lstm", 3, 2, rng=5), random_cell("lstm", 3, 2, rng=5)
    assert a == b and a != random_cell("lstm", 3, 2, rng=6)
    np.testing.assert_array_equal(a.b[3:6], 1.0)
    np.testing.assert_array_equal(np.r_[a.b[:3], a.b[6:]], 0.0)
    assert random_cell("lstm", 3, 2, forget_bias=2.5, rng=5).b[4] == 2.5


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(kind="rnn"), ValueError, "kind must be one of"),
        (dict(kind="elman", recurrent="eye"), ValueError, "recurrent must be one of"),
        (dict(kind="leaky"), ValueError, "alpha is required"),
        (dict(kind="elman", alpha=0.5), ValueError, "alpha is required for kind='leaky' and only used there"),
        (dict(kind="elman", gain=-1.0), ValueError, "gain must be > 0"),
        (dict(kind="elman", activation="swish"), ValueError, "activation must be one of"),
    ],
)
def test_random_cell_errors(kwargs, exc, match):
    kind = kwargs.pop("kind")
    with pytest.raises(exc, match=match):
        random_cell(kind, 3, 1, rng=0, **kwargs)


# -- validation ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: ElmanCell(W=np.ones((2, 3))), r"W must be a square matrix with shape \(n, n\); got shape \(2, 3\)"),
        (lambda: ElmanCell(W=np.eye(2), U=np.ones((3, 1))), r"U must have shape \(2, \?\); got shape \(3, 1\)"),
        (lambda: ElmanCell(W=np.eye(2), b=np.ones(3)), r"b must have shape \(2,\); got shape \(3,\)"),
        (lambda: ElmanCell(W=np.zeros((0, 0))), "at least one hidden unit"),
        (lambda: LeakyCell(W=np.eye(2), U=np.ones(2), alpha=0.5), r"U must have shape \(2, \?\); got shape \(2,\)"),
        (
            lambda: LSTMCell(W=np.ones((7, 2))),
            r"W must have shape \(4n, n\): the i, f, g, o blocks .* got shape \(7, 2\)",
        ),
        (lambda: LSTMCell(W=np.ones((8, 2)), U=np.ones((4, 1))), r"U must have shape \(8, \?\); got shape \(4, 1\)"),
        (lambda: LSTMCell(W=np.ones((8, 2)), b=np.ones(4)), r"b must have shape \(8,\); got shape \(4,\)"),
        (lambda: GRUCell(W=np.ones((4, 2))), r"W must have shape \(3n, n\): the r, z, c blocks"),
        (lambda: GRUCell(W=np.ones((3, 1)), b=np.ones((3, 1))), r"b must have shape \(3,\)"),
        (lambda: TorchGRUCell(W=np.ones((4, 2))), r"W must have shape \(3n, n\): the r, z, n blocks"),
        (lambda: TorchGRUCell(W=np.ones((3, 1)), b_h=np.ones(2)), r"b_h must have shape \(3,\)"),
    ],
)
def test_wrong_parameter_shapes_raise(make, match):
    with pytest.raises(DimensionError, match=match):
        make()


@pytest.mark.parametrize(
    "cls, shape", [(ElmanCell, (2, 2)), (LSTMCell, (8, 2)), (GRUCell, (6, 2)), (TorchGRUCell, (6, 2))]
)
@pytest.mark.parametrize("name", ["W", "U", "b"])
def test_non_finite_parameters_raise(cls, shape, name):
    kwargs = {"W": np.ones(shape) * 0.1, "U": np.ones((shape[0], 1)), "b": np.zeros(shape[0])}
    kwargs[name] = kwargs[name].copy()
    kwargs[name].flat[0] = np.nan
    with pytest.raises(ValueError, match=f"{name} must be finite"):
        cls(**kwargs)


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.5, np.nan, np.inf])
def test_leak_rate_outside_unit_interval_raises(alpha):
    with pytest.raises(ValueError, match="alpha must be"):
        LeakyCell(W=np.eye(2), alpha=alpha)


def test_leak_rate_type_and_required():
    with pytest.raises(TypeError, match="alpha must be a real number"):
        LeakyCell(W=np.eye(2), alpha="0.5")
    with pytest.raises(TypeError, match="alpha"):
        LeakyCell(W=np.eye(2))


def test_activation_validation():
    W = np.eye(2)
    with pytest.raises(
        TypeError, match="activation must be one of 'tanh', 'relu', 'sigmoid', 'identity' or a callable; got int"
    ):
        ElmanCell(W, activation=3)
    with pytest.raises(ValueError, match="activation must be one of .* got 'swish'"):
        ElmanCell(W, activation="swish")
    with pytest.raises(TypeError, match="derivative is required with a custom activation"):
        ElmanCell(W, activation=np.sin)
    with pytest.raises(TypeError, match="derivative must be a callable"):
        ElmanCell(W, activation=np.sin, derivative=1.0)
    with pytest.raises(ValueError, match="derivative is only given with a custom activation"):
        ElmanCell(W, activation="tanh", derivative=np.cos)
    with pytest.raises(ValueError, match="derivative disagrees with central differences of activation"):
        ElmanCell(W, activation=np.sin, derivative=np.sin)
    with pytest.raises(ValueError, match="must act elementwise and keep the shape"):
        ElmanCell(W, activation=lambda z: z.sum(axis=0), derivative=np.ones_like)
    with pytest.raises(TypeError, match="activation must map a float array elementwise"):
        ElmanCell(W, activation=lambda z: z.no_such_method(), derivative=np.ones_like)
    with pytest.raises(ValueError, match="returned non-finite values"):
        ElmanCell(W, activation=lambda z: np.full_like(z, np.inf), derivative=np.ones_like)
    # A correct custom pair is accepted and used.
    cell = ElmanCell(W, activation=np.sin, derivative=np.cos)
    np.testing.assert_allclose(cell.step(np.zeros(0), [0.3, 0.1]), np.sin([0.3, 0.1]))


def test_step_argument_errors():
    cell = random_cell("lstm", 2, 3, rng=0)
    with pytest.raises(DimensionError, match=r"x must have shape \(3,\) or \(batch, 3\); got shape \(2,\)"):
        cell.step(np.zeros(2), np.zeros(4))
    with pytest.raises(DimensionError, match=r"state must have shape \(4,\) or \(batch, 4\); got shape \(2,\)"):
        cell.jacobian(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="state must be finite"):
        cell.step(np.zeros(3), [0.0, np.nan, 0.0, 0.0])
    with pytest.raises(ValueError, match="x must be finite"):
        cell.input_jacobian([np.inf, 0.0, 0.0], np.zeros(4))
    with pytest.raises(DimensionError, match="disagree on the batch size: 2 vs 3"):
        cell.step(np.zeros((2, 3)), np.zeros((3, 4)))
    with pytest.raises(DimensionError, match=r"h0 must have shape \(4,\)"):
        scan(cell, np.zeros((5, 3)), h0=np.zeros(2))
    with pytest.raises(TypeError, match="cell must be an rnnss cell"):
        scan("cell", np.zeros((5, 3)))


# -- immutability, equality, saving ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["elman-tanh", "leaky", "lstm", "gru", "torch-gru"])
def test_cells_are_frozen_and_compare_exactly(name):
    cell = CELLS[name]()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cell.W = np.eye(2)
    with pytest.raises(ValueError, match="read-only"):
        cell.W[0, 0] = 1.0
    assert cell == CELLS[name]()
    assert dataclasses.replace(cell, b=cell.b + 1e-15) != cell
    assert cell != "cell"
    assert type(cell).__name__ in repr(cell)


@pytest.mark.parametrize(
    "name", ["elman-tanh", "elman-relu", "leaky", "lstm", "gru", "gru-no-input", "torch-gru", "torch-gru-no-input"]
)
@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_save_load_round_trip(tmp_path, name, suffix):
    cell = CELLS[name]()
    rnnss.save(cell, tmp_path / f"cell{suffix}")
    back = rnnss.load(tmp_path / f"cell{suffix}")
    assert type(back) is type(cell) and back == cell
    x = np.ones(cell.n_inputs)
    np.testing.assert_array_equal(back.step(x, np.ones(cell.state_size)), cell.step(x, np.ones(cell.state_size)))


def test_custom_activation_is_not_saveable(tmp_path):
    cell = CELLS["elman-custom"]()
    with pytest.raises(
        TypeError, match="cannot save a ElmanCell with a custom activation .*softplus.*named activations"
    ):
        rnnss.save(cell, tmp_path / "cell.npz")


def test_jacobian_bound_of_affine_cells():
    W = np.array([[0.5, 2.0], [0.0, 0.3]])
    assert ElmanCell(W).jacobian_bound == pytest.approx(np.linalg.norm(W, 2))
    assert ElmanCell(W, activation="sigmoid").jacobian_bound == pytest.approx(0.25 * np.linalg.norm(W, 2))
    assert LeakyCell(W, alpha=0.25).jacobian_bound == pytest.approx(0.75 + 0.25 * np.linalg.norm(W, 2))
    assert CELLS["elman-custom"]().jacobian_bound is None and CELLS["lstm"]().jacobian_bound is None
