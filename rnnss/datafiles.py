"""Data tables in and out (CSV, .npy) and atomic file writes: no row is dropped or shifted, no file half-written."""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

import numpy as np

from . import _validate as v
from .exceptions import FileFormatError

__all__ = ["read_table", "write_table", "atomic_write", "check_output_path"]

#: Suffixes :func:`write_table` writes (and :func:`read_table` reads as binary: ``.npy``; anything else is CSV).
TABLE_SUFFIXES: tuple[str, ...] = (".csv", ".npy")

#: CSV fields (compared case-insensitively, surrounding blanks ignored) that mark a missing value (NaN).
MISSING_TOKENS: frozenset[str] = frozenset({"", "nan", "-nan", "+nan", "na", "null"})

# Literals that spell an infinity on purpose (a finite literal that overflows, like 1e400, is refused).
_INF_LITERAL = re.compile(r"^[+-]?inf(inity)?$", re.IGNORECASE)
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


# -- atomic writes ----------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", *, encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path`` for writing; on success it replaces ``path`` in one step.

    The data go to a hidden temporary file in the same folder, are flushed and ``fsync``-ed, and the
    file is then renamed over ``path`` with :func:`os.replace` (atomic on POSIX and Windows). If the
    ``with`` block raises, the temporary file is removed and ``path`` is untouched: a reader sees either
    the old file or the complete new one, never a fragment (a killed process may leave only the hidden
    temporary file behind). An existing file keeps its permission bits; a symbolic link is followed.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    mode : {"wb", "w"}
        Binary or text.
    encoding : str, optional
        Text encoding (text mode only; default UTF-8).

    Yields
    ------
    file object
        The open temporary file.

    Raises
    ------
    ValueError
        If ``mode`` is neither ``"wb"`` nor ``"w"``.
    OSError
        If the folder cannot be written; ``path`` is then unchanged.

    Examples
    --------
    >>> import os, tempfile
    >>> import rnnss
    >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
    >>> with rnnss.atomic_write(path, "w") as fh:
    ...     _ = fh.write("all or nothing\\n")
    >>> open(path).read()
    'all or nothing\\n'
    """
    mode = v.as_choice("mode", mode, ("wb", "w"))
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    folder = target.parent
    try:
        old_mode: int | None = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        old_mode = None
    while True:  # O_EXCL: never reuse an existing name; 0o666 lets the umask decide the permissions
        tmp = folder / f".{target.name}.{secrets.token_hex(6)}.tmp"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
            break
        except FileExistsError:  # pragma: no cover - a 48-bit collision
            continue
    try:
        if old_mode is not None and hasattr(os, "fchmod"):
            os.fchmod(fd, old_mode)
        fh = os.fdopen(
            fd, mode, encoding=(encoding or "utf-8") if mode == "w" else None, newline="" if mode == "w" else None
        )
    except BaseException:
        os.close(fd)
        _remove(tmp)
        raise
    try:
        with fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        _remove(tmp)
        raise
    _fsync_folder(folder)


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _fsync_folder(folder: Path) -> None:
    """Make the rename durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover - file systems that refuse fsync on folders
        pass
    finally:
        os.close(fd)


def check_output_path(path: str | os.PathLike, *, suffixes: Sequence[str] | None = None, what: str = "output") -> Path:
    """Check, before any long computation, that ``path`` can be written with one of the ``suffixes``.

    Parameters
    ----------
    path : str or path-like
        The file to be written.
    suffixes : sequence of str, optional
        Allowed suffixes, lower case with the dot (e.g. ``(".csv", ".npy")``); None accepts any.
    what : str
        How messages name the file (e.g. ``"--output"``).

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    ValueError
        If the suffix is not allowed.
    FileNotFoundError
        If the folder does not exist.
    IsADirectoryError
        If ``path`` is a folder.
    PermissionError
        If the folder is not writable or ``path`` is a read-only file.

    Examples
    --------
    >>> import rnnss
    >>> rnnss.check_output_path("model.txt", suffixes=(".json", ".npz"), what="--output")
    Traceback (most recent call last):
    ...
    ValueError: --output 'model.txt' must end in .json or .npz; got suffix '.txt'
    """
    p = Path(path)
    if p.is_dir():
        raise IsADirectoryError(f"{what} {str(p)!r} is a folder; give a file name")
    if suffixes is not None and p.suffix.lower() not in suffixes:
        raise ValueError(
            f"{what} {str(p)!r} must end in {' or '.join(suffixes)}; got "
            + (f"suffix {p.suffix!r}" if p.suffix else "no suffix")
        )
    folder = p.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"the folder {str(folder)!r} of {what} {str(p)!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise PermissionError(f"the folder {str(folder)!r} of {what} {str(p)!r} is not writable")
    if p.exists() and not os.access(p, os.W_OK):
        raise PermissionError(f"{what} {str(p)!r} exists and is read-only")
    return p


# -- reading ----------------------------------------------------------------------------------------


def _where(path: Path, what: str) -> str:
    return f"{what} file {str(path)!r}"


def read_table(
    path: str | os.PathLike,
    *,
    index_col: int | str | None = None,
    header: bool | None = None,
    what: str = "data",
) -> np.ndarray:
    """Read a table of numbers, one row per time step, from CSV or ``.npy``, losing and shifting nothing.

    CSV rules (the file is UTF-8, a byte-order mark is ignored; fields are split by pandas):

    - Every line is one row: nothing is skipped except comment lines starting with ``#`` (as
      :func:`numpy.savetxt` writes its header). An empty field, ``nan``, ``NA`` or ``null`` is a missing
      value (NaN) -- in a one-column file an empty line is therefore a missing value too.
    - The first row is a header when none of its fields is a number (and at least one is text); a first
      row mixing numbers and text is refused (a typo in the first data row is never taken for a header).
    - Every row must have as many fields as the first; every field must be a number or a missing value
      (complex numbers are refused). A number too large for float64 (``1e400``) is refused; ``inf``
      spelled out is read as infinity.
    - A column without a name in the header is the index column pandas writes: pass ``index_col`` to
      drop it (it is refused otherwise).

    A ``.npy`` file must hold a real 1-D or 2-D array (a 1-D array is one column); ``.npz`` is refused.

    Parameters
    ----------
    path : str or path-like
        The file; ``.npy`` is read with :func:`numpy.load` (never unpickling), anything else as CSV.
    index_col : int or str, optional
        A column to drop (0-based position, or its name in the header): the index column of a
        pandas-written CSV (``--index-col`` on the command line).
    header : bool, optional
        Whether the first CSV row is a header; None (default) decides by the rule above.
    what : str
        How messages name the file (``"DATA"``, ``"inputs"``, ...).

    Returns
    -------
    ndarray, shape (T, dim)
        A new float64 array, NaN where a value is missing.

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    FileFormatError
        (a ``ValueError``) if the file is empty, not UTF-8 text, ragged, holds a field that is not a
        number, complex data, or an array that is not 1-D or 2-D; the message names the line and column.

    Examples
    --------
    >>> import os, tempfile
    >>> import rnnss
    >>> path = os.path.join(tempfile.mkdtemp(), "y.csv")
    >>> with open(path, "w") as fh:
    ...     _ = fh.write("y1,y2\\n1.5,\\n,2\\n")
    >>> rnnss.read_table(path)
    array([[1.5, nan],
           [nan, 2. ]])
    """
    if index_col is not None and (
        isinstance(index_col, (bool, np.bool_)) or not isinstance(index_col, (int, np.integer, str))
    ):
        raise TypeError(f"index_col must be a column number or name; got {index_col!r}")
    if header is not None:
        header = v.as_bool("header", header)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{_where(path, what)} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"{_where(path, what)} is a folder")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        raise FileFormatError(
            f"{_where(path, what)} is an .npz archive (several arrays); save the one table with numpy.save as .npy",
            str(path),
        )
    if suffix == ".npy":
        if index_col is not None:
            raise ValueError("index_col applies to CSV files; a .npy array has no index column")
        arr = _read_npy(path, what)
    else:
        arr = _read_csv(path, what, index_col, header)
    if arr.shape[0] == 0:
        raise FileFormatError(f"{_where(path, what)} holds no rows of data", str(path))
    if arr.shape[1] == 0:
        raise FileFormatError(f"{_where(path, what)} holds no columns of data", str(path))
    return arr


def _read_npy(path: Path, what: str) -> np.ndarray:
    where = _where(path, what)
    try:
        with open(path, "rb") as fh:
            np.lib.format.read_magic(fh)
    except ValueError:
        raise FileFormatError(f"{where} is not a .npy array file (no NumPy header)", str(path)) from None
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise FileFormatError(f"{where} is not a readable .npy array: {exc}", str(path)) from None
    if not isinstance(arr, np.ndarray):  # pragma: no cover - np.load of a .npy gives an array
        raise FileFormatError(f"{where} is not a .npy array file", str(path))
    kind = arr.dtype.kind
    if kind == "c":
        raise FileFormatError(
            f"{where} holds complex numbers (dtype {arr.dtype}); rnnss reads real data only: save the real and "
            "imaginary parts as separate columns if both matter",
            str(path),
        )
    if kind not in "biuf" or arr.dtype.hasobject or arr.dtype.names is not None:
        raise FileFormatError(f"{where} must hold real numbers; got dtype {arr.dtype}", str(path))
    if arr.ndim not in (1, 2):
        raise FileFormatError(
            f"{where} must hold a table of shape (T, dim) or a series of shape (T,); got shape {arr.shape}", str(path)
        )
    out = arr.astype(np.float64)
    if kind in "iu" and arr.size and not np.array_equal(out.astype(arr.dtype), arr):
        raise FileFormatError(f"{where} holds integers too large to be exact in float64", str(path))
    return out[:, None] if out.ndim == 1 else out


