"""Tests of rnnss.io: exact save/load round trips, and a matrix of broken files that are refused, never misread.

The oracle of every "loaded" case is the model that was saved (field-by-field exact equality); the oracle
of every broken file is a FileFormatError whose message names the file.
"""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import zipfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rnnss
from rnnss import LinearRNN
from rnnss._model import MODEL_REGISTRY

# -- one example of every registered model ------------------------------------------------------------


def _examples():
    elman = rnnss.ElmanCell(W=[[0.5, -0.25], [0.125, 0.3]], U=[[1.0], [0.5]], b=[0.1, -0.2], activation="relu")
    hmm = rnnss.HMM(pi=[0.5, 0.5], A=[[0.95, 0.05], [0.1, 0.9]], B=[[1 / 6] * 6, [0.1] * 5 + [0.5]])
    return {
        "LinearRNN": rnnss.random_rnn(3, 2, 1, bias=True, rng=1),
        "VARMA": rnnss.VARMA(
            ar=[[[0.5, 0.1], [0.0, 0.3]]],
            ma=[[[0.2, 0.0], [0.1, -0.1]]],
            sigma=[[1.0, 0.2], [0.2, 0.5]],
            intercept=[0.1, -0.3],
            exog=[[1.0], [0.0]],
        ),
        "HMM": hmm,
        "GaussianHMM": rnnss.GaussianHMM(
            pi=[0.3, 0.7], A=[[0.8, 0.2], [0.3, 0.7]], means=[[0.0], [2.0]], covs=[[[1.0]], [[0.25]]]
        ),
        "ElmanCell": elman,
        "LeakyCell": rnnss.LeakyCell(W=[[0.2, 0.1], [0.0, -0.4]], U=[[1.0], [2.0]], alpha=0.25, activation="sigmoid"),
        "LSTMCell": rnnss.random_cell("lstm", 2, 1, rng=3),
        "GRUCell": rnnss.random_cell("gru", 2, 1, rng=4),
        "OneHotSoftmaxCell": rnnss.hmm_to_rnn(
            rnnss.HMM(pi=[1.0, 0.0], A=[[0.9, 0.1], [0.0, 1.0]], B=[[0.5, 0.5], [1.0, 0.0]])
        ),  # structural zeros: -inf logits survive both formats
        "BeliefCell": rnnss.BeliefCell(A=hmm.A, pi=hmm.pi, B=hmm.B, reverse=True),
        "NoisyCell": rnnss.NoisyCell(elman, Q=[[0.1, 0.0], [0.0, 0.2]], R=[[0.3]], V=[[1.0, -1.0]], d=[0.5], P0=1.0),
        "Bidirectional": rnnss.Bidirectional(elman, rnnss.random_cell("gru", 3, 1, rng=5)),
        "CTRNN": rnnss.CTRNN(W=[[0.5, -1.0], [1.0, 0.25]], U=[[1.0], [0.0]], b=[0.1, 0.0], tau=[1.0, 0.5]),
        "EulerCTRNNCell": rnnss.CTRNN(W=[[0.5, -1.0], [1.0, 0.25]], U=[[1.0], [0.0]], tau=[1.0, 0.5]).euler(0.1),
        "Lorenz": rnnss.Lorenz(),
        "Rossler": rnnss.Rossler(),
        "TorchGRUCell": rnnss.random_cell("torch_gru", 2, 1, rng=6),
        "LinearReadout": rnnss.LinearReadout(np.ones((1, 2)), [0.5]),
    }


EXAMPLES = _examples()
NAMES = sorted(EXAMPLES)
FORMATS = ["json", "npz"]


def test_every_registered_model_has_an_example():
    assert set(EXAMPLES) == set(MODEL_REGISTRY)


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


def _saved(tmp_path, model, fmt, stem="m"):
    path = tmp_path / f"{stem}.{fmt}"
    rnnss.save(model, path)
    return path


