"""Small OpenStreetMap extracts written by tests: OSM XML from nodes and ways."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def osm_xml(
    nodes: Mapping[int, tuple[float, float]],
    ways: Sequence[tuple[int, Sequence[int], Mapping[str, str]]],
) -> str:
    """OSM XML of ``nodes`` (id -> (lon, lat)) and ``ways`` ((id, node ids, tags))."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    out += [f'<node id="{i}" version="1" lat="{y}" lon="{x}"/>' for i, (x, y) in nodes.items()]
    for wid, refs, tags in ways:
        out.append(f'<way id="{wid}" version="1">')
        out += [f'<nd ref="{r}"/>' for r in refs]
        out += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        out.append("</way>")
    return "\n".join(out + ["</osm>"])
