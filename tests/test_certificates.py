"""Tests of rnnss.lyapunov_certificate: the Stein solution against scipy, the diagonal-scaling optimum against the
Perron closed form and brute-force searches, and the certificate's claim checked by simulation."""

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

import rnnss
from rnnss import ElmanCell, LeakyCell, LinearRNN, lyapunov_certificate
from rnnss.cells import random_orthogonal


def scaled_norm(W, d):
    """||D^1/2 W D^-1/2||_2 for a diagonal vector d, computed from scratch."""
    s = np.sqrt(d)
    return np.linalg.norm(s[:, None] * W / s[None, :], 2)


# -- linear networks: the Stein equation ------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 15])  # 15 > SteinSolver.KRON_MAX: the Bartels-Stewart path
def test_linear_certificate_is_the_stein_solution(n, rng):
    """P solves W^T P W - P = -Q: equal to scipy's solve_discrete_lyapunov(W^T, Q); rate = ||P^1/2 W P^-1/2||_2."""
    rnn = rnnss.random_rnn(n, 1, 0, radius=0.95, rng=n)
    G = rng.standard_normal((n, n))
    Q = G @ G.T + 0.1 * np.eye(n)
    for q in (None, Q):
        cert = lyapunov_certificate(rnn, Q=q)
        Qm = np.eye(n) if q is None else Q
        ref = scipy.linalg.solve_discrete_lyapunov(rnn.W.T, Qm)
        np.testing.assert_allclose(cert.P, ref, rtol=1e-9, atol=1e-12 * np.abs(ref).max())
        np.testing.assert_allclose(rnn.W.T @ cert.P @ rnn.W - cert.P, -Qm, atol=1e-10 * np.abs(cert.P).max())
        S = scipy.linalg.sqrtm(cert.P).real
        direct = np.linalg.norm(S @ rnn.W @ np.linalg.inv(S), 2)
        assert cert.certified and cert.method == "stein"
        assert cert.rate == pytest.approx(direct, rel=1e-8) and cert.margin == pytest.approx(1 - direct**2, rel=1e-6)
        assert cert.spectral_radius == pytest.approx(0.95, rel=1e-10) and cert.rate < 1


def test_linear_cells_use_the_exact_stein_certificate(rng):
    """An identity-activation Elman cell is the linear network W; a leaky one is (1 - alpha) I + alpha W."""
    W = 0.9 * random_orthogonal(3, rng=2) @ np.diag([1.2, 0.7, 0.3]) / 1.2
    a = lyapunov_certificate(ElmanCell(W, activation="identity"))
    b = lyapunov_certificate(LinearRNN(W=W))
    np.testing.assert_array_equal(a.P, b.P)
    leaky = lyapunov_certificate(LeakyCell(W, alpha=0.3, activation="identity"))
    np.testing.assert_allclose(
        leaky.P, scipy.linalg.solve_discrete_lyapunov((0.7 * np.eye(3) + 0.3 * W).T, np.eye(3)), rtol=1e-9
    )


def test_linear_not_stable_has_no_certificate():
    """rho(W) >= 1: no quadratic Lyapunov function exists (Lyapunov's theorem), for growth and for a rotation."""
    for W in (np.diag([1.2, 0.5]), np.array([[0.0, -1.0], [1.0, 0.0]])):
        cert = lyapunov_certificate(LinearRNN(W=W))
        assert cert.verdict == "no certificate found" and not cert.certified and cert.P is None
        assert "not asymptotically stable" in cert.reason and np.isnan(cert.rate)


# -- slope-restricted cells: diagonal scaling ------------------------------------------------------------


