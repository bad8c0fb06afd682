"""Tests of rnnss.structure: controllability, observability, Gramians, realisations, steering, reconstruction."""

import dataclasses
import warnings
from fractions import Fraction

import control
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st

import rnnss
from rnnss import (
    DimensionError,
    IllConditionedWarning,
    LinearRNN,
    NotReachableError,
    NotStableError,
    balanced_truncation,
    controllability_gramian,
    controllability_matrix,
    controllability_staircase,
    hankel_singular_values,
    is_controllable,
    is_detectable,
    is_observable,
    is_stabilizable,
    kalman_decomposition,
    minimal_realization,
    numerical_rank,
    observability_gramian,
    observability_matrix,
    observability_staircase,
    pbh_test,
    reconstruct_state,
    steer,
    structure_report,
)

from .conftest import random_stable

SYSTEMS = [(3, 1, 1, 0), (4, 2, 2, 1), (5, 3, 2, 2), (6, 1, 3, 3)]  # (n, m, p, seed)


def _ss(rnn):
    return control.ss(rnn.W, rnn.U, rnn.V, np.zeros((rnn.n_outputs, rnn.n_inputs)), dt=1)


def _rotation(n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((n, n)))[0]


def _non_minimal(rng, r, a, b, c, p, m, radius=0.9):
    """A system with known Kalman structure: r co states, a c-not-o, b not-c-not-o, c not-c-o, hidden by a rotation.

    Built in the textbook Kalman canonical form (Zhou, Doyle & Glover, Thm 3.10), order (co, c-not-o,
    not-c-o, not-c-not-o)::

        A = [[A11, 0, A13, 0], [A21, A22, A23, A24], [0, 0, A33, 0], [0, 0, A43, A44]],
        B = [B1; B2; 0; 0],  C = [C1, 0, C3, 0],

    then rotated by a random orthogonal matrix. Returns the model and the diagonal blocks in the order of
    ``KalmanDecomposition.blocks`` (c_not_o, co, not_c_not_o, not_c_o).
    """
    sizes = (r, a, c, b)
    n = sum(sizes)
    cuts = np.cumsum((0,) + sizes)
    blk = lambda i, j: (slice(cuts[i], cuts[i + 1]), slice(cuts[j], cuts[j + 1]))  # noqa: E731
    A = rng.standard_normal((n, n))
    for i, j in [(0, 1), (0, 3), (2, 0), (2, 1), (2, 3), (3, 0), (3, 1)]:
        A[blk(i, j)] = 0.0
    A *= radius / max(np.max(np.abs(np.linalg.eigvals(A))), 1e-12)
    B = rng.standard_normal((n, p))
    B[cuts[2] :] = 0.0
    C = rng.standard_normal((m, n))
    C[:, cuts[1] : cuts[2]] = 0.0
    C[:, cuts[3] :] = 0.0
    Q = np.linalg.qr(rng.standard_normal((n, n)))[0]
    diag = [A[blk(i, i)] for i in range(4)]
    return LinearRNN(W=Q @ A @ Q.T, U=Q @ B, V=C @ Q.T), [diag[1], diag[0], diag[3], diag[2]]


def _same_spectrum(a, b, tol=1e-8):
    a, b = np.sort_complex(np.asarray(a, complex)), np.sort_complex(np.asarray(b, complex))
    return a.shape == b.shape and np.allclose(a, b, atol=tol)


def _leaky_bank(n=20):
    """n leaky integrators with leaks 0.05 .. 0.95 driven by one common input and read out by their sum."""
    return LinearRNN(W=np.diag(np.linspace(0.05, 0.95, n)), U=np.ones((n, 1)), V=np.ones((1, n)))


def _exact_rank(rows):
    """Rank by Gaussian elimination in exact rational arithmetic."""
    M = [list(r) for r in rows]
    rank = 0
    for c in range(len(M[0])):
        piv = next((i for i in range(rank, len(M)) if M[i][c] != 0), None)
        if piv is None:
            continue
        M[rank], M[piv] = M[piv], M[rank]
        for i in range(rank + 1, len(M)):
            if M[i][c] != 0:
                f = M[i][c] / M[rank][c]
                M[i] = [x - f * y for x, y in zip(M[i], M[rank])]
        rank += 1
    return rank