def _split_lines(path: Path, where: str) -> list[str]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise FileFormatError(
            f"{where} is not UTF-8 text (line {line}, byte {exc.start}: {raw[exc.start : exc.start + 1]!r}); "
            "save it as UTF-8 CSV, or as .npy",
            str(path),
        ) from None
    if "\x00" in text:
        raise FileFormatError(f"{where} is a binary file, not CSV text; .npy arrays need the .npy suffix", str(path))
    lines = _LINE_BREAK.split(text)
    if lines and lines[-1] == "":  # the line break that ends the last line starts no new row
        lines.pop()
    return lines


def _is_number(field: str) -> bool:
    try:
        float(field)
    except ValueError:
        return False
    return field.strip().lower() not in MISSING_TOKENS


def _read_csv(path: Path, what: str, index_col: int | str | None, header: bool | None) -> np.ndarray:
    import pandas as pd

    where = _where(path, what)
    lines = _split_lines(path, where)
    # Comment lines are the only lines not read as rows; ``numbers`` maps each row to its line in the file.
    numbers = [i + 1 for i, ln in enumerate(lines) if not ln.lstrip().startswith("#")]
    if not numbers or all(not lines[i - 1].strip() for i in numbers):
        raise FileFormatError(f"{where} is empty", str(path))
    body = "\n".join(lines[i - 1] for i in numbers) + "\n"
    # The python engine pads absent fields with NaN but keeps an empty field as "", so a short row is told
    # from a row with empty fields; ``names`` wide enough for the longest line makes pandas report every field.
    width_bound = max(ln.count(",") for ln in body.split("\n")) + 1
    try:
        frame = pd.read_csv(
            io.StringIO(body),
            header=None,
            names=list(range(width_bound)),
            dtype=str,
            keep_default_na=False,
            na_filter=True,
            skip_blank_lines=False,
            engine="python",
            quotechar='"',
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileFormatError(f"{where} is not valid CSV: {' '.join(str(exc).split())}", str(path)) from None
    cells = frame.to_numpy(dtype=object)
    if cells.shape[0] != len(numbers):  # pragma: no cover - a quoted field spanning lines
        raise FileFormatError(f"{where}: a quoted field spans several lines; numbers hold no line breaks", str(path))
    present = frame.notna().to_numpy()
    counts = present.sum(axis=1)
    blank = np.array([not lines[i - 1].strip() for i in numbers])
    width = int(counts[0]) if not blank[0] else 1
    if width == 1 and counts.max() <= 1:  # one column: an empty line is an empty field, i.e. a missing value
        cells = np.where(present[:, :1], cells[:, :1], "")
    else:
        for r in range(cells.shape[0]):
            if counts[r] == width and not blank[r]:
                continue
            if blank[r]:
                raise FileFormatError(
                    f"{where}, line {numbers[r]} is blank; a row of missing values is written "
                    f"{',' * (max(width, int(counts.max())) - 1)!r} (or delete the line)",
                    str(path),
                )
            raise FileFormatError(
                f"{where}, line {numbers[r]} has {counts[r]} fields, expected {width} like line {numbers[0]}",
                str(path),
            )
        cells = cells[:, :width]
    cells = np.char.strip(cells.astype(str))
    first = cells[0]
    if header is None:
        texts = [j for j, f in enumerate(first) if not _is_number(f) and f.lower() not in MISSING_TOKENS]
        nums = [j for j, f in enumerate(first) if _is_number(f)]
        if texts and nums:
            j = texts[0]
            raise FileFormatError(
                f"{where}, line {numbers[0]} (row 1), column {j + 1}: {str(first[j])!r} is not a number. The row holds "
                f"numbers in column(s) {', '.join(str(k + 1) for k in nums)}, so it is read as data, not as a header: "
                "fix the field, or make every header name text",
                str(path),
            )
        header = bool(texts)
    names: list[str] | None = None
    if header:
        names = [str(f) for f in first]
        cells, numbers = cells[1:], numbers[1:]
        if cells.shape[0] == 0:
            raise FileFormatError(f"{where} has a header but no data", str(path))
    drop: int | None = None
    if index_col is not None:
        if isinstance(index_col, str):
            if names is None or index_col not in names:
                have = f"the header names {', '.join(map(repr, names))}" if names else "no header"
                raise ValueError(f"index_col {index_col!r} is not a column of {where}: it has {have}")
            drop = names.index(index_col)
        else:
            drop = int(index_col)
            if not 0 <= drop < width:
                raise ValueError(f"index_col must be a column number in [0, {width}) for {where}; got {drop}")
        if width == 1:
            raise FileFormatError(f"{where} has one column; dropping index column {drop} would leave no data")
    elif names is not None and "" in names:
        j = names.index("")
        raise FileFormatError(
            f"{where}: column {j + 1} has no name in the header, as the index column pandas writes; drop it with "
            f"index_col={j} (--index-col {j} on the command line), or name the column",
            str(path),
        )
    keep = [j for j in range(width) if j != drop]
    cells = cells[:, keep]
    return _to_float(cells, numbers, [keep[k] for k in range(len(keep))], names, where, str(path), drop)


def _to_float(
    cells: np.ndarray,
    numbers: list[int],
    columns: list[int],
    names: list[str] | None,
    where: str,
    path: str,
    dropped: int | None,
) -> np.ndarray:
    missing = np.isin(np.char.lower(cells), list(MISSING_TOKENS))
    text = np.where(missing, "nan", cells)
    try:
        out = text.astype(np.float64)
    except ValueError:
        out = None
    if out is not None:
        over = [(int(r), int(c)) for r, c in np.argwhere(np.isinf(out)) if not _INF_LITERAL.match(text[r, c])]
        if over:
            r, c = over[0]
            raise FileFormatError(
                f"{where}, line {numbers[r]}, {_column(columns[c], names)}: {str(cells[r, c])!r} is too large for a "
                "float64 (it would be read as infinity)",
                path,
            )
        return out
    r, c = next((r, c) for r, c in np.ndindex(text.shape) if not _parses(text[r, c]))
    field = str(cells[r, c])
    hint = ""
    try:
        complex(field.replace(" ", ""))
        hint = " (complex numbers are not supported: rnnss reads real data)"
    except ValueError:
        if columns[c] == 0 and dropped is None:
            hint = " (if column 1 is an index, as pandas writes, drop it with index_col=0 / --index-col 0)"
    raise FileFormatError(
        f"{where}, line {numbers[r]}, {_column(columns[c], names)}: {field!r} is not a number{hint}", path
    )


def _parses(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _column(j: int, names: list[str] | None) -> str:
    return f"column {j + 1}" + (f" ({names[j]!r})" if names is not None else "")


# -- writing ----------------------------------------------------------------------------------------


def write_table(path: str | os.PathLike, arr: Any, *, header: Sequence[str] | None = None) -> None:
    """Write a table, one row per time step, to ``.csv`` (full precision, ``nan`` = missing) or ``.npy``, atomically.

    :func:`read_table` reads the file back to an identical array (NaN where NaN was).

    Parameters
    ----------
    path : str or path-like
        Destination ending in ``.csv`` or ``.npy``.
    arr : array_like, shape (T, dim) or (T,)
        Real numbers; a 1-D array is one column.
    header : sequence of str, optional
        Column names for CSV (text that is not a number, without commas, quotes or line breaks).

    Raises
    ------
    ValueError
        If the suffix is neither ``.csv`` nor ``.npy``, the array is not 1-D or 2-D, or a header name is
        unusable.
    TypeError
        If ``arr`` is not real numbers.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> import rnnss
    >>> path = os.path.join(tempfile.mkdtemp(), "y.csv")
    >>> rnnss.write_table(path, np.array([[0.1, np.nan]]), header=["y1", "y2"])
    >>> open(path).read()
    'y1,y2\\n0.1,nan\\n'
    """
    p = check_output_path(path, suffixes=TABLE_SUFFIXES, what="table")
    a = v.as_float_array("arr", arr)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise v.DimensionError(f"arr must have shape (T, dim) or (T,); got shape {v.shape_str(a.shape)}")
    if p.suffix.lower() == ".npy":
        with atomic_write(p, "wb") as fh:
            np.save(fh, a)
        return
    if header is not None:
        header = [str(h) for h in header]
        if len(header) != a.shape[1]:
            raise ValueError(f"header must name the {a.shape[1]} columns; got {len(header)} names")
        for h in header:
            if not h.strip() or any(ch in h for ch in ',"\r\n') or _is_number(h) or h.strip().lower() in MISSING_TOKENS:
                raise ValueError(
                    f"header names must be text without commas, quotes or line breaks that is not a number or a "
                    f"missing-value mark; got {h!r}"
                )
    with atomic_write(p, "w") as fh:
        if header is not None:
            fh.write(",".join(header) + "\n")
        for row in a:
            fh.write(",".join(repr(float(x)) for x in row) + "\n")
