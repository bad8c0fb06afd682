"""Sphinx configuration for the rnnss documentation (builds and renders offline)."""

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
    # MathJax 3.2.2 shipped inside a Python package (PyPI ``sphinx-mathjax-offline``, whose import name is its
    # hyphenated directory): it sets ``mathjax_path`` to the bundled ``_static/mathjax/tex-chtml.js`` and copies
    # the scripts and fonts into the site, so formulas render with no network when the pages are viewed.
    "sphinx-mathjax-offline",
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
# No footer links to the theme's and Sphinx's web sites: the built site references nothing remote.
html_show_sphinx = False
html_theme_options = {"show_powered_by": False}
# Shape tokens in numpydoc types ("(T, n)") become cross-reference candidates; attributes named T make
# them ambiguous, which is harmless.
suppress_warnings = ["myst.header", "ref.python"]
