"""Tests of rnnss.dynamics: fixed points, linearisation, bifurcation, Lyapunov exponents, BPTT and memory, each
against a closed form, a brute-force computation or python-control/scipy."""

import math

import control
import numpy as np
import pytest
import scipy.optimize

import rnnss
from rnnss import (
    DimensionError,
    FixedPoints,
    LinearRNN,
    clip_by_norm,
    fixed_points,
    gradient_paths,
    half_life,
    jacobian_products,
    linearize,
    lyapunov_exponents,
    tanh_bifurcation,
    time_constant,
)
from rnnss.cells import ElmanCell, LSTMCell, numerical_jacobian, random_cell, random_orthogonal


def tanh_root(w, b, bracket):
    """Reference fixed point of h = tanh(w h + b) in a bracket, by scipy's Brent method."""
    return scipy.optimize.brentq(lambda h: np.tanh(w * h + b) - h, *bracket, xtol=1e-16, rtol=1e-15)


def symmetric_with_radius(n, rho, seed):
    """A symmetric matrix (so ||W^k||_2 = rho^k exactly) with spectral radius rho."""
    Q = random_orthogonal(n, rng=seed)
    lam = np.linspace(-rho, rho, n)
    return Q @ np.diag(lam) @ Q.T


# -- fixed points --------------------------------------------------------------------------------


def test_bistable_tanh_neuron_fixed_points_against_brent():
    """h = tanh(2 h): 0 (unstable, slope 2) and +-h* (stable, slope 2 (1 - h*^2)), h* by brentq."""
    fp = fixed_points(ElmanCell(W=[[2.0]]), n_starts=40, rng=0)
    hs = tanh_root(2.0, 0.0, (0.5, 1.0))
    np.testing.assert_allclose(fp.points[:, 0], [-hs, 0.0, hs], atol=1e-14)
    assert fp.stability == ("stable", "unstable", "stable")
    np.testing.assert_allclose(fp.eigenvalues[:, 0].real, [2 * (1 - hs**2), 2.0, 2 * (1 - hs**2)], rtol=1e-12)
    np.testing.assert_allclose(
        fp.half_life,
        [
            math.log(0.5) / math.log(2 * (1 - hs**2)),
            math.log(0.5) / math.log(2.0),
            math.log(0.5) / math.log(2 * (1 - hs**2)),
        ],
        rtol=1e-12,
    )
    assert fp.basin_counts.sum() == fp.n_starts - fp.n_failed
    assert isinstance(fp, FixedPoints) and len(fp) == 3 and "2 stable, 1 unstable" in repr(fp)
    np.testing.assert_allclose(fp.where("stable")[:, 0], [-hs, hs], atol=1e-14)
    assert "unstable" in fp.summary() and fp.where("saddle").shape == (0, 1)
    with pytest.raises(ValueError, match="label must be one of"):
        fp.where("attractor")


def test_bias_shifts_fixed_point_as_implicit_function_theorem_says():
    """h* = tanh(w h* + b): dh*/db = (1 - h*^2) / (1 - w (1 - h*^2)) (implicit function theorem)."""
    w, bs, eps = 0.5, np.linspace(-1.0, 1.0, 9), 1e-6
    points = []
    for b in bs:
        fp = fixed_points(ElmanCell(W=[[w]], b=[b]), n_starts=8, rng=1)
        assert len(fp) == 1 and fp.stability == ("stable",)
        assert fp.points[0, 0] == pytest.approx(tanh_root(w, b, (-1, 1)), abs=1e-14)
        points.append(fp.points[0, 0])
        plus = fixed_points(ElmanCell(W=[[w]], b=[b + eps]), n_starts=2, rng=1).points[0, 0]
        minus = fixed_points(ElmanCell(W=[[w]], b=[b - eps]), n_starts=2, rng=1).points[0, 0]
        h = fp.points[0, 0]
        assert (plus - minus) / (2 * eps) == pytest.approx((1 - h**2) / (1 - w * (1 - h**2)), rel=1e-7)
    assert np.all(np.diff(points) > 0)  # a larger bias moves the resting state up


def test_bias_destroys_bistability_past_the_fold():
    """For w = 2 the fold is at |b| = sqrt(2) - artanh(sqrt(1/2)) = 0.5328: three points inside, one outside."""
    bc = math.sqrt(2.0) - math.atanh(math.sqrt(0.5))
    assert len(fixed_points(ElmanCell(W=[[2.0]], b=[bc - 0.05]), rng=0)) == 3
    fp = fixed_points(ElmanCell(W=[[2.0]], b=[bc + 0.05]), rng=0)
    assert len(fp) == 1 and fp.points[0, 0] == pytest.approx(tanh_root(2.0, bc + 0.05, (0.0, 1.0)), abs=1e-14)