def _refused(path, *needles):
    """load must raise FileFormatError (a ValueError) naming the file and every needle."""
    with pytest.raises(rnnss.FileFormatError) as info:
        rnnss.load(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError) and str(path) in message and info.value.path == str(path), message
    for needle in needles:
        assert needle in message, message
    return message


def _refused_or_exact(path, model):
    """The invariant of the whole matrix: a broken file is refused or reads back exactly; never misread."""
    try:
        back = rnnss.load(path)
    except rnnss.FileFormatError as exc:
        assert str(path) in str(exc)
        return "refused"
    assert back == model, f"{path} was loaded as a different model"
    return "exact"


# -- the JSON tree of a file, for hand edits ---------------------------------------------------------


def _meta(path):
    if path.suffix == ".json":
        return json.loads(path.read_text())
    with np.load(path, allow_pickle=False) as z:
        return json.loads(str(z["__meta__"]))


def _arrays(path):
    with np.load(path, allow_pickle=False) as z:
        return {k: z[k] for k in z.files if k != "__meta__"}


def _write(path, meta, arrays=None):
    """Write a hand-edited file: the JSON text, or an .npz with the edited meta and the given arrays."""
    if path.suffix == ".json":
        path.write_text(json.dumps(meta) if not isinstance(meta, str) else meta)
    else:
        arrays = _arrays(path) if arrays is None else arrays
        text = json.dumps(meta) if not isinstance(meta, str) else meta
        with open(path, "wb") as fh:
            np.savez(fh, __meta__=np.array(text), **arrays)


def _first_array(fields, prefix=""):
    """(path of keys, entry) of the first float array in a fields tree."""
    for key, val in fields.items():
        if isinstance(val, dict) and "__array__" in val and val.get("dtype", "<f8").startswith("<f"):
            if np.prod(val["shape"]) > 0:
                return [key], val
        if isinstance(val, dict) and "__model__" in val:
            found = _first_array(val["fields"])
            if found:
                return [key, "fields", *found[0]], found[1]
    return None


def _at(meta, keys):
    node = meta["fields"]
    for k in keys[:-1]:
        node = node[k]
    return node, keys[-1]


# -- round trips ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_exact_for_every_model(tmp_path, name, fmt):
    model = EXAMPLES[name]
    back = rnnss.load(_saved(tmp_path, model, fmt))
    assert type(back) is type(model) and back == model


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


def test_nested_model_is_a_model_entry(tmp_path):
    """A NoisyCell's cell is written as {"__model__": "ElmanCell", "fields": {...}} and read back exactly."""
    model = EXAMPLES["NoisyCell"]
    meta = _meta(_saved(tmp_path, model, "json"))
    assert meta["fields"]["cell"]["__model__"] == "ElmanCell"
    assert set(meta["fields"]["cell"]["fields"]) == {"W", "U", "b", "activation", "derivative"}
    assert _arrays(_saved(tmp_path, model, "npz")).keys() >= {"cell.W", "cell.U", "cell.b", "Q", "R"}


def test_fmt_override_and_json_is_plain(tmp_path, small_rnn):
    path = tmp_path / "model.txt"
    rnnss.save(small_rnn, path, fmt="json")
    meta = json.loads(path.read_text())
    assert meta["rnnss_model"] == "LinearRNN" and meta["format_version"] == rnnss.io.FORMAT_VERSION == 1
    assert rnnss.load(path, fmt="json") == small_rnn


def test_shipped_version_1_files_still_load():
    model = rnnss.load(os.path.join(os.path.dirname(__file__), "..", "examples", "data", "demo_model.json"))
    assert isinstance(model, LinearRNN) and model.n_hidden == 3


