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
"""

from functools import lru_cache

import numpy as np

from ..core.arrays import as_rows
from ..core.validate import ParameterError

__all__ = ["apply_shutter", "SHUTTER_KINDS", "STARFISH", "check_kind", "offset_map", "light_scale",
           "truth_files"]

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
    ideal. Each function returns ``(data, BUNIT, comment)`` for
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
    return out


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
