"""Straight-line functions: a list of prepared steps turned into one Python function.

A compiled program is a flat list of steps ``(function, argument slots, result slot, slots to
release)``. Interpreting that list costs a list allocation, an indexing and a loop iteration per
step on every call; this module writes the list out once as the body of a Python function
instead (``v3 = f0(v0, v1); del v0; ...``), so a call runs only the steps themselves, with the
values in local variables and each one released (``del``) after its last reader. The same
function is what ``jax.jit`` traces into one computation.

The source is generated from slot numbers and step positions only (never from user text: input
names enter as string literals through :func:`repr`), and compiled once per program.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import numpy as np


def identity(value: Any) -> Any:
    """A step that passes its value on: written out as an assignment, not a call.

    Examples:
        >>> identity(3)
        3
    """
    return value


def build_function(name: str, params: Iterable[str], body: list[str],
                   scope: Mapping[str, Any]) -> Callable:
    """Compile ``def name(params): body`` with the globals ``scope``.

    Examples:
        >>> add = build_function("add", ["a", "b"], ["return f(a, b)"], {"f": lambda a, b: a + b})
        >>> add(2, 3)
        5
    """
    source = f"def {name}({', '.join(params)}):\n" + "".join(f"    {line}\n" for line in body)
    namespace = dict(scope)
    exec(compile(source, f"<indexcalc {name}>", "exec"), namespace)  # noqa: S102 - our own source
    function = namespace[name]
    function.__source__ = source  # for debugging: print(program.function.__source__)
    return function


def step_lines(steps: list[tuple], functions: dict, name_of: Callable[[int], str]) -> list[str]:
    """One line per step (``out = fN(args)``, or an assignment for :func:`identity`), then a
    ``del`` of the values it released. ``functions`` collects the step functions by global name.
    """
    lines = []
    for k, (fn, args, out, release) in enumerate(steps):
        call = ", ".join(name_of(a) for a in args)
        if fn is identity:
            lines.append(f"{name_of(out)} = {call}")
        else:
            functions[f"f{k}"] = fn
            lines.append(f"{name_of(out)} = f{k}({call})")
        if release:
            lines.append(f"del {', '.join(name_of(s) for s in release)}")
    return lines


def program_function(steps: list[tuple], inputs: list[tuple[str, int]], constants: dict,
                     output: int, quiet_overflow: bool = True) -> Callable[[Mapping], Any]:
    """``run(arrays)`` computing the program's output from a dict of input arrays by name.

    Args:
        steps: ``(function, argument slots, result slot, slots released after it)`` in order.
        inputs: ``(tensor name, slot)`` for every input.
        constants: slot -> value known before any input (folded constants).
        output: the slot of the result.
        quiet_overflow: run the steps under ``np.errstate(over="ignore", under="ignore")``
            (an overflow to ±inf is a value, not an error; see the stability tests).

    Examples:
        >>> run = program_function([(np.add, (0, 1), 2, (0, 1))], [("a", 0)], {1: 10.0}, 2)
        >>> float(run({"a": np.float64(1.0)}))
        11.0
    """
    read = {a for _, args, _, _ in steps for a in args} | {output}
    scope: dict[str, Any] = {"_errstate": np.errstate}
    body = [f"v{slot} = arrays[{name!r}]" for name, slot in inputs if slot in read]
    for slot, value in constants.items():
        if slot in read:
            scope[f"k{slot}"] = value
            body.append(f"v{slot} = k{slot}")
    lines = step_lines(steps, scope, lambda s: f"v{s}") + [f"return v{output}"]
    if quiet_overflow and steps:
        body.append('with _errstate(over="ignore", under="ignore"):')
        body += ["    " + line for line in lines]
    else:
        body += lines
    return build_function("run", ["arrays"], body, scope)
