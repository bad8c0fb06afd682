"""The ``rnnss`` console script, run for real in a subprocess on the sample files in examples/data/."""

import contextlib
import io
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import rnnss
import rnnss.cli
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


def test_kalman_check_inconclusive_exit_code(tmp_path):
    """A series too short for the transient to end: the check cannot decide (exit 4, not a false failure)."""
    write_array(tmp_path / "short.csv", read_array(DATA / "demo_y.csv")[:15])
    np.save(tmp_path / "x.npy", read_array(DATA / "demo_x.csv")[:15])
    out = _rnnss(
        "kalman-check", DATA / "demo_model.json", tmp_path / "short.csv", "--inputs", tmp_path / "x.npy", "--no-peers"
    )
    assert out.returncode == 4 and "INCONCLUSIVE" in out.stdout, out.stdout


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


# -- data files through the real command: read exactly, or refused with exit 2 -------------------------


class _Run:
    """What a run of the command left: exit code, stdout, stderr (like subprocess.CompletedProcess)."""

    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _main(*args):
    """``rnnss.cli.main`` in this process: the same code path as the console script, without its start-up."""
    from rnnss.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([str(a) for a in args])
    return _Run(code, out.getvalue(), err.getvalue())


def _echo_model(tmp_path, dim):
    """W = 0, U = I, V = I and no noise: ``simulate --inputs FILE`` writes exactly the table it read."""
    path = tmp_path / f"echo{dim}.json"
    rnnss.save(rnnss.LinearRNN(W=np.zeros((dim, dim)), U=np.eye(dim)), path)
    return path


def _echo(tmp_path, data_file, dim, *extra, run=_rnnss):
    out = tmp_path / "echoed.npy"
    res = run("simulate", _echo_model(tmp_path, dim), "--inputs", data_file, "-o", out, *extra)
    return res, (np.load(out) if res.returncode == 0 else None)


X3 = np.array([[1.5, -2.0, 3.25], [0.1, 1e-300, 5e-324], [7.0, 8.0, -9.0]])


def _csv(rows):
    return "\n".join(",".join(repr(float(v)) for v in row) for row in rows) + "\n"


def _indexed(prefix, index):
    return prefix + "".join(f"{i},{r}" for i, r in zip(index, _csv(X3).splitlines(True)))


# Cases marked "console" run the installed console script in a subprocess; the others call rnnss.cli.main in
# this process (the same code, without the start-up cost of a new interpreter).
@pytest.mark.parametrize(
    "case, text, flags, where",
    [
        ("headerless", _csv(X3), [], "console"),
        ("bom_headerless", "\ufeff" + _csv(X3), [], "console"),
        ("index_col", _indexed(",a,b,c\n", range(3)), ["--index-col", 0], "console"),
        ("bom_header", "\ufeffa,b,c\n" + _csv(X3), [], "main"),
        ("crlf_quoted_header", ('"a","b","c"\n' + _csv(X3)).replace("\n", "\r\n"), [], "main"),
        (
            "named_index",
            _indexed("t,a,b,c\n", ["2020-01-01", "2020-02-01", "2020-03-01"]),
            ["--index-col", "t"],
            "main",
        ),
        ("numpy_savetxt_header", "# a,b,c\n" + _csv(X3), [], "main"),
    ],
)
def test_csv_read_exactly_through_the_command(tmp_path, case, text, flags, where):
    """The table the command read equals the intended array bit for bit (the echo model writes it back)."""
    data = tmp_path / f"{case}.csv"
    data.write_bytes(text.encode("utf-8"))
    res, echoed = _echo(tmp_path, data, 3, *flags, run=_rnnss if where == "console" else _main)
    assert res.returncode == 0, res.stderr
    np.testing.assert_array_equal(echoed, X3)


def test_one_dimensional_npy_is_one_column(tmp_path):
    np.save(tmp_path / "x.npy", X3[:, 0])
    res, echoed = _echo(tmp_path, tmp_path / "x.npy", 1, run=_main)
    assert res.returncode == 0 and echoed.shape == (3, 1)
    np.testing.assert_array_equal(echoed[:, 0], X3[:, 0])


