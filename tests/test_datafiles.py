"""Tests of rnnss.datafiles: tables read exactly as written (or refused naming line and column), atomic writes.

Oracles: the array that was written (bit-for-bit, NaN and -0.0 included) and, for text the user typed, the
array the text spells out; every refusal is a FileFormatError naming the file.
"""

import os

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import rnnss

AWKWARD = np.array([[1 / 3, -0.0, 5e-324], [1e308, np.nan, -1e-300], [np.inf, -np.inf, 2.0**53 + 2]])


def _file(tmp_path, text, name="d.csv"):
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _refused(path, *needles, **kwargs):
    with pytest.raises(rnnss.FileFormatError) as info:
        rnnss.read_table(path, **kwargs)
    message = str(info.value)
    assert str(path) in message, message
    for needle in needles:
        assert needle in message, message
    return message


def _same(a, b):
    """Bitwise equality, NaN equal to NaN and -0.0 told from 0.0."""
    return a.shape == b.shape and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize("suffix", [".csv", ".npy"])
def test_write_then_read_is_bit_exact(tmp_path, suffix):
    path = tmp_path / f"t{suffix}"
    rnnss.write_table(path, AWKWARD, header=["a", "b", "c"])
    assert _same(rnnss.read_table(path), AWKWARD)
    rnnss.write_table(path, AWKWARD[:, 0])  # 1-D is one column
    assert _same(rnnss.read_table(path), AWKWARD[:, :1])


@settings(deadline=None, max_examples=40)
@given(
    arr=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=5)),
    header=st.booleans(),
)
def test_property_csv_round_trip(tmp_path_factory, arr, header):
    """Any float64 table, NaN/inf/-0.0/subnormals included, comes back bit for bit."""
    path = tmp_path_factory.mktemp("t") / "t.csv"
    arr = np.where(np.isnan(arr), np.nan, arr)  # one NaN payload: a CSV spells every NaN the same way
    rnnss.write_table(path, arr, header=[f"c{j}" for j in range(arr.shape[1])] if header else None)
    assert _same(rnnss.read_table(path), arr)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1,2\n3,4\n", [[1, 2], [3, 4]]),  # headerless: row 1 is data
        ("a,b\n1,2\n", [[1, 2]]),  # header
        ("\ufeffa,b\n1,2\n", [[1, 2]]),  # byte-order mark before a header
        ("\ufeff1,2\n3,4\n", [[1, 2], [3, 4]]),  # byte-order mark before data: row 1 kept
        ("1,2\r\n3,4\r\n", [[1, 2], [3, 4]]),  # Windows line ends
        ("1,2\r3,4", [[1, 2], [3, 4]]),  # old Mac line ends, no final newline
        (" 1 , 2 \n", [[1, 2]]),  # blanks around numbers
        ('"a","b"\n"1",2\n', [[1, 2]]),  # quoted fields
        ("# made by numpy.savetxt\n1,2\n# note\n3,4\n", [[1, 2], [3, 4]]),  # comment lines are not rows
        (",\n1,\n,2\n", [[np.nan, np.nan], [1, np.nan], [np.nan, 2]]),  # a first row of missing values is data
        ("nan,NA\nNULL,-nan\n", [[np.nan, np.nan], [np.nan, np.nan]]),
        ("y\n1\n\n3\n", [[1], [np.nan], [3]]),  # one column: an empty line is a missing value
        ("1\n\n\n4\n", [[1], [np.nan], [np.nan], [4]]),  # ... every one of them, none dropped
        ("\n2\n", [[np.nan], [2]]),  # ... also the first
        ("y\n1\n \n", [[1], [np.nan]]),  # a blank field is empty
        ("1,,3\n,5,\n", [[1, np.nan, 3], [np.nan, 5, np.nan]]),  # three columns with empty fields
        ("inf,-Infinity\n", [[np.inf, -np.inf]]),  # infinities spelled out are kept
        ("1_000,0.1\n", [[1000, 0.1]]),  # Python's float syntax
    ],
)
def test_csv_cases_read_exactly(tmp_path, text, expected):
    assert _same(rnnss.read_table(_file(tmp_path, text)), np.array(expected, dtype=float))


