"""The documentation cannot drift from the code.

* every ``pycon`` block of every page runs as a doctest (what a page shows is what indexcalc
  prints), every ``python`` block runs, and every ``$ indexcalc ...`` line of a ``console``
  block prints what follows it;
* the rule catalogue and the API page are exactly what ``docs/gen_outputs.py`` generates from the
  rule table and ``__all__``, and each rule's derivative agrees with finite differences of its
  NumPy implementation;
* every page in the nav exists, every page is in the nav, every snippet a page includes exists;
* every public name has a docstring with a runnable ``Examples:`` section.

``mkdocs build --strict`` itself runs in ``.ci/run``.
"""

from __future__ import annotations

import doctest
import inspect
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import indexcalc as ic

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS))

import gen_outputs  # noqa: E402

PAGES = sorted(DOCS.rglob("*.md"))
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def blocks(page: Path, language: str) -> list[str]:
    """The contents of the fenced blocks of ``language`` ("" for fences without one)."""
    found, current, opened = [], [], None
    for line in page.read_text().splitlines(keepends=True):
        if line.startswith("```"):
            if opened is None:
                opened, current = line[3:].strip(), []
            else:
                if opened == language:
                    found.append("".join(current))
                opened = None
        elif opened is not None:
            current.append(line)
    return found


def nav_pages() -> list[str]:
    """The page paths the nav of mkdocs.yml lists (a flat scan: every ``name: path.md``)."""
    return re.findall(r":\s*([\w/.-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), flags=re.M)


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "pycon")],
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_page_sessions_print_what_the_page_shows(page):
    text = "\n\n".join(blocks(page, "pycon"))
    test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    runner.run(test)
    assert runner.failures == 0, f"{page.name}: {runner.failures} session line(s) print otherwise"


@pytest.mark.parametrize("page", [p for p in PAGES if blocks(p, "python")],
                         ids=lambda p: str(p.relative_to(DOCS)))
def test_page_code_runs(page):
    namespace: dict = {}
    for block in blocks(page, "python"):
        if block.lstrip().startswith("--8<--"):
            continue   # an included example: tests/test_end_to_end_examples.py runs it
        exec(compile(block, str(page), "exec"), namespace)


def console_sessions(page: Path) -> list[tuple[str, str]]:
    """``(command, expected output)`` for each ``$ indexcalc ...`` line of the console blocks."""
    sessions = []
    for block in blocks(page, "console"):
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            sessions.append((command, output))
    return sessions


CONSOLE = [(p, c, o) for p in PAGES for c, o in console_sessions(p)]


@pytest.mark.parametrize("page,command,expected", CONSOLE, ids=[c[:60] for _, c, _ in CONSOLE])
def test_console_sessions_print_what_the_page_shows(page, command, expected):
    """The command runs as ``python -m indexcalc``; stdout and stderr are shown together, and a
    non-zero exit status as a last line ``[exit N]``. ``...`` matches anything, as in doctests."""
    words = shlex.split(command)
    assert words[0] == "indexcalc", f"{page.name}: only indexcalc commands run here: {command}"
    done = subprocess.run([sys.executable, "-m", "indexcalc", *words[1:]], cwd=ROOT,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    got = done.stdout + (f"[exit {done.returncode}]\n" if done.returncode else "")
    assert doctest.OutputChecker().check_output(expected, got, FLAGS), (
        f"{page.name}: `{command}` prints\n{got}\nbut the page shows\n{expected}")


def help_examples() -> list[str]:
    """The example commands ``indexcalc --help`` lists (continuation lines joined)."""
    text = subprocess.run([sys.executable, "-m", "indexcalc", "--help"], capture_output=True,
                          text=True, cwd=ROOT, timeout=120).stdout
    joined = re.sub(r"\\\n\s*", "", text)
    return [line.split("#")[0].strip() for line in joined.splitlines()
            if line.startswith("  indexcalc ")]


def test_the_cli_help_examples_run():
    examples = help_examples()
    assert examples, "indexcalc --help lists no examples"
    for command in examples:
        words = shlex.split(command)
        done = subprocess.run([sys.executable, "-m", "indexcalc", *words[1:]], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"`{command}` (from --help) fails: {done.stderr}"


def test_readme_shows_what_its_example_prints():
    """The README's plain output block is printed, line for line, by its Python block."""
    shown = blocks(ROOT / "README.md", "")
    assert shown, "the README shows no output block"
    done = subprocess.run([sys.executable, "-c", "\n".join(blocks(ROOT / "README.md", "python"))],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()
    for block in shown:
        lines = block.strip("\n").splitlines()
        starts = [i for i, line in enumerate(printed) if line == lines[0]]
        assert any(printed[i:i + len(lines)] == lines for i in starts), (
            f"README shows\n{block}\nbut its example prints\n{done.stdout}")


def test_rule_catalogue_is_generated_from_the_rule_table():
    assert (DOCS / "rules.md").read_text() == gen_outputs.rules_page(), (
        "docs/rules.md differs from the rule table: run python docs/gen_outputs.py")


def test_api_page_lists_every_public_name():
    assert (DOCS / "api.md").read_text() == gen_outputs.api_page(), (
        "docs/api.md differs from indexcalc.__all__: run python docs/gen_outputs.py")


def test_every_rule_in_the_catalogue_is_right():
    """Each row's derivative against central differences of its own NumPy implementation."""
    from indexcalc.core.elementwise import RULES
    from indexcalc.frontend.arithmetic import apply

    x = ic.Tensor("x", (5,))
    a = np.array([0.3, 0.7, 1.3, 2.1, 2.9])      # positive, away from kinks: log, sqrt, abs, relu
    for name, row in RULES.items():
        param = {"power": 3.0, "rpow": 2.0}.get(name)
        analytic = row.derivative(x, apply(name, x, param), param).evaluate(x=a)
        eps = 1e-6
        numeric = (row.numpy(a + eps, param) - row.numpy(a - eps, param)) / (2 * eps)
        np.testing.assert_allclose(np.broadcast_to(analytic, a.shape), numeric, rtol=1e-6,
                                   atol=1e-8, err_msg=name)


def test_nav_and_pages_agree():
    nav = nav_pages()
    missing = [p for p in nav if not (DOCS / p).exists()]
    assert not missing, f"the nav lists pages that do not exist: {missing}"
    orphans = [str(p.relative_to(DOCS)) for p in PAGES if str(p.relative_to(DOCS)) not in nav]
    assert not orphans, f"pages missing from the nav of mkdocs.yml: {orphans}"


def test_included_snippets_exist():
    for page in PAGES:
        for path in re.findall(r'--8<-- "([^"]+)"', page.read_text()):
            assert (ROOT / path.split(":")[0]).exists(), f"{page.name} includes missing {path}"


def test_every_public_name_has_runnable_examples():
    lacking = [name for name in ic.__all__
               if "Examples:" not in (inspect.getdoc(getattr(ic, name)) or "")
               or ">>>" not in (inspect.getdoc(getattr(ic, name)) or "")]
    assert not lacking, f"public names without an Examples: section: {lacking}"
