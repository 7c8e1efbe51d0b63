"""The shutter: each pixel's own exposure time, as an iris or a blade opens and closes.

`light_scale` is the hook of step 1 of the read-out (`ccdsim.readout`): each
pixel's light relative to the nominal exposure, ``(t + offset(x, y)) / t``.
The nominal exposure ``t`` is what the centre of an iris (the first column
for a blade) gets; elsewhere the shutter uncovers the pixel later and covers
it earlier, so ``offset <= 0`` (seconds). Off by default (``shutter_delay``
0: an ideal shutter, None).

An iris: ``offset = -delay * rho * (1 + STARFISH * cos(blades * theta))``,
``rho`` the distance from the centre over that of the corners: the blades'
edges make the starfish that the ratio of a short and a long flat shows. A
blade: ``offset = -delay * x / (nx - 1)``, linear across the columns.

A rolling shutter (``line_time`` L > 0, a CMOS sensor's): row y (0-based,
row 0 first) is exposed from ``y L`` to ``y L + T`` seconds after the first
row's start, T the exposure time. Each row still gets T seconds, so a static
scene is unchanged; a scene that changes during the exposure is seen by each
row at its own times. A star trailing by ``(dx, dy)`` px over the exposure
moves at ``v = (dx, dy) / T``; its truth position ``p0`` (the TRUTH table) is
where it is at ``T / 2`` after the first row's start, the middle of row 0's
exposure, so at time t (from the first row's start) it is at
``p0 + v (t - T / 2)``. `ccdsim.readout.exposure.trail_stars` cuts it into k
parts, part j for time ``t_j = (j + 1/2) T / k``, at ``p_j = p0 + v (t_j - T /
2)``: what a global shutter (and row 0) sees. Row y sees part j at ``y L +
t_j``, when the star is at ``p_j + v L y``: row y gets the part's Gaussian
centred on ``(x_j + vx L y, y_j + vy L y)``, evaluated in row y alone
(`add_rolling_light`; exact for a constant velocity). The row that sees the
part's centre solves ``y = y_j + vy L y``: ``y_seen = y_j / (1 - vy L)`` (for
``vy L < 1``: the star moves slower than the shutter rolls), at ``x_seen =
x_j + vx L y_seen``. So a trail is sheared: its centre moves by ``vx L`` px
per row (within each star's profile too), and stretched along y by ``1 / (1 -
vy L)``. A flickering light would be seen by each row at its own times as
well (bands across the frame); ccdsim has none.
"""

from functools import lru_cache

import numpy as np
from astropy.table import Table

from ..core.arrays import as_rows
from ..core.kernels import add_gaussian_stars
from ..core.validate import ParameterError
from .stars import TRUNCATE_SIGMA

__all__ = ["apply_shutter", "SHUTTER_KINDS", "STARFISH", "check_kind", "offset_map", "light_scale",
           "truth_files", "row_start_times", "rolling_parts", "add_rolling_light"]

#: The kinds of shutter.
SHUTTER_KINDS = ("iris", "blade")
#: Fractional modulation of an iris's delay with angle (the blades' starfish).
STARFISH = 0.3


def check_kind(kind):
    """Return ``kind`` if it is one of `SHUTTER_KINDS`, else a one-line `ParameterError`.

    Parameters
    ----------
    kind : str
        The shutter's kind.

    Returns
    -------
    str
    """
    if kind not in SHUTTER_KINDS:
        raise ParameterError(f"shutter_kind must be one of {', '.join(SHUTTER_KINDS)} "
                             f"(got {kind!r})", param="shutter_kind")
    return kind