def test_diagonal_scaling_reaches_the_perron_root_of_a_positive_matrix(rng):
    """Nonnegative irreducible W: min_D ||D^1/2 W D^-1/2||_2 = rho(W) (closed form, the Perron scaling), even when
    ||W||_2 is several times larger."""
    W = rng.uniform(0.0, 1.0, (6, 6)) * np.logspace(-2, 2, 6)[:, None]
    rho = np.max(np.abs(np.linalg.eigvals(W)))
    cert = lyapunov_certificate(ElmanCell(W / (1.1 * rho)))
    assert cert.gamma == pytest.approx(1 / 1.1, rel=1e-8)
    assert cert.spectral_norm > 2 and cert.certified
    assert cert.gamma == pytest.approx(scaled_norm(W / (1.1 * rho), np.diag(cert.P)), rel=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_diagonal_scaling_optimum_against_brute_force(seed):
    """2x2: the only freedom is the ratio r = d_2 / d_1, scanned on a fine grid and refined by Brent (brute force);
    3x3: Nelder-Mead from 8 random starts. The convex search must be at least as good, within rounding."""
    g = np.random.default_rng(seed)
    W2 = g.standard_normal((2, 2))
    f = lambda t: scaled_norm(W2, np.array([1.0, np.exp(t)]))  # noqa: E731
    grid = np.linspace(-20, 20, 801)
    t0 = grid[np.argmin([f(t) for t in grid])]
    ref = scipy.optimize.minimize_scalar(f, bounds=(t0 - 0.05, t0 + 0.05), method="bounded", options={"xatol": 1e-12})
    cert = lyapunov_certificate(ElmanCell(W2))
    assert cert.gamma == pytest.approx(ref.fun, rel=1e-7)
    W3 = g.standard_normal((3, 3))
    best = min(
        scipy.optimize.minimize(
            lambda x: scaled_norm(W3, np.exp(np.r_[0.0, x])),
            g.uniform(-3, 3, 2),
            method="Nelder-Mead",
            options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
        ).fun
        for _ in range(8)
    )
    gamma = lyapunov_certificate(ElmanCell(W3)).gamma
    assert gamma <= best * (1 + 1e-7)
    assert gamma >= np.max(np.abs(np.linalg.eigvals(W3))) * (1 - 1e-12)  # rho(W) bounds every scaling


def test_reducible_matrix_infimum_not_attained():
    """Triangular W = [[0.5, 5], [0, 0.5]]: inf_D ||D^1/2 W D^-1/2||_2 = rho(W) = 0.5 only as d_2 / d_1 -> infinity
    (closed form 0.5 + 5 sqrt(d_1/d_2) / 2 + ...); the search gets arbitrarily close with finite, positive weights."""
    cert = lyapunov_certificate(ElmanCell(W=[[0.5, 5.0], [0.0, 0.5]]))
    assert cert.certified and cert.gamma == pytest.approx(0.5, abs=1e-6)
    assert np.all(np.isfinite(np.diag(cert.P))) and np.all(np.diag(cert.P) > 0)
    assert cert.gamma == pytest.approx(scaled_norm(np.array([[0.5, 5.0], [0.0, 0.5]]), np.diag(cert.P)), rel=1e-12)


def test_certificate_found_where_scaling_brings_the_norm_below_one():
    """W = [[0.5, 3], [0.01, 0.5]]: ||W||_2 = 3.04 but balancing the off-diagonal entries gives 0.5 + sqrt(0.03)."""
    W = np.array([[0.5, 3.0], [0.01, 0.5]])
    for activation, slope in (("tanh", 1.0), ("relu", 1.0), ("sigmoid", 0.25)):
        cert = lyapunov_certificate(ElmanCell(W, activation=activation))
        assert cert.certified and cert.slope == slope
        assert cert.gamma == pytest.approx(0.5 + np.sqrt(0.03), rel=1e-8)
        assert cert.rate == pytest.approx(slope * cert.gamma, rel=1e-12) and cert.spectral_norm > 3
        assert cert.margin == pytest.approx(1 - cert.rate**2)
    assert "certified" in cert.summary() and "P =" in cert.summary()


def test_leaky_and_euler_cells_rate():
    """Leaky: rate = 1 - alpha + alpha gamma (triangle bound). Euler CTRNN with per-unit alpha <= 1: the Jensen bound
    sqrt(lambda_max(I - A + A^1/2 N^T N A^1/2)) with N = D*^1/2 W D*^-1/2 = [[0.5, c], [c, 0.5]], c = sqrt(0.03),
    in the metric A^-1 D* (closed form); the triangle bound 0.75 + 0.5 gamma > 1 would refuse it."""
    W = np.array([[0.5, 3.0], [0.01, 0.5]])
    c = np.sqrt(0.03)
    gamma = 0.5 + c
    cert = lyapunov_certificate(LeakyCell(W, alpha=0.2))
    assert cert.rate == pytest.approx(0.8 + 0.2 * gamma, rel=1e-8) and cert.certified
    euler = rnnss.CTRNN(W, tau=[1.0, 2.0]).euler(0.5)  # alpha = (0.5, 0.25)
    cert = lyapunov_certificate(euler)
    N, ra = np.array([[0.5, c], [c, 0.5]]), np.sqrt([0.5, 0.25])
    ref = np.sqrt(np.linalg.eigvalsh(np.diag([0.5, 0.75]) + ra[:, None] * (N.T @ N) * ra[None, :])[-1])
    assert cert.rate == pytest.approx(ref, rel=1e-7) and cert.certified and 0.75 + 0.5 * gamma > 1
    assert cert.gamma == pytest.approx(gamma, rel=1e-8)
    assert scaled_norm(W, np.diag(cert.P) * [0.5, 0.25]) == pytest.approx(gamma, rel=1e-7)  # P = A^-1 D*
    too_long = rnnss.CTRNN(W, tau=1.0).euler(2.5)  # |1 - alpha| = 1.5: the leak alone expands
    assert not lyapunov_certificate(too_long).certified


def test_bistable_network_is_refused_and_has_two_stable_fixed_points():
    """A network with two stable fixed points cannot contract globally: the search reports "no certificate found"
    (not "unstable"), and fixed_points shows both attractors."""
    cell = ElmanCell(W=[[1.6, 0.5], [0.5, 1.1]], b=[0.05, -0.02])
    fp = rnnss.fixed_points(cell, n_starts=100, rng=0)
    assert fp.stability.count("stable") == 2
    cert = lyapunov_certificate(cell)
    assert cert.verdict == "no certificate found" and "unstable" not in cert.verdict
    assert "not a proof of instability" in cert.reason
    # Symmetric W: every scaling has norm >= rho(W) = ||W||_2, so nothing could have been found.
    assert cert.gamma == pytest.approx(cert.spectral_norm, rel=1e-6)


@pytest.mark.parametrize("make", ["elman", "leaky", "euler"])
def test_certified_network_converges_to_one_point_from_1000_starts(make, rng):
    """Simulation check of the claim: 1000 random starts under a constant input all reach one point, the unique fixed
    point, and every step shrinks each start's P-norm distance to it by at least the certified rate."""
    n = 5
    d = np.logspace(-3, 3, n)
    M = 0.9 * random_orthogonal(n, rng=3)  # ||M||_2 = 0.9
    W = np.sqrt(1 / d)[:, None] * M * np.sqrt(d)[None, :]  # D^1/2 W D^-1/2 = M
    U, b = rng.standard_normal((n, 2)), rng.standard_normal(n)
    if make == "elman":
        cell = ElmanCell(W, U, b)
    elif make == "leaky":
        cell = LeakyCell(W, U, b, alpha=0.5)
    else:
        cell = rnnss.CTRNN(W, U, b, tau=[1.0, 2.0, 1.0, 4.0, 1.5]).euler(0.8)
    cert = lyapunov_certificate(cell)
    assert cert.certified and np.linalg.norm(W, 2) > 10 and cert.gamma <= 0.9 + 1e-9
    x = rng.standard_normal(2)
    fp = rnnss.fixed_points(cell, x, n_starts=200, scale=3.0, rng=1)
    assert len(fp) == 1 and fp.stability == ("stable",)
    starts = rng.uniform(-3, 3, (1000, n))
    T = int(np.ceil(np.log(1e-13) / np.log(cert.rate)))  # the certified rate takes any start there
    traj = rnnss.scan(cell, np.broadcast_to(x, (1000, T, 2)), h0=starts)
    assert np.max(np.abs(traj[:, -1] - fp.points[0])) < 1e-10
    Ph = np.sqrt(np.diag(cert.P))
    dist = np.linalg.norm((np.concatenate([starts[:, None], traj], axis=1) - fp.points[0]) * Ph, axis=2)
    live = dist[:, :-1] > 1e-9 * dist[:, :1]  # above rounding
    assert np.all(dist[:, 1:][live] <= cert.rate * (1 + 1e-9) * dist[:, :-1][live])


def test_certificate_errors():
    with pytest.raises(TypeError, match="model must be a rnnss.LinearRNN or a slope-restricted cell"):
        lyapunov_certificate(rnnss.random_cell("gru", 2, 1, rng=0))
    with pytest.raises(ValueError, match="custom activation"):
        lyapunov_certificate(ElmanCell(W=[[0.5]], activation=np.sin, derivative=np.cos))
    with pytest.raises(ValueError, match="Q must be positive definite"):
        lyapunov_certificate(LinearRNN(W=[[0.5]]), Q=[[0.0]])
    with pytest.raises(ValueError, match="Q must be symmetric positive semi-definite"):
        lyapunov_certificate(LinearRNN(W=np.eye(2) * 0.5), Q=[[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="Q is only used for linear networks"):
        lyapunov_certificate(ElmanCell(W=[[0.5]]), Q=[[1.0]])
    with pytest.raises(ValueError, match=r"tol must be in \(0, 1\)"):
        lyapunov_certificate(LinearRNN(W=[[0.5]]), tol=1.0)
    assert "LyapunovCertificate(certified, stein" in repr(lyapunov_certificate(LinearRNN(W=[[0.5]])))