def test_linear_cell_fixed_point_is_the_closed_form(rng):
    """Identity activation: h* = (I - W)^{-1} (U x + b) (rnnss.fixed_point), stable iff rho(W) < 1."""
    W, U, b, x = (
        0.4 * random_orthogonal(3, rng=2),
        rng.standard_normal((3, 2)),
        rng.standard_normal(3),
        rng.standard_normal(2),
    )
    fp = fixed_points(ElmanCell(W, U, b, activation="identity"), x, n_starts=5, rng=3)
    assert len(fp) == 1 and fp.stability == ("stable",)
    np.testing.assert_allclose(fp.points[0], np.linalg.solve(np.eye(3) - W, U @ x + b), atol=1e-13)
    np.testing.assert_allclose(np.sort(np.abs(fp.eigenvalues[0])), 0.4, rtol=1e-12)
    unstable = fixed_points(ElmanCell(1.5 * np.eye(2) + 0.1, activation="identity", b=[1.0, 0.0]), n_starts=3, rng=0)
    assert unstable.stability == ("unstable",)
    saddle = fixed_points(ElmanCell(np.diag([1.5, 0.5]), activation="identity"), n_starts=3, rng=0)
    assert saddle.stability == ("saddle",)


@pytest.mark.parametrize("kind", ["lstm", "gru", "leaky"])
def test_gated_cell_fixed_points_are_fixed_and_eigenvalues_match_finite_differences(kind):
    kw = {"alpha": 0.5} if kind == "leaky" else {}
    cell = random_cell(kind, 3, 1, gain=1.5, rng=4, **kw)
    x = np.array([0.3])
    fp = fixed_points(cell, x, n_starts=30, rng=5)
    assert len(fp) >= 1
    for pt, eig, res in zip(fp.points, fp.eigenvalues, fp.residuals):
        assert res <= 1e-12 * max(1.0, np.abs(pt).max())
        np.testing.assert_allclose(cell.step(x, pt), pt, atol=1e-12)
        ref = np.linalg.eigvals(numerical_jacobian(cell, x, pt))
        np.testing.assert_allclose(np.sort(np.abs(eig)), np.sort(np.abs(ref)), atol=1e-8)


def test_fixed_points_with_explicit_starts_and_errors():
    cell = ElmanCell(W=[[2.0]])
    fp = fixed_points(cell, starts=[0.9, 0.95, 1.0])  # all in the basin of +h*
    assert len(fp) == 1 and fp.basin_counts[0] == 3 and fp.n_starts == 3
    with pytest.raises(DimensionError, match=r"starts must have shape \(k, 1\)"):
        fixed_points(cell, starts=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="starts must be finite"):
        fixed_points(cell, starts=[np.nan])
    with pytest.raises(DimensionError, match=r"x must have shape \(0,\)"):
        fixed_points(cell, x=[1.0])
    with pytest.raises(TypeError, match="cell must be an rnnss cell"):
        fixed_points(LinearRNN(W=0.5))
    with pytest.raises(ValueError, match="n_starts must be an integer >= 1"):
        fixed_points(cell, n_starts=0)


def test_relu_cell_without_fixed_point_reports_none():
    """h = max(0, 1.5 h + 1) has no fixed point with h >= 0 (it grows exponentially)."""
    fp = fixed_points(ElmanCell(W=[[1.5]], U=[[1.0]], activation="relu"), [1.0], n_starts=10, scale=3.0, rng=0)
    assert len(fp) == 0 and fp.n_failed == fp.n_starts and "none found" in repr(fp)


# -- linearisation ----------------------------------------------------------------------------------


def test_linearize_linear_cell_is_exact(rng):
    W, U, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(3)
    lin = linearize(ElmanCell(W, U, b, activation="identity"), rng.standard_normal(3), rng.standard_normal(2), dt=0.02)
    np.testing.assert_allclose(lin.W, W, rtol=1e-15)
    np.testing.assert_allclose(lin.U, U, rtol=1e-15)
    np.testing.assert_allclose(lin.b, b, atol=1e-14)
    assert isinstance(lin, LinearRNN) and lin.dt == 0.02


def test_linearization_is_first_order_accurate(rng):
    """One-step error of the affine model shrinks like |delta|^2 (Taylor): halving delta divides it by ~4."""
    cell = random_cell("lstm", 2, 1, gain=1.5, rng=3)
    s0, x0 = rng.standard_normal(4), np.array([0.2])
    lin = linearize(cell, s0, x0)
    direction = rng.standard_normal(5)
    errs = []
    for scale in (1e-2, 5e-3):
        ds, dx = scale * direction[:4], scale * direction[4:]
        approx = lin.W @ (s0 + ds) + lin.U @ (x0 + dx) + lin.b
        errs.append(np.max(np.abs(cell.step(x0 + dx, s0 + ds) - approx)))
    assert errs[0] / errs[1] == pytest.approx(4.0, rel=0.05)
    np.testing.assert_allclose(lin.h0, s0)


def test_linearization_at_fixed_point_dc_gain_matches_fixed_point_sensitivity():
    """python-control's DC gain of the linearisation, C (I - A)^{-1} B, equals d h*/d x measured by
    re-solving the nonlinear fixed point at x +- eps (implicit function theorem, independent route)."""
    cell = random_cell("elman", 3, 2, gain=0.9, rng=6)
    x0, eps = np.array([0.3, -0.2]), 1e-6
    h_star = fixed_points(cell, x0, n_starts=5, rng=0).points[0]
    lin = linearize(cell, h_star, x0)
    np.testing.assert_allclose(rnnss.fixed_point(lin, x0), h_star, atol=1e-13)
    sys = control.ss(lin.W, lin.U, np.eye(3), np.zeros((3, 2)), dt=1)
    dc = control.dcgain(sys)  # C (I - A)^{-1} B for a discrete system
    fd = np.column_stack(
        [
            (
                fixed_points(cell, x0 + e, n_starts=2, rng=0).points[0]
                - fixed_points(cell, x0 - e, n_starts=2, rng=0).points[0]
            )
            / (2 * eps)
            for e in eps * np.eye(2)
        ]
    )
    np.testing.assert_allclose(dc, fd, atol=1e-8)
    # The linearised input-to-state map is reachable (python-control's ctrb has full rank).
    assert np.linalg.matrix_rank(control.ctrb(lin.W, lin.U)) == 3


