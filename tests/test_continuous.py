"""Tests of continuous time: the CTRNN and its Euler cell, ODE solutions, flow Lyapunov spectra, Euler against the
exact flow, the Lorenz and Rössler systems; against matrix exponentials, fixed-step RK4, finite differences and
literature values."""

import math

import numpy as np
import pytest
import scipy.linalg
import scipy.optimize

import rnnss
from rnnss import CTRNN, DimensionError, EulerCTRNNCell, Lorenz, NumericalError, Rossler
from rnnss.cells import LeakyCell, numerical_jacobian


def rk4(f, y0, t0, t1, n):
    """Classical fixed-step Runge-Kutta (error O(h^4)): the reference independent of solve_ivp."""
    h, y, t = (t1 - t0) / n, np.array(y0, float), t0
    for _ in range(n):
        k1 = f(t, y)
        k2 = f(t + h / 2, y + h / 2 * k1)
        k3 = f(t + h / 2, y + h / 2 * k2)
        k4 = f(t + h, y + h * k3)
        y, t = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4), t + h
    return y


def affine_flow(A, c, h0, t):
    """Exact solution of dh/dt = A h + c: exp of the augmented matrix [[A, c], [0, 0]] (closed form)."""
    n = A.shape[0]
    M = np.zeros((n + 1, n + 1))
    M[:n, :n], M[:n, n] = A, c
    return (scipy.linalg.expm(M * t) @ np.r_[h0, 1.0])[:n]


@pytest.fixture
def net():
    return CTRNN(W=[[0.5, -1.2], [0.9, 0.3]], U=[[1.0], [0.5]], b=[0.2, -0.1], tau=[1.0, 0.5])


# -- the model and its Euler cell -------------------------------------------------------------------------


