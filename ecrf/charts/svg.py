"""A Drawing as an SVG element to inline in a page: no script, no external reference, no document type (an HTML
page holds elements, not documents), its own title for screen readers, and nothing named page-wide (reportlab
names its clip path "clip" in every drawing; several charts on one page would share the first one's).

Styles are written as presentation attributes (fill="...", not style="fill: ..."): the app's Content Security
Policy (style-src 'self') ignores inline style attributes, and presentation attributes are not styles.

Text is escaped by the XML writer (reportlab's renderSVG builds a DOM), so a label holding ``<`` or ``&`` is shown
as typed.
"""
from __future__ import annotations

from reportlab.graphics import renderSVG
from reportlab.graphics.shapes import Drawing

#: the PDF's standard fonts as the families a browser has (an unknown family falls back to a serif)
_SANS = "Helvetica, Arial, 'Liberation Sans', sans-serif"
FONTS = {"Helvetica": {"family": _SANS}, "Helvetica-Bold": {"family": _SANS, "weight": "bold"}}


def to_svg(drawing: Drawing, title: str) -> str:
    """The drawing as one ``<svg>`` element that scales to its container's width."""
    canvas = renderSVG.SVGCanvas((drawing.width, drawing.height), useClip=True,
                                 fontHacks={k: dict(v) for k, v in FONTS.items()})
    renderSVG.draw(drawing, canvas)
    svg = canvas.svg
    for tag, words in (("title", title), ("desc", title)):
        node = svg.getElementsByTagName(tag)[0]
        node.firstChild.data = words
    canvas.groupTree.removeAttribute("id")
    _presentation(svg)
    svg.removeAttribute("width")
    svg.removeAttribute("height")
    svg.setAttribute("role", "img")
    svg.setAttribute("class", "chart")
    return svg.toxml()


def _presentation(node) -> None:
    """Every ``style="k: v; ..."`` under ``node`` as attributes ``k="v"``."""
    for element in node.getElementsByTagName("*"):
        style = element.getAttribute("style")
        if not style:
            continue
        element.removeAttribute("style")
        for part in style.split(";"):
            name, _, value = part.partition(":")
            if name.strip() and value.strip():
                element.setAttribute(name.strip(), value.strip())
