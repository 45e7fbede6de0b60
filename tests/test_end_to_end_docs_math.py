"""The documentation's math renders with no network.

The site is built once (``mkdocs build --strict``, whose hook ``docs/mathml_hook.py`` turns TeX
into MathML) and every page that has math is opened in headless Chromium with networking off;
the text a reader sees (outside code blocks) must hold no raw TeX delimiters — ``\\(``, ``\\[``,
``$$`` — and no TeX command, and each formula of the page source must be a MathML ``<math>``
element in the browser's DOM (the BPTT page's layout table included). Nothing on a page may be
fetched from another host.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
TEX_DELIMITERS = ("\\(", "\\)", "\\[", "\\]", "$$")
#: the TeX commands the pages use; none may show as text
TEX_COMMANDS = re.compile(r"\\(operatorname|partial|mathrm|mathbf|top|circ|otimes|frac|left|right|"
                          r"sum|delta|sigma|quad|text|cdots|begin|end)\b")
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--dump-dom")


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("headless Chromium is not installed (a system package, not a pip extra: Debian's "
                "apt-get install -y chromium; .ci/run installs it, so CI runs this test)")


def _formula_count(markdown: str) -> int:
    """How many formulas a page's Markdown has outside fenced code blocks and inline code."""
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)
    prose = re.sub(r"`[^`\n]*`", "", prose)
    return len(re.findall(r"\\\(.*?\\\)", prose, flags=re.S)) + len(re.findall(r"\\\[.*?\\\]", prose, flags=re.S))


class _VisibleText(HTMLParser):
    """The text a reader sees: everything but scripts, styles and code; counts ``<math>`` elements."""

    HIDDEN = {"script", "style", "code", "pre", "template", "noscript"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []
        self.math = 0
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.HIDDEN:
            self.depth += 1
        if tag == "math":
            self.math += 1
        for name, value in attrs:
            if tag in ("script", "link", "img", "iframe") and name in ("src", "href") and value \
                    and re.match(r"(https?:)?//", value):
                self.external.append(f"<{tag} {name}={value}>")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.depth:
            self.parts.append(data)


@pytest.fixture(scope="module")
def site() -> Path:
    """The documentation site, built once for this module."""
    out = Path(tempfile.mkdtemp(prefix="indexcalc-site-"))
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(["mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    yield out
    shutil.rmtree(out, ignore_errors=True)


def _pages_with_math() -> list[str]:
    pages = []
    for md in sorted(DOCS.rglob("*.md")):
        if _formula_count(md.read_text()):
            pages.append(md.relative_to(DOCS).with_suffix("").as_posix())
    return pages


PAGES = _pages_with_math()


def test_pages_with_math_are_found():
    # the BPTT page's layout table is the case the issue names; it must be among those checked
    assert "problems/bptt" in PAGES and len(PAGES) >= 5


def _dump_dom(chromium: str, html_file: Path) -> str:
    """The DOM of a page as headless Chromium builds it (networking off, a throwaway profile)."""
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                               html_file.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "<body" in done.stdout, done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def rendered(site: Path) -> dict[str, str]:
    """Each page with math as Chromium renders it (a few browsers at a time: each is ~1 s)."""
    chromium = _chromium()
    with ThreadPoolExecutor(max_workers=4) as pool:
        doms = pool.map(lambda page: _dump_dom(chromium, site / page / "index.html"), PAGES)
        return dict(zip(PAGES, doms))


@pytest.mark.parametrize("page", PAGES)
def test_math_renders_offline(rendered: dict[str, str], page: str):
    seen = _VisibleText()
    seen.feed(rendered[page])
    text = "".join(seen.parts)
    for delimiter in TEX_DELIMITERS:
        at = text.find(delimiter)
        assert at < 0, f"{page}: raw TeX {delimiter!r} is visible: …{text[max(0, at - 60):at + 60]}…"
    command = TEX_COMMANDS.search(text)
    assert command is None, f"{page}: TeX command {command.group(0)!r} is visible"
    expected = _formula_count((DOCS / page).with_suffix(".md").read_text())
    assert seen.math >= expected, f"{page}: {seen.math} MathML elements for {expected} formulas"
    assert not seen.external, f"{page} loads from the network: {seen.external}"


def test_bptt_layout_table_is_mathml(site: Path):
    html = (site / "problems" / "bptt" / "index.html").read_text()
    table = re.search(r"<table>.*?</table>", html, flags=re.S)
    assert table is not None
    assert table.group(0).count("<math") >= 4 and "\\operatorname" not in table.group(0)