@pytest.mark.parametrize(
    "text, needles",
    [
        ("0.5,O.3\n1,2\n", ["line 1 (row 1), column 2: 'O.3' is not a number", "not as a header"]),
        ("x,1\n1,2\n", ["line 1 (row 1), column 1: 'x' is not a number"]),
        ("1,2\n3\n", ["line 2 has 1 fields, expected 2 like line 1"]),
        ("a,b\n1,2\n3,4,5\n", ["line 3 has 3 fields, expected 2 like line 1"]),
        ("# c\n1,2\n3\n", ["line 3 has 1 fields, expected 2 like line 2"]),  # line numbers count comments
        ("1,2\n\n3,4\n", ["line 2 is blank", "','"]),
        ("1,2\n3,4\n\n", ["line 3 is blank"]),
        ("\n1,2\n", ["line 1 is blank"]),
        ("1\n2,3\n", ["line 2 has 2 fields, expected 1"]),
        ("a,b\n1,2\n3,x\n", ["line 3, column 2 ('b'): 'x' is not a number"]),
        ("1,2\n1+2j,0\n", ["line 2, column 1: '1+2j' is not a number (complex numbers are not supported"]),
        ("1,2\n1e400,0\n", ["line 2, column 1: '1e400' is too large for a float64"]),
        (",a,b\n0,1,2\n", ["column 1 has no name in the header", "index_col=0", "--index-col 0"]),
        ("t,a\n2020-01-01,1\n", ["line 2, column 1 ('t'): '2020-01-01' is not a number", "--index-col 0"]),
        ("a,b\n", ["has a header but no data"]),
        ("", ["is empty"]),
        ("\n\n", ["is empty"]),
        ("# only a comment\n", ["is empty"]),
        (b"1,2\n\xff,3\n", ["not UTF-8 text (line 2"]),
        (b"1,2\x00\n", ["binary file"]),
        ('a,b\n"1,2\n', ["not valid CSV"]),
    ],
)
def test_csv_cases_refused_with_line_and_column(tmp_path, text, needles):
    _refused(_file(tmp_path, text), *needles)


def test_index_column(tmp_path):
    pandas_csv = _file(tmp_path, ",y1,y2\n0,1.5,2\n1,,4\n")
    expected = np.array([[1.5, 2], [np.nan, 4]])
    assert _same(rnnss.read_table(pandas_csv, index_col=0), expected)
    assert _same(rnnss.read_table(_file(tmp_path, "t,y1,y2\nmon,1.5,2\ntue,,4\n"), index_col="t"), expected)
    assert _same(rnnss.read_table(_file(tmp_path, "y1,t,y2\n1.5,x,2\n,y,4\n"), index_col=1), expected)
    with pytest.raises(ValueError, match="index_col 'zz' is not a column"):
        rnnss.read_table(pandas_csv, index_col="zz")
    with pytest.raises(ValueError, match=r"index_col must be a column number in \[0, 3\)"):
        rnnss.read_table(pandas_csv, index_col=3)
    with pytest.raises(TypeError, match="index_col"):
        rnnss.read_table(pandas_csv, index_col=True)
    _refused(_file(tmp_path, "1\n2\n"), "would leave no data", index_col=0)


def test_forced_header_choice(tmp_path):
    years = _file(tmp_path, "2019,2020\n1,2\n")
    assert _same(rnnss.read_table(years), np.array([[2019.0, 2020], [1, 2]]))  # numbers are data by default
    assert _same(rnnss.read_table(years, header=True), np.array([[1.0, 2]]))
    _refused(_file(tmp_path, "a,b\n1,2\n"), "line 1, column 1: 'a' is not a number", header=False)


