"""Old names and argument forms kept working for one release, each with a DeprecationWarning that says what to use."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["REMOVAL", "deprecated_alias", "renamed_keywords", "keyword_only", "warn_deprecated"]

#: The release in which the deprecated names and argument forms are removed.
REMOVAL = "0.3"


def _warn(message: str) -> None:
    warnings.warn(f"{message} (the old form is removed in rnnss {REMOVAL})", DeprecationWarning, stacklevel=3)


def warn_deprecated(message: str) -> None:
    """Warn from a deprecated attribute or property: the warning points at the line that used it."""
    warnings.warn(f"{message} (the old form is removed in rnnss {REMOVAL})", DeprecationWarning, stacklevel=3)


def deprecated_alias(func: Callable[..., Any], old: str, new: str, note: str = "") -> Callable[..., Any]:
    """``func`` under its old name ``old``: same behaviour, plus a DeprecationWarning pointing to ``new``."""

    @functools.wraps(func)
    def alias(*args: Any, **kwargs: Any) -> Any:
        _warn(f"rnnss.{old} is deprecated; use {new}{note}")
        return func(*args, **kwargs)

    alias.__name__ = alias.__qualname__ = old
    alias.__doc__ = f"Deprecated alias of :func:`{new}`{note}."
    return alias


def renamed_keywords(**mapping: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: accept each old keyword (``old=new`` pairs) as the new one, with a DeprecationWarning."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in mapping.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(f"{func.__name__}() got both {old}= (deprecated) and {new}=; pass only {new}=")
                    _warn(f"{func.__name__}({old}=...) is deprecated; pass {new}=...")
                    kwargs[new] = kwargs.pop(old)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def keyword_only(n_positional: int, *names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: arguments after the first ``n_positional`` became keyword-only (``names``, in their old order).

    A call that still passes them positionally works, with a DeprecationWarning naming the keywords to use.
    """

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if len(args) > n_positional:
                extra = args[n_positional:]
                if len(extra) > len(names):
                    raise TypeError(
                        f"{func.__name__}() takes {n_positional} positional arguments but {len(args)} were given"
                    )
                moved = dict(zip(names, extra))
                clash = sorted(set(moved) & set(kwargs))
                if clash:
                    raise TypeError(f"{func.__name__}() got multiple values for {', '.join(clash)}")
                _warn(f"passing {', '.join(moved)} to {func.__name__}() by position is deprecated; use keywords")
                kwargs.update(moved)
                args = args[:n_positional]
            return func(*args, **kwargs)

        return wrapper

    return decorate
