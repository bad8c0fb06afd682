"""Tests of rnnss.training's gradients: BPTT against central finite differences of an independent forward pass.

The reference forward pass is the cells' own ``rnnss.scan`` (or ``bidirectional_scan``), a read-out and the
loss written out here with scipy's ``logsumexp``: nothing of the training code's recursions or losses.
"""

import dataclasses

import numpy as np
import pytest
from scipy.special import logsumexp

import rnnss
from rnnss import DimensionError

# -- the models ------------------------------------------------------------------------------------------


def _torch_gru(n, p, seed):
    cell = rnnss.random_cell("torch_gru", n, p, gain=1.5, rng=seed)
    gen = np.random.default_rng(seed + 100)
    return dataclasses.replace(cell, b=0.5 * gen.standard_normal(3 * n), b_h=0.5 * gen.standard_normal(3 * n))


def _biased(cell, seed):
    return dataclasses.replace(cell, b=0.3 * np.random.default_rng(seed).standard_normal(cell.b.shape))


CELLS = {
    "elman-tanh": lambda p: _biased(rnnss.random_cell("elman", 3, p, gain=1.5, rng=1), 1),
    "elman-relu": lambda p: _biased(rnnss.random_cell("elman", 3, p, activation="relu", gain=1.5, rng=2), 2),
    "elman-sigmoid": lambda p: _biased(rnnss.random_cell("elman", 3, p, activation="sigmoid", gain=2.0, rng=3), 3),
    "elman-identity": lambda p: _biased(rnnss.random_cell("elman", 3, p, activation="identity", gain=0.9, rng=4), 4),
    "leaky-tanh": lambda p: _biased(rnnss.random_cell("leaky", 3, p, alpha=0.3, gain=1.5, rng=5), 5),
    "leaky-relu": lambda p: _biased(rnnss.random_cell("leaky", 3, p, alpha=0.6, activation="relu", rng=6), 6),
    "lstm": lambda p: _biased(rnnss.random_cell("lstm", 3, p, gain=1.5, rng=7), 7),
    "gru": lambda p: _biased(rnnss.random_cell("gru", 3, p, gain=1.5, rng=8), 8),
    "torch-gru": lambda p: _torch_gru(3, p, 9),
}

B, T = 3, 5


def _data(kind, p, rng):
    """Sequence data for each loss: MSE or cross-entropy, on the last step or every step (masked)."""
    x = rng.standard_normal((B, T, p))
    mask = rng.uniform(0.0, 1.0, (B, T))
    mask[0, :2] = 0.0  # some steps not scored at all
    if kind == "mse-last":
        return rnnss.SequenceData(x, rng.standard_normal((B, 2)))
    if kind == "mse-all":
        return rnnss.SequenceData(x, rng.standard_normal((B, T, 2)), at="all", mask=mask)
    if kind == "ce-last":
        return rnnss.SequenceData(x, rng.integers(0, 3, B), loss="cross_entropy", n_classes=3)
    return rnnss.SequenceData(x, rng.integers(0, 3, (B, T)), loss="cross_entropy", at="all", n_classes=3, mask=mask)


LOSS_KINDS = ["mse-last", "mse-all", "ce-last", "ce-all"]


def reference_loss(model, V, d, data, *, cut_states=None):
    """The loss through rnnss.scan, a read-out and the written-out loss (MSE or log-softmax cross-entropy).

    ``cut_states`` (truncated BPTT): ``{t: state}`` replaces the state entering step ``t`` by a constant.
    """
    if isinstance(model, rnnss.Bidirectional):
        H = rnnss.bidirectional_scan(model, data.x)
    elif cut_states is None:
        H = model.hidden(rnnss.scan(model, data.x))
    else:
        s, states = model.initial_state(data.n_sequences), []
        for t in range(data.n_steps):
            s = model.step(data.x[:, t], cut_states.get(t, s))
            states.append(s)
        H = model.hidden(np.stack(states, axis=1))
    Y = H @ V.T + d
    if data.at == "last":
        Y = Y[:, -1]
    w = np.ones(Y.shape[:-1]) if data.mask is None else data.mask
    if data.loss == "mse":
        per = np.mean((Y - data.y) ** 2, axis=-1)
    else:
        per = logsumexp(Y, axis=-1) - np.take_along_axis(Y, data.y[..., None], axis=-1)[..., 0]
    return float(np.sum(w * per) / np.sum(w))


def _params(model, readout):
    out = {}
    cells = (
        {"forward": model.forward, "backward": model.backward}
        if isinstance(model, rnnss.Bidirectional)
        else {"": model}
    )
    for prefix, cell in cells.items():
        key = f"{prefix}." if prefix else ""
        names = ("W", "U", "b", "b_h") if isinstance(cell, rnnss.TorchGRUCell) else ("W", "U", "b")
        out.update({key + f: np.array(getattr(cell, f)) for f in names})
    return {**out, "V": np.array(readout.V), "d": np.array(readout.d)}


def _rebuild(model, params):
    if isinstance(model, rnnss.Bidirectional):
        parts = {}
        for side in ("forward", "backward"):
            sub = {k.split(".", 1)[1]: val for k, val in params.items() if k.startswith(side + ".")}
            parts[side] = dataclasses.replace(getattr(model, side), **sub)
        return dataclasses.replace(model, **parts)
    return dataclasses.replace(model, **{k: val for k, val in params.items() if k not in ("V", "d")})


def finite_differences(model, readout, data, *, eps=1e-6, **kwargs):
    """Central differences of reference_loss in every parameter (error O(eps^2) ~ 1e-10 relative)."""
    base = _params(model, readout)
    out = {}
    for key, p in base.items():
        g = np.zeros(p.shape)
        for idx in np.ndindex(p.shape):
            vals = []
            for sign in (1.0, -1.0):
                q = {k: val.copy() for k, val in base.items()}
                q[key][idx] += sign * eps
                vals.append(reference_loss(_rebuild(model, q), q["V"], q["d"], data, **kwargs))
            g[idx] = (vals[0] - vals[1]) / (2 * eps)
        out[key] = g
    return out


def assert_grads_close(got, ref, rtol=1e-6):
    assert list(got) == list(ref)
    scale = max(float(np.max(np.abs(g), initial=0.0)) for g in ref.values())
    for key in ref:
        np.testing.assert_allclose(got[key], ref[key], rtol=rtol, atol=rtol * scale, err_msg=key)


# -- every cell, with and without inputs, every loss --------------------------------------------------


@pytest.mark.parametrize("loss", LOSS_KINDS)
@pytest.mark.parametrize("p", [2, 0], ids=["inputs", "no-input"])
@pytest.mark.parametrize("name", CELLS)
def test_gradient_equals_central_differences(name, p, loss, rng):
    """Reference: central differences of scan + read-out + written-out loss; <= 1e-6 relative (seen ~1e-8)."""
    cell = CELLS[name](p)
    data = _data(loss, p, rng)
    if p == 0:  # without inputs every sequence is the same; vary the targets only
        assert data.n_inputs == 0
    readout = rnnss.LinearReadout(0.7 * rng.standard_normal((data.n_outputs, 3)), rng.standard_normal(data.n_outputs))
    res = rnnss.loss_and_grad(cell, readout, data, engine="numpy")
    assert res.loss == pytest.approx(reference_loss(cell, readout.V, readout.d, data), rel=1e-13)
    assert_grads_close(res.grads, finite_differences(cell, readout, data))
    compiled = rnnss.loss_and_grad(cell, readout, data, engine="numba")
    assert compiled.loss == pytest.approx(res.loss, rel=1e-12, abs=1e-15)
    assert_grads_close(compiled.grads, res.grads, rtol=1e-12)


@pytest.mark.parametrize("loss", ["mse-last", "ce-all"])
def test_bidirectional_gradient_equals_central_differences(loss, rng):
    """Reference: central differences through rnnss.bidirectional_scan; each direction is its own cell."""
    bi = rnnss.Bidirectional(CELLS["lstm"](2), CELLS["torch-gru"](2))
    data = _data(loss, 2, rng)
    readout = rnnss.LinearReadout(0.7 * rng.standard_normal((data.n_outputs, 6)), rng.standard_normal(data.n_outputs))
    res = rnnss.loss_and_grad(bi, readout, data, engine="numpy")
    assert list(res.grads)[:3] == ["forward.W", "forward.U", "forward.b"] and "backward.b_h" in res.grads
    assert res.loss == pytest.approx(reference_loss(bi, readout.V, readout.d, data), rel=1e-13)
    assert_grads_close(res.grads, finite_differences(bi, readout, data))
    assert_grads_close(rnnss.loss_and_grad(bi, readout, data, engine="numba").grads, res.grads, rtol=1e-12)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
@pytest.mark.parametrize("name", ["elman-tanh", "lstm", "gru", "torch-gru"])
def test_truncated_bptt_is_the_gradient_with_detached_chunk_states(name, k, rng):
    """Reference: central differences of the loss in which the states entering steps T - k, T - 2k, ... are
    constants (PyTorch's detach between chunks); k >= T is the full gradient."""
    cell = CELLS[name](2)
    data = _data("mse-all", 2, rng)
    readout = rnnss.LinearReadout(rng.standard_normal((2, 3)), rng.standard_normal(2))
    full = rnnss.scan(cell, data.x)
    cuts = [t for t in range(1, T) if (T - t) % k == 0]
    held = {t: full[:, t - 1] for t in cuts}
    ref = finite_differences(cell, readout, data, cut_states=held)
    res = rnnss.loss_and_grad(cell, readout, data, truncate=k)
    assert_grads_close(res.grads, ref)
    if k >= T:
        assert_grads_close(res.grads, rnnss.loss_and_grad(cell, readout, data).grads, rtol=1e-14)
    else:
        assert not np.allclose(res.grads["W"], rnnss.loss_and_grad(cell, readout, data).grads["W"])


# -- bptt: gradients of any function of the states, with respect to parameters, inputs and h0 ---------------


@pytest.mark.parametrize("name", CELLS)
def test_bptt_input_and_initial_state_gradients(name, rng):
    """Reference: central differences of L = sum_t g_t . s_t over rnnss.scan, in x_t and s_0."""
    cell = CELLS[name](2)
    S = cell.state_size
    x, h0, G = rng.standard_normal((B, T, 2)), 0.5 * rng.standard_normal((B, S)), rng.standard_normal((B, T, S))

    def L(xx, hh):
        return float(np.sum(G * rnnss.scan(cell, xx, h0=hh)))

    res = rnnss.bptt(cell, x, G, h0=h0)
    eps = 1e-6
    dx, dh = np.zeros_like(x), np.zeros_like(h0)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        dx[idx] = (L(x + e, h0) - L(x - e, h0)) / (2 * eps)
    for idx in np.ndindex(h0.shape):
        e = np.zeros_like(h0)
        e[idx] = eps
        dh[idx] = (L(x, h0 + e) - L(x, h0 - e)) / (2 * eps)
    np.testing.assert_allclose(res.inputs, dx, rtol=1e-6, atol=1e-7 * np.abs(dx).max())
    np.testing.assert_allclose(res.h0, dh, rtol=1e-6, atol=1e-7 * np.abs(dh).max())
    # parameters, by differences of the same L
    for key, grad in res.params.items():
        p0 = getattr(cell, key)
        fd = np.zeros(p0.shape)
        for idx in np.ndindex(p0.shape):
            vals = []
            for sign in (1.0, -1.0):
                q = np.array(p0)
                q[idx] += sign * eps
                vals.append(float(np.sum(G * rnnss.scan(dataclasses.replace(cell, **{key: q}), x, h0=h0))))
            fd[idx] = (vals[0] - vals[1]) / (2 * eps)
        np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-7 * np.abs(fd).max(), err_msg=key)


def test_bptt_layouts_closed_form_and_degenerate_sizes():
    """Closed form: for h_t = w h_{t-1} + u x_t and L = h_T, dL/dw = sum_t w^(T-t) h_{t-1}, dL/dx_t = w^(T-t) u."""
    w, u = 0.7, 1.3
    cell = rnnss.ElmanCell(W=[[w]], U=[[u]], activation="identity")
    x = np.array([0.5, -1.0, 2.0, 0.25])
    Tn = x.size
    G = np.zeros((Tn, 1))
    G[-1] = 1.0
    h = rnnss.scan(cell, x)[:, 0]
    hprev = np.r_[0.0, h[:-1]]
    res = rnnss.bptt(cell, x, G)  # one sequence in, one out: (T, p) layout kept
    lags = Tn - 1 - np.arange(Tn)
    assert res.params["W"][0, 0] == pytest.approx(np.sum(w**lags * hprev), rel=1e-14)
    assert res.params["U"][0, 0] == pytest.approx(np.sum(w**lags * x), rel=1e-14)
    np.testing.assert_allclose(res.inputs[:, 0], w**lags * u, rtol=1e-14)
    assert res.h0.shape == (1,) and res.h0[0] == pytest.approx(w**Tn, rel=1e-14)
    # T = 1 and a batch of one
    one = rnnss.bptt(cell, x[None, :1, None], np.ones((1, 1, 1)))
    assert one.inputs.shape == (1, 1, 1) and one.inputs[0, 0, 0] == u and one.params["W"][0, 0] == 0.0
    # an empty batch has zero gradients
    empty = rnnss.bptt(rnnss.random_cell("lstm", 2, 3, rng=0), np.zeros((0, 4, 3)), np.zeros((0, 4, 4)))
    assert empty.inputs.shape == (0, 4, 3) and empty.h0.shape == (0, 4)
    assert all(np.all(g == 0) for g in empty.params.values()) and empty.params["W"].shape == (8, 2)
    assert "CellGradient(||dW||=" in repr(res)