def test_half_life_of_a_perturbation_from_the_linearisation():
    """Scalar tanh neuron at its stable point: a kick decays like f'(h*)^t with f' = w (1 - h*^2); the
    half-life ln 0.5 / ln f' from rnnss.eigenmodes matches the decay measured on the nonlinear cell."""
    w, b = 0.8, 0.3
    cell = ElmanCell(W=[[w]], b=[b])
    h = tanh_root(w, b, (-1, 1))
    slope = w * (1 - h**2)
    modes = rnnss.eigenmodes(linearize(cell, [h]))
    assert modes.half_life[0] == pytest.approx(math.log(0.5) / math.log(slope), rel=1e-12)
    kick = 1e-7
    traj = rnnss.scan(cell, np.zeros((6, 0)), h0=[h + kick])[:, 0] - h
    np.testing.assert_allclose(traj / kick, slope ** np.arange(1, 7), rtol=1e-5)
    assert fixed_points(cell, rng=0).half_life[0] == pytest.approx(modes.half_life[0], rel=1e-10)


# -- bifurcation of the tanh neuron --------------------------------------------------------------------


def test_pitchfork_at_w_equal_one():
    """b = 0: one stable point 0 for w < 1; for w > 1, 0 unstable (slope w) and +-h* stable (brentq)."""
    w = np.array([0.3, 0.9, 1.0, 1.2, 2.0, 3.5])
    bif = tanh_bifurcation(w, 0.0)
    np.testing.assert_array_equal(bif.n_fixed[:, 0], [1, 1, 1, 3, 3, 3])
    np.testing.assert_array_equal(bif.n_stable[:, 0], [1, 1, 0, 2, 2, 2])  # w = 1: marginal (slope exactly 1)
    np.testing.assert_array_equal(bif.bistable[:, 0], [False, False, False, True, True, True])
    for i in range(3, 6):
        hs = tanh_root(w[i], 0.0, (1e-3, 1.0))
        np.testing.assert_allclose(bif.points[i, 0], [-hs, 0.0, hs], atol=2e-16)
        np.testing.assert_allclose(bif.slopes[i, 0], [w[i] * (1 - hs**2), w[i], w[i] * (1 - hs**2)], rtol=1e-12)
    # w = 1 is a triple root: tanh(h) - h = -h^3/3 + ... vanishes in floating point for |h| < ~1e-8, so
    # the root is only known to ~1e-8 and the slope to ~1e-16; it is classified marginal.
    assert abs(bif.points[2, 0, 0]) < 1e-7 and bif.slopes[2, 0, 0] == pytest.approx(1.0, abs=1e-12)


