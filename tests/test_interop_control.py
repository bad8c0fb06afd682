"""Tests of rnnss.interop.control: the python-control StateSpace and scipy dlti bridges, both ways."""

import dataclasses

import control
import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.signal
from hypothesis import given
from hypothesis import strategies as st

import rnnss
from rnnss import LinearRNN

from .conftest import random_stable


def _strip_noise(rnn):
    return LinearRNN(rnn.W, rnn.U, rnn.b, rnn.V, rnn.d, dt=rnn.dt)


def test_to_statespace_matrices(small_rnn):
    sys = rnnss.to_statespace(small_rnn)
    assert isinstance(sys, control.StateSpace) and sys.dt == 1.0
    np.testing.assert_array_equal(sys.A, small_rnn.W)
    np.testing.assert_array_equal(sys.B, np.column_stack([small_rnn.U, small_rnn.b]))
    np.testing.assert_array_equal(sys.C, small_rnn.V)
    np.testing.assert_array_equal(sys.D, np.column_stack([np.zeros((2, 2)), small_rnn.d]))
    nobias = rnnss.to_statespace(dataclasses.replace(small_rnn, b=np.zeros(4), d=np.zeros(2)))
    assert nobias.ninputs == 2 and not np.any(nobias.D)


def test_statespace_round_trip_exact(small_rnn):
    sys = small_rnn.to_statespace()
    back = LinearRNN.from_statespace(
        sys, bias_input=True, Q=small_rnn.Q, R=small_rnn.R, h0=small_rnn.h0, P0=small_rnn.P0
    )
    assert back == small_rnn


def test_dlti_round_trip_exact(small_rnn):
    sys = small_rnn.to_dlti()
    assert isinstance(sys, scipy.signal.dlti) and sys.dt == small_rnn.dt
    back = LinearRNN.from_dlti(sys, bias_input=True)
    assert back == _strip_noise(small_rnn)


def test_dt_is_carried():
    rnn = LinearRNN(W=[[0.5]], U=[[1.0]], dt=0.02)
    assert rnnss.to_statespace(rnn).dt == 0.02
    assert rnnss.from_statespace(rnnss.to_statespace(rnn)).dt == 0.02
    assert rnnss.from_statespace(control.ss([[0.5]], [[1.0]], [[1.0]], [[0.0]], True)).dt == 1.0


def test_from_dlti_transfer_function_has_same_impulse_response():
    """A scipy transfer function, realised by scipy, keeps its impulse response."""
    tf = scipy.signal.dlti([1.0, 0.0], [1.0, -0.5], dt=1.0)  # H(z) = z / (z - 0.5): D = 1, not allowed
    with pytest.raises(ValueError, match="feed-through"):
        rnnss.from_dlti(tf)
    tf = scipy.signal.dlti([1.0], [1.0, -0.5], dt=1.0)  # H(z) = 1 / (z - 0.5): h[k] = 0.5^(k-1)
    rnn = rnnss.from_dlti(tf)
    np.testing.assert_allclose(rnnss.impulse_response(rnn, 5)[:, 0, 0], 0.5 ** np.arange(5), rtol=1e-14)


def test_bridge_errors(small_rnn):
    with pytest.raises(ValueError, match="bias_input=False would drop"):
        rnnss.to_statespace(small_rnn, bias_input=False)
    with pytest.raises(ValueError, match="no input when n or m is 1"):
        rnnss.to_statespace(LinearRNN(W=0.5))
    assert rnnss.to_statespace(LinearRNN(W=0.5), bias_input=True).ninputs == 1
    with pytest.raises(ValueError, match="continuous-time"):
        rnnss.from_statespace(control.ss([[-1.0]], [[1.0]], [[1.0]], [[0.0]]))
    with pytest.raises(ValueError, match="continuous-time"):
        rnnss.from_dlti(scipy.signal.lti([[-1.0]], [[1.0]], [[1.0]], [[0.0]]))
    with pytest.raises(ValueError, match=r"feed-through D != 0 \(max \|D\| = 2"):
        rnnss.from_statespace(control.ss([[0.5]], [[1.0]], [[1.0]], [[2.0]], 1.0))
    with pytest.raises(TypeError, match="control.StateSpace"):
        rnnss.from_statespace(np.eye(2))
    with pytest.raises(TypeError, match="scipy.signal LTI"):
        rnnss.from_dlti(np.eye(2))
    with pytest.raises(ValueError, match="needs at least one input column"):
        rnnss.from_statespace(
            control.ss(np.eye(2) * 0.5, np.zeros((2, 0)), np.eye(2), np.zeros((2, 0)), 1.0), bias_input=True
        )


@given(
    n=st.integers(1, 5), m=st.integers(1, 3), p=st.integers(0, 3), seed=st.integers(0, 2**31 - 1), bias=st.booleans()
)
def test_property_round_trips(n, m, p, seed, bias):
    rnn = _strip_noise(rnnss.random_rnn(n, m, p, bias=bias, rng=seed))
    if p == 0 and not bias and 1 in (n, m):
        kwargs = dict(bias_input=True)
    else:
        kwargs = {}
    want_bias = rnn.has_bias or bool(kwargs)
    assert rnnss.from_statespace(rnnss.to_statespace(rnn, **kwargs), bias_input=want_bias) == rnn
    assert rnnss.from_dlti(rnnss.to_dlti(rnn, **kwargs), bias_input=want_bias) == rnn


def test_classmethod_conveniences():
    rnn = LinearRNN.from_continuous([[-1.0]], [[1.0]], dt=0.1, method="euler")
    assert rnn.W[0, 0] == pytest.approx(0.9)
    random = random_stable(3, 2, 1, 4)
    assert LinearRNN.from_dlti(random.to_dlti(), bias_input=True) == _strip_noise(random)
