"""The import validation layer on real files written into tmp_path (no database).

Each refusal must name the file, the row (CSV: the line) and the problem.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pytest
import shapely

from data import io as dio
from data.errors import MAX_PROBLEMS, ImportRejected
from geo.errors import InvalidInput

pytestmark = pytest.mark.filterwarnings(
    "ignore:Column names longer than 10:UserWarning",
    "ignore:'crs' was not provided:UserWarning",
    "ignore:Normalized/laundered field name:RuntimeWarning",
)

BBOX = (112.9, 27.6, 113.4, 28.1)  # Zhuzhou, roughly
COMMUNITY = "430202001001"
CTX = dio.Context(
    region_bbox=BBOX,
    admin={
        "430200": ("city", "430200"),
        "430202": ("district", "430200.430202"),
        "430202001": ("street", "430200.430202.430202001"),
        COMMUNITY: ("community", f"430200.430202.430202001.{COMMUNITY}"),
    },
    grids={"430202001001001": "p"},
    platforms={"KJ001": "430200.430202"},
)


def square(x: float, y: float, d: float = 0.003) -> shapely.Polygon:
    return shapely.box(x, y, x + d, y + d)


def grid_rows(n: int = 3) -> list[dict[str, Any]]:
    return [
        {
            "code": f"{COMMUNITY}{i + 1:03d}",
            "name": f"和平社区第{i + 1}网格",
            "type": "residential",
            "community_code": COMMUNITY,
            "households": 500 + i,
            "population": 1400,
            "geometry": square(113.10 + 0.004 * i, 27.80),
        }
        for i in range(n)
    ]


def write(path: Path, rows: list[dict[str, Any]], crs: Any = 4326, **kw: Any) -> Path:
    gpd.GeoDataFrame(rows, geometry="geometry", crs=crs).to_file(path, **kw)
    return path


def rejected(call: Any) -> ImportRejected:
    with pytest.raises(ImportRejected) as exc:
        call()
    assert isinstance(exc.value, InvalidInput)  # the console maps it to a 4xx
    return exc.value


def test_good_geojson_is_prepared(tmp_path: Path) -> None:
    rows = grid_rows()
    del rows[0]["type"]  # optional column: default
    p = dio.validate_grids(write(tmp_path / "grids.geojson", rows), context=CTX)
    f = p.frame
    assert len(f) == 3 and f["_row"].tolist() == [1, 2, 3]
    assert set(shapely.get_type_id(f["geom"].to_numpy())) == {6}  # MultiPolygon
    assert f["type"].tolist()[0] == "residential" and f["zone_class"].tolist() == ["other"] * 3
    assert f["households"].tolist() == [500, 501, 502]


def test_bow_tie_is_invalid_geometry(tmp_path: Path) -> None:
    rows = grid_rows()
    rows[1]["geometry"] = shapely.Polygon(
        [(113.1, 27.8), (113.11, 27.81), (113.11, 27.8), (113.1, 27.81), (113.1, 27.8)]
    )
    err = rejected(lambda: dio.validate_grids(write(tmp_path / "grids.geojson", rows), context=CTX))
    assert len(err.problems) == 1
    file, row, column, message = err.problems[0]
    assert (file, row, column) == ("grids.geojson", 2, None)
    assert message.startswith("invalid geometry (Self-intersection")
    msg = err.user_message
    assert "grids.geojson row 2: invalid geometry (Self-intersection[113.105 27.805])" in msg


def test_missing_column_is_named_and_mapping_fixes_it(tmp_path: Path) -> None:
    rows = grid_rows()
    for r in rows:
        r["社区编码"] = r.pop("community_code")
    path = write(tmp_path / "grids.gpkg", rows, driver="GPKG")
    err = rejected(lambda: dio.validate_grids(path, context=CTX))
    assert "grids.gpkg: missing required column community_code" in err.user_message
    assert err.problems[0].row is None
    ok = dio.validate_grids(path, mapping={"社区编码": "community_code"}, context=CTX)
    assert ok.frame["community_code"].tolist() == [COMMUNITY] * 3
    bad_map = rejected(lambda: dio.validate_grids(path, mapping={"nope": "code"}, context=CTX))
    assert "the mapping names column 'nope'" in bad_map.user_message


def test_other_crs_is_reprojected(tmp_path: Path) -> None:
    rows = grid_rows()
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_crs(3857)
    frame.to_file(tmp_path / "grids_3857.gpkg", driver="GPKG")
    p = dio.validate_grids(tmp_path / "grids_3857.gpkg", context=CTX)
    got = shapely.bounds(p.frame["geom"].to_numpy()[0])
    assert np.allclose(got, shapely.bounds(rows[0]["geometry"]), atol=1e-9)


def test_no_crs_with_metre_coordinates_is_refused(tmp_path: Path) -> None:
    rows = grid_rows()
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326).to_crs(32649)
    frame = frame.set_crs(None, allow_override=True)
    frame.to_file(tmp_path / "grids.shp")
    assert not (tmp_path / "grids.prj").exists()
    err = rejected(lambda: dio.validate_grids(tmp_path / "grids.shp", context=CTX))
    assert err.user_message.startswith("Import refused: 1 problem in grids.shp")
    assert "grids.shp: wrong or missing CRS" in err.user_message
    assert "row 1" in err.user_message  # the first offending feature is named


def test_no_crs_with_degrees_is_assumed_wgs84(tmp_path: Path) -> None:
    frame = gpd.GeoDataFrame(grid_rows(), geometry="geometry", crs=None)
    frame.to_file(tmp_path / "grids.shp")
    assert len(dio.validate_grids(tmp_path / "grids.shp", context=CTX).frame) == 3


def test_outside_region(tmp_path: Path) -> None:
    rows = grid_rows()
    rows[2]["geometry"] = square(121.47, 31.23)  # Shanghai
    err = rejected(lambda: dio.validate_grids(write(tmp_path / "g.geojson", rows), context=CTX))
    assert "g.geojson row 3: coordinates outside the region (121.470000, 31.230000" in str(err)
    assert "swapped" not in str(err)


def test_lat_lon_swapped(tmp_path: Path) -> None:
    rows = grid_rows()
    rows[0]["geometry"] = shapely.transform(rows[0]["geometry"], lambda xy: xy[:, ::-1])
    err = rejected(lambda: dio.validate_grids(write(tmp_path / "g.geojson", rows), context=CTX))
    assert "g.geojson row 1: latitude/longitude look swapped" in str(err)


def test_unknown_enum_bad_number_and_duplicates_all_reported(tmp_path: Path) -> None:
    rows = grid_rows(4)
    rows[0]["type"] = "Castle"
    rows[1]["households"] = -5
    rows[3]["code"] = rows[2]["code"]
    rows[3]["community_code"] = "430202001999"
    err = rejected(lambda: dio.validate_grids(write(tmp_path / "g.geojson", rows), context=CTX))
    text = str(err)
    assert (
        "g.geojson row 1, column type: unknown value 'Castle' (expected one of residential" in text
    )
    assert "g.geojson row 2, column households: must be a whole number >= 0 (got -5)" in text
    assert "g.geojson row 4, column code: duplicate code 430202001001003 (also in row 3)" in text
    assert "row 4, column community_code: community 430202001999 is not in admin_units" in text
    assert len(err.problems) == 4
    assert {p.row for p in err.problems} == {1, 2, 4}


def test_problem_list_is_capped(tmp_path: Path) -> None:
    rows = grid_rows(MAX_PROBLEMS + 10)
    for r in rows:
        r["zone_class"] = "nowhere"
    err = rejected(lambda: dio.validate_grids(write(tmp_path / "g.geojson", rows), context=CTX))
    assert len(err.problems) == MAX_PROBLEMS and err.more == 10
    assert str(err).endswith("... and 10 more")


def test_wrong_geometry_type(tmp_path: Path) -> None:
    rows = grid_rows(1)
    rows[0]["geometry"] = shapely.Point(113.1, 27.8)
    err = rejected(lambda: dio.validate_grids(write(tmp_path / "g.geojson", rows), context=CTX))
    assert "g.geojson row 1: geometry is a Point, expected a Polygon or MultiPolygon" in str(err)


def test_admin_units_hierarchy(tmp_path: Path) -> None:
    rows = [
        {"code": "430202002", "name": "新街道", "level": "street", "parent_code": "430202"},
        {"code": "430202002001", "name": "新社区", "level": "community",
         "parent_code": "430202002"},
        {"code": "430202002002", "name": "错社区", "level": "community", "parent_code": "430202"},
        {"code": "4302020020", "name": "坏编码", "level": "community", "parent_code": "430202002"},
    ]  # fmt: skip
    for i, r in enumerate(rows):
        r["geometry"] = square(113.1 + 0.01 * i, 27.8)
    path = write(tmp_path / "admin.geojson", rows)
    err = rejected(lambda: dio.validate_admin_units(path, context=CTX))
    text = str(err)
    assert (
        "admin.geojson row 3, column parent_code: the parent of a community must be a "
        "street; 430202 is a district" in text
    )
    assert "admin.geojson row 4, column code: '4302020020' is not a valid code" in text
    ok = dio.validate_admin_units(write(tmp_path / "ok.geojson", rows[:2]), context=CTX)
    assert ok.frame["path"].tolist() == [
        "430200.430202.430202002",
        "430200.430202.430202002.430202002001",
    ]


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_bad_number_names_the_line(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "platforms.csv",
        "code,name,lon,lat,members,vehicles\n"
        "KJ101,荷塘快警平台,113.15,27.86,30,8\n"
        "KJ102,芦淞快警平台,113.16,27.82,thirty,8\n",
    )
    err = rejected(lambda: dio.validate_platforms_csv(path, context=CTX))
    assert err.problems[0][:3] == ("platforms.csv", 3, "members")
    assert "platforms.csv line 3, column members: must be a number (got 'thirty')" in str(err)
    assert "CSV line numbers count the header as line 1" in str(err)


def test_csv_swapped_outside_and_unknown_grid(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "platforms.csv",
        "\ufeffcode;name;纬度;经度;grids\n"  # BOM, semicolons, Chinese lat/lon headers
        "KJ101;荷塘快警平台;27.86;113.15;430202001001001\n"
        "KJ102;芦淞快警平台;113.16;27.82;\n"
        "KJ103;上海;31.23;121.47;430202001001999\n",
    )
    err = rejected(lambda: dio.validate_platforms_csv(path, context=CTX))
    text = str(err)
    assert "platforms.csv line 3: latitude/longitude look swapped" in text
    assert "platforms.csv line 4: coordinates outside the region" in text
    assert "platforms.csv line 4, column grids: grid 430202001001999 does not exist" in text


def test_csv_gbk_multiline_and_gcj02(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "platforms.csv",
        'code,name,lon,lat\nKJ101,"荷塘\n快警平台",113.15,27.86\nKJ102,芦淞,113.16,x\n',
        encoding="gbk",
    )
    err = rejected(lambda: dio.validate_platforms_csv(path, context=CTX))
    assert "platforms.csv line 4, column lat: must be a number (got 'x')" in str(err)
    good = write_csv(tmp_path / "p.csv", "code,name,lng,lat\nKJ101,荷塘,113.15,27.86\n", "gbk")
    wgs = dio.validate_platforms_csv(good, context=CTX).frame
    gcj = dio.validate_platforms_csv(good, context=CTX, gcj02=True).frame
    assert wgs["name"].tolist() == ["荷塘"]
    assert gcj["lon"].iloc[0] < 113.15 - 0.003  # GCJ-02 lies east: WGS-84 is west of it


def test_units_csv(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "units.csv",
        "call_sign,type,agency,platform,lon,lat\n"
        "荷塘快警1,patrol_car,police,KJ001,113.15,27.86\n"
        "荷塘快警2,patrol_car,cops,KJ001,,\n"
        "荷塘快警3,foot_patrol,police,KJ999,113.15,\n"
        "荷塘快警1,patrol_car,police,,,\n",
    )
    text = str(rejected(lambda: dio.validate_units_csv(path, context=CTX)))
    assert "units.csv line 3, column agency: unknown value 'cops'" in text
    assert "units.csv line 4: give both lon and lat, or neither" in text
    assert "units.csv line 4, column platform: platform KJ999 does not exist" in text
    assert (
        "units.csv line 5, column call_sign: duplicate call sign 荷塘快警1 (also in line 2)" in text
    )


def test_roads_geojson_with_highway_tags(tmp_path: Path) -> None:
    fc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"highway": "primary", "name": "建设路"},
             "geometry": {"type": "LineString", "coordinates": [[113.1, 27.8], [113.11, 27.8]]}},
            {"type": "Feature", "properties": {"highway": "proposed"},
             "geometry": {"type": "LineString", "coordinates": [[113.1, 27.8], [113.1, 27.81]]}},
            {"type": "Feature", "properties": {"highway": "footway", "bridge": "yes"},
             "geometry": {"type": "MultiLineString", "coordinates": [
                 [[113.1, 27.8], [113.1, 27.81]], [[113.2, 27.8], [113.2, 27.81]]]}},
        ],
    }  # fmt: skip
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps(fc))
    f = dio.validate_roads(path, context=CTX).frame
    assert f["class"].tolist() == ["primary", "footway", "footway"]  # proposed left out
    assert f["bridge"].tolist() == [False, True, True]
    assert f["_row"].tolist() == [1, 3, 3]
    assert set(shapely.get_type_id(f["geom"].to_numpy())) == {1}  # LineString parts


def test_unsupported_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="unsupported file type .kml"):
        dio.validate_grids(tmp_path / "grids.kml")
    err = rejected(lambda: dio.validate_grids(tmp_path / "nothing.geojson"))
    assert "nothing.geojson: file not found" in str(err)
    (tmp_path / "broken.geojson").write_text("{not json")
    err = rejected(lambda: dio.validate_grids(tmp_path / "broken.geojson"))
    assert "broken.geojson: cannot be read as GeoJSON" in str(err)


SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


def test_sample_files_validate() -> None:
    p = dio.validate_platforms_csv(SAMPLES / "platforms.csv", context=CTX)
    assert p.frame["code"].tolist() == ["KJ901", "KJ902"]
    u = dio.validate_units_csv(SAMPLES / "units.csv", context=dio.Context(region_bbox=BBOX))
    assert u.frame["geom"].isna().tolist() == [False, True, False]


def test_enums_mirror_the_schema() -> None:
    import re

    from data.io import _specs

    migrations = sorted((Path(__file__).resolve().parents[2] / "geo/db/sql").glob("*.sql"))
    flat = " ".join(migrations[0].read_text().split())
    later = " ".join(" ".join(m.read_text().split()) for m in migrations[1:])

    def values(table: str, column: str) -> tuple[str, ...]:
        """The column's allowed values as the last migration that set them left them."""
        changed = re.findall(rf"ALTER TABLE {table}[^;]*? ADD (?:CONSTRAINT {table}_{column}_check "
                             rf"CHECK|COLUMN {column} \w+ [^,;]*?CHECK) \({column} IN \(([^)]*)\)",
                             later)  # fmt: skip
        if changed:
            return tuple(v.strip(" '") for v in changed[-1].split(","))
        body = flat[flat.index(f"CREATE TABLE {table} ") :]
        m = re.search(rf"\b{column} \w+ .*?CHECK \({column} IN \(([^)]*)\)", body)
        assert m, (table, column)
        return tuple(v.strip(" '") for v in m.group(1).split(","))

    assert values("grids", "type") == _specs.GRID_TYPES
    assert values("grids", "zone_class") == _specs.ZONE_CLASSES
    assert values("admin_units", "level") == _specs.LEVELS
    assert values("units", "type") == _specs.UNIT_TYPES
    assert values("units", "agency") == _specs.AGENCIES
    assert values("units", "status") == _specs.UNIT_STATUSES
    assert values("roads", "class") == _specs.ROAD_CLASSES
    assert values("water", "kind") == _specs.WATER_KINDS
    assert values("roads", "car") == _specs.CAR_ACCESS