def test_save_errors(tmp_path, small_rnn):
    with pytest.raises(ValueError, match="cannot tell the file format"):
        rnnss.save(small_rnn, tmp_path / "model.txt")
    with pytest.raises(TypeError, match="model must be an rnnss model"):
        rnnss.save({"W": 1}, tmp_path / "x.json")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        rnnss.save(small_rnn, tmp_path / "no" / "such" / "folder.json")
    custom = rnnss.NoisyCell(
        rnnss.ElmanCell(W=[[0.5]]), Q=0.1, R=0.1, readout=np.sin, readout_jacobian=lambda s: np.cos(s)[None, :]
    )
    with pytest.raises(TypeError, match="readout"):  # a Python callable is not saveable: refused before writing
        rnnss.save(custom, tmp_path / "custom.json")
    assert not list(tmp_path.iterdir())


def test_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        rnnss.load(tmp_path / "missing.npz")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    _refused(bad, "not a readable rnnss model file", "not valid JSON")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"hello": 1}))
    _refused(other, "not an rnnss model file")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"rnnss_model": "Nope", "format_version": 1, "fields": {}}))
    _refused(unknown, "unknown model class 'Nope'")
    plain = tmp_path / "plain.npz"
    np.savez(plain, W=np.eye(2))
    _refused(plain, "not an rnnss model file")


# -- the matrix: every model type x every kind of broken file -----------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_missing_field_is_refused_not_defaulted(tmp_path, name, fmt):
    """A file missing Q (or any field) is refused with the field's name; a default is never filled in."""
    model = EXAMPLES[name]
    path = _saved(tmp_path, model, fmt)
    meta = _meta(path)
    for field in list(meta["fields"]):
        edited = json.loads(json.dumps(meta))
        del edited["fields"][field]
        broken = tmp_path / f"no_{field}.{fmt}"
        broken.write_bytes(path.read_bytes())
        arrays = None
        if fmt == "npz":
            arrays = {k: a for k, a in _arrays(path).items() if k != field and not k.startswith(field + ".")}
        _write(broken, edited, arrays)
        _refused(broken, f"'{field}' is missing", "never filled with a default")


@pytest.mark.parametrize("fmt", FORMATS)
def test_version_class_and_structure_edits_are_refused(tmp_path, name, fmt):
    model = EXAMPLES[name]
    path = _saved(tmp_path, model, fmt)
    meta = _meta(path)

    def edited(change, stem):
        m = json.loads(json.dumps(meta))
        change(m)
        out = tmp_path / f"{stem}.{fmt}"
        out.write_bytes(path.read_bytes())
        _write(out, m)
        return out

    _refused(edited(lambda m: m.update(format_version=2), "v2"), "format_version 2", "upgrade rnnss")
    _refused(edited(lambda m: m.update(format_version=0), "v0"), "format_version 0")
    for bad in ("1", 1.0, True, None):
        _refused(edited(lambda m, b=bad: m.update(format_version=b), "vbad"), "'format_version' must be an integer")
    _refused(edited(lambda m: m.pop("format_version"), "vnone"), "'format_version' must be an integer")
    _refused(edited(lambda m: m.update(rnnss_model="Nope"), "cls"), "unknown model class 'Nope'")
    _refused(edited(lambda m: m.update(rnnss_model=["LinearRNN"]), "clsl"), "must be a string")
    other = "HMM" if name != "HMM" else "VARMA"
    message = _refused(edited(lambda m: m.update(rnnss_model=other), "other"))
    assert f"every {other} holds the fields" in message or f"unknown field(s) 'reverse' for a {other}" in message
    _refused(edited(lambda m: m["fields"].update(extra=None), "extra"), "unknown field(s) 'extra'")
    _refused(edited(lambda m: m.update(comment="hi"), "top"), "unexpected top-level entries 'comment'")
    _refused(edited(lambda m: m.update(fields=[1, 2]), "fl"), "'fields' must be an object")


