"""The ``indexcalc`` command line (also ``python -m indexcalc``).

``indexcalc diff FORMULA --wrt X`` prints the derivative of a formula (see :func:`ic.parse`) in
the format asked for; ``indexcalc einsum-grad SUBSCRIPTS --wrt K`` prints the einsum string of
an einsum's gradient; ``indexcalc compare CANDIDATE --of FORMULA --wrt X`` says whether a formula
is the derivative, and in which layout (see :func:`ic.compare`). Bad input gets one line on stderr (``indexcalc: error: ...``) and exit
status 2; a failed ``--check`` exits with status 1.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import IndexcalcError
from .calculus.derivatives import diff, grad
from .calculus.einsum_queries import einsum_grad, einsum_jacobian
from .codegen.python_source import to_python
from .core.dims import dim_names, dim_size
from .core.graph_walk import tensors_of
from .evaluation.finite_differences import check
from .evaluation.memory import guard
from .formula.reader import formula_and_variable
from .derivations.compare import compare

EPILOG = """\
examples:
  indexcalc diff "0.5*sum((X@W@v - y)**2)" --wrt W --shape X="n d" --shape W="d h" \\
      --shape v=h --shape y=n --format matrix
  indexcalc diff "tanh(X[n,d] * W[d,h])" --wrt W --format kron --vec row
  indexcalc diff "sum(log(A[i,j] * x[j]))" --wrt x --check
  indexcalc diff "x[i] * A[i,j] * x[j]" --wrt x --shape x=n --shape A="n n" --format python
  indexcalc einsum-grad "ij,jk->ik" --wrt 0          # prints jk,ik->ij

Formulas are Python syntax, read (never run) by indexcalc.formula.reader: + - * / ** @, .T, the
library's functions (exp, log, tanh, sigmoid, softmax, logsumexp, trace, inv, logdet, ...),
einsum("ij,jk->ik", A, B), and index notation X[n,d] * W[d,h], where a letter written twice in a
product is summed. A tensor is declared by --shape or by its first use X[n,d].
"""

_SHAPE = re.compile(r"\s*([A-Za-z_]\w*)\s*(?:=(.*)|\[(.*)\])\s*\Z", re.S)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other error of the command."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"indexcalc: error: {message}\n")


def _shape_option(text: str) -> tuple[str, str]:
    m = _SHAPE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected NAME=\"n d\" or NAME[n,d], got {text!r}")
    return m.group(1), m.group(2) if m.group(2) is not None else m.group(3)


def _library(name: str, what: str) -> Callable:
    """``ic.<name>``, or a clear error where this version of indexcalc lacks it."""
    import indexcalc

    fn = getattr(indexcalc, name, None)
    if fn is None:
        raise IndexcalcError(f"{what} needs ic.{name}, which this version of indexcalc does not "
                             "have yet")
    return fn


# ---------------------------------------------------------------------- diff: formats

def _einsum_text(d: Any, args: argparse.Namespace) -> str:
    subscripts, operands = _library("to_einsum", "--format einsum")(d)
    return f"einsum({subscripts!r}, {', '.join(_operand(o) for o in operands)})"


def _operand(e: Any) -> str:
    """A tensor by its name, any other operand as its index notation in parentheses."""
    name = getattr(e, "name", None)  # Tensor, Named and named Constant
    if isinstance(name, str) and name.isidentifier():
        return name
    return f"({e})"


def _matrix_kwargs(args: argparse.Namespace) -> dict:
    return {} if args.layout is None else {"layout": args.layout}


def _kron_kwargs(args: argparse.Namespace) -> dict:
    return {**_matrix_kwargs(args), **({} if args.vec is None else {"vec": args.vec})}


def _optional(render: Callable, d: Any, args: argparse.Namespace) -> str | None:
    """A rendering, or None where it does not apply (or this version cannot make it)."""
    try:
        return render(d, args)
    except IndexcalcError:
        return None


def _json(d: Any, args: argparse.Namespace) -> str:
    return json.dumps({
        "formula": args.formula, "wrt": args.wrt,
        "shape": list(d.shape),
        "index": str(d),
        "einsum": _optional(_einsum_text, d, args),
        "matrix": _optional(FORMATS["matrix"], d, args),
    }, ensure_ascii=False, indent=2)


def _python(d: Any, args: argparse.Namespace) -> str:
    return to_python(d, name=f"d_by_{args.wrt}")


FORMATS: dict[str, Callable[[Any, argparse.Namespace], str]] = {
    "text": lambda d, args: str(d),
    "latex": lambda d, args: _library("to_latex", "--format latex")(d),
    "einsum": _einsum_text,
    "matrix": lambda d, args: str(_library("to_matrix", "--format matrix")(
        d, **_matrix_kwargs(args))),
    "kron": lambda d, args: str(_library("to_kron", "--format kron")(d, **_kron_kwargs(args))),
    "python": _python,
    "json": _json,
}


# ---------------------------------------------------------------------- diff: --check

def check_sizes(tensors: Sequence[Any]) -> dict[str, int]:
    """Distinct small sizes 2, 3, 4, … for the dimension names, in order of first appearance.

    Examples:
        >>> import indexcalc as ic
        >>> check_sizes(ic.tensors("X[n,d] W[d,h] S[3,n]"))
        {'n': 2, 'd': 3, 'h': 4}
    """

    sizes: dict[str, int] = {}
    for t in tensors:
        for d in t.shape:
            for name in dim_names(d):
                sizes.setdefault(name, len(sizes) + 2)
    return sizes


def _check(f: Any, x: Any) -> tuple[bool, str]:
    tensors = {t.name: t for t in [*tensors_of(f), x]}
    sizes = check_sizes(list(tensors.values()))
    shapes = {name: tuple(dim_size(d, sizes) for d in t.shape) for name, t in tensors.items()}
    guard(((f"the random value of {name}", shape, 8) for name, shape in shapes.items()), None)
    rng = np.random.default_rng(0)
    values = {}
    for name, t in tensors.items():
        a = rng.uniform(0.5, 1.5, size=tuple(dim_size(d, sizes) for d in t.shape))
        values[name] = (a + a.T) / 2 if t.symmetric else a   # positive: log and sqrt are defined
    where = ", ".join(f"{k}={v}" for k, v in sizes.items()) or "fixed sizes"
    try:
        err = check(f, x, **values)
    except AssertionError as e:
        return False, f"check: FAIL ({where}): {str(e).splitlines()[0]}"
    return True, f"check: max relative error {err:.2e} against central differences ({where}): OK"


def run_diff(args: argparse.Namespace) -> int:
    shapes = dict(args.shape)
    f, x = formula_and_variable(args.formula, args.wrt, shapes)
    d = grad(f, x) if f.shape == () else diff(f, x)
    if args.explain:
        kwargs = {} if args.layout is None else {"layout": args.layout}
        print(str(_library("explain", "--explain")(f, x, **kwargs)))
        print()
    print(FORMATS[args.format](d, args))
    if args.check:
        ok, line = _check(f, x)
        print(line)
        return 0 if ok else 1
    return 0


# ---------------------------------------------------------------------- einsum-grad

_EXTRA = {"delta": "the identity matrix (its two letters span one dimension)",
          "ones": "ones (an array of ones of those letters' sizes)"}


def run_einsum_grad(args: argparse.Namespace) -> int:
    if args.jacobian:
        subscripts, spec = einsum_jacobian(args.subscripts, args.wrt)
        print(subscripts)
        terms = subscripts.split("->")[0].split(",")
        for term, what in zip(terms, spec):
            print(f"  {term or '(scalar)'}: " + (f"operand {what[2:]}" if what.startswith("op")
                                                 else _EXTRA[what]))
        return 0
    g = einsum_grad(args.subscripts, args.wrt)
    print(g)
    for kind, letters in g.extras:
        print(f"  extra operand {letters}: {_EXTRA[kind]}")
    return 0


# ---------------------------------------------------------------------- compare

COMPARE_EPILOG = """\
examples:
  indexcalc compare "W diag(σ'(x))" --of "W @ sigmoid(x)" --wrt x --shape W="n n" --shape x=n
  indexcalc compare "X^T (X w - y)" --of "0.5*sum((X@w - y)**2)" --wrt w \\
      --shape X="n d" --shape w=d --shape y=n

