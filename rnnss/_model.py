"""The frozen-model base: array-aware equality, ``summary``, and the registries that the edges read (files, peers)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["Model", "register_model", "MODEL_REGISTRY", "register_peer", "PEER_REGISTRY"]

#: Saveable model classes by class name (filled by :func:`register_model`, read by ``rnnss.io``).
MODEL_REGISTRY: dict[str, type] = {}

#: Peer-library runners by task and peer name (filled by ``rnnss.interop``, read by the verify functions).
PEER_REGISTRY: dict[str, dict[str, Callable[..., Any]]] = {}


def register_model(cls: type) -> type:
    """Class decorator: make a frozen-dataclass model saveable under its class name.

    A model is saved field by field (``init=True`` fields only). Field values may be arrays, numbers,
    strings, ``None`` and (nested) lists or tuples of those, or other registered models; anything else
    (a Python callable, say) makes ``rnnss.save`` raise ``TypeError``. A class may define
    ``_save_fields(self) -> dict`` and ``_from_saved(cls, dict)`` to customise this.
    """
    MODEL_REGISTRY[cls.__name__] = cls
    return cls


def register_peer(task: str, name: str, runner: Callable[..., Any]) -> None:
    """Make ``runner`` available to the verification function of ``task`` under the peer's ``name``.

    The verify functions (layer 2) never import a peer library; the bridges in ``rnnss.interop`` register
    their runners here when ``rnnss`` is imported (without importing the peer library itself).
    """
    PEER_REGISTRY.setdefault(task, {})[name] = runner


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return bool(a == b)


class Model:
    """Mixin for frozen dataclass models: field-by-field equality that compares arrays exactly.

    Two models are equal when they have the same type and every compared field is equal (arrays by
    :func:`numpy.array_equal`, sequences element by element). Models are unhashable (they hold arrays).
    """

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self) or not dataclasses.is_dataclass(self):
            return NotImplemented
        return all(_equal(getattr(self, f.name), getattr(other, f.name)) for f in dataclasses.fields(self) if f.compare)

    __hash__ = None  # type: ignore[assignment]

    def _summary_arrays(self) -> dict[str, Any]:
        """The named arrays :meth:`summary` prints (default: every non-empty array field)."""
        out = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            val = getattr(self, f.name)
            if f.compare and isinstance(val, np.ndarray) and val.size:
                out[f.name] = val
        return out

    def summary(self) -> str:
        """A multi-line text: the one-line description followed by every parameter array of the model.

        Returns
        -------
        str
            ``repr(model)`` and one block per array.
        """
        with np.printoptions(precision=4, suppress=True, linewidth=100):
            parts = [repr(self)]
            for name, arr in self._summary_arrays().items():
                parts.append(f"{name} =\n{arr}")
        return "\n".join(parts)

    def save(self, path: Any) -> None:
        """Write the model to ``.npz`` or ``.json``; see :func:`rnnss.save`.

        Parameters
        ----------
        path : str or path-like
            Destination file.
        """
        from .io import save

        save(self, path)
