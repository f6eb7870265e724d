"""The map layers: one small spec per layer (data URL, JS style functions, hideout, order).

Styling runs in the browser: each layer ships its data plus a ``hideout`` of colours, and the
functions named here live in ``console/assets/griddispatch.js``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dash_leaflet as dl

from layers import styles


@dataclass(frozen=True)
class LayerSpec:
    name: str
    checked: bool
    style: str | None = None  # JS function for paths
    point: str | None = None  # JS function for points
    tooltip: str | None = "griddispatch.tooltip"
    hideout: dict[str, Any] = field(default_factory=dict)
    cluster: bool = False
    interactive: bool = True
    live: bool = False  # filled and kept current by the live channel, not loaded from a URL
    view: bool = False  # filled with what meets the map's view (griddispatch.viewLayers)


LAYERS: dict[str, LayerSpec] = {
    "water": LayerSpec(
        "water",
        True,
        style="griddispatch.waterStyle",
        tooltip=None,
        hideout={"colour": styles.WATER_COLOUR},
        interactive=False,
        view=True,
    ),
    "roads": LayerSpec(
        "roads",
        True,
        style="griddispatch.roadStyle",
        tooltip=None,
        hideout={"styles": styles.ROAD_STYLES},
        interactive=False,
        view=True,
    ),
    "grids": LayerSpec(
        "grids",
        True,
        style="griddispatch.gridStyle",
        hideout={"colours": styles.GRID_TYPE_COLOURS, "selected": None},
        view=True,
    ),
    "communities": LayerSpec(
        "communities",
        False,
        style="griddispatch.boundaryStyle",
        tooltip=None,
        hideout={"colour": "#333", "weight": 2},
        interactive=False,
        view=True,
    ),
    "platforms": LayerSpec(
        "platforms",
        True,
        point="griddispatch.platformPoint",
        hideout={"colour": styles.PLATFORM_COLOUR},
    ),
    "units": LayerSpec(
        "units",
        True,
        point="griddispatch.unitPoint",
        cluster=True,
        hideout={"colours": styles.UNIT_TYPE_COLOURS, "busy": list(styles.UNIT_STATUS_BUSY)},
        live=True,
    ),
    "incidents": LayerSpec(
        "incidents",
        True,
        point="griddispatch.incidentPoint",
        hideout={"colours": styles.PRIORITY_COLOURS},
        live=True,
    ),
}


def _fn(name: str | None) -> dict[str, str] | None:
    return {"variable": name} if name else None


def component(spec: LayerSpec, url: str, *, passive: bool = False) -> dl.GeoJSON:
    """The dash-leaflet GeoJSON component of one layer, loading its data from ``url`` (a live
    layer starts empty: the live channel sends its data when the page connects; so does a
    view layer: the map asks for what is in view).

    ``passive``: the layer takes no clicks (they reach the map below it)."""
    empty = spec.live or spec.view
    source = {"data": {"type": "FeatureCollection", "features": []}} if empty else {"url": url}
    kwargs: dict[str, Any] = {
        "id": f"layer-{spec.name}",
        **source,
        "hideout": spec.hideout,
        "interactive": spec.interactive and not passive,
        "bubblingMouseEvents": False,
    }
    if spec.style:
        kwargs["style"] = _fn(spec.style)
    if spec.point:
        kwargs["pointToLayer"] = _fn(spec.point)
    if spec.tooltip:
        kwargs["onEachFeature"] = _fn(spec.tooltip)
    if spec.cluster:
        kwargs["cluster"] = True
        kwargs["clusterToLayer"] = _fn("griddispatch.clusterPoint")
        kwargs["superClusterOptions"] = {"radius": 60, "maxZoom": 15}
        kwargs["zoomToBoundsOnClick"] = True
    return dl.GeoJSON(**kwargs)


def layers_control(
    labels: dict[str, str],
    url_for: dict[str, str],
    tile_url: str,
    tile_attribution: str,
    passive: frozenset[str] = frozenset(),
    off: frozenset[str] = frozenset(),
) -> dl.LayersControl:
    """Layer switcher: optional base tiles, then every overlay in drawing order.

    ``passive``: names of layers that take no clicks on this page (e.g. the grids on the
    dispatch desk, where a click on the map picks a point); ``off``: layers this page starts
    with unticked (e.g. the live layers over the supervision hexagons)."""
    children: list[Any] = []
    if tile_url:
        children.append(
            dl.BaseLayer(
                dl.TileLayer(url=tile_url, attribution=tile_attribution),
                name=labels["tiles"],
                checked=False,
            )
        )
    for name, spec in LAYERS.items():
        children.append(
            dl.Overlay(
                component(spec, url_for[name], passive=name in passive),
                name=labels[f"layer.{name}"],
                checked=spec.checked and name not in off,
            )
        )
    return dl.LayersControl(children, position="topright", collapsed=False, id="layers-control")