# -- Kalman matrices -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, m, p, seed", SYSTEMS)
def test_kalman_matrices_match_python_control_ctrb_obsv(n, m, p, seed):
    rnn = random_stable(n, m, p, seed)
    np.testing.assert_allclose(controllability_matrix(rnn), control.ctrb(rnn.W, rnn.U), rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(observability_matrix(rnn), control.obsv(rnn.W, rnn.V), rtol=1e-14, atol=1e-14)


def test_kalman_matrix_steps_closed_form_blocks(small_rnn):
    C = controllability_matrix(small_rnn, steps=7)
    Ob = observability_matrix(small_rnn, steps=7)
    assert C.shape == (4, 14) and Ob.shape == (14, 4)
    W5 = np.linalg.matrix_power(small_rnn.W, 5)
    np.testing.assert_allclose(C[:, 10:12], W5 @ small_rnn.U, rtol=1e-12)
    np.testing.assert_allclose(Ob[10:12], small_rnn.V @ W5, rtol=1e-12)


def test_shift_register_closed_form():
    """A shift register h_t = S h_{t-1} + e_1 x_t read at its last cell: ctrb = I, obsv = anti-identity."""
    n = 5
    S = np.eye(n, k=-1)
    rnn = LinearRNN(W=S, U=np.eye(n)[:, :1], V=np.eye(n)[-1:])
    np.testing.assert_array_equal(controllability_matrix(rnn), np.eye(n))
    np.testing.assert_array_equal(observability_matrix(rnn), np.fliplr(np.eye(n)))
    assert is_controllable(rnn) and is_observable(rnn)
    rep = structure_report(rnn)
    assert rep.controllable and rep.observable and rep.reachable_dim == n and rep.observable_dim == n


def test_integrator_chain_closed_form():
    """A chain of 4 integrators (Jordan block at 1): columns W^k e_n hold binomial coefficients C(k, n-1-i)."""
    from math import comb

    n = 4
    W = np.eye(n) + np.eye(n, k=1)
    rnn = LinearRNN(W=W, U=np.eye(n)[:, -1:], V=np.eye(n)[:1])
    expected = np.array([[comb(k, n - 1 - i) for k in range(n)] for i in range(n)], dtype=float)
    np.testing.assert_array_equal(controllability_matrix(rnn), expected)
    assert is_controllable(rnn) and is_observable(rnn)
    assert is_stabilizable(rnn) and is_detectable(rnn) and not rnn.is_stable
    res = pbh_test(rnn)
    assert res.multiplicity.tolist() == [4] and not res.stable[0]
    # read at the wrong end, only the first integrator's direction is seen... from e_1 backwards: unobservable
    blind = dataclasses.replace(rnn, V=np.eye(n)[-1:])
    assert not is_observable(blind) and not is_detectable(blind)
    assert observability_staircase(blind).dim == 1


def test_noise_source_factor_reproduces_Q_sums(rng):
    """source="noise": C C^T = sum_i W^i Q W^iT (independent of which square root of Q is used)."""
    L = rng.standard_normal((4, 2))
    rnn = LinearRNN(W=0.3 * rng.standard_normal((4, 4)), U=rng.standard_normal((4, 1)), Q=L @ L.T)
    C = controllability_matrix(rnn, steps=3, source="noise")
    assert C.shape == (4, 6)  # rank-2 Q gives a 2-column factor
    ref = sum(np.linalg.matrix_power(rnn.W, i) @ rnn.Q @ np.linalg.matrix_power(rnn.W, i).T for i in range(3))
    np.testing.assert_allclose(C @ C.T, ref, rtol=1e-12, atol=1e-14)
    both = controllability_matrix(rnn, steps=3, source="both")
    np.testing.assert_allclose(both @ both.T, ref + controllability_gramian(rnn, steps=3), rtol=1e-12)


# -- numerical rank ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rank", [0, 1, 3, 5])
def test_numerical_rank_matches_numpy_matrix_rank(rng, rank):
    M = rng.standard_normal((7, rank)) @ rng.standard_normal((rank, 5)) if rank else np.zeros((7, 5))
    res = numerical_rank(M)
    assert res.rank == np.linalg.matrix_rank(M) == rank
    s = np.linalg.svd(M, compute_uv=False)
    assert res.tol == pytest.approx(7 * np.finfo(float).eps * s[0])
    np.testing.assert_allclose(res.singular_values, s)
    assert res.full == (rank == 5)


def test_numerical_rank_margin_closed_form():
    """diag(1, 1e-3, 1e-20): rank 2, tol = 3 eps, margin = min(1e-3 / tol, tol / 1e-20)."""
    res = numerical_rank(np.diag([1.0, 1e-3, 1e-20]))
    tol = 3 * np.finfo(float).eps
    assert res.rank == 2 and res.tol == pytest.approx(tol)
    assert res.margin == pytest.approx(min(1e-3 / tol, tol / 1e-20))
    assert res.distance == pytest.approx(1e-3)  # Eckart-Young: distance to the nearest rank-1 matrix
    custom = numerical_rank(np.diag([1.0, 1e-3, 1e-20]), tol=1e-2)
    assert custom.rank == 1 and custom.margin == pytest.approx(min(1 / 1e-2, 1e-2 / 1e-3))
    assert numerical_rank(np.eye(3)).margin == pytest.approx(1 / (3 * np.finfo(float).eps))
    assert "rank=2 of 3" in repr(res)


def test_numerical_rank_bad_input():
    with pytest.raises(DimensionError, match=r"M must be a matrix with shape \(rows, cols\); got shape \(3,\)"):
        numerical_rank(np.ones(3))
    with pytest.raises(ValueError, match="M must be finite"):
        numerical_rank([[1.0, np.nan]])
    with pytest.raises(ValueError, match="tol must be >= 0"):
        numerical_rank(np.eye(2), tol=-1.0)
    empty = numerical_rank(np.zeros((3, 0)))
    assert empty.rank == 0 and empty.margin == np.inf


# -- PBH, staircase and the Kalman-matrix failure ------------------------------------------------------------


def test_kalman_matrix_rank_fails_where_pbh_and_staircase_are_right():
    """A bank of 20 leaky integrators (leaks 0.05 .. 0.95) driven by one common input.

    Closed form: a diagonal W with distinct eigenvalues and an input with no zero entry is controllable,
    since the Kalman matrix is diag(b) times a Vandermonde matrix with determinant prod_{i<j} (l_j - l_i)
    != 0; an exact rational elimination confirms rank 20. In floating point the columns W^k b become
    nearly parallel (the Vandermonde matrix on [0.05, 0.95] has condition ~1e17), so the SVD rank of the
    Kalman matrix -- ours, numpy's and python-control's ctrb -- is 18. The system is not nearly
    uncontrollable: PBH finds that no perturbation smaller than ~1% of ||W|| loses a mode, and the
    staircase reduction (no powers of W) finds all 20 dimensions.
    """
    rnn = _leaky_bank(20)
    lam = np.linspace(0.05, 0.95, 20)
    exact = [[Fraction(float(x)) ** k for k in range(20)] for x in lam]  # rows of the exact Kalman matrix
    assert _exact_rank(exact) == 20
    for C in (controllability_matrix(rnn), control.ctrb(rnn.W, rnn.U)):
        assert numerical_rank(C).rank < 20 and np.linalg.matrix_rank(C) < 20
    res = pbh_test(rnn)
    assert res.controllable.all() and res.observable.all()
    assert res.controllability_margin.min() > 5e-3
    assert controllability_staircase(rnn).dim == 20 and observability_staircase(rnn).dim == 20
    rep = structure_report(rnn)
    assert rep.controllable and rep.observable and rep.controllability_rank.rank < 20
    assert "numerically rank deficient" in str(rep)


def test_two_equal_modes_single_input_uncontrollable_closed_form():
    """W = 0.5 I (2x2) with one input: rank [0.5 I - W, b] = 1 < 2; only span(b) is reachable."""
    rnn = LinearRNN(W=0.5 * np.eye(2), U=[[1.0], [2.0]], V=[[1.0, 0.0]])
    res = pbh_test(rnn)
    assert res.eigenvalues.tolist() == [0.5] and res.multiplicity.tolist() == [2]
    assert res.controllability_defect.tolist() == [1] and not res.controllable[0]
    assert res.observability_defect.tolist() == [1] and not res.observable[0]
    assert not is_controllable(rnn) and is_stabilizable(rnn)
    form = controllability_staircase(rnn)
    assert form.dim == 1 and _same_spectrum(form.deficient_modes, [0.5])
    basis = form.T[:, :1]
    assert abs(abs(basis[:, 0] @ np.array([1.0, 2.0]) / np.sqrt(5)) - 1) < 1e-14


def test_repeated_eigenvalue_hidden_by_rotation(rng):
    """diag(0.5, 0.5, 0.3) rotated: one input always leaves one direction of the double mode 0.5 unreached."""
    R = _rotation(3, 1)
    rnn = LinearRNN(W=R @ np.diag([0.5, 0.5, 0.3]) @ R.T, U=R @ np.array([[1.0], [1.0], [1.0]]))
    res = pbh_test(rnn)
    assert res.multiplicity.tolist() == [2, 1]
    assert res.controllable.tolist() == [False, True] and res.controllability_defect.tolist() == [1, 0]
    rep = structure_report(rnn)
    assert not rep.controllable and _same_spectrum(rep.uncontrollable_modes, [0.5])
    assert rep.reachable_dim == 2 and numerical_rank(controllability_matrix(rnn)).rank == 2
    two = dataclasses.replace(rnn, U=R @ np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
    assert is_controllable(two)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_defective_jordan_block_pbh_closed_form(k):
    """Jordan block J_k(0.8) rotated by a random orthogonal R: computed eigenvalues split by ~eps^(1/k).

    Closed form: e_1 is J's only eigenvector, so B = R e_1 reaches span(R e_1) only (uncontrollable), while
    B = R e_k is controllable (its Kalman matrix is triangular with unit diagonal). PBH must merge the k
    scattered eigenvalues into one and decide both cases right.
    """
    R = _rotation(k, 10 + k)
    W = R @ (0.8 * np.eye(k) + np.eye(k, k=1)) @ R.T
    bad = LinearRNN(W=W, U=R[:, :1])
    good = LinearRNN(W=W, U=R[:, -1:])
    rb, rg = pbh_test(bad), pbh_test(good)
    assert rb.multiplicity.tolist() == [k] and rg.multiplicity.tolist() == [k]
    assert abs(rb.eigenvalues[0] - 0.8) < 1e-10
    assert not rb.controllable[0] and rb.controllability_margin[0] < 1e-9
    assert rg.controllable[0] and rg.controllability_margin[0] > 0.1
    assert controllability_staircase(bad).dim == 1 and controllability_staircase(good).dim == k


def test_exactly_computed_jordan_block_does_not_swallow_other_modes():
    """Triangular W = diag(J_2(0.5), 0.1): LAPACK returns 0.5 twice with exactly parallel eigenvectors.

    Closed form: B = [0, 1, 1] reaches the Jordan chain through its last state (controllable) and the
    mode 0.1 directly; B = [1, 0, 1] misses the chain's top (uncontrollable 0.5, defect 1).
    """
    W = scipy.linalg.block_diag([[0.5, 1.0], [0.0, 0.5]], 0.1)
    res = pbh_test(LinearRNN(W=W, U=[[0.0], [1.0], [1.0]]))
    np.testing.assert_array_equal(res.eigenvalues, [0.5, 0.1])
    assert res.multiplicity.tolist() == [2, 1] and res.controllable.all()
    bad = pbh_test(LinearRNN(W=W, U=[[1.0], [0.0], [1.0]]))
    assert bad.controllable.tolist() == [False, True] and bad.controllability_defect.tolist() == [1, 0]


def test_pbh_margin_closed_form_2x2():
    """W = diag(a, c), B = [b1, b2]: margin at a = sigma_min([[0, 0, s b1], [0, a - c, s b2]]) / ||W||_F.

    s = ||W||_F / ||B|| is the input-unit normalisation; the smallest singular value of that 2x3 matrix is
    the square root of the smaller eigenvalue of [[s^2 b1^2, s^2 b1 b2], [s^2 b1 b2, (a-c)^2 + s^2 b2^2]].
    """
    a, c, b1, b2 = 0.9, 0.4, 0.3, -1.2
    rnn = LinearRNN(W=np.diag([a, c]), U=[[b1], [b2]])
    nw = np.hypot(a, c)
    s = nw / np.hypot(b1, b2)
    G = np.array([[s**2 * b1**2, s**2 * b1 * b2], [s**2 * b1 * b2, (a - c) ** 2 + s**2 * b2**2]])
    tr, det = np.trace(G), np.linalg.det(G)
    expected = np.sqrt((tr - np.sqrt(tr**2 - 4 * det)) / 2) / nw
    res = pbh_test(rnn)
    i = int(np.argmin(np.abs(res.eigenvalues - a)))
    assert res.controllability_margin[i] == pytest.approx(expected, rel=1e-12)
    # the margin does not depend on the units of the input
    scaled = pbh_test(dataclasses.replace(rnn, U=1e-9 * rnn.U))
    np.testing.assert_allclose(scaled.controllability_margin, res.controllability_margin, rtol=1e-12)
    assert is_controllable(dataclasses.replace(rnn, U=1e-30 * rnn.U))


@pytest.mark.parametrize(
    "W, U, Q, stab_input, stab_noise",
    [
        (np.diag([1.2, 0.5]), [[1.0], [0.0]], np.diag([0.0, 1.0]), True, False),
        (np.diag([1.2, 0.5]), [[0.0], [1.0]], np.diag([1.0, 0.0]), False, True),
        (np.diag([1.0, 0.5]), [[0.0], [1.0]], np.diag([0.0, 1.0]), False, False),  # |lambda| = 1 counts as unstable
        (np.diag([0.99, 0.5]), np.zeros((2, 0)), None, True, True),  # stable: always stabilisable
    ],
)
def test_stabilizable_closed_forms(W, U, Q, stab_input, stab_noise):
    rnn = LinearRNN(W=W, U=U, Q=Q)
    assert is_stabilizable(rnn) is stab_input
    assert is_stabilizable(rnn, source="noise") is stab_noise
    rep = structure_report(rnn, source="noise")
    assert rep.stabilizable is stab_noise and rep.source == "noise"


def test_detectable_closed_forms():
    th = 0.3
    rot = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])  # |lambda| = 1, complex pair
    W = scipy.linalg.block_diag(rot, 0.5)
    assert is_detectable(LinearRNN(W=W, V=[[1.0, 0.0, 0.0]]))
    assert not is_observable(LinearRNN(W=W, V=[[1.0, 0.0, 0.0]]))
    assert not is_detectable(LinearRNN(W=W, V=[[0.0, 0.0, 1.0]]))
    rep = structure_report(LinearRNN(W=W, V=[[0.0, 0.0, 1.0]]))
    assert not rep.detectable and _same_spectrum(rep.unobservable_modes, np.exp([1j * th, -1j * th]))


