"""The ``indexcalc`` command line (also ``python -m indexcalc``).

``indexcalc diff FORMULA --wrt X`` prints the derivative of a formula (see :func:`ic.parse`) in
the format asked for; ``indexcalc einsum-grad SUBSCRIPTS --wrt K`` prints the einsum string of
an einsum's gradient; ``indexcalc compare CANDIDATE --of FORMULA --wrt X`` says whether a formula
is the derivative, and in which layout (see :func:`ic.compare`). Bad input gets one line on stderr (``indexcalc: error: ...``) and exit
status 2; a failed ``--check`` exits with status 1.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .errors import IndexcalcError
from .calculus.derivatives import diff, grad
from .calculus.named_variables import substitute
from .calculus.einsum_queries import einsum_grad, einsum_jacobian
from .codegen.python_source import to_python
from .core.dims import dim_names, dim_size
from .core.graph_walk import tensors_of
from .core.nodes import Named, Tensor
from .evaluation.finite_differences import check
from .evaluation.memory import guard
from .formula.reader import formula_and_variable, parse
from .derivations.compare import compare

EPILOG = """\
examples:
  indexcalc diff "0.5*sum((X@W@v - y)**2)" --wrt W --shape X="n d" --shape W="d h" \\
      --shape v=h --shape y=n --format matrix
  indexcalc diff "tanh(X[n,d] * W[d,h])" --wrt W --format kron --vec row
  indexcalc diff "sum(log(A[i,j] * x[j]))" --wrt x --check
  indexcalc diff "x[i] * A[i,j] * x[j]" --wrt x --shape x=n --shape A="n n" --format python
  indexcalc einsum-grad "ij,jk->ik" --wrt 0          # prints jk,ik->ij
  indexcalc diff "-sum(y * log(yhat))" --let z="h_prev @ H + e @ W_e" --let h="sigmoid(z)" \
      --let yhat="softmax(h @ U)" --wrt H --shape h_prev=nh --shape H="nh nh" --shape e=ne \
      --shape W_e="ne nh" --shape U="nh nv" --shape y=nv --explain --vectors row --normalized y

Formulas are Python syntax, read (never run) by indexcalc.formula.reader: + - * / ** @, .T, the
library's functions (exp, log, tanh, sigmoid, softmax, logsumexp, trace, inv, logdet, ...),
einsum("ij,jk->ik", A, B), and index notation X[n,d] * W[d,h], where a letter written twice in a
product is summed. A tensor is declared by --shape or by its first use X[n,d].
"""

_SHAPE = re.compile(r"\s*([^\W\d]\w*)\s*(?:=(.*)|\[(.*)\])\s*\Z", re.S)


class _Parser(argparse.ArgumentParser):
    """argparse whose usage errors are one line, like every other error of the command."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"indexcalc: error: {message}\n")


def _shape_option(text: str) -> tuple[str, str]:
    m = _SHAPE.match(text)
    if not m:
        raise argparse.ArgumentTypeError(f"expected NAME=\"n d\" or NAME[n,d], got {text!r}")
    return m.group(1), m.group(2) if m.group(2) is not None else m.group(3)


_DEFINITION = re.compile(r"\s*([^\W\d]\w*)\s*=(.*)\Z", re.S)


def _definition_option(text: str) -> tuple[str, str]:
    m = _DEFINITION.match(text)
    if not m or not m.group(2).strip():
        raise argparse.ArgumentTypeError(f"expected NAME=\"formula\", got {text!r}")
    return m.group(1), m.group(2)


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
    """A Python module whose function computes the derivative with one ``np.einsum`` call; an
    operand that is no tensor of the formula (a delta, ``1 − tanh(…)²``) is computed by a
    function of its own (``ic.to_python``) and passed in."""
    subscripts, operands = _library("to_einsum", "--format einsum")(d)
    name = f"d_by_{args.wrt}"
    helpers, calls, tensors, sizes = [], [], [], []
    for k, o in enumerate(operands):
        if isinstance(o, Tensor):
            calls.append(o.name)
            tensors.append(o.name)
            continue
        source = to_python(o, name=f"operand{k}")
        params = _parameters(source, f"operand{k}")
        helpers.append(source.rstrip())
        calls.append(f"operand{k}(" + ", ".join(f"{p}={p}" for p, _ in params) + ")")
        tensors += [p for p, kw in params if not kw]
        sizes += [p for p, kw in params if kw]
    tensors, sizes = list(dict.fromkeys(tensors)), list(dict.fromkeys(sizes))
    signature = ", ".join(tensors + (["*"] + sizes if sizes else []))
    main = (f"def {name}({signature}):\n"
            f"    return np.einsum({subscripts!r}, {', '.join(calls)}, optimize=True)\n")
    head = (f"# d({args.formula})/d{args.wrt} as one einsum: {name}(...) computes it\n"
            "import numpy as np\n")
    return "\n\n".join([head] + helpers + [main]).rstrip()


