"""Sphinx configuration for the rnnss documentation (builds offline)."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "rnnss"
author = "rnnss developers"
copyright = "2026, rnnss developers"
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
myst_enable_extensions = ["dollarmath", "amsmath"]
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "show-inheritance": False}
html_theme = "alabaster"
exclude_patterns = ["_build"]
# MathJax is loaded from a CDN when pages are viewed; the build itself needs no network.
# Shape tokens in numpydoc types ("(T, n)") become cross-reference candidates; attributes named T make
# them ambiguous, which is harmless.
suppress_warnings = ["myst.header", "ref.python"]
