"""Regenerate what the documentation shows, from the code itself.

* ``docs/outputs/<example>.txt``: the real standard output of ``examples/<example>.py`` (pages
  include it next to the script, through ``pymdownx.snippets``), for every example whose output
  does not depend on what is installed;
* ``docs/rules.md``: the rule catalogue, one row per entry of ``indexcalc.core.elementwise.RULES``;
* ``docs/api.md``: the API reference, one mkdocstrings entry per name of ``indexcalc.__all__``.

Run ``python docs/gen_outputs.py`` after changing an example, a printer or the rule table;
``python docs/gen_outputs.py --check`` exits 1 and names every file that drifted. The test suite
(``tests/test_end_to_end_examples.py``, ``tests/test_end_to_end_docs.py``) makes the same comparison, so a page can
never show output the code no longer prints.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES_DIR = ROOT / "examples"
OUTPUTS_DIR = ROOT / "docs" / "outputs"
RULES_PAGE = ROOT / "docs" / "rules.md"
API_PAGE = ROOT / "docs" / "api.md"

#: API page sections: (title, the modules whose public names it lists). A public name defined in
#: a module not listed here goes to the last section, so a new module never drops out.
API_SECTIONS = (
    ("Building expressions", ("indexcalc.core.nodes", "indexcalc.core.expr", "indexcalc.frontend.declare", "indexcalc.formula.reader", "indexcalc.formula.matrix_reader")),
    ("Operations", ("indexcalc.frontend.arithmetic", "indexcalc.frontend.axes", "indexcalc.frontend.matrices", "indexcalc.frontend.linalg")),
    ("Reshaping, indexing and structure", ("indexcalc.frontend.shaping",)),
    ("Spectral decompositions", ("indexcalc.frontend.spectral",)),
    ("Differentiating", ("indexcalc.calculus.derivatives", "indexcalc.evaluation.finite_differences")),
    ("Evaluating and planning", ("indexcalc.evaluation.compiled", "indexcalc.evaluation.plan_report")),
    ("Rendering and layouts", ("indexcalc.layouts.matrix_layout", "indexcalc.layouts.kronecker", "indexcalc.layouts.forms", "indexcalc.layouts.matrix_form", "indexcalc.layouts.vec_convention",
                               "indexcalc.rendering.latex_notation", "indexcalc.derivations.chain", "indexcalc.derivations.compare", "indexcalc.codegen.python_source")),
    ("Einsum-string queries", ("indexcalc.calculus.einsum_queries",)),
    ("Structure queries", ("indexcalc.calculus.structure_queries",)),
    ("Use it in your model", ("indexcalc.interop.torch_function", "indexcalc.interop.jax_function", "indexcalc.interop.einsum_function")),
    ("Recurrences", ("indexcalc.frontend.recurrence",)),
    ("Errors", ("indexcalc.errors",)),
    ("Other", ()),
)


def examples() -> list[Path]:
    """Every example script (developer tools live in ``benchmarks/``: not here)."""
    return sorted(EXAMPLES_DIR.glob("*.py"))


#: Command-line arguments for scripts whose default run is a long batch job: a short run proves
#: they work (tests/test_calculus_fuzz.py and tests/test_layouts_reference.py run the fuzz
#: generator's seeded batches themselves).
RUN_ARGS: dict[str, list[str]] = {}  # the fuzz batches and benchmarks live in benchmarks/


#: Examples whose output depends on what is installed (JAX, PyTorch) or on timing, or that are
#: tools rather than examples: pages do not show their output.
ENVIRONMENT_DEPENDENT = frozenset({"backends", "custom_layer"})


def shown(example: Path) -> bool:
    """Whether the docs show this example's output (and so store it)."""
    return example.stem not in ENVIRONMENT_DEPENDENT


def output_path(example: Path) -> Path:
    return OUTPUTS_DIR / f"{example.stem}.txt"