@pytest.mark.parametrize(
    "case, content, needles, where",
    [
        ("typo_in_row_1", "1.5,O.3,2\n1,2,3\n", ["line 1 (row 1), column 2", "'O.3' is not a number"], "console"),
        ("ragged", "a,b,c\n1,2,3\n4,5\n", ["line 3 has 2 fields, expected 3"], "console"),
        ("text_in_numbers", "a,b,c\n1,2,3\n4,five,6\n", ["line 3, column 2 ('b'): 'five' is not a number"], "console"),
        ("pandas_index", ",a,b,c\n0,1,2,3\n", ["column 1 has no name", "--index-col 0"], "console"),
        ("complex_npy", np.array([[1 + 2j, 0, 0]]), ["complex numbers", "complex128"], "console"),
        ("too_long", "1,2,3\n4,5,6,7\n", ["line 2 has 4 fields, expected 3"], "main"),
        ("blank_line", "1,2,3\n\n4,5,6\n", ["line 2 is blank", "',,'"], "main"),
        ("dates_index", "t,a,b,c\n2020-01-01,1,2,3\n", ["'2020-01-01' is not a number", "--index-col 0"], "main"),
        ("complex_csv", "1,2,3\n1+2j,2,3\n", ["complex numbers are not supported"], "main"),
        ("overflow", "1,2,3\n1e400,2,3\n", ["'1e400' is too large for a float64"], "main"),
        ("not_utf8", b"1,2,3\n\xe9,2,3\n", ["not UTF-8 text", "line 2"], "main"),
        ("text_npy", np.array([["a", "b", "c"]]), ["must hold real numbers"], "main"),
        ("npz", None, [".npz archive"], "main"),
    ],
)
def test_bad_data_files_exit_2_naming_line_and_column(tmp_path, case, content, needles, where):
    if isinstance(content, np.ndarray):
        data = tmp_path / f"{case}.npy"
        np.save(data, content)
    elif content is None:
        data = tmp_path / f"{case}.npz"
        np.savez(data, x=np.zeros(3))
    else:
        data = tmp_path / f"{case}.csv"
        data.write_bytes(content if isinstance(content, bytes) else content.encode())
    res, _ = _echo(tmp_path, data, 3, run=_rnnss if where == "console" else _main)
    _assert_user_error(res, str(data), *needles)
    assert not (tmp_path / "echoed.npy").exists()


def test_empty_fields_are_missing_in_one_and_three_columns(tmp_path):
    """Empty fields are NaN wherever they are; a one-column file keeps its empty lines as missing values.

    The command fits a VAR(1) to the file; the model it writes must equal the fit of the intended array
    (with NaN at the empty fields) computed here in-process -- a dropped or shifted row would change it.
    """
    y = rnnss.simulate(rnnss.random_rnn(3, rng=3), 40, rng=4).y
    holes = np.zeros(y.shape, bool)
    holes[[3, 10, 11, 30], [0, 1, 2, 0]] = True
    y3 = np.where(holes, np.nan, y)
    y1 = y3[:, :1].copy()
    y1[[5, 6, 20]] = np.nan  # consecutive empty lines, too
    for name, arr in (("one", y1), ("three", y3)):
        lines = [",".join("" if np.isnan(v) else repr(float(v)) for v in row) for row in arr]
        data = tmp_path / f"{name}.csv"
        data.write_text("\n".join(lines) + "\n")
        np.testing.assert_array_equal(rnnss.read_table(data), arr)  # in-process reader: identical, NaN included
        out = tmp_path / f"{name}.json"
        res = _rnnss("fit", data, "--varma", 1, 0, "--no-std-errors", "-o", out)
        assert res.returncode == 0, res.stderr
        expected = rnnss.fit_varma_rnn(arr, 1, 0, standard_errors=False).rnn
        assert rnnss.load(out) == expected


def test_options_are_range_checked(tmp_path):
    model = DATA / "demo_model.json"
    y_csv = tmp_path / "y.csv"
    _assert_user_error(
        _rnnss("simulate", model, "--missing", "1.5", "--inputs", DATA / "demo_x.csv", "-o", y_csv),
        "--missing",
        "[0, 1)",
    )
    for value in ("1", "-0.5", "nan", "abc"):
        _assert_user_error(_main("simulate", model, "--missing", value, "-o", y_csv), "--missing", "[0, 1)")
    _assert_user_error(_main("simulate", model, "--steps", 0, "-o", y_csv), "--steps", ">= 1")
    _assert_user_error(_main("mse-ratio", model, "--seed", -1), "--seed", ">= 0")
    _assert_user_error(_main("mse-ratio", model, "--monte-carlo", 0), "--monte-carlo", ">= 1")
    _assert_user_error(_main("fit", y_csv, "--varma", 1, -1, "-o", tmp_path / "m.json"), "--varma", ">= 0")
    for value in ("0", "-1e-3", "inf", "nan"):
        _assert_user_error(_main("kalman-check", model, DATA / "demo_y.csv", f"--tol={value}"), "--tol", "positive")
    assert not y_csv.exists()