# A memo by value (see ccdsim.core.arrays): a pure function of numbers, public.
@lru_cache(maxsize=4)
def offset_map(shape, delay, kind="iris", blades=6):
    """Each pixel's exposure offset relative to the nominal exposure, in seconds (<= 0).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    delay : float
        Exposure lost at the edge (an iris's corners at the mean angle, a
        blade's last column) relative to the centre (first column), in s.
    kind : {'iris', 'blade'}, optional
        Radial with a starfish, or linear in x.
    blades : int, optional
        Number of iris blades: arms of the starfish.

    Returns
    -------
    ndarray of float32, read-only, ``shape``.
    """
    ny, nx = shape
    x = np.arange(nx) - (nx - 1) / 2
    y = np.arange(ny) - (ny - 1) / 2
    if check_kind(kind) == "blade":
        out = np.broadcast_to(-delay * np.arange(nx) / max(nx - 1, 1), shape)
    else:
        rho = np.hypot(y[:, None], x[None, :]) / max(np.hypot((ny - 1) / 2, (nx - 1) / 2), 1)
        theta = np.arctan2(y[:, None], x[None, :])
        out = -delay * rho * (1 + STARFISH * np.cos(blades * theta))
    out = np.ascontiguousarray(out, dtype=np.float32)
    out.flags.writeable = False
    return out


def light_scale(camera, exposure_time):
    """Each pixel's light relative to a nominal exposure of ``exposure_time``.

    ``max(t + offset, 0) / t``: a pixel the shutter never uncovers gets no
    light; at ``t = 0`` no pixel does (zeros).

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera (its shutter's parameters).
    exposure_time : float
        Nominal exposure, in seconds.

    Returns
    -------
    ndarray or None
        ``(ny, nx)``, dimensionless; None for an ideal shutter.
    """
    if not camera.shutter_delay:
        return None
    return _scale(camera.shape, camera.shutter_delay, camera.shutter_kind,
                  camera.shutter_blades, float(exposure_time))