@pytest.mark.parametrize("n, m, p, seed", SYSTEMS)
def test_staircase_is_an_exact_orthogonal_similarity(n, m, p, seed):
    rnn = random_stable(n, m, p, seed)
    for form in (controllability_staircase(rnn), observability_staircase(rnn)):
        np.testing.assert_allclose(form.T.T @ form.T, np.eye(n), atol=1e-14)
        np.testing.assert_allclose(form.T @ form.W @ form.T.T, rnn.W, atol=1e-13)
        np.testing.assert_allclose(form.V, rnn.V @ form.T, atol=1e-13)
        assert sum(form.blocks) == form.dim == n  # random systems are controllable and observable
        assert form.margin > 1e3


def test_staircase_subspaces_match_kalman_matrix_range_and_null_space():
    """On a small well-conditioned non-minimal system the Kalman matrix is reliable: compare subspaces."""
    rnn, _ = _non_minimal(np.random.default_rng(5), 2, 1, 1, 1, 1, 1)
    cform, oform = controllability_staircase(rnn), observability_staircase(rnn)
    R = scipy.linalg.orth(controllability_matrix(rnn))
    N = scipy.linalg.null_space(observability_matrix(rnn))
    assert cform.dim == R.shape[1] == 3 and oform.dim == 5 - N.shape[1] == 3
    assert np.max(scipy.linalg.subspace_angles(cform.T[:, : cform.dim], R)) < 1e-10
    assert np.max(scipy.linalg.subspace_angles(oform.T[:, oform.dim :], N)) < 1e-10
    np.testing.assert_array_equal(cform.W[cform.dim :, : cform.dim], 0.0)
    np.testing.assert_array_equal(cform.B[cform.dim :], 0.0)
    np.testing.assert_array_equal(oform.W[: oform.dim, oform.dim :], 0.0)
    np.testing.assert_array_equal(oform.V[:, oform.dim :], 0.0)


