"""The documentation site: builds offline without warnings, renders its formulas with no network, links every
guide page into an API reference that documents each public name exactly once."""

import collections
import html
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import rnnss

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Guide pages: every page of the site except the example gallery and the API reference itself.
GUIDE_PAGES = sorted(p.stem for p in DOCS.glob("*.md") if p.stem not in {"api", "examples"})
PUBLIC = set(rnnss.__all__)
# Headless Chromium with every road to the network closed: names resolve nowhere and any proxied request
# goes to a dead port, so what renders comes from the files of the site alone.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--virtual-time-budget=30000",
    "--window-size=1200,1600",
]


@pytest.fixture(scope="module")
def chromium():
    """The Chromium executable; the browser tests skip, before building anything, when there is none."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium installed (apt-get install chromium): cannot show that formulas render offline")


def _browse(exe: str, page: pathlib.Path, profile: pathlib.Path, *args: str) -> str:
    """Load ``page`` by file:// URL in offline headless Chromium ``exe``; return its stdout (the DOM if asked)."""
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _visible_text(dom: str) -> str:
    """The text a reader sees: no scripts, styles, code or MathJax's hidden assistive MathML."""
    for tag in ("script", "style", "pre", "code", "mjx-assistive-mml"):
        dom = re.sub(rf"<{tag}\b.*?</{tag}>", " ", dom, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


def _inline_code_outside_roles(markdown: str) -> list[str]:
    """Inline code spans of a MyST page that are not the target of a role, fenced blocks and math excluded."""
    text = re.sub(r"^(```|~~~).*?^\1", "", markdown, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)
    return re.findall(r"`([^`\n]+)`", text)


def _names_public_api(span: str) -> bool:
    """True for `rnnss.anything` and for code that starts with a public name (`mse_ratio(rnn)`, `LinearRNN`).

    A keyword argument or field that shares a function's name (`kronecker_indices=`) is not a reference.
    """
    head = re.match(r"([A-Za-z_]\w*)(=(?!=))?", span)
    return span.startswith("rnnss.") or (head is not None and head[1] in PUBLIC and head[2] is None)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The HTML site, built once for this module with -W (any warning fails)."""
    pytest.importorskip("sphinx")
    pytest.importorskip("myst_parser")
    out_dir = tmp_path_factory.mktemp("site")
    out = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-W", "--keep-going", "-b", "html", str(DOCS), str(out_dir)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stderr[-4000:]
    return out_dir


@pytest.mark.slow
def test_docs_build_without_warnings(site):
    assert (site / "index.html").exists() and (site / "api.html").exists()
    for page in GUIDE_PAGES:
        assert (site / f"{page}.html").exists(), page


@pytest.mark.slow
def test_site_references_no_remote_script_style_or_font(site):
    """Every script, stylesheet, image and font the pages load is a file of the site (MathJax included)."""
    remote = re.compile(r"^(https?:)?//", re.I)
    pages = sorted(site.glob("*.html")) + sorted((site / "_modules").rglob("*.html"))
    for page in pages:
        text = page.read_text()
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for url in re.findall(rf'<{tag}\b[^>]*?\b{attr}="([^"]*)"', text):
                assert not remote.match(url), f"{page.name} loads {url}"
    for css in site.glob("_static/**/*.css"):
        for url in re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])([^'")\s]+)""", css.read_text()):
            assert not remote.match(url), f"{css.name} loads {url}"
    theory = (site / "theory.html").read_text()
    assert '<script defer="defer" src="_static/mathjax/tex-chtml.js"></script>' in theory
    assert (site / "_static" / "mathjax" / "tex-chtml.js").stat().st_size > 100_000
    fonts = list((site / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))
    assert len(fonts) >= 20, "MathJax's fonts were not copied into the site"


@pytest.mark.slow
@pytest.mark.parametrize("page", ["theory", "varma"])  # inline math; display math with amsmath environments
def test_formulas_render_in_a_headless_browser_with_no_network(chromium, site, page, tmp_path):
    """MathJax typesets every formula of the page offline: one mjx-container per math node, no TeX left."""
    source = (site / f"{page}.html").read_text()
    n_math = len(re.findall(r'<(?:span|div) class="math[" ]', source))
    assert n_math >= 5, f"{page}.html has {n_math} formulas: pick a page with math"
    shot = tmp_path / f"{page}.png"
    dom = _browse(chromium, site / f"{page}.html", tmp_path / "profile", "--dump-dom", f"--screenshot={shot}")
    assert len(re.findall(r"<mjx-container\b", dom)) == n_math, "not every formula was typeset"
    assert "<mjx-merror" not in dom, "MathJax reported a TeX error"
    text = _visible_text(dom)
    for tex in ("\\(", "\\)", "\\[", "$$", "\\begin{", "\\frac"):
        assert tex not in text, f"raw TeX {tex!r} left on {page}.html"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.slow
