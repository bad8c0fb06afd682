"""Keeps the API honest: numpydoc-valid docstrings, one-line module docstrings, a complete __all__, deprecations."""

import inspect
import pkgutil

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
