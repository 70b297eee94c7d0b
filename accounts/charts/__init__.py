"""Server-side inline SVG charts, so dashboards need no JavaScript chart library.

Pure Python: no Django import, no I/O. Every function returns a complete ``<svg>`` string that is
responsive (``width="100%"`` + ``viewBox``), accessible (``role="img"``, ``<title>``, ``<desc>`` with
the data in words, a ``<title>`` tooltip on every mark) and deterministic (same input, same bytes).
The returned string carries ``__html__`` so Django and Jinja templates insert it without escaping;
every piece of caller text inside it is XML-escaped here.

Only presentation attributes are used (no ``style`` attribute, no ``<style>`` element), so the charts
work under a strict Content-Security-Policy.

Modules: ``svg`` (escaped text, attributes, the frame, markers), ``colours``, ``scales`` (axis ticks),
``frame`` (title, legend, description, empty state), then one module per chart kind. Names with a
leading underscore are shared between these modules only; the public names are the ones below.
"""

from accounts.charts.bar import bar_chart
from accounts.charts.box import Box, box_chart
from accounts.charts.colours import LEVEL_COLORS, PALETTE, text_color_on
from accounts.charts.frame import empty_chart
from accounts.charts.funnel import funnel_chart
from accounts.charts.line import line_chart
from accounts.charts.radar import radar_chart
from accounts.charts.svg import FONT_FAMILY, SVGChart

__all__ = [
    "FONT_FAMILY",
    "LEVEL_COLORS",
    "PALETTE",
    "Box",
    "SVGChart",
    "bar_chart",
    "box_chart",
    "empty_chart",
    "funnel_chart",
    "line_chart",
    "radar_chart",
    "text_color_on",
]