def test_the_browser_really_has_no_network(chromium, tmp_path):
    """Control for the test above: the same browser cannot load MathJax from its CDN, so nothing typesets."""
    page = tmp_path / "cdn.html"
    page.write_text(
        "<html><body><p>\\(x^2\\)</p>"
        '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script></body></html>'
    )
    dom = _browse(chromium, page, tmp_path / "profile", "--dump-dom")
    assert "<body>" in dom and "mjx-container" not in dom and "\\(x^2\\)" in dom


@pytest.mark.slow
def test_every_guide_page_links_into_the_api_reference(site):
    """Each guide page holds API cross-references, and every role it writes resolves.

    (Docstrings in the API page may still name targets outside rnnss, such as ``ValueError``, which an offline
    build has no inventory for; unresolved references to rnnss names fail the build itself, see docs/conf.py.)
    """
    link = re.compile(r'<a class="reference internal" href="api\.html#(rnnss\.[\w.]+)"[^>]*><code class="xref py')
    for page in GUIDE_PAGES:
        targets = set(link.findall((site / f"{page}.html").read_text()))
        assert len(targets) >= 3, f"{page}.html links to {sorted(targets)} only"
    for page in GUIDE_PAGES:
        text = (site / f"{page}.html").read_text()
        # A resolved role is <a ...><code class="xref ...">; an unresolved one is the bare <code class="xref ...">.
        unresolved = re.findall(r'(?<!">)<code class="xref py[^"]*"[^>]*><span class="pre">([^<]*)', text)
        assert not unresolved, f"{page}.html: unresolved references {unresolved}"


@pytest.mark.slow
def test_api_reference_documents_each_public_name_once_as_rnnss_name(site):
    """Each name of rnnss.__all__ has exactly one entry, rnnss.<name>, and none under a module path."""
    ids = re.findall(r'<dt class="sig sig-object py" id="([^"]+)"', (site / "api.html").read_text())
    top = collections.Counter(i.split(".")[1] for i in ids if i.count(".") == 1 and i.startswith("rnnss."))
    assert set(top) == PUBLIC, (sorted(PUBLIC - set(top)), sorted(set(top) - PUBLIC))
    assert max(top.values()) == 1
    under_modules = [i for i in ids if i.count(".") >= 2 and i.split(".")[-1] in PUBLIC and i.split(".")[1].islower()]
    assert not under_modules, under_modules


def test_api_page_lists_each_public_name_once():
    """docs/api.md has one autodoc entry per name of rnnss.__all__, in the rnnss namespace (fast check)."""
    text = (DOCS / "api.md").read_text()
    entries = collections.Counter()
    module = None
    for line in text.splitlines():
        if m := re.match(r"\.\. (?:currentmodule|automodule):: ([\w.]+)", line):
            module = m.group(1)
        elif m := re.match(r"\.\. auto(?:function|class|exception|data):: (\w+)", line):
            entries[f"{module}.{m.group(1)}"] += 1
    documented = {name.split(".", 1)[1] for name in entries if name.startswith("rnnss.") and name.count(".") == 1}
    missing = sorted(PUBLIC - documented)
    home = {name: getattr(rnnss, name).__module__ for name in missing}
    assert not missing, f"add to docs/api.md (section of the module): {home}"
    assert documented == PUBLIC, sorted(documented - PUBLIC)
    assert max(entries.values()) == 1, [name for name, k in entries.items() if k > 1]


@pytest.mark.parametrize("page", GUIDE_PAGES)
def test_guide_pages_name_the_api_through_roles(page):
    """A public name quoted in a guide page's prose (`rnnss.x`, `x(...)`) is a cross-reference role instead."""
    spans = _inline_code_outside_roles((DOCS / f"{page}.md").read_text())
    quoted = [s for s in spans if _names_public_api(s)]
    assert not quoted, f"{page}.md quotes API names as plain code, use {{func}}/{{class}} roles: {quoted}"


def test_every_example_is_shown_in_the_docs_with_its_figures():
    page = (ROOT / "docs" / "examples.md").read_text()
    for script in sorted((ROOT / "examples").glob("*.py")):
        assert f"examples/{script.name}" in page, f"{script.name} is missing from docs/examples.md"
        assert list((ROOT / "docs" / "figures" / script.stem).glob("*.png")), (
            f"no figures for {script.name} (run docs/make_figures.py)"
        )


def test_api_page_is_generated_from_the_package():
    """docs/api.md is what docs/make_api.py writes: a new public name cannot be forgotten."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    make_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_api)
    assert (ROOT / "docs" / "api.md").read_text() == make_api.render(), "run python docs/make_api.py"
