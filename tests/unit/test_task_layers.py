"""The mass-task map and the trend chart builders, and the drawn-area check."""

from __future__ import annotations

import pandas as pd
import pytest

from geo.errors import InvalidInput
from geo.tasks import GridProgress
from layers import charts
from layers import tasks as task_layers


def square(x: float, y: float) -> dict[str, object]:
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_choropleth_puts_late_grids_last_and_fits_bounds() -> None:
    progress = [GridProgress("A", 4, 1, True), GridProgress("B", 2, 2, False),
                GridProgress("C", 2, 0, False)]  # fmt: skip
    shapes = {"A": square(0, 0), "B": square(1, 0)}  # C has no current outline
    fc = task_layers.choropleth(progress, shapes)
    props = [f["properties"] for f in fc["features"]]
    assert [p["code"] for p in props] == ["B", "A"]
    assert props[0]["share"] == 1.0 and props[1] == {"code": "A", "target": 4, "done": 1,
                                                     "share": 0.25, "late": True}  # fmt: skip
    assert task_layers.bounds(fc) == [[0.0, 0.0], [1.0, 2.0]]
    assert task_layers.bounds({"features": []}) is None


def test_trend_figure_has_bars_and_rate_lines() -> None:
    at = pd.DatetimeIndex(["2026-11-01", "2026-11-02"], tz="Asia/Shanghai")
    frame = pd.DataFrame({"reported": [3, 0], "closed": [2, 0], "closure": [66.7, None],
                          "on_time": [50.0, None]}, index=at)  # fmt: skip
    fig = charts.trend(frame, {k: k for k in ("reported", "closed", "closure", "on_time")})
    kinds = [(t["type"], t.get("yaxis")) for t in fig["data"]]
    assert kinds == [("bar", None), ("bar", None), ("scatter", "y2"), ("scatter", "y2")]
    assert fig["data"][2]["y"] == [66.7, None]  # no rate where nothing was reported


@pytest.mark.parametrize(
    "drawn",
    [
        {"geometry": {"type": "Point", "coordinates": [1, 2]}},
        {"geometry": {"type": "Polygon", "coordinates": "nope"}},
        {"geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 1]]]}},
    ],
)
def test_a_bad_drawn_area_is_refused(drawn: dict[str, object]) -> None:
    from console.pages.tasks import area_of

    with pytest.raises(InvalidInput):
        area_of(drawn)


def test_a_bow_tie_is_mended_and_nothing_drawn_is_none() -> None:
    from console.pages.tasks import area_of

    bow = {"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]}
    area = area_of({"geometry": bow})
    assert area is not None and area.is_valid and area.area == pytest.approx(0.5)
    assert area_of({"geometry": None}) is None and area_of("junk") is None