@pytest.mark.parametrize("fmt", FORMATS)
def test_array_edits_are_refused_or_exact(tmp_path, name, fmt):
    """Hand edits of an array entry: wrong dtype, shape, element types, NaN where not allowed."""
    model = EXAMPLES[name]
    path = _saved(tmp_path, model, fmt)
    meta = _meta(path)
    if _first_array(meta["fields"]) is None:
        pytest.skip(f"{name} has no array fields (only numbers)")
    keys, entry = _first_array(meta["fields"])
    arrays = _arrays(path) if fmt == "npz" else None

    def edited(change, stem, new_arrays=None):
        m = json.loads(json.dumps(meta))
        node, key = _at(m, keys)
        change(node[key])
        out = tmp_path / f"{stem}.{fmt}"
        out.write_bytes(path.read_bytes())
        _write(out, m, new_arrays if new_arrays is not None else arrays)
        return out

    where = ".".join(k for k in keys if k != "fields")
    # The recorded dtype is never applied blindly: integers declared for float data, complex, objects, text.
    _refused(edited(lambda e: e.update(dtype="<i8"), "i8"), where)
    for bad in ("<c16", "|O", "<U3", "|V8", "<f16", "bogus", 8):
        _refused(edited(lambda e, b=bad: e.update(dtype=b), "dt"), where)
    _refused(edited(lambda e: e.update(shape=[10**12]), "huge"), where)
    _refused(edited(lambda e: e.update(shape=[-1]), "neg"), where)
    _refused(edited(lambda e: e.update(shape=list(reversed(e["shape"])) + [1]), "shape"), where)
    _refused(edited(lambda e: e.update(shape="2x2"), "shapestr"), where)
    _refused(edited(lambda e: e.update(extra=1), "extrakey"), where, "unexpected 'extra'")
    if fmt == "json":

        def set_first(e, value):
            node = e["__array__"]
            while isinstance(node[0], list):
                node = node[0]
            node[0] = value

        for bad in ("0.5", True, None, [0.5], {"x": 1}):
            _refused(edited(lambda e, b=bad: set_first(e, b), "elem"), where)
        _refused(edited(lambda e: set_first(e, float("nan")), "nan"), keys[0], "nan")
        _refused(edited(lambda e: set_first(e, 10**400), "bigint"), where)
        _refused(edited(lambda e: e.update(__array__=e["__array__"][:-1] if e["shape"][0] > 1 else []), "rows"), where)
    else:
        ref = entry["__array__"]
        swapped = dict(arrays)
        swapped[ref] = arrays[ref].astype(np.complex128)
        _refused(edited(lambda e: None, "cplx", swapped), "dtype")
        swapped[ref] = np.zeros(arrays[ref].shape + (1,))
        _refused(edited(lambda e: None, "shp", swapped), "shape")
        swapped = {k: a for k, a in arrays.items() if k != ref}
        _refused(edited(lambda e: None, "gone", swapped), f"refers to the array {ref!r}")
        swapped = dict(arrays, stray=np.zeros(2))
        _refused(edited(lambda e: None, "stray", swapped), "'stray'")
        # An old version-1 .npz entry without shape/dtype is still read exactly.
        assert rnnss.load(edited(lambda e: (e.pop("shape"), e.pop("dtype")), "v1")) == model


@pytest.mark.parametrize("fmt", FORMATS)
def test_float32_declared_dtype_is_exact_or_refused(tmp_path, fmt):
    """A float32 dtype is accepted only when every value is exactly a float32 (then the load is exact)."""
    exact = LinearRNN(W=[[0.5, 0.25], [-1.0, 0.0]])
    path = _saved(tmp_path, exact, "json")
    meta = _meta(path)
    meta["fields"]["W"]["dtype"] = "<f4"
    path.write_text(json.dumps(meta))
    assert rnnss.load(path) == exact
    inexact = LinearRNN(W=[[0.1]])
    path = _saved(tmp_path, inexact, "json", "inexact")
    meta = _meta(path)
    meta["fields"]["W"]["dtype"] = "<f4"
    path.write_text(json.dumps(meta))
    _refused(path, "not exactly representable in dtype float32")