def test_engines_agree_on_long_sequences_and_every_cell(rng):
    """NumPy and numba run the same recursions: equal to 1e-12 also over 300 steps of a large batch."""
    x = rng.standard_normal((16, 300, 2))
    for name in CELLS:
        cell = CELLS[name](2)
        G = rng.standard_normal((16, 300, cell.state_size))
        a = rnnss.bptt(cell, x, G, engine="numpy")
        b = rnnss.bptt(cell, x, G, engine="numba")
        for key in a.params:
            scale = np.abs(a.params[key]).max()
            np.testing.assert_allclose(b.params[key], a.params[key], rtol=1e-12, atol=1e-12 * scale, err_msg=name)
        np.testing.assert_allclose(b.inputs, a.inputs, rtol=1e-12, atol=1e-12 * np.abs(a.inputs).max())


def test_predict_and_evaluate_loss_match_scan(rng):
    cell = CELLS["torch-gru"](2)
    readout = rnnss.LinearReadout(rng.standard_normal((2, 3)), rng.standard_normal(2))
    x = rng.standard_normal((4, 7, 2))
    np.testing.assert_allclose(
        rnnss.predict(cell, readout, x), rnnss.scan(cell, x) @ readout.V.T + readout.d, rtol=1e-13, atol=1e-15
    )
    assert rnnss.predict(cell, readout, x[0]).shape == (7, 2)
    assert rnnss.predict(cell, readout, np.zeros((0, 7, 2))).shape == (0, 7, 2)
    data = _data("ce-all", 2, rng)
    ro3 = rnnss.LinearReadout(rng.standard_normal((3, 3)))
    assert rnnss.evaluate_loss(cell, ro3, data) == pytest.approx(reference_loss(cell, ro3.V, ro3.d, data), rel=1e-13)


# -- bad input --------------------------------------------------------------------------------------------


def test_gradient_argument_errors(rng):
    data = _data("mse-last", 2, rng)
    cell = CELLS["lstm"](2)
    good = rnnss.LinearReadout(np.ones((2, 3)))
    custom = rnnss.ElmanCell(W=np.eye(3), U=np.ones((3, 2)), activation=np.sinh, derivative=np.cosh)
    with pytest.raises(TypeError, match="cannot train a ElmanCell with a custom activation"):
        rnnss.loss_and_grad(custom, good, data)
    with pytest.raises(TypeError, match="model must be an rnnss cell or rnnss.Bidirectional; got NoisyCell"):
        rnnss.loss_and_grad(rnnss.NoisyCell(cell, Q=0.1, R=0.1), good, data)
    hmm_cell = rnnss.OneHotSoftmaxCell(W=np.zeros((2, 2)), V=np.zeros((2, 2)), init_logits=np.zeros(2))
    with pytest.raises(TypeError, match="cell must be one of the trainable cells .* got OneHotSoftmaxCell"):
        rnnss.loss_and_grad(hmm_cell, good, data)
    with pytest.raises(TypeError, match="model must be an rnnss cell or rnnss.Bidirectional; got str"):
        rnnss.loss_and_grad("lstm", good, data)
    with pytest.raises(TypeError, match="readout must be a rnnss.LinearReadout"):
        rnnss.loss_and_grad(cell, np.ones((2, 3)), data)
    with pytest.raises(TypeError, match="data must be a rnnss.SequenceData"):
        rnnss.loss_and_grad(cell, good, (data.x, data.y))
    with pytest.raises(DimensionError, match="readout must read 3 hidden units"):
        rnnss.loss_and_grad(cell, rnnss.LinearReadout(np.ones((2, 6))), data)
    with pytest.raises(DimensionError, match=r"readout must have 2 outputs \(the data's outputs\)"):
        rnnss.loss_and_grad(cell, rnnss.LinearReadout(np.ones((1, 3))), data)
    with pytest.raises(DimensionError, match="data.x must have p = 4 inputs"):
        rnnss.loss_and_grad(rnnss.random_cell("gru", 3, 4, rng=0), good, data)
    with pytest.raises(ValueError, match="truncate must be an integer >= 1"):
        rnnss.loss_and_grad(cell, good, data, truncate=0)
    with pytest.raises(ValueError, match="engine must be one of"):
        rnnss.loss_and_grad(cell, good, data, engine="cuda")
    with pytest.raises(DimensionError, match=r"state_grads must have shape \(5, 6\) or \(3, 5, 6\)"):
        rnnss.bptt(cell, data.x, np.zeros((3, 5, 3)))
    with pytest.raises(DimensionError, match=r"h0 must have shape \(6,\) or \(3, 6\)"):
        rnnss.bptt(cell, data.x, np.zeros((3, 5, 6)), h0=np.zeros(3))
    with pytest.raises(ValueError, match="state_grads must be finite"):
        rnnss.bptt(cell, data.x, np.full((3, 5, 6), np.nan))
    with pytest.raises(DimensionError, match="readout must read 3 hidden units"):
        rnnss.predict(cell, rnnss.LinearReadout(np.ones((1, 2))), data.x)