Prints whether the candidate equals the derivative in numerator or denominator layout, as
∂vec(F)/∂vec(X) in either vec order, up to a transpose or a sign; exit status 0 when it does,
1 when it is none of them (with the largest difference), 2 when it does not conform.
"""


def run_compare(args: argparse.Namespace) -> int:
    shapes = dict(args.shape)
    f, x = formula_and_variable(args.function, args.wrt, shapes)
    d = diff(f, x)
    result = compare(args.candidate, d, shapes=shapes, seed=args.seed)
    print(result)
    return 0 if result else 1


# ---------------------------------------------------------------------- the parser

def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="indexcalc", epilog=EPILOG,
                     description="Tensor derivatives in index notation, matrix and Kronecker form.",
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True,
                                metavar="{diff,einsum-grad,compare}")
    d = sub.add_parser("diff", help="differentiate a formula", epilog=EPILOG,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    d.add_argument("formula", help='a formula in Python syntax, e.g. "sum(tanh(X @ w))"')
    d.add_argument("--wrt", required=True, metavar="X", help="the variable (a tensor's name)")
    d.add_argument("--shape", action="append", type=_shape_option, default=[],
                   metavar='X="n d"', help="a tensor's shape (repeatable); also X[n,d]")
    d.add_argument("--layout", choices=("numerator", "denominator"),
                   help="matrix layout (matrix/kron/json formats, --explain)")
    d.add_argument("--vec", choices=("col", "row"), help="vec convention of the kron format")
    d.add_argument("--format", choices=tuple(FORMATS), default="text",
                   help="output format (default: text, the index notation)")
    d.add_argument("--explain", action="store_true", help="show the chain rule step by step")
    d.add_argument("--check", action="store_true",
                   help="compare with finite differences on random data (exit 1 on FAIL)")
    d.set_defaults(run=run_diff)
    e = sub.add_parser("einsum-grad", help="the einsum string of an einsum's gradient",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    e.add_argument("subscripts", help='an einsum string, e.g. "ij,jk->ik"')
    e.add_argument("--wrt", required=True, type=int, metavar="K", help="the operand's position")
    e.add_argument("--jacobian", action="store_true",
                   help="the full derivative tensor's einsum instead of the gradient's")
    e.set_defaults(run=run_einsum_grad)
    c = sub.add_parser("compare", help="is a formula (a paper's, a textbook's) the derivative?",
                       epilog=COMPARE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("candidate", help="the formula to check, in matrix notation (W diag(σ'(x)), "
                                     "X^T (X w - y)) or Python notation")
    c.add_argument("--of", required=True, metavar="FORMULA", dest="function",
                   help="the function differentiated (Python notation, like diff's formula)")
    c.add_argument("--wrt", required=True, metavar="X", help="the variable (a tensor's name)")
    c.add_argument("--shape", action="append", type=_shape_option, default=[],
                   metavar='X="n d"', help="a tensor's shape (repeatable); also X[n,d]")
    c.add_argument("--seed", type=int, default=0, help="seed of the random values (default 0)")
    c.set_defaults(run=run_compare)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 failed check, 2 bad input)."""
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except IndexcalcError as e:
        print(f"indexcalc: error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