def test_json_specific_corruptions(tmp_path):
    path = _saved(tmp_path, EXAMPLES["LinearRNN"], "json")
    text = path.read_text()
    cases = {
        "empty": "",
        "garbage": "\x00\x01\x02 not json",
        "array": "[1, 2, 3]",
        "deep": "[" * 200000 + "]" * 200000,
        "deepobj": '{"rnnss_model": "LinearRNN", "format_version": 1, "fields": '
        + '{"a":' * 100000
        + "1"
        + "}" * 100001,
        "dup": text.replace('"format_version": 1,', '"format_version": 1, "format_version": 1,'),
        "badutf8": None,
        "bigint": text.replace('"format_version": 1', '"format_version": ' + "9" * 5000),
    }
    for stem, content in cases.items():
        broken = tmp_path / f"{stem}.json"
        if content is None:
            broken.write_bytes(b'{"rnnss_model": "\xff\xfe"}')
        else:
            broken.write_text(content)
        _refused(broken)
    # A byte-order mark (as Windows editors write) is not a corruption.
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert rnnss.load(bom) == EXAMPLES["LinearRNN"]
    # Sequences and nested models nested past the limit are refused by name, not by a RecursionError.
    m = json.loads(text)
    node = m["fields"]["dt"] = {"__seq__": [], "tuple": False}
    for _ in range(40):
        inner = {"__seq__": [], "tuple": False}
        node["__seq__"].append(inner)
        node = inner
    path.write_text(json.dumps(m))
    _refused(path, "nest deeper than 32 levels")
    m["fields"]["dt"] = [0.1]
    path.write_text(json.dumps(m))
    _refused(path, "bare list")


def test_npz_specific_corruptions(tmp_path):
    model = EXAMPLES["LinearRNN"]
    path = _saved(tmp_path, model, "npz")
    cases = {}
    cases["notzip"] = b"PK\x03\x04 this is not really a zip"
    cases["json"] = json.dumps(_meta(path)).encode()
    cases["empty"] = b""
    for stem, content in cases.items():
        broken = tmp_path / f"{stem}.npz"
        broken.write_bytes(content)
        _refused(broken)
    # An .npz whose meta is not text, or is not JSON.
    broken = tmp_path / "meta.npz"
    np.savez(broken, __meta__=np.zeros(3))
    _refused(broken, "'__meta__' entry must be a text scalar")
    np.savez(broken, __meta__=np.array("{oops"))
    _refused(broken, "not valid JSON")
    # A member whose .npy header declares a huge shape is refused before any allocation.
    arrays = _arrays(path)
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i.filename) for i in z.infolist()}
    raw = members["W.npy"]
    header_end = raw.index(b"\n") + 1
    header = raw[:header_end].decode("latin1").replace("(3, 3)", "(100000000000, 3)")
    members["W.npy"] = header.encode("latin1") + raw[header_end:]
    with zipfile.ZipFile(broken, "w") as z:
        for k, data in members.items():
            z.writestr(k, data)
    _refused(broken, "declares shape (100000000000, 3)")
    # Pickled payloads are refused and never executed.
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.npz"
    with open(evil, "wb") as fh:
        np.savez(
            fh, __meta__=np.array(json.dumps(_meta(path))), **dict(arrays, W=np.array([_Evil(marker)], dtype=object))
        )
    _refused(evil, "Python objects")
    assert not marker.exists()


class _Evil:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


