"""Shared systems and settings for the rnnss test-suite."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import rnnss

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
