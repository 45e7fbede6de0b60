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
    exec(compile(source, f"<indexcalc {name}>", "exec"), namespace)  # noqa: S102 - our source
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


def interpret(steps: list[tuple], inputs: list[tuple[str, int]], constants: dict, output: int,
              size: int, arrays: Mapping) -> Any:
    """The program's output, the steps run one by one from a list of slots (no code generated:
    what the first calls of a program use, see :class:`indexcalc.evaluation.programs.Program`).

    Examples:
        >>> float(interpret([(np.add, (0, 1), 2, (0, 1))], [("a", 0)], {1: 10.0}, 2, 3,
        ...                 {"a": np.float64(1.0)}))
        11.0
    """
    vals: list = [None] * size
    for s, v in constants.items():
        vals[s] = v
    for name, s in inputs:
        vals[s] = arrays[name]
    with np.errstate(over="ignore", under="ignore"):
        for fn, args, out, release in steps:
            vals[out] = fn(*[vals[a] for a in args])
            for s in release:
                vals[s] = None
    return vals[output]


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
    if len(steps) > CHUNK:
        return _chunked_function(steps, inputs, constants, output, quiet_overflow)
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


#: Steps per generated function: Python compiles a function in time growing faster than its
#: length (about 20 µs a step up to a few hundred steps, 80 µs past a thousand, measured on a
#: chain of one-argument calls), so a long program is written as functions of this many steps,
#: passing values through a list.
CHUNK = 200


def _chunked_function(steps: list, inputs: list, constants: dict, output: int,
                      quiet_overflow: bool) -> Callable[[Mapping], Any]:
    """:func:`program_function` for a long program: one generated function per :data:`CHUNK`
    steps, each loading the values it reads from the list of slots and storing those read
    later; a value read for the last time in a chunk is cleared from the list as it is loaded,
    so it is still released after its last reader."""
    last_read: dict[int, int] = {output: len(steps)}
    for i, (_, args, _, _) in enumerate(steps):
        for a in args:
            last_read[a] = max(last_read.get(a, -1), i)
    chunks = []
    for start in range(0, len(steps), CHUNK):
        part = steps[start:start + CHUNK]
        end = start + len(part)
        written: set[int] = set()
        loads, body, scope = [], [], {}
        for _, args, out, _ in part:
            for a in args:
                if a not in written and a not in loads:
                    loads.append(a)
            written.add(out)
        for a in loads:
            clear = last_read[a] < end and a != output
            body.append(f"v{a} = vals[{a}]" + (f"; vals[{a}] = None" if clear else ""))
        body += step_lines(part, scope, lambda s: f"v{s}")
        alive = [s for s in sorted(written) if last_read.get(s, -1) >= end]
        body += [f"vals[{s}] = v{s}" for s in alive] or ["pass"]
        chunks.append(build_function(f"chunk{start // CHUNK}", ["vals"], body, scope))
    size = 1 + max([output, *constants, *(s for _, s in inputs),
                    *(out for _, _, out, _ in steps)])
    quiet = np.errstate if quiet_overflow else None

    def run(arrays: Mapping) -> Any:
        vals: list = [None] * size
        for slot, value in constants.items():
            vals[slot] = value
        for name, slot in inputs:
            vals[slot] = arrays[name]
        if quiet is None:
            for chunk in chunks:
                chunk(vals)
        else:
            with quiet(over="ignore", under="ignore"):
                for chunk in chunks:
                    chunk(vals)
        return vals[output]
    return run
