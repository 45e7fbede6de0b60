"""One check that LaTeX the library writes is well formed, shared by the rendering tests."""

import re

#: Every command the library's LaTeX may use; anything else is a typo or an unescaped name.
KNOWN = {r"\sum", r"\delta", r"\sigma", r"\tanh", r"\exp", r"\log", r"\sin", r"\cos", r"\sqrt",
         r"\operatorname", r"\mathrm", r"\mathbf", r"\mathbb", r"\mathsf", r"\left", r"\right", r"\lvert",
         r"\rvert", r"\mapsto", r"\det", r"\text", r"\begin", r"\end", r"\quad", r"\partial",
         r"\to", r"\circ", r"\oslash", r"\otimes", r"\top", r"\cdot", r"\frac", r"\hat", r"\,"}


def assert_well_formed(tex: str) -> None:
    """Balanced braces and ``\\left``/``\\right``, and only known commands."""
    depth = 0
    for ch in tex:
        depth += {"{": 1, "}": -1}.get(ch, 0)
        assert depth >= 0, tex
    assert depth == 0, tex
    assert tex.count(r"\left") == tex.count(r"\right"), tex
    unknown = set(re.findall(r"\\[A-Za-z]+|\\,", tex)) - KNOWN
    assert not unknown, (unknown, tex)
