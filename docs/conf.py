"""Sphinx configuration for the rnnss documentation (builds and renders offline)."""

import importlib
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
# No "show-inheritance": any value of it, False included, switches it on, and "Bases: object" or a private
# base is noise to a reader.
autodoc_default_options = {"members": True}
html_theme = "alabaster"
exclude_patterns = ["_build"]
# No footer links to the theme's and Sphinx's web sites: the built site references nothing remote.
html_show_sphinx = False
html_theme_options = {"show_powered_by": False}
# A reference to an rnnss name that does not resolve fails the (-W) build; the free-text types of numpydoc
# docstrings ("(T, n) ndarray", "array_like, optional") are not references and stay unchecked.
nitpicky = True
nitpick_ignore_regex = [(r"py:.*", r"(?!rnnss\.).*")]
# Words of numpydoc types ("array_like, shape (T, n)") become fuzzy cross-reference candidates; those that are
# not rnnss names are unlinked before resolution (see _unlink_type_words), and the rest are not ambiguous.
suppress_warnings = ["myst.header", "ref.python"]


def _public_target(target):
    """``rnnss.<name>[.<attribute>]`` for a dotted path that imports to a public object, else None.

    Docstrings may name an object by a module path that really holds it (``rnnss.scan``); the object is
    documented once, as ``rnnss.scan``, and such a reference resolves to that entry. A path that does not
    import stays unresolved, so the build fails on it.
    """
    import rnnss

    public = {id(getattr(rnnss, name)): name for name in rnnss.__all__}
    parts = target.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
            break
        except ImportError:
            continue
    else:
        return None
    for i in range(cut, len(parts)):
        obj = getattr(obj, parts[i], None)
        if obj is None:
            return None
        if id(obj) in public:
            return ".".join(["rnnss", public[id(obj)], *parts[i + 1 :]])
    return None


def _resolve_by_public_name(app, env, node, contnode):
    """Resolve ``rnnss.<module>.<name>`` references to the one entry ``rnnss.<name>`` (Sphinx missing-reference)."""
    if node.get("refdomain") != "py" or not node.get("reftarget", "").startswith("rnnss."):
        return None
    target = _public_target(node["reftarget"])
    if target is None or target == node["reftarget"]:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], target, node, contnode)


def _unlink_type_words(app, doctree):
    """Plain text for the words of docstring types that are not rnnss names (Sphinx doctree-read).

    Sphinx links every word of a parameter's type by a fuzzy search over all documented objects, so "shape" in
    "shape (n, n)" would link to some record's ``shape`` attribute and "T" to a matrix transpose. Only a type
    word naming a public rnnss object (``LinearRNN``) or written with its path (``rnnss.X``) stays a link.
    """
    from sphinx.addnodes import pending_xref

    import rnnss

    public = set(rnnss.__all__)
    for node in list(doctree.findall(pending_xref)):
        if node.get("refdomain") != "py" or not node.get("refspecific"):
            continue
        target = node.get("reftarget", "").lstrip(".~")
        if target.startswith("rnnss.") or target in public:
            continue
        node.replace_self(node.children)


def setup(app):
    app.connect("missing-reference", _resolve_by_public_name)
    app.connect("doctree-read", _unlink_type_words)