# A memo by value (see ccdsim.core.arrays): a night repeats a few exposure times, and a
# frame made in bands asks once per band.
@lru_cache(maxsize=8)
def _scale(shape, delay, kind, blades, exposure_time):
    if exposure_time <= 0:
        scale = np.zeros(shape, dtype=np.float32)
    else:
        t = np.float32(exposure_time)
        scale = np.maximum(t + offset_map(shape, delay, kind, blades), 0) / t
    scale.flags.writeable = False  # shared by every frame of that exposure time
    return scale


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``shutter.fits``: the exposure offsets (s) when the shutter is not
    ideal; ``rolling-shutter.fits`` (``line_time`` > 0): a table of each
    row's ``start`` (s after the first row's; `row_start_times`). Each function returns ``(data, BUNIT, comment)`` for
    a map, or an `~astropy.table.Table`; it is called only when the truth is
    written.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    dict
    """
    cam = camera
    out = {}
    if cam.shutter_delay:
        out["shutter.fits"] = lambda: (
            offset_map(cam.shape, cam.shutter_delay, cam.shutter_kind, cam.shutter_blades), "s",
            f"Shutter ({cam.shutter_kind}): each pixel's exposure offset, in s; it gets light "
            f"for max(EXPTIME + offset, 0) s.")
    if cam.line_time > 0:
        out["rolling-shutter.fits"] = lambda: _row_table(cam)
    return out


def _row_table(camera):
    table = Table({"row": np.arange(camera.shape[0]),
                   "start": row_start_times(camera.shape[0], camera.line_time)})
    table["start"].unit = "s"
    table.meta["LINETIME"] = (camera.line_time, "[s] each row starts this long after the last")
    table.meta["ROWSPAN"] = (float(table["start"][-1]), "[s] when the last row starts")
    table.meta["comment"] = ("Rolling shutter: each row's exposure starts `start` s after the "
                             "first row's and lasts EXPTIME s.")
    return table


def row_start_times(ny, line_time):
    """When each row's exposure starts, after the first row's: ``y * line_time``.

    Parameters
    ----------
    ny : int
        Rows of the data section.
    line_time : float
        Delay between one row's start and the next's, in s (0: a global shutter).

    Returns
    -------
    ndarray of float64
        ``(ny,)``, in s.
    """
    return np.arange(ny) * float(line_time)


def rolling_parts(parts, trail, exposure_time, line_time):
    """Moving stars' trail parts for `add_rolling_light`: each with its shift per row.

    Parameters
    ----------
    parts : tuple of ndarray
        ``(x, y, flux, sigma)`` of the trail parts, k per star in star order
        (`ccdsim.readout.exposure.trail_stars`): px, e-, px.
    trail : array_like
        ``(dx, dy)`` px over the exposure, for all stars or one row per star.
    exposure_time : float
        T, in s (> 0).
    line_time : float
        L, in s.

    Returns
    -------
    tuple of ndarray
        ``(x, y, flux, sigma, sx, sy)``: the parts, and how far a row sees
        each one moved per row, ``(vx L, vy L)`` px with ``v = trail / T``.
    """
    x = parts[0]
    t = np.asarray(trail, dtype=float).reshape(-1, 2)
    shift = np.repeat(t, len(x) // len(t), axis=0) * (line_time / exposure_time)
    return (*parts, np.ascontiguousarray(shift[:, 0]), np.ascontiguousarray(shift[:, 1]))


def apply_shutter(expected, sources, r0, r1):
    """Step 1: the shutter scales each pixel's light by its own exposure (`light_scale`).

    Parameters
    ----------
    expected : float or ndarray of float64
        Step 1's sum so far for rows ``r0:r1``, in e- (a number while uniform).
    sources : ccdsim.physics.steps.Sources
        The exposure's sources of charge.
    r0, r1 : int
        First and one-past-last row of the data section.

    Returns
    -------
    float or ndarray of float64
        The sum with this term (an array, see `ccdsim.core.arrays.as_rows`,
        once it varies from pixel to pixel; arrays may be changed in place).
    """
    if sources.light_scale is None or (np.ndim(expected) == 0 and expected == 0):
        return expected
    expected = as_rows(expected, (r1 - r0, sources.nx))
    expected *= sources.light_scale[r0:r1]
    return expected


def add_rolling_light(expected, sources, r0, r1):
    """Step 1, light: moving stars as each row of a rolling shutter sees them.

    Row y gets each trail part centred on ``(x + sx y, y + sy y)`` (the
    module's notes), rendered into that row alone; the parts come from
    `rolling_parts` (``sources.rolling``), None without a rolling shutter or
    moving stars (they are then in ``sources.stars``).

    Parameters
    ----------
    expected : float or ndarray of float64
        Step 1's sum so far for rows ``r0:r1``, in e- (a number while uniform).
    sources : ccdsim.physics.steps.Sources
        The exposure's sources of charge.
    r0, r1 : int
        First and one-past-last row of the data section.

    Returns
    -------
    float or ndarray of float64
        The sum with this term (an array, see `ccdsim.core.arrays.as_rows`,
        once it varies from pixel to pixel; arrays may be changed in place).
    """
    if sources.rolling is None:
        return expected
    x, y, flux, sigma, sx, sy = sources.rolling
    reach = np.ceil(TRUNCATE_SIGMA * sigma) + 1
    first, last = y + sy * r0, y + sy * (r1 - 1)  # where rows r0 and r1 - 1 see each part
    near = np.flatnonzero((np.maximum(first, last) + reach >= r0)
                          & (np.minimum(first, last) - reach < r1))
    if not near.size:
        return expected
    expected = as_rows(expected, (r1 - r0, sources.nx))
    x, y, flux, sigma, sx, sy, reach = (a[near] for a in (x, y, flux, sigma, sx, sy, reach))
    for row in range(r0, r1):
        yc = y + sy * row
        on = np.flatnonzero((yc + reach >= row) & (yc - reach < row + 1))
        if on.size:
            add_gaussian_stars(expected[row - r0:row - r0 + 1], row, x[on] + sx[on] * row,
                               yc[on], flux[on], sigma[on], TRUNCATE_SIGMA)
    return expected
