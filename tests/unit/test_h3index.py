from __future__ import annotations

import numpy as np
import pytest

from geo import h3index
from geo.errors import InvalidInput


def test_cells_refuse_nan() -> None:
    with pytest.raises(InvalidInput):
        h3index.cells([np.nan], [113.1], 9)
    with pytest.raises(InvalidInput):
        h3index.cells([27.8, 27.9], [113.1], 9)


def test_cell_of_matches_h3() -> None:
    import h3

    c = h3index.cell_of(27.83, 113.13, 12)
    assert h3.int_to_str(c) == h3.latlng_to_cell(27.83, 113.13, 12)
    assert c > 0  # fits a signed bigint


def test_parent_cells_match_h3() -> None:
    import h3
    import numpy as np

    from geo.h3index import parent_cells

    cells = [h3.latlng_to_cell(27.8 + i / 700, 113.1 + i / 900, 10) for i in range(50)]
    ints = np.array([h3.str_to_int(c) for c in cells], dtype=np.uint64).view(np.int64)
    got = parent_cells(ints, 9).view(np.uint64)
    assert [h3.int_to_str(int(x)) for x in got] == [h3.cell_to_parent(c, 9) for c in cells]
