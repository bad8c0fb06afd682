"""Tests of rnnss.io: exact save/load round trips and clear errors."""

import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import rnnss
from rnnss import LinearRNN


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_round_trip_exact(tmp_path, small_rnn, suffix):
    path = tmp_path / f"model{suffix}"
    rnnss.save(small_rnn, path)
    back = rnnss.load(path)
    assert isinstance(back, LinearRNN) and back == small_rnn and back.dt == small_rnn.dt


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_awkward_floats_survive(tmp_path, suffix):
    W = np.array([[1 / 3, 5e-324], [-0.0, 1e-300]])  # a subnormal, a signed zero, a non-terminating binary
    rnn = LinearRNN(W=W, dt=0.1 + 0.2)
    rnn.save(tmp_path / f"m{suffix}")
    back = rnnss.load(tmp_path / f"m{suffix}")
    assert back == rnn and back.dt == 0.1 + 0.2
    assert np.signbit(back.W[1, 0])


def test_fmt_override_and_json_is_plain(tmp_path, small_rnn):
    path = tmp_path / "model.txt"
    rnnss.save(small_rnn, path, fmt="json")
    meta = json.loads(path.read_text())
    assert meta["rnnss_model"] == "LinearRNN" and meta["format_version"] == 1
    assert rnnss.load(path, fmt="json") == small_rnn


def test_errors(tmp_path, small_rnn):
    with pytest.raises(ValueError, match="cannot tell the file format"):
        rnnss.save(small_rnn, tmp_path / "model.txt")
    with pytest.raises(TypeError, match="model must be an rnnss model"):
        rnnss.save({"W": 1}, tmp_path / "x.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a readable rnnss model file"):
        rnnss.load(bad)
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    with pytest.raises(ValueError, match="not an rnnss model file"):
        rnnss.load(other)
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"rnnss_model": "Nope", "format_version": 1, "fields": {}}))
    with pytest.raises(ValueError, match="unknown model class 'Nope'"):
        rnnss.load(unknown)
    with pytest.raises(FileNotFoundError):
        rnnss.load(tmp_path / "missing.npz")
    plain = tmp_path / "plain.npz"
    np.savez(plain, W=np.eye(2))
    with pytest.raises(ValueError, match="not an rnnss model file"):
        rnnss.load(plain)


@given(
    n=st.integers(1, 4),
    m=st.integers(1, 3),
    p=st.integers(0, 2),
    seed=st.integers(0, 2**31 - 1),
    fmt=st.sampled_from(["npz", "json"]),
)
def test_property_round_trip(tmp_path_factory, n, m, p, seed, fmt):
    rnn = rnnss.random_rnn(n, m, p, bias=True, rng=seed)
    path = tmp_path_factory.mktemp("io") / f"m.{fmt}"
    rnnss.save(rnn, path)
    assert rnnss.load(path) == rnn
