"""MkDocs hook: the site's TeX becomes MathML when the site is built, so math shows with no network.

``pymdownx.arithmatex`` (generic mode) wraps each formula as ``<span class="arithmatex">\\(…\\)</span>``
(inline) or ``<div class="arithmatex">\\[…\\]</div>`` (display). This hook replaces every such
element with the MathML that the pure-Python ``latex2mathml`` writes; browsers render MathML
natively (Chromium since 109, Firefox, Safari), so no script and no CDN are needed. A formula
``latex2mathml`` cannot read fails the build with the page and the formula (``mkdocs build
--strict`` reports it), instead of leaving raw TeX on the page.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert
from mkdocs.exceptions import PluginError

_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.S)
_DELIMITED = re.compile(r"^\s*(\\\(|\\\[|\$\$)(.*?)(\\\)|\\\]|\$\$)\s*$", re.S)


def tex_to_mathml(element_html: str, display: bool) -> str:
    """The MathML of one arithmatex element's content (its TeX between ``\\(…\\)`` or ``\\[…\\]``)."""
    text = html.unescape(element_html)
    match = _DELIMITED.match(text)
    tex = match.group(2) if match else text
    mathml = convert(tex.strip(), display="block" if display else "inline")
    return mathml


def on_page_content(content: str, page, config, files) -> str:  # noqa: ARG001 (the hook's signature)
    """Replace every arithmatex element of a rendered page by MathML."""

    def replace(match: re.Match) -> str:
        display = match.group(1) == "div"
        try:
            mathml = tex_to_mathml(match.group(2), display)
        except Exception as exc:  # latex2mathml raises its own types and bare ones
            raise PluginError(f"{page.file.src_path}: cannot convert {match.group(2)!r} to MathML: "
                              f"{exc}") from None
        tag = "div" if display else "span"
        return f'<{tag} class="arithmatex">{mathml}</{tag}>'

    return _ARITHMATEX.sub(replace, content)
