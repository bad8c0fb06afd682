"""Shared systems and settings for the rnnss test-suite."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
import scipy.linalg
from hypothesis import HealthCheck, settings

import rnnss

# Scripts that made the committed fixtures in tests/data (they need tools the tests do not): not test modules.
collect_ignore_glob = ["data/*.py"]

# Hypothesis: deterministic in CI (derandomize) and without deadlines (BLAS timing varies).
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", deadline=None, max_examples=40)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def rng():
    """A fixed-seed generator, fresh for every test."""
    return np.random.default_rng(20261121)


@pytest.fixture
def demo_rnn():
    """The built-in demo model (n=3, p=1, m=2, biased, noisy)."""
    from rnnss.demo import default_model

    return default_model()


@pytest.fixture
def small_rnn():
    """A random well-conditioned model with inputs and biases (n=4, m=2, p=2)."""
    return rnnss.random_rnn(4, 2, 2, radius=0.9, bias=True, rng=7)


def random_stable(n, m, p, seed, radius=0.8, bias=True):
    """A random stable model (helper for parametrised tests)."""
    return rnnss.random_rnn(n, m, p, radius=radius, bias=bias, rng=seed)


# -- brute force: the dense joint Gaussian of all states and observations --------------------------------


def dense_joint(rnn, x):
    """Mean and covariance of z = [h_0, h_1..h_T, y_1..y_T] built from the model equations (dense)."""
    T, n, m = len(x), rnn.n_hidden, rnn.n_outputs
    N = n * (T + 1)
    # h = A_h [h_0; eta_1..eta_T] + const, with h_t = W^t h_0 + sum_{s<=t} W^{t-s} (eta_s + U x_s + b).
    M = np.zeros((N, N))
    mean_h = np.zeros(N)
    mean_h[:n] = rnn.h0
    M[:n, :n] = np.eye(n)
    for t in range(1, T + 1):
        M[t * n : (t + 1) * n] = rnn.W @ M[(t - 1) * n : t * n]
        M[t * n : (t + 1) * n, t * n : (t + 1) * n] += np.eye(n)
        mean_h[t * n : (t + 1) * n] = rnn.W @ mean_h[(t - 1) * n : t * n] + rnn.U @ x[t - 1] + rnn.b
    src = scipy.linalg.block_diag(rnn.P0, *([rnn.Q] * T))
    cov_h = M @ src @ M.T
    C = np.zeros((m * T, N))
    for t in range(1, T + 1):
        C[(t - 1) * m : t * m, t * n : (t + 1) * n] = rnn.V
    mean_y = C @ mean_h + np.tile(rnn.d, T)
    cov_y = C @ cov_h @ C.T + np.kron(np.eye(T), rnn.R)
    cov_hy = cov_h @ C.T
    return mean_h, cov_h, mean_y, cov_y, cov_hy


def dense_posterior(mean_h, cov_h, mean_y, cov_y, cov_hy, y, keep):
    """Posterior of h given the entries ``keep`` of the stacked y."""
    yo, Syy, Shy = y[keep], cov_y[np.ix_(keep, keep)], cov_hy[:, keep]
    G = np.linalg.solve(Syy, Shy.T).T
    return mean_h + G @ (yo - mean_y[keep]), cov_h - G @ Shy.T