def _parameters(source: str, name: str) -> list[tuple[str, bool]]:
    """``(parameter, keyword-only)`` of the function ``name`` that ``source`` defines."""
    namespace: dict = {}
    exec(compile(source, f"<{name}>", "exec"), namespace)  # noqa: S102 - our own generated code
    sig = inspect.signature(namespace[name])
    return [(p.name, p.kind is inspect.Parameter.KEYWORD_ONLY) for p in sig.parameters.values()]


def _matrix_kwargs(args: argparse.Namespace) -> dict:
    out = {} if args.layout is None else {"layout": args.layout}
    if args.vectors is not None:
        out["vectors"] = args.vectors
    if args.normalized:
        out["normalized"] = tuple(args.normalized)
    if args.names:
        out["names"] = list(args.named)
    return out


def _kron_kwargs(args: argparse.Namespace) -> dict:
    out = {} if args.layout is None else {"layout": args.layout}
    if args.vec is not None:
        out["vec"] = args.vec
    if args.names:
        out["names"] = list(args.named)
    return out


def _explain_kwargs(args: argparse.Namespace) -> dict:
    return {**_matrix_kwargs(args), **({} if args.vec is None else {"vec": args.vec}),
            "direction": args.direction}


def _optional(render: Callable, d: Any, args: argparse.Namespace) -> str | None:
    """A rendering, or None where it does not apply (or this version cannot make it)."""
    try:
        return render(d, args)
    except IndexcalcError:
        return None


def _json(d: Any, args: argparse.Namespace) -> str:
    def form(make: Callable) -> dict | None:
        try:
            f = make()
        except IndexcalcError:
            return None
        return {"text": str(f), "latex": f.latex(), "notes": list(getattr(f, "notes", ()))}

    matrix_fn, kron_fn = _library("to_matrix", "--format json"), _library("to_kron", "--format json")
    out = {
        "formula": args.formula, "wrt": args.wrt,
        "options": {"layout": args.layout or "denominator (matrix), numerator (kron)",
                    "vectors": args.vectors or "column", "vec": args.vec or "col",
                    "normalized": list(args.normalized), "names": [n for n, _ in args.names],
                    "let": [n for n, _ in args.let]},
        "shape": list(d.shape),
        "index": str(d),
        "latex": _library("to_latex", "--format json")(d),
        "einsum": _optional(_einsum_text, d, args),
        "matrix": form(lambda: matrix_fn(d, **_matrix_kwargs(args))),
        "kron": form(lambda: kron_fn(d, **_kron_kwargs(args))),
    }
    if args.explain:
        e = _library("explain", "--explain")(args.f, args.x, **_explain_kwargs(args))
        out["explain"] = {"text": str(e), "latex": e.latex()}
    return json.dumps(out, ensure_ascii=False, indent=2)


def _python(d: Any, args: argparse.Namespace) -> str:
    return to_python(d, name=f"d_by_{args.wrt}")


def _with_notes(form: Any) -> str:
    return "\n".join([str(form)] + [f"note: {n}" for n in form.notes])