@pytest.mark.parametrize("fmt", FORMATS)
def test_truncated_and_bit_flipped_files_are_refused_or_exact(tmp_path, name, fmt):
    """Truncation at any point, and (for .npz, whose entries carry CRCs) any flipped byte: refused or exact."""
    model = EXAMPLES[name]
    path = _saved(tmp_path, model, fmt)
    data = path.read_bytes()
    broken = tmp_path / f"broken.{fmt}"
    rng = np.random.default_rng(len(data))
    cuts = sorted({0, 1, len(data) - 1, *rng.integers(0, len(data), 25).tolist()})
    outcomes = []
    for cut in cuts:
        broken.write_bytes(data[:cut])
        outcomes.append(_refused_or_exact(broken, model))
    assert outcomes.count("refused") == len(cuts)  # a truncated file is always refused
    if fmt == "npz":
        for pos in rng.integers(0, len(data), 40):
            flipped = bytearray(data)
            flipped[pos] ^= 1 << int(rng.integers(0, 8))
            broken.write_bytes(bytes(flipped))
            _refused_or_exact(broken, model)


def test_wrong_container_suffix_is_refused(tmp_path):
    model = EXAMPLES["HMM"]
    as_npz = _saved(tmp_path, model, "npz")
    as_json = _saved(tmp_path, model, "json")
    swapped = tmp_path / "swapped.json"
    swapped.write_bytes(as_npz.read_bytes())
    _refused(swapped, "not UTF-8")
    swapped = tmp_path / "swapped.npz"
    swapped.write_bytes(as_json.read_bytes())
    _refused(swapped, "not a zip file")
    assert rnnss.load(swapped, fmt="json") == model


def test_invalid_values_are_refused_with_the_models_own_message(tmp_path):
    """A hand edit that makes a valid file of an invalid model: the constructor's message, under the file's name."""
    path = _saved(tmp_path, EXAMPLES["LinearRNN"], "json")
    meta = _meta(path)
    meta["fields"]["Q"]["__array__"][0][0] = -5.0
    path.write_text(json.dumps(meta))
    _refused(path, "do not make a valid LinearRNN", "Q must be symmetric positive semi-definite")
    meta = _meta(_saved(tmp_path, EXAMPLES["BeliefCell"], "json", "belief"))
    meta["fields"]["reverse"] = "False"
    (tmp_path / "belief.json").write_text(json.dumps(meta))
    _refused(tmp_path / "belief.json", "reverse")
    meta = _meta(_saved(tmp_path, EXAMPLES["NoisyCell"], "json", "noisy"))
    del meta["fields"]["cell"]["fields"]["W"]
    (tmp_path / "noisy.json").write_text(json.dumps(meta))
    _refused(tmp_path / "noisy.json", "cell: every ElmanCell holds the fields", "'W' is missing")
    meta = _meta(_saved(tmp_path, EXAMPLES["LinearRNN"], "json", "dt"))
    meta["fields"]["dt"] = 10**400
    (tmp_path / "dt.json").write_text(json.dumps(meta))
    _refused(tmp_path / "dt.json", "dt")


def test_a_hand_edited_value_loads_as_written(tmp_path):
    path = _saved(tmp_path, EXAMPLES["LinearRNN"], "json")
    meta = _meta(path)
    meta["fields"]["W"]["__array__"][0][0] = 0.25
    meta["fields"]["dt"] = 2  # an integer where a float is expected: read as 2.0
    path.write_text(json.dumps(meta, indent=4))
    model = EXAMPLES["LinearRNN"]
    W = model.W.copy()
    W[0, 0] = 0.25
    assert rnnss.load(path) == LinearRNN(**{**{k: getattr(model, k) for k in meta["fields"]}, "W": W, "dt": 2.0})