def test_report_of_demo_model_reads_well(demo_rnn):
    rep = structure_report(demo_rnn)
    text = str(rep)
    assert rep.controllable and rep.observable and rep.stabilizable and rep.detectable
    assert "controllable : yes" in text and "uncontrollable modes: none" in text
    assert rep.modes.eigenvalues.size == 3 and "StructureReport(controllable=True" in repr(rep)
    assert rep.controllability_rank.rank == 3 and rep.reachable_dim == 3


# -- Gramians ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, m, p, seed", SYSTEMS)
def test_infinite_gramians_match_python_control_gram(n, m, p, seed):
    rnn = random_stable(n, m, p, seed)
    sys = _ss(rnn)
    np.testing.assert_allclose(controllability_gramian(rnn), control.gram(sys, "c"), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(observability_gramian(rnn), control.gram(sys, "o"), rtol=1e-10, atol=1e-12)


def test_finite_gramian_closed_form_diagonal():
    """W = diag(l), B = b: W_c(N)_ij = b_i b_j (1 - (l_i l_j)^N) / (1 - l_i l_j); also = C_N C_N^T."""
    lam, b = np.array([0.9, -0.5, 0.2]), np.array([1.0, 2.0, -1.0])
    rnn = LinearRNN(W=np.diag(lam), U=b[:, None], V=b[None, :])
    N = 7
    ll = np.outer(lam, lam)
    ref = np.outer(b, b) * (1 - ll**N) / (1 - ll)
    np.testing.assert_allclose(controllability_gramian(rnn, steps=N), ref, rtol=1e-13)
    np.testing.assert_allclose(observability_gramian(rnn, steps=N), ref, rtol=1e-13)  # V = b^T: the same sums
    C = controllability_matrix(rnn, steps=N)
    np.testing.assert_allclose(C @ C.T, ref, rtol=1e-13)
    np.testing.assert_allclose(controllability_gramian(rnn), np.outer(b, b) / (1 - ll), rtol=1e-12)


def test_noise_gramian_is_stationary_covariance_brute_force(small_rnn):
    """source="noise": the infinite Gramian is sum_k W^k Q W^kT, summed here for 600 terms."""
    ref = np.zeros((4, 4))
    P = small_rnn.Q.copy()
    for _ in range(600):
        ref += P
        P = small_rnn.W @ P @ small_rnn.W.T
    np.testing.assert_allclose(controllability_gramian(small_rnn, source="noise"), ref, rtol=1e-9, atol=1e-12)


def test_infinite_gramian_needs_stable_W_finite_does_not():
    rnn = LinearRNN(W=np.diag([1.1, 0.5]), U=[[1.0], [1.0]])
    for f in (controllability_gramian, observability_gramian, hankel_singular_values):
        with pytest.raises(NotStableError, match=r"spectral radius of W is 1.1"):
            f(rnn)
    np.testing.assert_allclose(controllability_gramian(rnn, steps=2), [[1 + 1.21, 1 + 0.55], [1 + 0.55, 1.25]])
    with pytest.raises(ValueError, match="steps must be an integer >= 1; got 0"):
        controllability_gramian(rnn, steps=0)


@pytest.mark.parametrize("n, m, p, seed", SYSTEMS)
def test_hankel_singular_values_brute_force_eig_of_WcWo(n, m, p, seed):
    """python-control's hsvd is not implemented for discrete time: reference sqrt(eig(Wc Wo)) with its gram."""
    rnn = random_stable(n, m, p, seed)
    sys = _ss(rnn)
    ref = np.sort(np.sqrt(np.abs(np.linalg.eigvals(control.gram(sys, "c") @ control.gram(sys, "o")))))[::-1]
    np.testing.assert_allclose(hankel_singular_values(rnn), ref, rtol=1e-8)


# -- Kalman decomposition and minimal realisation ------------------------------------------------------------


@pytest.mark.parametrize("sizes, seed", [((2, 1, 1, 1), 0), ((3, 2, 0, 2), 1), ((1, 0, 2, 0), 2), ((2, 0, 0, 3), 3)])
def test_kalman_decomposition_recovers_constructed_structure(sizes, seed):
    r, a, b, c = sizes
    rnn, blocks = _non_minimal(np.random.default_rng(seed), r, a, b, c, p=2, m=2)
    kd = kalman_decomposition(rnn)
    assert kd.dims == {"c_not_o": a, "co": r, "not_c_not_o": b, "not_c_o": c}
    assert kd.residual < 1e-12
    np.testing.assert_allclose(kd.T.T @ kd.T, np.eye(rnn.n_hidden), atol=1e-13)
    np.testing.assert_allclose(kd.T @ kd.W @ kd.T.T, rnn.W, atol=1e-13)
    for name, blk in zip(("c_not_o", "co", "not_c_not_o", "not_c_o"), blocks):
        sl = kd.block(name)
        assert _same_spectrum(np.linalg.eigvals(kd.W[sl, sl]), np.linalg.eigvals(blk))
    assert kd.basis("co").shape == (rnn.n_hidden, r)
    with pytest.raises(ValueError, match="name must be one of"):
        kd.block("observable")


@pytest.mark.parametrize("sizes, seed", [((2, 1, 1, 1), 4), ((3, 2, 0, 2), 5), ((2, 0, 1, 0), 6)])
def test_minimal_realization_matches_python_control_minreal(sizes, seed):
    rnn, _ = _non_minimal(np.random.default_rng(seed), *sizes, p=2, m=2)
    small = minimal_realization(rnn)
    ref = control.minreal(_ss(rnn), verbose=False)
    assert small.n_hidden == ref.nstates == sizes[0]
    M = rnnss.markov_parameters(rnn, 40)
    np.testing.assert_allclose(rnnss.markov_parameters(small, 40), M, rtol=0, atol=1e-10 * np.abs(M).max())
    ref_rnn = LinearRNN(W=ref.A, U=ref.B, V=ref.C)
    np.testing.assert_allclose(rnnss.markov_parameters(ref_rnn, 40), M, rtol=0, atol=1e-10 * np.abs(M).max())
    assert is_controllable(small) and is_observable(small)


def test_minimal_realization_keeps_noiseless_response_with_bias_and_h0(rng):
    """preserve="mean": simulate(noise=False).y identical for any input (brute force: run both)."""
    rnn, _ = _non_minimal(rng, 2, 1, 1, 2, p=1, m=2)
    rnn = dataclasses.replace(rnn, b=rng.standard_normal(6), d=[1.0, -1.0], h0=rng.standard_normal(6))
    small = minimal_realization(rnn)
    assert small.n_hidden < 6
    x = rng.standard_normal((30, 1))
    np.testing.assert_allclose(
        rnnss.simulate(small, x=x, noise=False).y, rnnss.simulate(rnn, x=x, noise=False).y, rtol=0, atol=1e-11
    )


def _output_covariance(rnn, T):
    """Brute force: covariance of the stacked outputs y_1..y_T from Cov(h_t, h_s) summed term by term."""
    m = rnn.n_outputs
    Wp = [np.linalg.matrix_power(rnn.W, k) for k in range(T + 1)]
    out = np.zeros((T * m, T * m))
    for t in range(1, T + 1):
        for s in range(1, T + 1):
            C = Wp[t] @ rnn.P0 @ Wp[s].T + sum(Wp[t - k] @ rnn.Q @ Wp[s - k].T for k in range(1, min(t, s) + 1))
            out[(t - 1) * m : t * m, (s - 1) * m : s * m] = rnn.V @ C @ rnn.V.T + (rnn.R if t == s else 0)
    return out


def test_minimal_realization_distribution_keeps_output_covariance(rng):
    """preserve="distribution" keeps the output covariance; "mean" drops noise-excited observable states."""
    rnn, _ = _non_minimal(rng, 2, 1, 1, 2, p=1, m=2)
    L = rng.standard_normal((6, 6))
    rnn = dataclasses.replace(rnn, Q=L @ L.T / 6, R=0.3, P0=np.eye(6))
    full = _output_covariance(rnn, 6)
    dist = minimal_realization(rnn, preserve="distribution")
    mean = minimal_realization(rnn, preserve="mean")
    assert dist.n_hidden == 4 and mean.n_hidden == 2  # the noise reaches every state; 2 co + 2 not-c-o are observable
    np.testing.assert_allclose(_output_covariance(dist, 6), full, rtol=1e-10, atol=1e-10)
    assert np.max(np.abs(_output_covariance(mean, 6) - full)) > 1e-2
    np.testing.assert_allclose(rnnss.markov_parameters(mean, 20), rnnss.markov_parameters(rnn, 20), atol=1e-12)


def test_minimal_realization_of_a_system_with_no_drive_is_inert():
    rnn = LinearRNN(W=np.diag([0.5, 0.2]), d=[3.0, 1.0])
    small = minimal_realization(rnn)
    assert small.n_hidden == 1 and not np.any(small.W) and not np.any(small.V)
    np.testing.assert_array_equal(rnnss.simulate(small, steps=3, noise=False).y, [[3.0, 1.0]] * 3)
    with pytest.raises(ValueError, match="preserve must be 'mean' or 'distribution'; got 'all'"):
        minimal_realization(rnn, preserve="all")


@st.composite
def non_minimal_systems(draw):
    r = draw(st.integers(1, 4))
    extra = [draw(st.integers(0, 2)) for _ in range(3)]
    p, m = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    return r, extra, p, m, seed


@given(non_minimal_systems())
def test_minimal_realization_property_markov_parameters_and_order(case):
    """Random systems made non-minimal by construction: the order drops to r, Markov parameters stay to 1e-10."""
    r, (a, b, c), p, m, seed = case
    rnn, _ = _non_minimal(np.random.default_rng(seed), r, a, b, c, p, m)
    small = minimal_realization(rnn)
    assert small.n_hidden == r
    M = rnnss.markov_parameters(rnn, 30)
    np.testing.assert_allclose(rnnss.markov_parameters(small, 30), M, rtol=0, atol=1e-10 * max(np.abs(M).max(), 1e-300))


# -- balanced truncation -------------------------------------------------------------------------------------


def _balanced_reference(rnn, k):
    """Laub's balancing from python-control's Gramians: Wc = L L^T, L^T Wo L = U S^2 U^T, T = L U S^-1/2."""
    sys = _ss(rnn)
    L = np.linalg.cholesky(control.gram(sys, "c"))
    w, Uv = np.linalg.eigh(L.T @ control.gram(sys, "o") @ L)
    order = np.argsort(w)[::-1]
    S = np.sqrt(np.sqrt(w[order]))
    T = L @ Uv[:, order] / S
    Ti = np.linalg.inv(T)
    return LinearRNN(W=(Ti @ rnn.W @ T)[:k, :k], U=(Ti @ rnn.U)[:k], V=(rnn.V @ T)[:, :k])


def _hinf_on_grid(a, b, points=4001):
    z = np.exp(1j * np.linspace(0, np.pi, points))

    def G(r):
        return np.stack([r.V @ np.linalg.solve(zz * np.eye(r.n_hidden) - r.W, r.U) for zz in z])

    return float(np.max(np.linalg.norm(G(a) - G(b), 2, axis=(1, 2))))


@pytest.mark.parametrize("n, m, p, seed, k", [(5, 2, 3, 1, 2), (6, 1, 1, 2, 3), (4, 2, 2, 3, 1)])
def test_balanced_truncation_against_laub_reference_and_bounds(n, m, p, seed, k):
    """Markov parameters match an independent balancing; sigma_{k+1} <= ||G - G_r||_inf <= 2 sum tail."""
    rnn = random_stable(n, m, p, seed)
    bt = balanced_truncation(rnn, k)
    ref = _balanced_reference(rnn, k)
    M = rnnss.markov_parameters(ref, 30)
    np.testing.assert_allclose(rnnss.markov_parameters(bt.rnn, 30), M, rtol=0, atol=1e-8 * np.abs(M).max())
    hsv = bt.hankel_singular_values
    assert bt.error_bound == pytest.approx(2 * hsv[k:].sum())
    err = _hinf_on_grid(rnn, bt.rnn)
    assert hsv[k] * (1 - 1e-3) <= err <= bt.error_bound
    assert bt.rnn.is_stable and bt.order == k
    np.testing.assert_allclose(bt.Ti @ bt.T, np.eye(k), atol=1e-10)


def test_balanced_realization_at_full_order_has_equal_diagonal_gramians():
    """Closed-form property of balancing: Wc = Wo = diag(hsv) (checked with python-control's gram)."""
    rnn = random_stable(5, 2, 2, 9)
    bal = balanced_truncation(rnn, 5)
    sys = _ss(bal.rnn)
    np.testing.assert_allclose(control.gram(sys, "c"), np.diag(bal.hankel_singular_values), atol=1e-9)
    np.testing.assert_allclose(control.gram(sys, "o"), np.diag(bal.hankel_singular_values), atol=1e-9)


def test_balanced_truncation_transforms_bias_noise_and_prior(small_rnn):
    bal = balanced_truncation(small_rnn, 4)  # full order: an exact change of coordinates z = Ti h
    x = np.random.default_rng(0).standard_normal((25, 2))
    np.testing.assert_allclose(
        rnnss.simulate(bal.rnn, x=x, noise=False).y, rnnss.simulate(small_rnn, x=x, noise=False).y, atol=1e-10
    )
    np.testing.assert_allclose(bal.rnn.Q, bal.Ti @ small_rnn.Q @ bal.Ti.T, atol=1e-12)
    np.testing.assert_allclose(_output_covariance(bal.rnn, 4), _output_covariance(small_rnn, 4), atol=1e-9)


def test_balanced_truncation_bad_input():
    rnn = random_stable(3, 1, 1, 0)
    with pytest.raises(ValueError, match="order must be an integer >= 1; got 0"):
        balanced_truncation(rnn, 0)
    with pytest.raises(ValueError, match="order must be an integer between 1 and n = 3; got 4"):
        balanced_truncation(rnn, 4)
    with pytest.raises(TypeError, match="order must be an integer"):
        balanced_truncation(rnn, 1.5)
    with pytest.raises(NotStableError):
        balanced_truncation(LinearRNN(W=1.5, U=[[1.0]]), 1)
    redundant = LinearRNN(W=0.5 * np.eye(2), U=[[1.0], [1.0]], V=[[1.0, 1.0]])
    with pytest.raises(ValueError, match="exceeds the numerical McMillan degree 1.*minimal_realization"):
        balanced_truncation(redundant, 2)


# -- steering ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, m, p, seed", SYSTEMS)
def test_steer_reaches_target_in_simulation_with_biases(n, m, p, seed):
    rnn = dataclasses.replace(random_stable(n, m, p, seed, bias=True), h0=np.arange(n, dtype=float))
    target = np.random.default_rng(seed).standard_normal(n)
    steps = n + 2
    res = steer(rnn, target, steps)
    assert res.inputs.shape == (steps, p) and res.reached
    h = rnnss.simulate(rnn, x=res.inputs, noise=False).h
    np.testing.assert_allclose(h[-1], target, atol=1e-10)
    np.testing.assert_allclose(res.final_state, h[-1], atol=1e-13)


def test_steer_is_minimum_energy_closed_form(small_rnn, rng):
    """energy = r^T W_c(N)^{-1} r with r = target - free response, and the inputs avoid the null space of C_N."""
    N = 5
    h0 = rng.standard_normal(4)
    target = rng.standard_normal(4)
    res = steer(small_rnn, target, N, h0=h0)
    W, U, b = small_rnn.W, small_rnn.U, small_rnn.b
    Wp = [np.linalg.matrix_power(W, i) for i in range(N + 1)]
    free = Wp[N] @ h0 + sum(Wp[i] @ b for i in range(N))
    Wc = sum(Wp[i] @ U @ U.T @ Wp[i].T for i in range(N))
    r = target - free
    assert res.energy == pytest.approx(r @ np.linalg.solve(Wc, r), rel=1e-10)
    C = np.hstack([Wp[N - 1 - j] @ U for j in range(N)])
    null = scipy.linalg.null_space(C)
    assert np.max(np.abs(null.T @ res.inputs.ravel())) < 1e-10
    np.testing.assert_allclose(
        rnnss.simulate(dataclasses.replace(small_rnn, h0=h0), x=res.inputs, noise=False).h[-1], target, atol=1e-10
    )


def test_steer_scalar_closed_form():
    """h_t = a h_{t-1} + x_t from 0: minimum energy inputs x_{N-i} = a^i r / sum_j a^{2j}."""
    a, N, r = 0.8, 4, 2.0
    res = steer(LinearRNN(W=a, U=[[1.0]]), [r], N)
    g = a ** np.arange(N)
    np.testing.assert_allclose(res.inputs[::-1, 0], g * r / (g @ g), rtol=1e-13)
    assert res.energy == pytest.approx(r**2 / (g @ g))


def test_steer_unreachable_target_two_equal_modes():
    """W = 0.5 I, b = [1, 2]: from 0 only span([1, 2]) is reachable, so [1, 0] is not; closest = projection."""
    rnn = LinearRNN(W=0.5 * np.eye(2), U=[[1.0], [2.0]])
    with pytest.raises(
        NotReachableError,
        match=r"not reachable from h0 in 3 steps.*1-dimensional subspace.*closest reachable state is \[0\.2 +0\.4\]",
    ) as info:
        steer(rnn, [1.0, 0.0], 3)
    np.testing.assert_allclose(info.value.closest_state, [0.2, 0.4], atol=1e-14)
    np.testing.assert_allclose(info.value.residual, [0.8, -0.4], atol=1e-14)
    best = steer(rnn, [1.0, 0.0], 3, best_effort=True)
    assert not best.reached and best.rank == 1
    np.testing.assert_allclose(best.final_state, [0.2, 0.4], atol=1e-14)
    assert best.miss == pytest.approx(np.sqrt(0.8))
    assert steer(rnn, [1.0, 2.0], 3).reached


def test_steer_needs_enough_steps_and_handles_no_inputs():
    rnn = LinearRNN(W=np.eye(3, k=-1), U=np.eye(3)[:, :1], b=[0.0, 0.0, 1.0])  # a 3-cell shift register
    with pytest.raises(NotReachableError, match="2-dimensional subspace"):
        steer(rnn, [1.0, 2.0, 3.0], 2)
    assert steer(rnn, [1.0, 2.0, 3.0], 3).reached
    auto = LinearRNN(W=0.5, b=[1.0], h0=[2.0])  # p = 0: only the free response 0.5*2 + 1 = 2 is reachable
    res = steer(auto, [2.0], 1)
    assert res.reached and res.inputs.shape == (1, 0) and res.energy == 0.0
    with pytest.raises(NotReachableError, match="0-dimensional"):
        steer(auto, [3.0], 1)


def test_steer_warns_when_rounding_dominates():
    """12 leaky integrators reached exactly in 12 steps: the reachability map has condition ~3e9."""
    rnn = _leaky_bank(12)
    with pytest.warns(IllConditionedWarning, match="condition number"):
        res = steer(rnn, np.arange(12) % 2, 12)
    assert res.reached and res.condition > 1e8


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(target=[1.0, 2.0, 3.0], steps=3), DimensionError, r"target must have shape \(2,\); got shape \(3,\)"),
        (dict(target=[[1.0, 2.0]], steps=3), DimensionError, r"target must have shape \(2,\); got shape \(1, 2\)"),
        (dict(target=[1.0, 2.0], steps=0), ValueError, r"steps must be an integer >= 1; got 0"),
        (dict(target=[1.0, 2.0], steps=2.0), TypeError, r"steps must be an integer"),
        (dict(target=[1.0, 2.0], steps=2, h0=[1.0]), DimensionError, r"h0 must have shape \(2,\)"),
        (dict(target=[1.0, np.nan], steps=2), ValueError, r"target must be finite"),
    ],
)
def test_steer_bad_input(kwargs, exc, match):
    rnn = LinearRNN(W=np.eye(2, k=-1), U=[[1.0], [0.0]])
    with pytest.raises(exc, match=match):
        steer(rnn, **kwargs)