@pytest.mark.parametrize(
    "arr, expected, needles",
    [
        (np.arange(3.0), np.arange(3.0)[:, None], None),
        (np.array([[1, 2]], dtype=np.int32), np.array([[1.0, 2.0]]), None),
        (np.array([True, False]), np.array([[1.0], [0.0]]), None),
        (np.array([[1.0]], dtype=np.float32), np.array([[1.0]]), None),
        (np.array([1 + 2j]), None, ["complex numbers", "complex128"]),
        (np.ones((2, 2, 2)), None, ["shape (T, dim)", "(2, 2, 2)"]),
        (np.array(3.0), None, ["shape (T, dim)"]),
        (np.array(["a"]), None, ["must hold real numbers"]),
        (np.zeros((0, 2)), None, ["no rows"]),
        (np.zeros((2, 0)), None, ["no columns"]),
        (np.array([2**62 + 1]), None, ["too large to be exact"]),
    ],
)
def test_npy_cases(tmp_path, arr, expected, needles):
    path = tmp_path / "a.npy"
    np.save(path, arr)
    if expected is not None:
        assert _same(rnnss.read_table(path), expected)
    else:
        _refused(path, *needles)


def test_npy_and_npz_corruptions(tmp_path):
    path = tmp_path / "a.npy"
    np.save(path, np.arange(10.0))
    data = path.read_bytes()
    (tmp_path / "cut.npy").write_bytes(data[:-8])
    _refused(tmp_path / "cut.npy", "not a readable .npy array")
    (tmp_path / "text.npy").write_text("1,2\n")
    _refused(tmp_path / "text.npy", "not a .npy array file")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    _refused(tmp_path / "obj.npy", "not a readable .npy array")
    np.savez(tmp_path / "z.npz", a=np.zeros(2))
    _refused(tmp_path / "z.npz", ".npz archive")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rnnss.read_table(tmp_path / "missing.csv")


def test_write_table_refuses_what_it_could_not_read_back(tmp_path):
    with pytest.raises(ValueError, match=r"must end in \.csv or \.npy"):
        rnnss.write_table(tmp_path / "t.txt", np.zeros((2, 2)))
    for bad in (["a", "1"], ["a", "b,c"], ["a", "nan"], ["a", ""], ["a"]):
        with pytest.raises(ValueError, match="header"):
            rnnss.write_table(tmp_path / "t.csv", np.zeros((2, 2)), header=bad)
    with pytest.raises(TypeError, match="real"):
        rnnss.write_table(tmp_path / "t.csv", np.zeros(2, complex))
    with pytest.raises(rnnss.DimensionError):
        rnnss.write_table(tmp_path / "t.csv", np.zeros((2, 2, 2)))
    assert not list(tmp_path.iterdir())


def test_atomic_write_all_or_nothing(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("old\n")
    with pytest.raises(RuntimeError):
        with rnnss.atomic_write(path, "w") as fh:
            fh.write("new, half")
            raise RuntimeError("the writer failed")
    assert path.read_text() == "old\n" and [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with rnnss.atomic_write(path, "w") as fh:
        fh.write("a\nb\n")
    assert path.read_bytes() == b"a\nb\n"  # text mode does not translate line ends
    with pytest.raises(ValueError, match="mode must be one of"):
        with rnnss.atomic_write(path, "a"):
            pass
    with pytest.raises(FileNotFoundError):
        with rnnss.atomic_write(tmp_path / "no" / "x.txt"):
            pass


def test_check_output_path(tmp_path):
    assert rnnss.check_output_path(tmp_path / "m.json", suffixes=(".json",)) == tmp_path / "m.json"
    with pytest.raises(ValueError, match="got no suffix"):
        rnnss.check_output_path(tmp_path / "m", suffixes=(".json",), what="--output")
    with pytest.raises(IsADirectoryError):
        rnnss.check_output_path(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rnnss.check_output_path(tmp_path / "no" / "m.json")
    if os.geteuid() != 0:  # root may write anything
        os.chmod(tmp_path, 0o500)
        try:
            with pytest.raises(PermissionError, match="not writable"):
                rnnss.check_output_path(tmp_path / "m.json")
        finally:
            os.chmod(tmp_path, 0o700)