# -- atomic writes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch, fmt):
    """An injected failure between the write and the rename (disk full, or the rename itself) changes nothing."""
    old, new = EXAMPLES["LinearRNN"], EXAMPLES["GaussianHMM"]
    path = _saved(tmp_path, old, fmt)
    before = path.read_bytes()

    def disk_full(fh, *args, **kwargs):
        fh.write(b"half a file")
        raise OSError(28, "No space left on device")

    if fmt == "npz":
        monkeypatch.setattr(rnnss.io.np, "savez", disk_full)
    else:
        monkeypatch.setattr(rnnss.io.json, "dumps", lambda *a, **k: "{" + "x" * 10)  # a fragment is written...
        monkeypatch.setattr(rnnss.datafiles.os, "fsync", lambda fd: (_ for _ in ()).throw(OSError(5, "I/O error")))
    with pytest.raises(OSError):
        rnnss.save(new, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and rnnss.load(path) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temporary file left behind

    monkeypatch.setattr(rnnss.datafiles.os, "replace", lambda *a: (_ for _ in ()).throw(PermissionError("denied")))
    with pytest.raises(PermissionError):
        rnnss.save(new, path)
    monkeypatch.undo()
    assert path.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == [path.name]
    rnnss.save(new, path)
    assert rnnss.load(path) == new


def test_atomic_write_keeps_permissions_and_follows_links(tmp_path):
    target = tmp_path / "real.json"
    rnnss.save(EXAMPLES["HMM"], target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    rnnss.save(EXAMPLES["HMM"], link)
    assert link.is_symlink() and (target.stat().st_mode & 0o777) == 0o640
    assert rnnss.load(link) == EXAMPLES["HMM"]
    os.chmod(target, 0o440)
    if os.geteuid() != 0:  # root may write anything
        with pytest.raises(PermissionError, match="read-only"):
            rnnss.save(EXAMPLES["HMM"], target)


_WRITER = textwrap.dedent(
    """
    import os, sys, time
    import numpy as np
    import rnnss

    path, mode = sys.argv[1], sys.argv[2]
    real_fsync = os.fsync
    if mode == "pause":  # stop between the complete write of the temporary file and the rename
        def fsync(fd):
            real_fsync(fd)
            print("written", flush=True)
            time.sleep(120)
        os.fsync = fsync
    n = 3 if mode == "pause" else 200
    W = np.random.default_rng(0).standard_normal((n, n)) * 0.01
    models = [rnnss.LinearRNN(W=W), rnnss.LinearRNN(W=-W)]
    print("ready", flush=True)
    i = 0
    while True:
        rnnss.save(models[i % 2], path)
        i += 1
    """
)


def _writer(tmp_path, path, mode):
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(rnnss.__file__))))
    script = tmp_path / "writer.py"
    script.write_text(_WRITER)
    proc = subprocess.Popen([sys.executable, str(script), str(path), mode], stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout.readline().strip() == "ready"
    return proc


@pytest.mark.parametrize("fmt", FORMATS)
def test_killed_writer_leaves_the_old_file_intact(tmp_path, fmt):
    """SIGKILL after the temporary file is complete but before the rename: the old file is untouched."""
    path = tmp_path / f"model.{fmt}"
    old = EXAMPLES["LinearRNN"]
    rnnss.save(old, path)
    before = path.read_bytes()
    proc = _writer(tmp_path, path, "pause")
    try:
        assert proc.stdout.readline().strip() == "written"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert path.read_bytes() == before and rnnss.load(path) == old
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(f".model.{fmt}.")]
    assert len(leftovers) == 1 and leftovers[0].endswith(".tmp")  # only the hidden temporary file of the killed run


@pytest.mark.slow
def test_writer_killed_at_random_moments_never_leaves_a_fragment(tmp_path):
    """A process rewriting a 200x200 model in a loop, killed at random moments: the file is always complete."""
    path = tmp_path / "model.npz"
    rng = np.random.default_rng(7)
    W = np.random.default_rng(0).standard_normal((200, 200)) * 0.01
    valid = [LinearRNN(W=W), LinearRNN(W=-W)]
    for _ in range(3):
        proc = _writer(tmp_path, path, "loop")
        try:
            time.sleep(0.2 + float(rng.uniform(0, 0.6)))
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=60)
        if path.exists():
            assert rnnss.load(path) in valid


# -- properties --------------------------------------------------------------------------------------------


@settings(deadline=None, max_examples=30)
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