# -- state reconstruction ------------------------------------------------------------------------------------


@pytest.mark.parametrize("n, m, p, seed", SYSTEMS)
def test_reconstruct_recovers_h0_and_trajectory_from_simulation(n, m, p, seed):
    rnn = dataclasses.replace(
        random_stable(n, m, p, seed, bias=True), h0=np.random.default_rng(seed).standard_normal(n)
    )
    x = np.random.default_rng(seed + 1).standard_normal((3 * n, p))
    traj = rnnss.simulate(rnn, x=x, noise=False)
    rec = reconstruct_state(rnn, traj.y, x)
    np.testing.assert_allclose(rec.h0, rnn.h0, atol=1e-8)
    np.testing.assert_allclose(rec.states, traj.h, atol=1e-8)
    assert rec.rank == n and rec.states_determined and rec.undetermined.shape == (n, 0) and rec.residual < 1e-10


def test_reconstruct_batch_and_1d_outputs(rng):
    rnn = LinearRNN(W=[[0.9, 0.2], [-0.3, 0.7]], U=[[1.0], [0.5]], V=[[1.0, 0.0]], b=[0.1, 0.0])
    h0s = rng.standard_normal((3, 2))
    x = rng.standard_normal((3, 8, 1))
    ys = np.stack([rnnss.simulate(dataclasses.replace(rnn, h0=h), x=x[i], noise=False).y for i, h in enumerate(h0s)])
    rec = reconstruct_state(rnn, ys, x)
    assert rec.h0.shape == (3, 2) and rec.states.shape == (3, 8, 2)
    np.testing.assert_allclose(rec.h0, h0s, atol=1e-10)
    single = reconstruct_state(rnn, ys[0, :, 0], x[0])  # 1-D y for m = 1
    np.testing.assert_allclose(single.h0, h0s[0], atol=1e-10)


