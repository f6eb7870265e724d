"""The demo-city generator: deterministic, nested admin units, grids that tile communities."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pytest
import shapely

from data.demo import generate
from tests.conftest import TEST_NOW, TEST_SEED


def _digest(city) -> str:  # type: ignore[no-untyped-def]
    h = hashlib.sha256()
    h.update(b"".join(shapely.to_wkb(city.grids["geom"].to_numpy())))
    h.update(city.grids[["code", "households", "population", "type"]].to_csv().encode())
    h.update(city.incidents.drop(columns=["geom"]).to_csv().encode())
    h.update(city.units.drop(columns=["geom"]).to_csv().encode())
    return h.hexdigest()


def test_same_seed_same_city(tiny_city) -> None:  # type: ignore[no-untyped-def]
    again = generate("tiny", TEST_SEED, TEST_NOW)
    assert _digest(again) == _digest(tiny_city)
    other = generate("tiny", TEST_SEED + 1, TEST_NOW)
    assert _digest(other) != _digest(tiny_city)


def test_unknown_size_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo size"):
        generate("galaxy", 1, TEST_NOW)


def _check_tiling(city) -> None:  # type: ignore[no-untyped-def]
    grids = city.grids
    geoms = grids["geom"].to_numpy()
    assert shapely.is_valid(geoms).all()
    admin = city.admin_units.set_index("code")
    for code, members in grids.groupby("community_code"):
        comm = admin.loc[code, "geom"]
        parts = members["geom"].to_numpy()
        union = shapely.union_all(parts)
        total = shapely.area(parts).sum()
        # No overlaps: the parts' areas add up to the union; no gaps: the union is the community.
        assert total == pytest.approx(union.area, rel=1e-7)
        assert union.symmetric_difference(comm).area < 1e-9 * comm.area + 1e-14
    # Children nest in parents by code and path.
    for _, row in admin.iterrows():
        if isinstance(row["parent_code"], str):
            # District codes share the city's first four digits (430211 in 430200).
            prefix = row["parent_code"][:4] if row["level"] == "district" else row["parent_code"]
            assert str(row.name).startswith(prefix)
            assert row["path"].endswith(f"{row['parent_code']}.{row.name}")
    assert grids["code"].is_unique
    assert all(
        c.startswith(cc) for c, cc in zip(grids["code"], grids["community_code"], strict=True)
    )


def test_tiny_city_tiles_its_communities(tiny_city) -> None:  # type: ignore[no-untyped-def]
    _check_tiling(tiny_city)


def test_city_scale_matches_the_field() -> None:
    city = generate("city", 20261122, dt.datetime(2026, 11, 22, tzinfo=dt.UTC))
    _check_tiling(city)
    admin = city.admin_units
    levels = admin["level"].value_counts()
    assert levels["district"] >= 4
    assert 25 <= levels["street"] <= 40
    assert 170 <= levels["community"] <= 260
    assert 3000 <= len(city.grids) <= 3700
    res = city.grids[city.grids["type"] == "residential"]
    assert res["households"].between(300, 1000).all()
    assert set(city.grids["type"]) >= {"residential", "school", "market", "enterprise", "hospital"}
    assert len(city.platforms) == 10
    assert city.platform_grids.groupby("platform_id").size().min() >= 3
    units = city.units["type"].value_counts()
    assert units["grid_worker"] == len(city.grids)
    assert 250 <= units["patrol_car"] + units["foot_patrol"] <= 350
    assert units["fire_engine"] > 0 and units["ambulance"] > 0
    assert 90_000 <= len(city.incidents) <= 110_000
    # A river with a handful of bridges.
    over_river = city.roads["bridge"] & (city.roads["class"] == "primary")
    assert 3 <= int(over_river.sum()) <= 8
    # Daily rhythm: more reports at 10:00 than at 04:00 (Beijing time = UTC+8).
    hours = (city.incidents["reported_at"].dt.hour + 8) % 24
    assert (hours == 10).sum() > 4 * (hours == 4).sum()
    closed = (city.incidents["status"] == "closed").mean()
    assert 0.98 < closed < 1.0
    # Every incident lies inside the grid it is filed under.
    sample = city.incidents.sample(2000, random_state=1)
    gg = city.grids.set_index("code").loc[sample["grid_code"], "geom"].to_numpy()
    assert shapely.covers(gg, sample["geom"].to_numpy()).all()
    assert np.isin(sample["category"], list(set(city.incidents["category"]))).all()
