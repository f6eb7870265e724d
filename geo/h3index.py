"""H3 helpers.

H3 cells are stored beside geometries as signed bigint (PostgreSQL has no unsigned 64-bit
type; every valid H3 index is below 2**63, so the value is the same). Stored point cells use
:data:`STORE_RES`; coarser cells (routing, hexbins) are their parents.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

try:  # the Cython function itself: a third faster than the public wrapper, same answers
    from h3._cy import latlng_to_cell as _latlng_to_cell
except ImportError:  # pragma: no cover - another h3 build
    from h3.api.basic_int import latlng_to_cell as _latlng_to_cell

from geo.errors import InvalidInput

log = logging.getLogger(__name__)

STORE_RES = 12  # resolution of the h3 columns (edge ~9 m)


def cells(
    lat: np.ndarray | Sequence[float], lng: np.ndarray | Sequence[float], res: int
) -> np.ndarray:
    """H3 cells (int64) of points given as latitude and longitude arrays.

    Latitude comes first, as in h3 itself; the caller is responsible for not swapping them
    (see :func:`geo.coords.check_lonlat`). NaN coordinates raise :class:`InvalidInput`.

    Parameters
    ----------
    lat, lng : array_like
        Latitudes and longitudes in degrees, 1-d and of the same length.
    res : int
        H3 resolution, 0 to 15.

    Returns
    -------
    numpy.ndarray
        int64 H3 cell per point (1-d).

    Raises
    ------
    InvalidInput
        The arrays differ in shape, or a coordinate is not finite.
    """
    la = np.asarray(lat, dtype=float)
    ln = np.asarray(lng, dtype=float)
    if la.shape != ln.shape:
        raise InvalidInput("latitude and longitude arrays differ in length", code="coords.lengths")
    if not (np.isfinite(la).all() and np.isfinite(ln).all()):
        raise InvalidInput("coordinates must be finite numbers", code="coords.finite")
    out = np.fromiter(
        map(_latlng_to_cell, la.tolist(), ln.tolist(), [res] * la.size),
        dtype=np.uint64,
        count=la.size,
    )
    return out.view(np.int64)


def cell_of(lat: float, lng: float, res: int = STORE_RES) -> int:
    """H3 cell (int) of one point.

    Parameters
    ----------
    lat, lng : float
        The point in degrees, latitude first.
    res : int
        H3 resolution; default :data:`STORE_RES`.

    Returns
    -------
    int
        The H3 index as a (non-negative) int.

    Raises
    ------
    InvalidInput
        A coordinate is not finite.
    """
    return int(cells([lat], [lng], res)[0])


def parent_cells(cells: npt.NDArray[np.int64], res: int) -> npt.NDArray[np.int64]:
    """The resolution-``res`` parent of each H3 cell (bit arithmetic, vectorized): the
    resolution field set to ``res`` and every finer digit set to 7 (unused).

    Parameters
    ----------
    cells : numpy.ndarray
        H3 cells (int64) at resolution ``res`` or finer.
    res : int
        The parent resolution.

    Returns
    -------
    numpy.ndarray
        int64 parent cell of each cell, of the input shape.
    """
    h = cells.view(np.uint64)
    h = (h & ~np.uint64(0xF << 52)) | np.uint64(res << 52)
    return (h | np.uint64((1 << (3 * (15 - res))) - 1)).view(np.int64)