def test_reconstruct_unobservable_warns_and_returns_minimum_norm():
    """diag(0.9, 0.5) read through unit 1 only: h0[1] is undetermined (closed form: direction e_2)."""
    rnn = LinearRNN(W=np.diag([0.9, 0.5]), V=[[1.0, 0.0]], h0=[2.0, -3.0])
    y = rnnss.simulate(rnn, steps=6, noise=False).y
    with pytest.warns(UserWarning, match="do not determine the hidden trajectory"):
        rec = reconstruct_state(rnn, y)
    assert rec.rank == 1 and not rec.states_determined
    np.testing.assert_allclose(np.abs(rec.undetermined[:, 0]), [0.0, 1.0], atol=1e-14)
    np.testing.assert_allclose(rec.h0, [2.0, 0.0], atol=1e-12)  # minimum norm: no component along e_2
    assert rec.residual < 1e-12


def test_reconstruct_singular_W_determines_states_not_h0():
    """Shift register read at its last cell: observable, but W kills h0's last cell at step 1."""
    rnn = LinearRNN(W=np.eye(3, k=-1), U=np.eye(3)[:, :1], V=np.eye(3)[-1:], h0=[1.0, 2.0, 3.0])
    x = np.arange(1.0, 6.0)[:, None]
    traj = rnnss.simulate(rnn, x=x, noise=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        rec = reconstruct_state(rnn, traj.y, x)
    assert rec.states_determined and rec.rank == 2
    np.testing.assert_allclose(rec.states, traj.h, atol=1e-12)
    np.testing.assert_allclose(rec.h0, [1.0, 2.0, 0.0], atol=1e-12)


@pytest.mark.parametrize(
    "y, x, exc, match",
    [
        (
            np.zeros((5, 3)),
            np.zeros((5, 1)),
            DimensionError,
            r"y must have shape \(T, 2\) or \(batch, T, 2\); got shape \(5, 3\)",
        ),
        (np.zeros(5), np.zeros((5, 1)), DimensionError, r"y must have shape \(T, 2\)"),
        (np.zeros((5, 2)), None, ValueError, r"x is required: this network has p = 1 inputs"),
        (np.zeros((5, 2)), np.zeros((4, 1)), DimensionError, r"x must have T = 5 time steps"),
        (np.zeros((2, 5, 2)), np.zeros((3, 5, 1)), DimensionError, r"x holds 3 sequences but y holds 2"),
        (np.full((5, 2), np.nan), np.zeros((5, 1)), ValueError, r"y must be finite"),
    ],
)
def test_reconstruct_bad_input(y, x, exc, match):
    rnn = LinearRNN(W=0.5 * np.eye(2), U=[[1.0], [0.0]], V=np.eye(2))
    with pytest.raises(exc, match=match):
        reconstruct_state(rnn, y, x)


# -- argument checks shared by every function ----------------------------------------------------------------


@pytest.mark.parametrize(
    "func",
    [
        controllability_matrix,
        observability_matrix,
        pbh_test,
        controllability_staircase,
        observability_staircase,
        is_controllable,
        is_observable,
        is_stabilizable,
        is_detectable,
        structure_report,
        controllability_gramian,
        observability_gramian,
        hankel_singular_values,
        kalman_decomposition,
        minimal_realization,
    ],
)
def test_non_linear_rnn_argument_is_a_type_error(func):
    with pytest.raises(TypeError, match="rnn must be a rnnss.LinearRNN; got ndarray"):
        func(np.eye(2))


def test_other_functions_refuse_non_models():
    with pytest.raises(TypeError, match="rnn must be a rnnss.LinearRNN; got dict"):
        steer({}, [1.0], 1)
    with pytest.raises(TypeError, match="rnn must be a rnnss.LinearRNN"):
        reconstruct_state("model", np.zeros((3, 1)))
    with pytest.raises(TypeError, match="rnn must be a rnnss.LinearRNN"):
        balanced_truncation(None, 1)


@pytest.mark.parametrize(
    "func",
    [
        controllability_matrix,
        pbh_test,
        is_controllable,
        is_stabilizable,
        controllability_gramian,
        structure_report,
        kalman_decomposition,
        controllability_staircase,
    ],
)
def test_unknown_source_rejected(func, small_rnn):
    with pytest.raises(ValueError, match="source must be one of 'input', 'noise', 'both'; got 'inputs'"):
        func(small_rnn, source="inputs")


@pytest.mark.parametrize("func", [controllability_matrix, observability_matrix, observability_gramian])
def test_steps_below_one_rejected(func, small_rnn):
    with pytest.raises(ValueError, match="steps must be an integer >= 1; got 0"):
        func(small_rnn, 0)
    with pytest.raises(TypeError, match="steps must be an integer"):
        func(small_rnn, 2.5)


def test_kalman_matrix_overflow_is_reported():
    rnn = LinearRNN(W=1e120 * np.eye(4), U=np.ones((4, 1)))
    with pytest.raises(rnnss.NumericalError, match="overflowed; use pbh_test"), np.errstate(over="ignore"):
        controllability_matrix(rnn, steps=4)
    with np.errstate(over="ignore"):
        rep = structure_report(rnn)
    assert rep.controllability_rank is None and "overflow" in str(rep) and not rep.controllable


def test_overflow_in_steer_and_reconstruct_is_reported():
    rnn = LinearRNN(W=1e100, U=[[1.0]], h0=[1.0])
    with (
        pytest.raises(rnnss.NumericalError, match="W\\^k overflowed over 5 steps"),
        np.errstate(over="ignore", invalid="ignore"),
    ):
        steer(rnn, [1.0], 5)
    with (
        pytest.raises(rnnss.NumericalError, match="W\\^t overflowed over T = 5 steps"),
        np.errstate(over="ignore", invalid="ignore"),
    ):
        reconstruct_state(rnn, np.ones((5, 1)), np.zeros((5, 1)))
