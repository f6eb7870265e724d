"""The map legend (plain Dash HTML; every text is passed in translated)."""

from __future__ import annotations

from collections.abc import Mapping

from dash import html

from layers import styles


def _swatch(colour: str, shape: str) -> html.Span:
    return html.Span(className=f"gd-swatch gd-swatch-{shape}", style={"background": colour})


def build(labels: Mapping[str, str]) -> html.Div:
    """Legend for grid types, unit types, incident priorities and platforms."""

    def section(title: str, items: list[tuple[str, str, str]]) -> html.Div:
        return html.Div(
            [html.Div(title, className="gd-legend-title")]
            + [
                html.Div([_swatch(c, s), html.Span(t)], className="gd-legend-row")
                for t, c, s in items
            ],
            className="gd-legend-section",
        )

    return html.Div(
        [
            section(
                labels["legend.grids"],
                [(labels[f"grid_type.{k}"], c, "box") for k, c in styles.GRID_TYPE_COLOURS.items()],
            ),
            section(
                labels["legend.incidents"],
                [(labels[f"priority.{k}"], c, "dot") for k, c in styles.PRIORITY_COLOURS.items()],
            ),
            section(
                labels["legend.units"],
                [(labels[f"unit_type.{k}"], c, "dot") for k, c in styles.UNIT_TYPE_COLOURS.items()]
                + [(labels["layer.platforms"], styles.PLATFORM_COLOUR, "square")],
            ),
        ],
        className="gd-legend",
        id="legend",
    )
