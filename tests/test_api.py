"""Keeps the API honest: numpydoc-valid docstrings, one-line module docstrings, a complete __all__, deprecations."""

import inspect
import pkgutil

import numpy as np
import pytest

import rnnss

from .numpydoc_public import problems


def _public_objects():
    for name in rnnss.__all__:
        obj = getattr(rnnss, name)
        if inspect.isfunction(obj) or (inspect.isclass(obj) and not issubclass(obj, BaseException)):
            yield name, obj


@pytest.mark.parametrize("name, obj", list(_public_objects()), ids=[n for n, _ in _public_objects()])
def test_public_docstring_passes_numpydoc_validation(name, obj):
    """numpydoc's own validator (checks configured in pyproject.toml), as .ci/run runs it."""
    assert problems(obj, name) == []


def test_every_module_has_a_one_line_responsibility():
    for info in pkgutil.walk_packages(rnnss.__path__, "rnnss."):
        module = __import__(info.name, fromlist=["_"])
        doc = module.__doc__
        assert doc and doc.strip() and "\n" not in doc.strip(), f"{info.name} needs a one-line module docstring"


def test_all_is_complete_and_importable():
    assert len(set(rnnss.__all__)) == len(rnnss.__all__)
    for name in rnnss.__all__:
        assert hasattr(rnnss, name), name


@pytest.mark.parametrize(
    "old, call",
    [
        ("simulate_varma", lambda f: f(rnnss.VARMA(ar=[0.5], ma=[], sigma=1.0), 4, rng=0).shape == (4, 1)),
        (
            "simulate_noisy",
            lambda f: f(rnnss.NoisyCell(rnnss.ElmanCell(W=[[0.5]]), Q=0.1, R=0.1), 3, rng=0).y.shape == (3, 1),
        ),
        ("hmm_sample", lambda f: f(rnnss.HMM(pi=[1.0], A=[[1.0]], B=[[1.0]]), 3, rng=0).y.shape == (3,)),
    ],
)
def test_deprecated_names_still_work_and_warn(old, call):
    with pytest.warns(DeprecationWarning, match=f"rnnss.{old} is deprecated; use rnnss.simulate"):
        func = getattr(rnnss, old)
        assert call(func)
    assert old not in rnnss.__all__


def test_renamed_keywords_still_work_and_warn():
    rnn = rnnss.LinearRNN(W=0.5, Q=1.0, R=1.0)
    with pytest.warns(DeprecationWarning, match=r"mse_ratio_mc\(T=...\) is deprecated; pass steps="):
        old = rnnss.mse_ratio_mc(rnn, T=50, n_runs=3, rng=0)
    assert old.ratio == rnnss.mse_ratio_mc(rnn, steps=50, n_runs=3, rng=0).ratio
    with pytest.raises(TypeError, match="got both T= .deprecated. and steps="):
        rnnss.mse_ratio_mc(rnn, T=50, steps=50, n_runs=3)
    y = rnnss.simulate(rnn, 60, rng=1).y
    with pytest.warns(DeprecationWarning, match="maxiter"):
        rnnss.fit_linear_rnn(y, 1, maxiter=5, standard_errors=False)


def test_unknown_attribute_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'not_a_name'"):
        rnnss.not_a_name  # noqa: B018


@pytest.mark.parametrize("name", ["scan", "lyapunov_exponents", "jacobian_products"])
def test_initial_state_is_keyword_only_with_the_positional_form_deprecated(name):
    """``h0`` is keyword-only everywhere; the old positional call gives the same result with a warning."""
    fn = getattr(rnnss, name)
    assert inspect.signature(fn).parameters["h0"].kind is inspect.Parameter.KEYWORD_ONLY
    cell = rnnss.random_cell("gru", 2, 1, rng=0)
    x, h0 = np.zeros((6, 1)), np.array([0.1, -0.2])
    kw = {"rng": 0} if name == "lyapunov_exponents" else {}
    new = fn(cell, x, h0=h0, **kw)
    with pytest.warns(DeprecationWarning, match=f"passing h0 to {name}\\(\\) by position is deprecated"):
        old = fn(cell, x, h0, **kw)
    for a, b in [(old, new)] if name == "scan" else zip(vars(old).values(), vars(new).values(), strict=True):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(TypeError, match="multiple values for h0"):
        fn(cell, x, h0, h0=h0)


def test_viterbi_log_prob_is_the_deprecated_name_of_loglik():
    hmm = rnnss.HMM(pi=[0.5, 0.5], A=[[0.9, 0.1], [0.2, 0.8]], B=[[0.9, 0.1], [0.2, 0.8]])
    res = rnnss.viterbi(hmm, [0, 0, 1, 1])
    with pytest.warns(DeprecationWarning, match="ViterbiResult.log_prob is deprecated; use ViterbiResult.loglik"):
        assert res.log_prob == res.loglik
