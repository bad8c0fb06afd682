"""The ``rnnss`` console script, run for real in a subprocess on the sample files in examples/data/."""

import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import rnnss
from rnnss.cli import read_array, write_array

ROOT = pathlib.Path(__file__).resolve().parents[1]
DATA = ROOT / "examples" / "data"


def _rnnss(*args, cwd=None):
    exe = shutil.which("rnnss")
    cmd = [exe, *map(str, args)] if exe else [sys.executable, "-m", "rnnss.cli", *map(str, args)]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=cwd)


def _assert_user_error(out, *needles):
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_demo_writes_report_and_figures(tmp_path):
    out = _rnnss("demo", "--outdir", tmp_path / "tour", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for needle in ("Eigenmodes of W", "Transient growth", "Kalman-RNN equivalence", "PASSED", "MSE"):
        assert needle in out.stdout
    files = {p.name for p in (tmp_path / "tour").iterdir()}
    assert (
        "report.txt" in files
        and {"kalman_equivalence.png", "mse_ratio_sweep.png", "bode.png", "tanh_bifurcation.png"} <= files
    )
    assert (tmp_path / "tour" / "report.txt").read_text() in out.stdout


def test_shipped_sample_files_are_reproducible(tmp_path):
    subprocess.run([sys.executable, str(DATA / "make_sample_data.py"), str(tmp_path)], check=True, timeout=300)
    for name in (
        "demo_model.json",
        "demo_x.csv",
        "demo_y.csv",
        "demo_y_missing.csv",
        "casino_hmm.json",
        "casino_rolls.csv",
    ):
        assert (tmp_path / name).read_text() == (DATA / name).read_text(), name


def test_kalman_check_passes_on_sample_data(tmp_path):
    png = tmp_path / "eq.png"
    out = _rnnss(
        "kalman-check", DATA / "demo_model.json", DATA / "demo_y.csv", "--inputs", DATA / "demo_x.csv", "--plot", png
    )
    assert out.returncode == 0, out.stderr
    assert "PASSED" in out.stdout and "statsmodels" in out.stdout and png.exists()


def test_kalman_check_failure_exit_code(tmp_path):
    """A series too short for the transient to end: the check runs and fails (exit 1)."""
    write_array(tmp_path / "short.csv", read_array(DATA / "demo_y.csv")[:15])
    np.save(tmp_path / "x.npy", read_array(DATA / "demo_x.csv")[:15])
    out = _rnnss(
        "kalman-check", DATA / "demo_model.json", tmp_path / "short.csv", "--inputs", tmp_path / "x.npy", "--no-peers"
    )
    assert out.returncode == 1 and "FAILED" in out.stdout


def test_mse_ratio_analytic_monte_carlo_and_plot(tmp_path):
    png = tmp_path / "sweep.png"
    out = _rnnss("mse-ratio", DATA / "demo_model.json", "--monte-carlo", 60, "--T", 300, "--seed", 1, "--plot", png)
    assert out.returncode == 0, out.stderr
    assert "analytic steady-state smoother/filter MSE ratio: 0.547712" in out.stdout
    assert "Monte Carlo (60 runs x T = 300" in out.stdout and png.exists()


def test_hmm_check_on_sample_data_and_brute_force(tmp_path):
    out = _rnnss(
        "hmm-check", DATA / "casino_hmm.json", DATA / "casino_rolls.csv", "--posteriors", tmp_path / "post.csv"
    )
    assert out.returncode == 0, out.stderr
    assert "PASSED" in out.stdout and "hmmlearn score" in out.stdout and "one-hot softmax RNN" in out.stdout
    post = read_array(tmp_path / "post.csv")
    assert post.shape == (2000, 2)
    np.testing.assert_allclose(post.sum(axis=1), 1.0, atol=1e-12)
    (tmp_path / "short.csv").write_text("\n".join(["5", "5", "0", "5", "2", "5", "5", "1"]) + "\n")
    out = _rnnss("hmm-check", DATA / "casino_hmm.json", tmp_path / "short.csv")
    assert out.returncode == 0 and "brute force over all paths" in out.stdout
    # The softmax RNN saved as a model file is accepted too (converted back with rnn_to_hmm).
    rnnss.save(rnnss.hmm_to_rnn(rnnss.load(DATA / "casino_hmm.json")), tmp_path / "cell.json")
    out = _rnnss("hmm-check", tmp_path / "cell.json", tmp_path / "short.csv")
    assert out.returncode == 0 and "PASSED" in out.stdout


def test_hmm_check_bad_input(tmp_path):
    (tmp_path / "frac.csv").write_text("1\n2.5\n")
    _assert_user_error(_rnnss("hmm-check", DATA / "casino_hmm.json", tmp_path / "frac.csv"), "integer symbols")
    (tmp_path / "big.csv").write_text("1\n9\n")
    _assert_user_error(_rnnss("hmm-check", DATA / "casino_hmm.json", tmp_path / "big.csv"), "symbols in [0, 6)")
    _assert_user_error(_rnnss("hmm-check", DATA / "demo_model.json", DATA / "casino_rolls.csv"), "needs an HMM")
    _assert_user_error(_rnnss("hmm-check", DATA / "casino_hmm.json", DATA / "demo_y.csv"), "one column")


def test_fit_varma_and_linear_rnn_on_macrodata(tmp_path):
    out = _rnnss(
        "fit",
        DATA / "macro_growth.csv",
        "--varma",
        1,
        0,
        "-o",
        tmp_path / "var1.json",
        "--varma-output",
        tmp_path / "v.json",
    )
    assert out.returncode == 0, out.stderr
    assert "loglik=-817.8172" in out.stdout and "converged" in out.stdout
    rnn, varma = rnnss.load(tmp_path / "var1.json"), rnnss.load(tmp_path / "v.json")
    assert isinstance(rnn, rnnss.LinearRNN) and isinstance(varma, rnnss.VARMA)
    y = read_array(DATA / "macro_growth.csv")
    assert rnnss.kalman_filter(rnn, y).loglik == pytest.approx(-817.8172, abs=1e-4)  # the saved model reproduces it
    out = _rnnss("fit", DATA / "macro_growth.csv", "--states", 2, "--no-std-errors", "-o", tmp_path / "rnn.npz")
    assert out.returncode == 0 and rnnss.load(tmp_path / "rnn.npz").n_hidden == 2


def test_fit_bad_usage(tmp_path):
    _assert_user_error(_rnnss("fit", DATA / "macro_growth.csv", "-o", tmp_path / "m.json"), "exactly one of --states")
    _assert_user_error(
        _rnnss("fit", DATA / "macro_growth.csv", "--states", 0, "-o", tmp_path / "m.json"), "--states", ">= 1"
    )
    _assert_user_error(_rnnss("fit", DATA / "macro_growth.csv", "--varma", 1, "-o", tmp_path / "m.json"), "expected 2")


def test_simulate_round_trip(tmp_path):
    out = _rnnss(
        "simulate",
        DATA / "demo_model.json",
        "--inputs",
        DATA / "demo_x.csv",
        "--seed",
        3,
        "-o",
        tmp_path / "y.csv",
        "--states",
        tmp_path / "h.npy",
    )
    assert out.returncode == 0, out.stderr
    y = read_array(tmp_path / "y.csv")
    ref = rnnss.simulate(rnnss.load(DATA / "demo_model.json"), x=read_array(DATA / "demo_x.csv"), rng=3)
    np.testing.assert_array_equal(y, ref.y)  # CSV keeps full precision
    np.testing.assert_array_equal(np.load(tmp_path / "h.npy"), ref.h)


@pytest.mark.parametrize("sub", ["demo", "simulate", "kalman-check", "mse-ratio", "fit", "hmm-check"])
def test_every_subcommand_has_help(sub):
    out = _rnnss(sub, "--help")
    assert out.returncode == 0 and "usage: rnnss " + sub in out.stdout


def test_user_errors_are_one_line_exit_2(tmp_path):
    _assert_user_error(
        _rnnss("kalman-check", tmp_path / "nope.json", DATA / "demo_y.csv"), "MODEL file", "does not exist"
    )
    _assert_user_error(
        _rnnss("kalman-check", DATA / "demo_model.json", tmp_path / "nope.csv"), "DATA file", "does not exist"
    )
    _assert_user_error(
        _rnnss("kalman-check", DATA / "demo_model.json", DATA / "demo_y_missing.csv", "--inputs", DATA / "demo_x.csv"),
        "missing values",
    )
    _assert_user_error(_rnnss("kalman-check", DATA / "demo_model.json", DATA / "demo_y.csv"), "x is required")
    bad = tmp_path / "bad.csv"
    bad.write_text("y1,y2\n1.0,abc\n")
    _assert_user_error(
        _rnnss("kalman-check", DATA / "demo_model.json", bad, "--inputs", DATA / "demo_x.csv"),
        "line 2, column 2 ('y2'): 'abc' is not a number",
    )
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("1.0,2.0\n3.0\n")
    _assert_user_error(_rnnss("kalman-check", DATA / "demo_model.json", ragged), "line 2 has 1 fields, expected 2")
    wrong = tmp_path / "wrong.csv"
    write_array(wrong, np.ones((50, 3)))
    _assert_user_error(
        _rnnss("kalman-check", DATA / "demo_model.json", wrong, "--inputs", DATA / "demo_x.csv"),
        "y must have shape (T, 2)",
    )
    notmodel = tmp_path / "m.json"
    notmodel.write_text("{}")
    _assert_user_error(_rnnss("mse-ratio", notmodel), "not an rnnss model file")
    _assert_user_error(_rnnss("simulate", DATA / "demo_model.json", "-o", tmp_path / "y.csv"), "--inputs")


def test_usage_errors_exit_2():
    assert _rnnss().returncode == 2
    out = _rnnss("frobnicate")
    assert out.returncode == 2 and "invalid choice" in out.stderr and "Traceback" not in out.stderr
    _assert_user_error(
        _rnnss("mse-ratio", DATA / "demo_model.json", "--monte-carlo", "many"), "--monte-carlo", "integer >= 1", "many"
    )


def test_version():
    out = _rnnss("--version")
    assert out.returncode == 0 and out.stdout.startswith("rnnss ")


# -- the file readers, in process ---------------------------------------------------------------------


def test_read_array_formats(tmp_path):
    (tmp_path / "a.csv").write_text("# comment\na,b\n1,2\n,nan\nNA,4e-1\n")
    arr = read_array(tmp_path / "a.csv")
    np.testing.assert_array_equal(np.isnan(arr), [[False, False], [True, True], [True, False]])
    assert arr[2, 1] == 0.4
    (tmp_path / "b.csv").write_text("1\n2\n3\n")
    assert read_array(tmp_path / "b.csv").shape == (3, 1)
    np.save(tmp_path / "c.npy", np.arange(4.0))
    assert read_array(tmp_path / "c.npy").shape == (4, 1)
    (tmp_path / "d.csv").write_text("a,b\n")
    with pytest.raises(rnnss.FileFormatError, match="header but no data"):
        read_array(tmp_path / "d.csv")
    (tmp_path / "e.csv").write_text("\n\n")
    with pytest.raises(rnnss.FileFormatError, match="is empty"):
        read_array(tmp_path / "e.csv")
    np.save(tmp_path / "f.npy", np.ones((2, 2, 2)))
    with pytest.raises(rnnss.FileFormatError, match=r"shape \(T, dim\)"):
        read_array(tmp_path / "f.npy")