def test_ctrnn_vector_field_and_jacobian_against_finite_differences(net, rng):
    h, x = rng.standard_normal(2), rng.standard_normal(1)
    a = net.W @ h + net.U @ x + net.b
    np.testing.assert_allclose(net.vector_field(h, x), (-h + np.tanh(a)) / net.tau, rtol=1e-15)
    eps = 1e-6
    fd = np.column_stack(
        [(net.vector_field(h + e, x) - net.vector_field(h - e, x)) / (2 * eps) for e in eps * np.eye(2)]
    )
    np.testing.assert_allclose(net.jacobian(h, x), fd, rtol=1e-8, atol=1e-10)
    H = rng.standard_normal((5, 2))
    np.testing.assert_allclose(net.jacobian(H, x)[3], net.jacobian(H[3], x), rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(net.vector_field(H, x)[3], net.vector_field(H[3], x), rtol=1e-14, atol=1e-16)
    assert net.n_hidden == net.state_size == 2 and net.n_inputs == 1
    np.testing.assert_array_equal(CTRNN(W=np.eye(3), tau=2.0).tau, [2.0, 2.0, 2.0])
    assert "CTRNN(n=2, p=1, activation='tanh', tau=[0.5, 1]" in repr(net)


def test_euler_cell_is_the_leaky_cell_and_its_jacobians_are_exact(net, rng):
    """Common tau, dt <= tau: h + (dt/tau)(-h + phi(.)) is LeakyCell(alpha = dt/tau), step for step."""
    W, U, b = rng.standard_normal((3, 3)), rng.standard_normal((3, 2)), rng.standard_normal(3)
    cell = CTRNN(W, U, b, tau=0.4).euler(0.1)
    leaky = LeakyCell(W, U, b, alpha=0.25)
    assert isinstance(cell, EulerCTRNNCell) and isinstance(cell, rnnss.Cell)
    x = rng.standard_normal((20, 2))
    np.testing.assert_allclose(rnnss.scan(cell, x), rnnss.scan(leaky, x), rtol=1e-14, atol=1e-15)
    # Per-unit alpha above 1 (a step longer than a time constant): the analytic Jacobians against differences.
    euler = net.euler(0.8)
    np.testing.assert_allclose(euler.alpha, [0.8, 1.6])
    s, u = rng.standard_normal(2), rng.standard_normal(1)
    np.testing.assert_allclose(euler.jacobian(u, s), numerical_jacobian(euler, u, s), rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(
        euler.input_jacobian(u, s), numerical_jacobian(euler, u, s, wrt="input"), rtol=1e-8, atol=1e-10
    )
    np.testing.assert_allclose(euler.step(u, s), s + 0.8 * net.vector_field(s, u), rtol=1e-14)
    assert euler.jacobian_bound == pytest.approx(0.6 + 1.6 * np.linalg.norm(net.W, 2))
    assert "alpha in [0.8, 1.6]" in repr(euler)


def test_ctrnn_save_load_round_trip(net, tmp_path):
    for model in (net, net.euler(0.1)):
        for suffix in (".npz", ".json"):
            rnnss.save(model, tmp_path / f"m{suffix}")
            back = rnnss.load(tmp_path / f"m{suffix}")
            assert type(back) is type(model) and back == model
    custom = CTRNN(W=[[0.5]], activation=np.sin, derivative=np.cos)
    with pytest.raises(TypeError, match="cannot save a CTRNN with a custom activation"):
        rnnss.save(custom, tmp_path / "c.json")


def test_ctrnn_bad_input():
    with pytest.raises(ValueError, match="tau must be > 0"):
        CTRNN(W=np.eye(2), tau=[1.0, 0.0])
    with pytest.raises(DimensionError, match=r"tau must be a scalar or have shape \(2,\)"):
        CTRNN(W=np.eye(2), tau=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="dt must be > 0"):
        CTRNN(W=np.eye(2)).euler(0.0)
    with pytest.raises(DimensionError, match="W must have at least one hidden unit"):
        CTRNN(W=np.zeros((0, 0)))
    with pytest.raises(DimensionError, match=r"state must have shape \(2,\)"):
        CTRNN(W=np.eye(2)).vector_field([1.0])
    with pytest.raises(DimensionError, match=r"x must have shape \(0,\)"):
        CTRNN(W=np.eye(2)).vector_field([1.0, 2.0], [1.0])


# -- integrate ----------------------------------------------------------------------------------------


def test_integrate_linear_network_is_the_matrix_exponential(rng):
    """phi = identity: tau dh/dt = (W - I) h + U x + b, so h(t) = expm of the augmented matrix (closed form)."""
    n = 3
    W, U, b = rng.standard_normal((n, n)), rng.standard_normal((n, 2)), rng.standard_normal(n)
    tau = np.array([0.5, 1.0, 2.0])
    net = CTRNN(W, U, b, tau=tau, activation="identity")
    x, h0 = rng.standard_normal(2), rng.standard_normal(n)
    times = np.sort(rng.uniform(0, 3, 7))
    sol = rnnss.integrate(net, np.r_[0.0, times], h0, x=x, rtol=1e-12, atol=1e-14)
    A, c = (W - np.eye(n)) / tau[:, None], (U @ x + b) / tau
    ref = np.array([affine_flow(A, c, h0, t) for t in times])
    np.testing.assert_allclose(sol.states[1:], ref, rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(sol.states[0], h0)
    # Implicit methods with the analytic Jacobian agree.
    for method in ("Radau", "LSODA"):
        other = rnnss.integrate(net, np.r_[0.0, times], h0, x=x, method=method, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(other.states, sol.states, rtol=1e-6, atol=1e-8)
    assert sol.n_evaluations > 0 and "FlowTrajectory(8 times" in repr(sol)


def test_integrate_held_inputs_piece_by_piece(rng):
    """A zero-order-hold input switching at times unrelated to the output times: the exact solution chains one
    matrix exponential per hold interval (closed form)."""
    net = CTRNN(W=[[0.2, -1.0], [1.0, 0.2]], U=[[1.0], [-0.5]], tau=0.7, activation="identity")
    x_times, xs = np.array([-0.5, 0.4, 1.3, 1.35, 2.2]), rng.standard_normal((5, 1))
    times = np.array([0.0, 0.4, 0.9, 1.34, 2.2, 3.0])
    h0 = np.array([1.0, -1.0])
    sol = rnnss.integrate(net, times, h0, x=xs, x_times=x_times, rtol=1e-12, atol=1e-14)
    A = (net.W - np.eye(2)) / 0.7
    edges = np.unique(np.r_[times, x_times[(x_times > 0) & (x_times < 3.0)]])
    h, ref = h0, {0.0: h0}
    for a, b in zip(edges[:-1], edges[1:]):
        k = np.searchsorted(x_times, a, side="right") - 1
        h = affine_flow(A, net.U @ xs[k] / 0.7, h, b - a)
        ref[b] = h
    np.testing.assert_allclose(sol.states, [ref[t] for t in times], rtol=1e-9, atol=1e-11)


def test_integrate_nonlinear_network_against_rk4(net):
    """tanh network with a smooth input sin(2t): solve_ivp at tight tolerance against fixed-step RK4 (h = 1e-3)."""
    times = np.array([0.0, 0.37, 1.1, 2.5])
    u = lambda t: np.array([np.sin(2 * t)])  # noqa: E731
    h0 = np.array([0.3, -0.7])
    sol = rnnss.integrate(net, times, h0, x=u, rtol=1e-12, atol=1e-14)
    f = lambda t, h: net.vector_field(h, u(t))  # noqa: E731
    ref = [rk4(f, h0, 0.0, t, int(round(t / 1e-3))) for t in times[1:]]
    np.testing.assert_allclose(sol.states[1:], ref, rtol=1e-10, atol=1e-12)
    # The Euler cell converges to the flow at first order: halving dt halves the error.
    errs = []
    for dt in (0.01, 0.005):
        cell = net.euler(dt)
        N = int(round(2.5 / dt))
        h = h0.copy()
        for j in range(N):
            h = cell.step(u((j + 1) * dt), h)  # x_t held over ((t-1) dt, t dt]: here sampled at the step's end
        errs.append(np.max(np.abs(h - ref[-1])))
    assert 1.8 < errs[0] / errs[1] < 2.2


def test_integrate_errors(net):
    with pytest.raises(TypeError, match="system must be a continuous-time model"):
        rnnss.integrate(rnnss.ElmanCell(W=[[0.5]]), [0.0, 1.0])
    with pytest.raises(ValueError, match="times must be strictly increasing"):
        rnnss.integrate(net, [0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"x_times\[0\] = 0.5 is after the first output time 0"):
        rnnss.integrate(net, [0.0, 1.0], x=[[1.0]], x_times=[0.5])
    with pytest.raises(ValueError, match="x_times must be strictly increasing"):
        rnnss.integrate(net, [0.0, 1.0], x=[[1.0], [2.0]], x_times=[0.0, 0.0])
    with pytest.raises(DimensionError, match=r"x must have T = 2 time steps"):
        rnnss.integrate(net, [0.0, 1.0], x=[[1.0], [2.0], [3.0]], x_times=[0.0, 0.5])
    with pytest.raises(DimensionError, match=r"x\(t\) must return an array of shape \(1,\)"):
        rnnss.integrate(net, [0.0, 1.0], x=lambda t: np.zeros(2))
    with pytest.raises(ValueError, match="x_times is only given with a sequence"):
        rnnss.integrate(net, [0.0, 1.0], x_times=[0.0])
    with pytest.raises(ValueError, match="method must be one of"):
        rnnss.integrate(net, [0.0, 1.0], method="euler")
    with pytest.raises(DimensionError, match=r"h0 must have shape \(2,\)"):
        rnnss.integrate(net, [0.0, 1.0], [1.0])
    blowup = CTRNN(W=[[30.0]], activation="relu")  # dh/dt = 29 h for h > 0: e^{29 t} overflows
    with pytest.raises(NumericalError, match="solve_ivp"):
        rnnss.integrate(blowup, [0.0, 100.0], [1.0])


# -- the chaotic flows -------------------------------------------------------------------------------------


@pytest.mark.parametrize("system", [Lorenz(), Rossler(), Lorenz(sigma=16.0, rho=45.92, beta=4.0)], ids=repr)
def test_flow_jacobians_against_finite_differences(system, rng):
    s = system.random_state(rng)
    eps = 1e-6
    fd = np.column_stack(
        [(system.vector_field(s + e) - system.vector_field(s - e)) / (2 * eps) for e in eps * np.eye(3)]
    )
    np.testing.assert_allclose(system.jacobian(s), fd, rtol=1e-8, atol=1e-7)
    S = np.array([system.random_state(rng) for _ in range(4)])
    np.testing.assert_allclose(system.vector_field(S)[2], system.vector_field(S[2]), rtol=1e-15)
    np.testing.assert_allclose(system.jacobian(S)[1], system.jacobian(S[1]), rtol=1e-15)


def test_lorenz_closed_forms():
    """Equilibria C+- = (+-sqrt(beta(rho - 1)), same, rho - 1) are zeros of the field; the divergence is the trace."""
    lor = Lorenz()
    q = math.sqrt(lor.beta * (lor.rho - 1))
    np.testing.assert_allclose(lor.vector_field([q, q, lor.rho - 1]), 0.0, atol=1e-13)
    assert np.trace(lor.jacobian([1.0, 2.0, 3.0])) == pytest.approx(-(lor.sigma + 1 + lor.beta))
    assert repr(lor) == "Lorenz(sigma=10, rho=28, beta=2.66667)" and lor == Lorenz() and lor != Lorenz(rho=20.0)


def test_simulate_flow_is_integrate_after_the_transient():
    y = rnnss.simulate_flow(Lorenz(), 50, dt=0.02, discard=5.0, rng=3)
    h0 = Lorenz().random_state(3)
    ref = rnnss.integrate(Lorenz(), np.r_[0.0, 5.0 + 0.02 * np.arange(50)], h0, rtol=1e-10, atol=1e-10)
    np.testing.assert_array_equal(y, ref.states[1:])
    np.testing.assert_array_equal(rnnss.simulate_flow(Lorenz(), 50, dt=0.02, discard=5.0, rng=3), y)
    assert y.shape == (50, 3) and np.abs(y).max() < 60  # on the attractor
    r = rnnss.simulate_flow(Rossler(), 20, dt=0.5, discard=50.0, rng=0)
    assert r.shape == (20, 3) and np.abs(r).max() < 30
    no_start = rnnss.simulate_flow(Lorenz(), 3, dt=0.1, h0=[1.0, 1.0, 1.0])
    assert no_start.shape == (3, 3) and np.array_equal(no_start[0], [1.0, 1.0, 1.0])
    with pytest.raises(TypeError, match="needs an autonomous system"):
        rnnss.simulate_flow(CTRNN(W=[[0.0]], U=[[1.0]]), 5, dt=0.1)
    with pytest.raises(TypeError, match="CTRNN has no random_state: give h0"):
        rnnss.simulate_flow(CTRNN(W=[[0.0]]), 5, dt=0.1)
    with pytest.raises(ValueError, match="Lorenz is autonomous: x must be None"):
        Lorenz().vector_field([1.0, 2.0, 3.0], [1.0])


# -- Lyapunov spectra of flows ------------------------------------------------------------------------------


def test_flow_lyapunov_linear_network_closed_form():
    """Identity phi: dh/dt = A h with A = (W - I)/tau, exponents Re lambda_i(A) (closed form), although the triangular
    W leaves coordinate axes invariant. The Euler cell's discrete exponents per unit time are ln|1 + dt lambda_i| / dt
    exactly (closed form), which tend to Re lambda_i as dt -> 0."""
    W = np.array([[0.3, 2.0, 0.0], [0.0, -0.4, 1.0], [0.0, 0.0, 0.1]])
    net = CTRNN(W, tau=[1.0, 0.25, 4.0], activation="identity")
    A = (W - np.eye(3)) / net.tau[:, None]
    ref = np.sort(np.diag(A))[::-1]  # -0.225, -0.7, -5.6: gaps of 0.475 and 4.9 per unit time
    spec = rnnss.flow_lyapunov_exponents(net, duration=20.0, discard=40.0, h0=np.ones(3), rng=1)
    np.testing.assert_allclose(spec.exponents, ref, rtol=1e-7)
    assert spec.history.shape == (20, 3) and spec.steps == 20 and spec.discard == 40
    dt = 0.01
    disc = rnnss.lyapunov_exponents(net.euler(dt), steps=6000, discard=4000, rng=2)
    np.testing.assert_allclose(disc.exponents / dt, np.log(np.abs(1 + dt * ref)) / dt, rtol=1e-7)
    np.testing.assert_allclose(disc.exponents / dt, ref, rtol=0.03)


@pytest.mark.slow
def test_flow_lyapunov_lorenz_literature_value():
    """Lorenz at (10, 28, 8/3): lambda_1 = 0.9056 (Sprott 2003), lambda_2 = 0 (the flow direction), and
    lambda_1 + lambda_2 + lambda_3 = -(sigma + 1 + beta) = -13.667 exactly (the divergence is constant).
    16 starts x 40 time units: the finite-time fluctuation is about 0.013, so 0.04 is three of them."""
    spec = rnnss.flow_lyapunov_exponents(
        Lorenz(), duration=40.0, discard=10.0, n_starts=16, rng=0, rtol=1e-7, atol=1e-7
    )
    assert spec.exponents[0] == pytest.approx(0.9056, abs=0.04)
    assert spec.exponents[1] == pytest.approx(0.0, abs=0.02)
    assert spec.exponents.sum() == pytest.approx(-(10 + 1 + 8 / 3), rel=1e-6)
    assert spec.exponents[2] == pytest.approx(-14.5723, abs=0.05)
    assert spec.final_state.shape == (16, 3)


def test_flow_lyapunov_errors(net):
    with pytest.raises(ValueError, match="duration must be at least one interval"):
        rnnss.flow_lyapunov_exponents(net, duration=0.5, interval=1.0)
    with pytest.raises(ValueError, match="n_exponents must be <= the state size 2"):
        rnnss.flow_lyapunov_exponents(net, duration=1.0, n_exponents=3)
    with pytest.raises(DimensionError, match=r"h0 must have shape \(2,\) or \(B, 2\)"):
        rnnss.flow_lyapunov_exponents(net, duration=1.0, h0=np.zeros((2, 3)))
    with pytest.raises(ValueError, match="method must be one of"):
        rnnss.flow_lyapunov_exponents(net, duration=1.0, method="Radau")


# -- Euler against the exact flow -------------------------------------------------------------------------


def test_euler_comparison_scalar_network_closed_forms():
    """tau dh/dt = -h + tanh(w h + b), w = -4: one stable equilibrium h* (Brent), J = -1 + w (1 - h*^2) < 0, the
    Euler limit 2/|J| (closed form), Euler radius |1 + dt J|; below the limit Euler converges to h* with a first-order
    error, between the limit and 2 tau it oscillates boundedly about h*, beyond 2 tau it diverges."""
    w, b = -4.0, 0.5
    net = CTRNN(W=[[w]], b=[b])
    h_star = scipy.optimize.brentq(lambda h: np.tanh(w * h + b) - h, -1, 1, xtol=1e-15)
    J = -1 + w * (1 - h_star**2)
    dts = np.array([0.01, 0.02, 0.3, 0.45, 1.0, 2.5])
    cmp = rnnss.euler_comparison(net, dts, duration=60.0, h0=[1.0])
    assert cmp.equilibrium[0] == pytest.approx(h_star, abs=1e-13)
    assert cmp.limit == pytest.approx(2 / abs(J), rel=1e-12)
    assert cmp.limit == pytest.approx(rnnss.euler_max_step(cmp.ode_jacobian), rel=1e-15)
    np.testing.assert_allclose(cmp.euler_radius, np.abs(1 + dts * J), rtol=1e-12)
    stable = dts < cmp.limit
    assert np.all(cmp.final_error[stable] < 1e-10)  # the Euler iteration settles on the same equilibrium
    assert 1.8 < cmp.max_error[1] / cmp.max_error[0] < 2.2  # first order: doubling dt doubles the error
    between = (dts > cmp.limit) & (dts < 2.0)
    assert np.all(cmp.final_error[between] > 0.05) and not cmp.diverged[between].any()
    assert cmp.diverged[-1] and np.isinf(cmp.final_error[-1])
    text = cmp.summary()
    assert "bounded oscillation" in text and "diverges" in text and "converges to the equilibrium" in text


def test_euler_past_the_limit_is_a_period_two_orbit():
    """The oscillation past the limit is a period-2 cycle of the Euler map: h_{t+2} = h_t, h_{t+1} != h_t."""
    net = CTRNN(W=[[-4.0]], b=[0.5])
    cell = net.euler(0.6)
    h = rnnss.scan(cell, np.zeros((4000, 0)), h0=[1.0])[:, 0]
    assert abs(h[-1] - h[-3]) < 1e-12 and abs(h[-1] - h[-2]) > 0.1


def test_euler_comparison_two_units_and_errors():
    """A 2-unit network with a complex pair at its equilibrium: the linearised limit min(-2 Re l / |l|^2) separates
    converging from oscillating Euler runs."""
    net = CTRNN(W=[[-2.0, 3.0], [-3.0, -1.0]], b=[0.5, -0.3], tau=[1.0, 0.5])
    cmp = rnnss.euler_comparison(net, [0.05, 0.2, 0.3, 0.6], duration=30.0, h0=[1.0, -1.0])
    lam = np.linalg.eigvals(cmp.ode_jacobian)
    assert cmp.limit == pytest.approx(np.min(-2 * lam.real / np.abs(lam) ** 2), rel=1e-12)
    assert np.all((cmp.euler_radius < 1) == (cmp.dts < cmp.limit))
    assert np.all(cmp.final_error[cmp.dts < cmp.limit] < 1e-6)
    assert np.all(cmp.final_error[cmp.dts > cmp.limit] > 1e-2)
    with pytest.raises(TypeError, match="model must be a rnnss.CTRNN"):
        rnnss.euler_comparison(rnnss.ElmanCell(W=[[0.5]]), [0.1], duration=1.0)
    with pytest.raises(ValueError, match=r"dts must lie in \(0, duration = 1\]"):
        rnnss.euler_comparison(net, [0.1, 2.0], duration=1.0)
    with pytest.raises(ValueError, match=r"dts must lie in"):
        rnnss.euler_comparison(net, [0.0], duration=1.0)
