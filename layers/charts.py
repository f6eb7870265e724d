"""Charts as plain Plotly figure dicts (drawn by dcc.Graph, whose Plotly.js ships with
Dash: no CDN)."""

from __future__ import annotations

from typing import Any

import pandas as pd


def trend(frame: pd.DataFrame, labels: dict[str, str]) -> dict[str, Any]:
    """Cases reported and closed per bin (bars) with the closure and on-time closure rates
    (lines, right axis) from :func:`geo.kpis.trend`. ``labels`` names the four series."""
    x = [t.isoformat() for t in frame.index]

    def col(name: str) -> list[Any]:
        return [None if pd.isna(v) else round(float(v), 2) for v in frame[name]]

    return {
        "data": [
            {
                "type": "bar",
                "x": x,
                "y": col("reported"),
                "name": labels["reported"],
                "marker": {"color": "#9ecae1"},
            },
            {
                "type": "bar",
                "x": x,
                "y": col("closed"),
                "name": labels["closed"],
                "marker": {"color": "#3182bd"},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": col("closure"),
                "yaxis": "y2",
                "name": labels["closure"],
                "line": {"color": "#31a354"},
            },
            {
                "type": "scatter",
                "mode": "lines",
                "x": x,
                "y": col("on_time"),
                "yaxis": "y2",
                "name": labels["on_time"],
                "line": {"color": "#e6550d"},
            },
        ],  # fmt: skip
        "layout": {
            "barmode": "group",
            "height": 220,
            "margin": {"l": 36, "r": 36, "t": 8, "b": 28},
            "legend": {"orientation": "h", "y": -0.25, "font": {"size": 10}},
            "yaxis": {"rangemode": "tozero"},
            "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 100], "ticksuffix": "%"},
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }
