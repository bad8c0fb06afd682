"""The documentation site: builds offline without warnings and renders its formulas with no network."""

import html
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Guide pages: every page of the site except the example gallery and the API reference itself.
GUIDE_PAGES = sorted(p.stem for p in DOCS.glob("*.md") if p.stem not in {"api", "examples"})
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


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        path = shutil.which(name)
        if path:
            return path
    return None


def _browse(page: pathlib.Path, profile: pathlib.Path, *args: str) -> str:
    """Load ``page`` by file:// URL in offline headless Chromium; return its stdout."""
    exe = _chromium()
    if exe is None:
        pytest.skip("no Chromium installed (apt-get install chromium): cannot show that formulas render offline")
    cmd = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args, page.resolve().as_uri()]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def _visible_text(dom: str) -> str:
    """The text a reader sees: no scripts, styles, code or MathJax's hidden assistive MathML."""
    for tag in ("script", "style", "pre", "code", "mjx-assistive-mml"):
        dom = re.sub(rf"<{tag}\b.*?</{tag}>", " ", dom, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", dom))


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
def test_formulas_render_in_a_headless_browser_with_no_network(site, page, tmp_path):
    """MathJax typesets every formula of the page offline: one mjx-container per math node, no TeX left."""
    source = (site / f"{page}.html").read_text()
    n_math = len(re.findall(r'<(?:span|div) class="math[" ]', source))
    assert n_math >= 5, f"{page}.html has {n_math} formulas: pick a page with math"
    shot = tmp_path / f"{page}.png"
    dom = _browse(site / f"{page}.html", tmp_path / "profile", "--dump-dom", f"--screenshot={shot}")
    assert len(re.findall(r"<mjx-container\b", dom)) == n_math, "not every formula was typeset"
    assert "<mjx-merror" not in dom, "MathJax reported a TeX error"
    text = _visible_text(dom)
    for tex in ("\\(", "\\)", "\\[", "$$", "\\begin{", "\\frac"):
        assert tex not in text, f"raw TeX {tex!r} left on {page}.html"
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


@pytest.mark.slow
def test_the_browser_really_has_no_network(tmp_path):
    """Control for the test above: the same browser cannot load MathJax from its CDN, so nothing typesets."""
    page = tmp_path / "cdn.html"
    page.write_text(
        "<html><body><p>\\(x^2\\)</p>"
        '<script defer src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script></body></html>'
    )
    dom = _browse(page, tmp_path / "profile", "--dump-dom")
    assert "<body>" in dom and "mjx-container" not in dom and "\\(x^2\\)" in dom


def test_every_example_is_shown_in_the_docs_with_its_figures():
    page = (ROOT / "docs" / "examples.md").read_text()
    for script in sorted((ROOT / "examples").glob("*.py")):
        assert f"examples/{script.name}" in page, f"{script.name} is missing from docs/examples.md"
        assert list((ROOT / "docs" / "figures" / script.stem).glob("*.png")), (
            f"no figures for {script.name} (run docs/make_figures.py)"
        )