def test_bifurcation_counts_against_brute_force_and_fold_curve():
    """Counts against sign changes of tanh(w h + b) - h on 2e5 grid points, and n_fixed == 3 exactly
    inside the closed-form fold |b| < sqrt(w (w - 1)) - artanh(sqrt(1 - 1/w))."""
    w, b = np.linspace(-1.0, 4.0, 26), np.linspace(-1.5, 1.5, 31)
    bif = tanh_bifurcation(w, b)
    h = np.linspace(-1.0, 1.0, 200_001)
    for i, wi in enumerate(w):
        for j, bj in enumerate(b):
            g = np.tanh(wi * h + bj) - h
            assert bif.n_fixed[i, j] == np.sum(g[:-1] * g[1:] < 0) + np.sum(g == 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        bc = np.where(w > 1, np.sqrt(w * (w - 1)) - np.arctanh(np.sqrt(1 - 1 / w)), np.nan)
    np.testing.assert_allclose(bif.saddle_node_bias(), bc, rtol=1e-12)
    inside = (w[:, None] > 1) & (np.abs(b[None, :]) < bc[:, None])
    np.testing.assert_array_equal(bif.n_fixed == 3, inside)
    np.testing.assert_array_equal(bif.n_stable == 2, inside)
    resid = np.tanh(w[:, None, None] * bif.points + b[None, :, None]) - bif.points
    assert np.nanmax(np.abs(resid)) < 1e-15
    assert "bistable" in repr(bif)


def test_bifurcation_finds_both_roots_next_to_a_fold():
    """Just inside the fold (b = b_c - 1e-8) two of the three roots, next to the tangency at
    h = -sqrt(1 - 1/w), are ~1e-4 apart; the monotone-piece split still finds both."""
    w = 2.0
    bc = math.sqrt(2.0) - math.atanh(math.sqrt(0.5))
    bif = tanh_bifurcation(w, bc - 1e-8)
    assert bif.n_fixed[0, 0] == 3 and bif.n_stable[0, 0] == 2
    pts = bif.points[0, 0]
    assert 0 < pts[1] - pts[0] < 1e-3 and pts[0] < -math.sqrt(0.5) < pts[1]
    assert np.all(np.abs(np.tanh(w * pts + bc - 1e-8) - pts) < 1e-15)


def test_bifurcation_bad_input():
    with pytest.raises(DimensionError, match=r"w must be a scalar or have shape \(k,\)"):
        tanh_bifurcation(np.ones((2, 2)), 0.0)
    with pytest.raises(ValueError, match="b must be finite"):
        tanh_bifurcation(1.0, [np.nan])


# -- Lyapunov exponents ---------------------------------------------------------------------------------


def test_lyapunov_linear_cell_is_log_eigenvalue_moduli(rng):
    """Elman with identity phi: exponents -> ln|lambda_i(W)|; their sum is mean ln|det W| at every T."""
    S = rng.standard_normal((3, 3))
    W = S @ np.diag([0.9, -0.5, 0.2]) @ np.linalg.inv(S)  # non-normal, distinct moduli
    spec = lyapunov_exponents(ElmanCell(W, activation="identity"), steps=1500, h0=[1.0, 1.0, 1.0], rng=1)
    np.testing.assert_allclose(spec.exponents, np.log([0.9, 0.5, 0.2]), atol=3e-3)
    assert spec.exponents.sum() == pytest.approx(math.log(abs(np.linalg.det(W))), rel=1e-10)
    assert spec.history.shape == (1500, 3) and spec.max_exponent == spec.exponents[0]
    # A rotation-scaling r R(theta): a complex pair, both exponents ln r.
    th = 0.7
    rot = 0.8 * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    spec2 = lyapunov_exponents(ElmanCell(rot, activation="identity"), steps=50, rng=2)
    np.testing.assert_allclose(spec2.exponents, math.log(0.8), rtol=1e-12)


@pytest.mark.parametrize(
    "W",
    [
        np.diag([0.5, 1.2]),  # the case: the identity start reported ln 0.5 < 0 for an exploding network
        np.array([[0.5, 3.0], [0.0, 1.2]]),  # upper triangular: e_1 invariant
        np.array([[0.3, 0.0, 0.0], [2.0, -1.1, 0.0], [-1.0, 0.7, 0.9]]),  # lower triangular, a negative pivot
    ],
    ids=["diagonal", "upper-triangular", "lower-triangular"],
)
def test_lyapunov_invariant_axes_closed_form(W):
    """Triangular W: exponents are ln|W_ii| sorted (closed form), although coordinate axes are invariant."""
    ref = np.sort(np.log(np.abs(np.diag(W))))[::-1]
    cell = ElmanCell(W, activation="identity")
    # After a transient the random frame is aligned, and every later step stretches by exactly |lambda_i|.
    spec = lyapunov_exponents(cell, steps=400, discard=300, h0=np.ones(W.shape[0]), rng=3)
    np.testing.assert_allclose(spec.exponents, ref, rtol=1e-10)
    # Without a transient the estimate carries the O(1/T) orientation error of the start, never the wrong sign.
    raw = lyapunov_exponents(cell, steps=2000, rng=4)
    np.testing.assert_allclose(raw.exponents, ref, atol=5.0 / 2000)
    assert raw.max_exponent > 0  # every case has an exploding mode
    top = lyapunov_exponents(cell, steps=2000, rng=4, n_exponents=1)
    assert top.exponents.shape == (1,) and top.max_exponent == pytest.approx(raw.max_exponent, rel=1e-12)


def test_lyapunov_lstm_highway_closed_form():
    """LSTM with W = U = 0 and forget gate f = sigma(b_f): J = [[0, D], [0, f I]], so the spectrum is ln f (n times,
    the cell-state directions) and -inf (n times, the h-directions that J annihilates). The identity start gave -inf
    as the largest."""
    n, f = 2, 0.99
    b = np.zeros(4 * n)
    b[n : 2 * n] = math.log(f / (1 - f))
    lstm = LSTMCell(np.zeros((4 * n, n)), b=b)
    # From c = 0 (with g = tanh(0) = 0) the cell state stays at 0, J is constant and after one step the frame
    # spans range(J), which J stretches by exactly f.
    spec = lyapunov_exponents(lstm, steps=20, discard=1, rng=5)
    np.testing.assert_allclose(spec.exponents[:n], math.log(f), rtol=1e-12)
    assert np.all(spec.exponents[n:] < -30)  # annihilated: rounding leaves ~1e-16 per step, ln = -37
    top = lyapunov_exponents(lstm, steps=20, discard=1, n_exponents=1, rng=6)
    assert top.max_exponent == pytest.approx(-0.01005033585350145, rel=1e-12)
    # From c = 1 the cell state decays and J varies; the estimate telescopes to ln f + O(1/T).
    spec = lyapunov_exponents(lstm, steps=3000, h0=np.ones(2 * n), rng=7)
    np.testing.assert_allclose(spec.exponents[:n], math.log(f), atol=2.0 / 3000)
    assert np.all(np.diff(spec.exponents) <= 0) and np.all(np.diff(spec.history, axis=1) <= 0)


def _second_compound(J):
    """The 2nd compound matrix (action on wedge products e_i ^ e_j, i < j): its top exponent is lambda_1 + lambda_2."""
    n = J.shape[0]
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    C = np.empty((len(pairs), len(pairs)))
    for r, (i, j) in enumerate(pairs):
        for c, (k, m) in enumerate(pairs):
            C[r, c] = J[i, k] * J[j, m] - J[i, m] * J[j, k]
    return C


@pytest.mark.parametrize("kind", ["elman", "gru"])
def test_lyapunov_random_networks_against_power_iteration(kind, rng):
    """Independent references on random driven networks: lambda_1 from the growth of the whole Jacobian product
    (rescaled every step, no QR), lambda_1 + lambda_2 from the same on the 2nd compound matrices, and the sum of all
    exponents equal to the mean ln|det J_t| (exact at every T)."""
    cell = random_cell(kind, 4, 1, gain=2.5, rng=11)
    T = 3000
    x = rng.standard_normal((T, 1))
    spec = lyapunov_exponents(cell, x, rng=12)
    states = np.vstack([np.zeros(cell.state_size), rnnss.scan(cell, x)])
    Js = cell.jacobian(x, states[:-1])
    P, P2 = np.eye(4), np.eye(6)
    log1 = log2 = 0.0
    for J in Js:
        P, P2 = J @ P, _second_compound(J) @ P2
        s1, s2 = np.linalg.norm(P, 2), np.linalg.norm(P2, 2)
        P, P2, log1, log2 = P / s1, P2 / s2, log1 + math.log(s1), log2 + math.log(s2)
    # Both estimators carry O(1/T) start-up terms of order one (the start's orientation).
    assert spec.exponents[0] == pytest.approx(log1 / T, abs=5.0 / T)
    assert spec.exponents[0] + spec.exponents[1] == pytest.approx(log2 / T, abs=5.0 / T)
    logdet = np.mean(np.linalg.slogdet(Js)[1])
    assert spec.exponents.sum() == pytest.approx(logdet, rel=1e-10)


def test_lyapunov_contracting_neuron_at_its_fixed_point():
    """Autonomous h = tanh(w h + b), |w| < 1: the trajectory settles at h*, exponent ln|w (1 - h*^2)|."""
    w, b = 0.9, 0.2
    spec = lyapunov_exponents(ElmanCell(W=[[w]], b=[b]), steps=3000, h0=[0.5], discard=200)
    h = tanh_root(w, b, (-1, 1))
    assert spec.exponents[0] == pytest.approx(math.log(w * (1 - h**2)), rel=1e-9)
    assert spec.final_state[0] == pytest.approx(h, abs=1e-14)


def test_lyapunov_driven_scalar_equals_mean_log_derivative(rng):
    """1-D: the product of Jacobians is a product of scalars, so lambda = mean ln|w tanh'(a_t)| exactly."""
    w = 1.7
    cell = ElmanCell(W=[[w]], U=[[1.0]])
    x = rng.standard_normal((400, 1))
    spec = lyapunov_exponents(cell, x, h0=[0.1], discard=50)
    h = rnnss.scan(cell, x, h0=[0.1])[:, 0]
    a = w * np.r_[0.1, h[:-1]] + x[:, 0]
    assert spec.exponents[0] == pytest.approx(np.mean(np.log(np.abs(w * (1 - np.tanh(a) ** 2)))[50:]), rel=1e-12)


def test_lyapunov_bounded_by_jacobian_bound_and_subset(rng):
    """ln of the uniform bound |phi'|_inf ||W||_2 bounds every exponent; n_exponents = k with the same rng gives
    the k leading exponents of the full spectrum (the frame's first k columns are the same)."""
    cell = random_cell("elman", 5, 2, gain=2.0, rng=2)
    x = rng.standard_normal((300, 2))
    full = lyapunov_exponents(cell, x, discard=20, rng=8)
    assert full.max_exponent <= math.log(cell.jacobian_bound)
    assert np.all(np.diff(full.exponents) <= 0)
    for k in (1, 2, 4):
        top = lyapunov_exponents(cell, x, discard=20, n_exponents=k, rng=8)
        np.testing.assert_allclose(top.exponents, full.exponents[:k], rtol=1e-10)
        assert top.history.shape == (280, k)
    assert "LyapunovSpectrum" in repr(full)


def test_lyapunov_errors():
    cell = ElmanCell(W=[[0.5]], U=[[1.0]])
    with pytest.raises(TypeError, match="give the input sequence x or"):
        lyapunov_exponents(cell)
    with pytest.raises(ValueError, match="discard must be smaller than the number of steps T = 3"):
        lyapunov_exponents(cell, np.zeros(3), discard=3)
    with pytest.raises(ValueError, match="n_exponents must be <= the state size 1"):
        lyapunov_exponents(cell, np.zeros(3), n_exponents=2)
    with pytest.raises(DimensionError, match=r"x must be one sequence of shape \(T, 1\)"):
        lyapunov_exponents(cell, np.zeros((2, 3, 1)))
    with pytest.raises(DimensionError, match=r"h0 must have shape \(1,\)"):
        lyapunov_exponents(cell, np.zeros(3), h0=[0.0, 0.0])
    with pytest.raises(ValueError, match="h0 must be finite"):
        lyapunov_exponents(cell, np.zeros(3), h0=[np.nan])
    with pytest.raises(ValueError, match="x must be finite"):
        jacobian_products(cell, [0.0, np.inf])
    with pytest.raises(ValueError, match="state must be finite"):
        linearize(cell, [np.inf])
    exploding = ElmanCell(W=[[1e200]], activation="identity")
    with pytest.raises(rnnss.NumericalError, match="trajectory diverged: the state after step 2 is not finite"):
        jacobian_products(exploding, steps=5, h0=[1.0])


# -- BPTT Jacobian products --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["elman", "lstm", "gru"])
def test_jacobian_products_against_brute_force_finite_differences(kind, rng):
    """d s_T / d s_{T-k}: perturb s_{T-k}, re-run the last k steps (central differences of the whole map)."""
    cell = random_cell(kind, 3, 1, gain=1.5, rng=7)
    T = 12
    x = rng.standard_normal((T, 1))
    flow = jacobian_products(cell, x, h0=rng.standard_normal(cell.state_size))
    eps = 1e-6
    for k in (1, 5, 12):
        start = flow.states[T - k]
        cols = []
        for e in eps * np.eye(cell.state_size):
            plus = rnnss.scan(cell, x[T - k :], h0=start + e)[-1]
            minus = rnnss.scan(cell, x[T - k :], h0=start - e)[-1]
            cols.append((plus - minus) / (2 * eps))
        np.testing.assert_allclose(flow.products[k], np.column_stack(cols), atol=1e-8)
    np.testing.assert_array_equal(flow.products[0], np.eye(cell.state_size))
    np.testing.assert_allclose(flow.norms, np.linalg.norm(flow.products, 2, axis=(1, 2)), rtol=1e-12)


def test_norm_chain_of_bounds(rng):
    """||prod J|| <= prod ||J|| <= (|phi'|_inf ||W||_2)^k (submultiplicativity, then the uniform bound)."""
    cell = random_cell("elman", 6, 2, gain=1.4, rng=9)
    flow = jacobian_products(cell, rng.standard_normal((80, 2)), store_products=False)
    assert flow.products is None
    assert np.all(flow.norms <= flow.stepwise_bound * (1 + 1e-12))
    assert np.all(flow.stepwise_bound <= flow.uniform_bound * (1 + 1e-12))
    np.testing.assert_allclose(flow.uniform_bound, cell.jacobian_bound ** np.arange(81), rtol=1e-12)
    assert jacobian_products(random_cell("lstm", 2, 1, rng=0), steps=5).uniform_bound is None


def test_seed_number_vanishing_after_60_steps():
    """rho = 0.95 over 60 steps: ||d h_60 / d h_0|| = 0.95^60 = 0.046 (symmetric W, tanh cell at rest)."""
    W = symmetric_with_radius(4, 0.95, seed=1)
    flow = jacobian_products(ElmanCell(W), steps=60)  # h stays 0, where tanh' = 1: every J_t = W
    assert flow.norms[60] == pytest.approx(0.95**60, rel=1e-10)
    assert round(flow.norms[60], 3) == 0.046
    assert flow.rate == pytest.approx(0.95, rel=1e-10)
    assert "GradientFlow(T=60" in repr(flow)


def test_seed_numbers_adding_problem_rnn_versus_lstm():
    """The adding problem over 500 steps: a simple RNN with rho = 0.90 keeps 0.90^499 = 1.4e-23 of the
    gradient; an LSTM whose forget gate sits at f = 0.99 keeps 0.99^499 = 6.6e-3 along its cell state."""
    rnn = ElmanCell(W=symmetric_with_radius(3, 0.90, seed=2), U=np.ones((3, 1)), activation="identity")
    flow_rnn = jacobian_products(rnn, np.zeros((499, 1)))
    assert flow_rnn.norms[499] == pytest.approx(0.90**499, rel=1e-9)
    n, f = 3, 0.99
    b = np.zeros(4 * n)
    b[n : 2 * n] = math.log(f / (1 - f))  # sigma(b_f) = 0.99 exactly, whatever the state
    lstm = LSTMCell(np.zeros((4 * n, n)), U=np.zeros((4 * n, 1)), b=b)
    flow_lstm = jacobian_products(lstm, np.zeros((499, 1)), h0=np.ones(2 * n))
    np.testing.assert_allclose(flow_lstm.products[499][n:, n:], f**499 * np.eye(n), rtol=1e-9)
    assert f**499 == pytest.approx(6.6e-3, rel=0.01) and 0.90**499 == pytest.approx(1.4e-23, rel=0.05)
    assert flow_lstm.norms[499] / flow_rnn.norms[499] > 1e20  # "many orders of magnitude"


# -- bidirectional gradient paths --------------------------------------------------------------------


def test_bidirectional_gradient_flow_linear_closed_form(rng):
    """Linear cells: d h->_t / d x_s = W_f^(t-s) U_f, d h<-_t / d x_s = W_b^(s-t) U_b, and the read-out stacks both."""
    Wf, Wb = 0.7 * random_orthogonal(3, rng=1), np.array([[0.6, 0.4], [0.0, -0.5]])
    Uf, Ub = rng.standard_normal((3, 2)), rng.standard_normal((2, 2))
    bi = rnnss.Bidirectional(ElmanCell(Wf, Uf, activation="identity"), ElmanCell(Wb, Ub, activation="identity"))
    T = 7
    flow = rnnss.bidirectional_gradient_flow(bi, rng.standard_normal((T, 2)))
    mp = np.linalg.matrix_power
    for t in range(T):
        for s in range(T):
            f = mp(Wf, t - s) @ Uf if s <= t else np.zeros((3, 2))
            b = mp(Wb, s - t) @ Ub if s >= t else np.zeros((2, 2))
            assert flow.forward[t, s] == pytest.approx(np.linalg.norm(f, 2), rel=1e-12, abs=1e-15)
            assert flow.backward[t, s] == pytest.approx(np.linalg.norm(b, 2), rel=1e-12, abs=1e-15)
            assert flow.combined[t, s] == pytest.approx(np.linalg.norm(np.vstack([f, b]), 2), rel=1e-12)
    for s in range(T):
        ref = np.vstack([mp(Wf, T - 1 - s) @ Uf, mp(Wb, s) @ Ub])
        assert flow.endpoints[s] == pytest.approx(np.linalg.norm(ref, 2), rel=1e-12)
    np.testing.assert_array_equal(flow.path_length, [0, 1, 2, 3, 2, 1, 0])
    assert flow.states.shape == (T, 5)


def test_bidirectional_gradient_flow_against_finite_differences(rng):
    """GRU forward, LSTM backward: every Jacobian block d out_t / d x_s by central differences of bidirectional_scan."""
    bi = rnnss.Bidirectional(random_cell("gru", 3, 2, gain=1.5, rng=3), random_cell("lstm", 2, 2, gain=1.5, rng=4))
    T, eps = 6, 1e-6
    x = rng.standard_normal((T, 2))
    h0b = rng.standard_normal(4)
    flow = rnnss.bidirectional_gradient_flow(bi, x, h0_backward=h0b)
    D = np.empty((T, 5, T, 2))  # d out[t] / d x[s, j]
    for s in range(T):
        for j in range(2):
            e = np.zeros((T, 2))
            e[s, j] = eps
            plus = rnnss.bidirectional_scan(bi, x + e, h0_backward=h0b)
            minus = rnnss.bidirectional_scan(bi, x - e, h0_backward=h0b)
            D[:, :, s, j] = (plus - minus) / (2 * eps)
    for t in range(T):
        for s in range(T):
            assert flow.forward[t, s] == pytest.approx(np.linalg.norm(D[t, :3, s], 2), rel=1e-7, abs=1e-9)
            assert flow.backward[t, s] == pytest.approx(np.linalg.norm(D[t, 3:, s], 2), rel=1e-7, abs=1e-9)
            assert flow.combined[t, s] == pytest.approx(np.linalg.norm(D[t, :, s], 2), rel=1e-7, abs=1e-9)
    ends = [np.linalg.norm(np.vstack([D[T - 1, :3, s], D[0, 3:, s]]), 2) for s in range(T)]
    np.testing.assert_allclose(flow.endpoints, ends, rtol=1e-7)
    np.testing.assert_allclose(flow.states, rnnss.bidirectional_scan(bi, x, h0_backward=h0b, full_state=True))


def test_bidirectional_short_path_halves_the_longest_chain():
    """Scalar contracting cells, rho = 0.9, T = 100: a forward read-out reaches x_1 through 0.9^99 = 3e-5, the
    bidirectional read-out reaches every input through at most 0.9^49 (closed form sqrt(0.9^(2(T-1-s)) + 0.9^(2s)))."""
    cell = ElmanCell(W=[[0.9]], U=[[1.0]], activation="identity")
    T = 100
    flow = rnnss.bidirectional_gradient_flow(rnnss.Bidirectional(cell, cell), np.zeros(T))
    s = np.arange(T)
    np.testing.assert_allclose(flow.endpoints, np.sqrt(0.9 ** (2 * (T - 1 - s)) + 0.9 ** (2 * s)), rtol=1e-12)
    assert flow.forward_endpoint[0] == pytest.approx(0.9**99, rel=1e-12)
    assert flow.endpoints.min() >= 0.9**49 and flow.path_length.max() == 49
    np.testing.assert_allclose(flow.backward_endpoint, 0.9**s, rtol=1e-12)
    assert "longest path 49 steps instead of 99" in repr(flow)


def test_bidirectional_gradient_flow_errors():
    cell = random_cell("elman", 2, 1, rng=0)
    bi = rnnss.Bidirectional(cell, cell)
    with pytest.raises(TypeError, match="bi must be an rnnss.Bidirectional; got ElmanCell"):
        rnnss.bidirectional_gradient_flow(cell, np.zeros(3))
    with pytest.raises(DimensionError, match=r"x must be one sequence"):
        rnnss.bidirectional_gradient_flow(bi, np.zeros((2, 3, 1)))
    with pytest.raises(ValueError, match="bi must take inputs"):
        no_input = random_cell("elman", 2, 0, rng=0)
        rnnss.bidirectional_gradient_flow(rnnss.Bidirectional(no_input, no_input), np.zeros((3, 0)))
    with pytest.raises(DimensionError, match=r"h0_backward must have shape \(2,\)"):
        rnnss.bidirectional_gradient_flow(bi, np.zeros(3), h0_backward=np.zeros(3))


def test_clip_by_norm_global_norm():
    """Reference: g * min(1, c / ||g||) with ||g|| over all arrays (PyTorch's clip_grad_norm_ semantics)."""
    gW, gb = np.array([[3.0, 0.0], [0.0, 4.0]]), np.array([12.0])
    (cW, cb), norm = clip_by_norm([gW, gb], 6.5)
    assert norm == 13.0
    np.testing.assert_allclose(cW, gW * 0.5, rtol=1e-15)
    np.testing.assert_allclose(cb, gb * 0.5, rtol=1e-15)
    same, norm2 = clip_by_norm(gW, 100.0)
    np.testing.assert_array_equal(same, gW)
    assert norm2 == 5.0 and same is not gW
    zero, nz = clip_by_norm(np.zeros(3), 1.0)
    assert nz == 0.0 and not zero.any()
    with pytest.raises(ValueError, match=r"grads\[1\] must be finite"):
        clip_by_norm([gW, np.array([np.inf])], 1.0)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        clip_by_norm(gW, 0.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gradient_paths_sum_to_chain_rule_and_finite_difference(seed):
    """2^T path products of h_t = alpha h + g_t beta tanh(h) sum to the chain-rule derivative, which
    equals the central difference of the map h_0 -> h_T."""
    gen = np.random.default_rng(seed)
    T, alpha, beta = 10, 0.7, 1.3
    g = (gen.random(T) < 0.6).astype(float)
    h0 = gen.standard_normal()
    gp = gradient_paths(alpha, beta, g, h0)
    assert gp.products.size == 2**T and gp.choices.shape == (2**T, T)
    assert gp.path_sum == pytest.approx(gp.derivative, rel=1e-12)

    def run(h):
        for t in range(T):
            h = alpha * h + g[t] * beta * np.tanh(h)
        return h

    eps = 1e-6
    assert gp.derivative == pytest.approx((run(h0 + eps) - run(h0 - eps)) / (2 * eps), rel=1e-7)
    assert gp.trajectory[-1] == pytest.approx(run(h0), rel=1e-15)
    # With every gate closed only the all-linear path survives: alpha^T.
    closed = gradient_paths(alpha, beta, np.zeros(T), h0)
    assert np.count_nonzero(closed.products) == 1 and closed.path_sum == pytest.approx(alpha**T, rel=1e-15)


def test_gradient_paths_limits():
    with pytest.raises(ValueError, match="g must hold 1 to 20 gate values"):
        gradient_paths(0.5, 0.5, np.ones(21), 0.0)
    with pytest.raises(ValueError, match="alpha must be finite"):
        gradient_paths(np.nan, 0.5, np.ones(2), 0.0)


# -- memory timescales ------------------------------------------------------------------------------


def test_time_constant_seed_number_and_eigenmodes():
    """tau = -dt / ln f: f = 0.95 at dt = 0.02 s gives 0.39 s; half-life agrees with rnnss.eigenmodes."""
    tau = time_constant(0.95, dt=0.02)
    assert tau == pytest.approx(-0.02 / math.log(0.95), rel=1e-15) and round(tau, 2) == 0.39
    f = np.array([0.5, 0.9, 0.99, 1.0])
    np.testing.assert_allclose(time_constant(f), [-1 / math.log(v) for v in f[:3]] + [np.inf])
    modes = rnnss.eigenmodes(LinearRNN(W=np.diag(f[:3]), dt=0.02))
    np.testing.assert_allclose(np.sort(half_life(f[:3])), np.sort(modes.half_life), rtol=1e-14)
    np.testing.assert_allclose(np.sort(time_constant(f[:3], dt=0.02)), np.sort(modes.time_constant), rtol=1e-14)
    assert half_life(0.5) == 1.0 and half_life(1.0) == np.inf


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.2, np.nan])
def test_time_constant_rejects_factors_outside_unit_interval(bad):
    with pytest.raises(ValueError, match="f must"):
        time_constant(bad)
    with pytest.raises(ValueError, match="f must"):
        half_life([0.5, bad])


# -- figures ------------------------------------------------------------------------------------------


def test_plots_return_figures(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from rnnss.plot import plot_bifurcation, plot_gradient_norms, plot_lyapunov, plot_phase_portrait

    cell = ElmanCell(W=[[1.5, 0.4], [0.4, 1.2]])
    figs = [
        plot_phase_portrait(cell, fixed=fixed_points(cell, rng=0), grid=5),
        plot_bifurcation(tanh_bifurcation(np.linspace(0, 3, 7), np.linspace(-1, 1, 5))),
        plot_lyapunov({"linear": lyapunov_exponents(ElmanCell(W=[[0.5]]), steps=5)}),
        plot_gradient_norms({"tanh": jacobian_products(cell, steps=5)}),
    ]
    for i, fig in enumerate(figs):
        assert isinstance(fig, matplotlib.figure.Figure)
        fig.savefig(tmp_path / f"f{i}.png")
        plt.close(fig)
    with pytest.raises(ValueError, match="state_size 2"):
        plot_phase_portrait(ElmanCell(W=[[0.5]]))