def run_example(example: Path) -> str:
    """The example's standard output; raises ``RuntimeError`` with its stderr if it fails."""
    path = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env = dict(os.environ, PYTHONPATH=path)
    args = RUN_ARGS.get(example.stem, [])
    done = subprocess.run([sys.executable, str(example), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"{example.name} exited {done.returncode}:\n{done.stderr}")
    return done.stdout


def _cell(text: str) -> str:
    """Text for a Markdown table cell, as code."""
    return "`" + text.replace("|", "\\|") + "`"


def rules_page() -> str:
    """The rule catalogue, generated from ``indexcalc.core.elementwise.RULES``."""
    import indexcalc as ic
    from indexcalc.core.elementwise import PUBLIC, RULES
    from indexcalc.frontend.arithmetic import apply

    x = ic.Tensor("x", "n")
    lines = [
        "# Rule catalogue",
        "",
        "Every elementwise function indexcalc knows and its derivative, generated from the rule",
        "table `indexcalc.core.elementwise.RULES` by `docs/gen_outputs.py` (a test fails when this page",
        "and the table disagree, so the page cannot drift). Adding a function to indexcalc is",
        "adding a row to that table.",
        "",
        "The last columns are the local derivative `f'(x)` exactly as `ic.diff` builds it, for a",
        "variable `x` of shape `(n,)` whose value `f(x)` is named `y` (so the derivative of a",
        "named `tanh` reuses the value: `1 - y[n] y[n]`). `ic.diff(f(x), x)` is that vector on the",
        "diagonal:",
        "`f'(x)[n] δ[n,n']`. Functions marked *internal* are not called by users; they appear",
        "inside derivatives (`σ'` is the derivative of `σ`, `step` the derivative of `relu`).",
        "",
        "| function | called as | prints as | derivative | `f'(x)` as indexcalc builds it "
        "| its LaTeX (`ic.to_latex`) |",
        "|---|---|---|---|---|---|",
    ]
    for name, row in RULES.items():
        param = {"power": 3.0, "rpow": 2.0}.get(name)
        y = apply(name, x, param)
        called = (f"ic.{name}(x)" if name in PUBLIC
                  else "x ** p (shown: p = 3)" if name == "power"
                  else "b ** x, b > 0 (shown: b = 2)" if name == "rpow" else "internal")
        derivative = row.derivative(x, y.named("y"), param)
        lines.append(f"| {name} | {_cell(called)} | {_cell(str(y))} | {row.doc} "
                     f"| {_cell(str(derivative))} | \\({ic.to_latex(derivative)}\\) |")
    lines += [
        "",
        "Beyond this table, `ic.softmax`, `ic.log_softmax`, `ic.logsumexp`, `ic.inv`, `ic.det` and",
        "`ic.logdet` are nodes with their own derivative rules in `indexcalc.calculus.derivatives` (softmax:",
        "`diag(s) − s sᵀ`; logsumexp: the softmax; `inv(X)`: `−X⁻¹ dX X⁻¹`; `logdet(X)`: `X⁻ᵀ`).",
        "",
    ]
    return "\n".join(lines)


def api_page() -> str:
    """The API reference: one mkdocstrings entry per name of ``indexcalc.__all__``.

    Entries name the object where it is defined (``indexcalc.evaluation.finite_differences.check``): several public
    functions share their name with their module, which a single ``::: indexcalc`` would show as
    the module. Aliases (``jacobian`` is ``diff``) are listed once, with a line for the alias.
    """
    import indexcalc as ic

    sections: dict[str, list[str]] = {title: [] for title, _ in API_SECTIONS}
    first_name: dict[int, str] = {}
    for name in sorted(ic.__all__, key=str.lower):
        obj = getattr(ic, name)
        if id(obj) in first_name:
            sections[_section(obj.__module__)].append(
                f"`ic.{name}` is an alias of [`ic.{first_name[id(obj)]}`]"
                f"(#{obj.__module__}.{obj.__qualname__}).")
            continue
        first_name[id(obj)] = name
        sections[_section(obj.__module__)].append(
            f"::: {obj.__module__}.{obj.__qualname__}\n"
            f"    options:\n      show_root_heading: true\n      heading_level: 3")
    lines = [
        "# API reference",
        "",
        "Every name of `indexcalc.__all__`, importable as `ic.<name>` (`import indexcalc as ic`),",
        "generated from the docstrings by mkdocstrings; their `Examples:` run as doctests in the",
        "test suite. This page itself is generated by `docs/gen_outputs.py` from `__all__` (a test",
        "fails when they disagree). Shapes, layouts and errors follow",
        "[Conventions](conventions.md).",
        "",
        "::: indexcalc",
        "    options:\n      members: false\n      show_root_heading: false",
        "",
    ]
    for title, entries in sections.items():
        if entries:
            lines += [f"## {title}", ""] + [e for entry in entries for e in (entry, "")]
    return "\n".join(lines)


def _section(module: str) -> str:
    for title, modules in API_SECTIONS:
        if module in modules:
            return title
    return API_SECTIONS[-1][0]


def generated() -> dict[Path, str]:
    """Every generated file and the text it should have now."""
    files = {output_path(p): run_example(p) for p in examples() if shown(p)}
    files[RULES_PAGE] = rules_page()
    files[API_PAGE] = api_page()
    return files


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    check = "--check" in argv
    stale = []
    OUTPUTS_DIR.mkdir(exist_ok=True)
    for path, text in generated().items():
        if path.exists() and path.read_text() == text:
            continue
        stale.append(path.relative_to(ROOT))
        if not check:
            path.write_text(text)
    verb = "out of date" if check else "rewritten"
    for path in stale:
        print(f"{verb}: {path}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