def test_outputs_are_checked_before_any_work(tmp_path):
    """A bad output path fails first: DATA here does not even exist, so nothing was read or fitted."""
    nope = tmp_path / "nope.csv"
    _assert_user_error(_rnnss("fit", nope, "--states", 1, "-o", tmp_path / "x.txt"), "--output", ".json or .npz")
    _assert_user_error(
        _main("fit", nope, "--states", 1, "-o", tmp_path / "m.json", "--varma-output", tmp_path / "v.csv"),
        "--varma-output",
    )
    _assert_user_error(_main("fit", nope, "--states", 1, "-o", tmp_path / "no" / "m.json"), "does not exist")
    _assert_user_error(_main("fit", nope, "--states", 1, "-o", tmp_path), "is a folder")
    _assert_user_error(_main("simulate", tmp_path / "m.json", "-o", tmp_path / "y.txt"), "--output", ".csv or .npy")
    _assert_user_error(_main("kalman-check", tmp_path / "m.json", nope, "--plot", tmp_path / "f.xyz"), "--plot")
    _assert_user_error(
        _main("hmm-check", tmp_path / "m.json", nope, "--posteriors", tmp_path / "p.dat"), "--posteriors"
    )
    (tmp_path / "file").write_text("")
    _assert_user_error(_main("demo", "--outdir", tmp_path / "file"), "not a folder")


def test_help_texts_and_exit_codes_are_documented():
    out = _rnnss("--help")
    assert out.returncode == 0 and "exit codes: 0 success; 1 a check ran and failed; 2 bad usage" in " ".join(
        out.stdout.split()
    )
    helps = [out.stdout]
    for sub in ("demo", "simulate", "kalman-check", "mse-ratio", "fit", "hmm-check"):
        with pytest.raises(SystemExit) as info, contextlib.redirect_stdout(io.StringIO()) as buf:
            rnnss.cli.build_parser().parse_args([sub, "--help"])
        assert info.value.code == 0
        helps.append(buf.getvalue())
    assert all("%%" not in h and "%(" not in h for h in helps)
    assert "95% confidence interval" in " ".join(helps[4].split())
    assert all("exit codes" in h for h in helps)


_CRASH = """
import sys
import numpy as np
import rnnss.mse
rnnss.mse.mse_ratio = lambda rnn: 1 / 0
from rnnss.cli import main
sys.exit(main(sys.argv[1:]))
"""


def test_internal_error_exits_3_with_traceback_under_debug():
    """A bug (here ZeroDivisionError planted in the library) is exit 3, one line; --debug shows the traceback."""
    cmd = [sys.executable, "-c", _CRASH, "mse-ratio", str(DATA / "demo_model.json")]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 3 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and "internal error" in lines[0] and "ZeroDivisionError" in lines[0] and "--debug" in lines[0]
    )
    debug = subprocess.run(cmd[:3] + ["--debug"] + cmd[3:], capture_output=True, text=True, timeout=300)
    assert debug.returncode == 3 and "Traceback" in debug.stderr and "ZeroDivisionError" in debug.stderr


@pytest.mark.parametrize(
    "bug, kind",
    [
        (lambda rnn: np.linalg.inv(np.zeros((2, 2))), "LinAlgError"),  # a NumPy error leaking is a bug too
        (lambda rnn: [][1], "IndexError"),
        (lambda rnn: int("x"), "ValueError"),
    ],
)
def test_unplanned_errors_are_internal(monkeypatch, bug, kind):
    monkeypatch.setattr(rnnss.mse, "mse_ratio", bug)
    out = _main("mse-ratio", DATA / "demo_model.json")
    assert out.returncode == 3 and f"internal error (a bug in rnnss): {kind}" in out.stderr


def test_input_errors_are_told_from_bugs():
    """The classification of main(): argument checks are input errors (2), anything else a bug (3)."""
    from rnnss import cli

    def caught(fn):
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects whatever was raised
            return exc
        raise AssertionError("no exception")

    rnn = rnnss.random_rnn(2, rng=0)
    assert cli._input_error(caught(lambda: rnnss.simulate(rnn, 5, noise="no")))  # _validate
    assert cli._input_error(caught(lambda: rnnss.verify_kalman_equivalence(rnn, np.full((5, 2), np.nan))))  # entry
    assert cli._input_error(caught(lambda: rnnss.LinearRNN(W=[[np.nan]])))  # a model's validation
    assert cli._input_error(rnnss.NotStableError("unstable"))  # rnnss's own exception types
    assert not cli._input_error(caught(lambda: np.linalg.inv(np.zeros((2, 2)))))  # raised inside NumPy
    assert not cli._input_error(caught(lambda: {}["x"]))
    assert not cli._input_error(caught(lambda: int("x")))  # Python's own ValueError outside rnnss
