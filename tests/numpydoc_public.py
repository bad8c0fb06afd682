"""numpydoc validation of every public name of rnnss (``python -m tests.numpydoc_public``, run by .ci/run).

The checks are those of ``[tool.numpydoc_validation]`` in pyproject.toml. Records and models document their
fields under Attributes (numpy style for results), so for classes the Parameters checks are replaced by
"every dataclass field is documented in Parameters or Attributes".
"""

from __future__ import annotations

import dataclasses
import inspect
import pathlib
import re
import sys

from numpydoc.docscrape import ClassDoc
from numpydoc.validate import validate

ROOT = pathlib.Path(__file__).resolve().parents[1]
CLASS_SKIPPED = {"PR01", "PR02", "PR03"}


def _config() -> set[str]:
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib
    conf = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["numpydoc_validation"]["checks"]
    if conf[0] != "all":
        raise ValueError("pyproject.toml: numpydoc_validation checks must start with 'all'")
    return set(conf[1:])


def problems(obj: object, name: str) -> list[str]:
    """numpydoc errors of one public object (a function, or a class and its public methods)."""
    ignored = _config()
    path = f"{obj.__module__}.{obj.__qualname__}"
    errors = [(code, msg) for code, msg in validate(path)["errors"] if code not in ignored]
    if inspect.isclass(obj):
        errors = [(c, m) for c, m in errors if c not in CLASS_SKIPPED]
        if dataclasses.is_dataclass(obj):
            doc = ClassDoc(obj)
            documented = {p.name for p in doc["Parameters"]} | {p.name for p in doc["Attributes"]}
            documented = {n.strip() for d in documented for n in re.split(r",\s*", d)}
            missing = [f.name for f in dataclasses.fields(obj) if f.init and f.name not in documented]
            if missing:
                errors.append(("PR01", f"fields {missing} documented in neither Parameters nor Attributes"))
    return [f"rnnss.{name}: {code} {msg}" for code, msg in errors]


def main() -> int:
    sys.path.insert(0, str(ROOT))
    import rnnss

    found = []
    for name in rnnss.__all__:
        obj = getattr(rnnss, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            found += problems(obj, name)
    print("\n".join(found) if found else f"numpydoc: {len(rnnss.__all__)} public names validated")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