FORMATS: dict[str, Callable[[Any, argparse.Namespace], str]] = {
    "text": lambda d, args: str(d),
    "latex": lambda d, args: _library("to_latex", "--format latex")(d),
    "einsum": _einsum_text,
    "matrix": lambda d, args: _with_notes(_library("to_matrix", "--format matrix")(
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


def _with_lets(text: str, shapes: dict, lets: dict, what: str) -> Any:
    """``text`` parsed, each ``--let`` name standing for its named expression."""
    stand = {name: Tensor(name, e.shape) for name, e in lets.items()}
    clash = sorted(set(stand) & set(shapes))
    if clash:
        raise IndexcalcError(f"{clash[0]!r} is given both by --let and by --shape; drop one")
    f = parse(text, {**shapes, **stand})
    return substitute(f, {id(stand[n]): lets[n] for n in stand})


def _read(args: argparse.Namespace) -> tuple[Any, Any]:
    """The formula and the variable, with the ``--let`` intermediates and ``--names`` read."""
    for flag, pairs in (("--shape", args.shape), ("--let", args.let)):
        seen: dict[str, Any] = {}
        for name, value in pairs:  # dict() kept the last silently: X="n d" then X=m read X[m]
            if name in seen and seen[name] != value:
                raise IndexcalcError(f"{flag} {name} is given twice ({seen[name]!r} and "
                                     f"{value!r}); give it once")
            seen[name] = value
    shapes = dict(args.shape)
    lets: dict[str, Named] = {}
    for name, text in args.let:  # in order: a later --let may use an earlier one
        lets[name] = _with_lets(text, shapes, lets, "--let").named(name)
    args.named = [_with_lets(text, shapes, lets, "--names").named(name) for name, text in args.names]
    f = _with_lets(args.formula, shapes, lets, "formula")
    if args.wrt.strip() in lets:
        return f, lets[args.wrt.strip()]
    return formula_and_variable(f, args.wrt, shapes)


def cli_words(message: str) -> str:
    """An error message in the command line's words: its flags, not the library's keywords.

    Examples:
        >>> print(cli_words("unknown tensor 'X': declare it with shapes={'X': 'n d'} or inline"))
        unknown tensor 'X': declare it with --shape X="n d" or inline
    """
    message = re.sub(r"shapes=\{'(\w+)': '([^']*)'\}", r'--shape \1="\2"', message)
    message = re.sub(r"shapes\[('\w+')\]", r"--shape \1", message)
    message = message.replace("declare its shape", "declare its shape with --shape")
    for keyword, flag in (("normalized=", "--normalized"), ("names=", "--names"),
                          ("layout=", "--layout"), ("vectors=", "--vectors"), ("vec=", "--vec")):
        message = re.sub(rf"(?<![\w-]){re.escape(keyword)}", flag + " ", message)
    return message


def run_diff(args: argparse.Namespace) -> int:
    f, x = _read(args)
    args.f, args.x = f, x
    if args.check and isinstance(x, Named):
        raise IndexcalcError(f"--check differentiates by a tensor; {args.wrt!r} is a --let "
                             f"intermediate (check by the tensors it is built from)")
    d = grad(f, x) if f.shape == () else diff(f, x)
    if args.explain and args.format != "json":
        print(str(_library("explain", "--explain")(f, x, **_explain_kwargs(args))))
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
    d.add_argument("--wrt", required=True, metavar="X", help="the variable (a tensor's name, or a --let intermediate's)")
    d.add_argument("--shape", action="append", type=_shape_option, default=[],
                   metavar='X="n d"', help="a tensor's shape (repeatable); also X[n,d]")
    d.add_argument("--let", action="append", type=_definition_option, default=[],
                   metavar='h="tanh(W @ x)"', help="name an intermediate, used by name in the "
                   "formula, the later --let's and --wrt, and printed by name (repeatable)")
    d.add_argument("--layout", choices=("numerator", "denominator"),
                   help="matrix layout (matrix/kron/json formats, --explain)")
    d.add_argument("--vec", choices=("col", "row"),
                   help="vec convention of the Kronecker forms (kron/json formats, --explain)")
    d.add_argument("--vectors", choices=("column", "row"),
                   help="write vectors as columns (default) or rows, as x H instead of Hᵀ x")
    d.add_argument("--names", action="append", type=_definition_option, default=[],
                   metavar='yhat="softmax(h @ U)"', help="a subexpression the matrix forms "
                   "print by this name wherever it occurs (repeatable)")
    d.add_argument("--normalized", action="append", default=[], metavar="y",
                   help="a tensor known to sum to 1 (a one-hot label): Σ y is written 1, and "
                        "the output notes the assumption (repeatable)")
    d.add_argument("--format", choices=tuple(FORMATS), default="text",
                   help="output format (default: text, the index notation)")
    d.add_argument("--explain", action="store_true", help="show the chain rule step by step")
    d.add_argument("--direction", choices=("auto", "reverse", "forward"), default="auto",
                   help="--explain accumulates from the function inward (reverse) or from the "
                        "variable outward (forward); auto: reverse when the function has no more "
                        "axes than the variable")
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
        print(f"indexcalc: error: {cli_words(str(e).splitlines()[0])}", file=sys.stderr)
        return 2
