"""Dark charge: the uniform dark current, and all charge that is not light in one exposure.

`dark_map` is the guide's dark current (hot pixels at ``hot_pixel_factor``
times it). `dark_charge` is the hook of step 1 of the read-out: the expected
electrons of a camera's glow (`ccdsim.physics.glow`) and hot-pixel population
(`ccdsim.physics.hotpixels`) over one exposure, beside the uniform dark
current; they go into the one Poisson draw with all other charge. Off by
default (None: no such charge). One exposure's charge is made once, never
per block of rows.
"""

import numpy as np

from ..core.arrays import as_rows
from ..core.seeds import Stream, child_rng
from ..core.validate import ParameterError
from .glow import glow_rate_map, parse_glow_sources
from .hotpixels import (
    hot_charge,
    hot_pixels_in_rows,
    population,
    population_table,
    unstable_states,
)

__all__ = ["dark_map", "DarkCharge", "check_dark_side", "truth_files", "dark_charge",
           "add_dark_current", "add_other_charge"]


def dark_map(shape, current, hot_mask=None, hot_factor=1e4):
    """Dark current per pixel in e-/pixel/s; hot pixels run ``hot_factor`` times higher.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    current : float
        Dark current of an ordinary pixel, in e-/pixel/s.
    hot_mask : ndarray of bool, optional
        Hot pixels, as from `hot_pixel_mask`; none if None.
    hot_factor : float, optional
        Hot pixels' dark current relative to ``current`` (the guide uses 1e4).

    Returns
    -------
    ndarray of float32, in e-/pixel/s.
    """
    out = np.full(shape, current, dtype=np.float32)
    if hot_mask is not None:
        out[hot_mask] = current * hot_factor
    return out


def check_dark_side(camera):
    """Check what the parameter table cannot: the glow's words, the tail's fractions.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera (its fields already checked one by one).

    Raises
    ------
    ccdsim.ParameterError
        Naming the parameter at fault.
    """
    parse_glow_sources(camera.glow_sources)
    f1, f4 = camera.hot_above_1, camera.hot_above_4
    if f4 > 0 and not f4 < f1:
        raise ParameterError(f"hot_above_4 must be below the fraction of pixels above 1 e-/s "
                             f"({f1:g}) (got {f4:g})",
                             param="hot_above_4")


def dark_charge(camera, exposure_time, seed_seq):
    """Expected electrons of glow and hot-pixel population over an exposure.

    Glow: rate map x (exposure time + read-out time). Hot pixels: rate x
    exposure time, + their fixed charge when the exposure is longer than
    zero; unstable pixels in this frame's state.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.
    exposure_time : float
        In seconds.
    seed_seq : numpy.random.SeedSequence
        The frame's seed (the unstable pixels' states, ``Stream.HOT_SWITCH``).

    Returns
    -------
    DarkCharge or None
        e- of the data section, a band of rows at a time (``charge[r0:r1]``);
        None when the camera has none.
    """
    if not (camera.glow_rate or camera.hot_above_1):
        return None
    t = float(exposure_time)
    glow = glow_rate_map(camera) if camera.glow_rate else None
    index, charge = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    pop = population(camera)
    if pop is not None:
        second = unstable_states(pop, child_rng(seed_seq, Stream.HOT_SWITCH))
        index, charge = pop.index, hot_charge(pop, t, second).astype(np.float32)
    return DarkCharge(camera.shape, glow, t + camera.glow_readout_time, index, charge)


class DarkCharge:
    """One exposure's glow and hot-pixel charge, handed out a band of rows at a time.

    Made per exposure without a full-frame map: each 128-row block of the
    read-out asks for its rows (`rows`), so the work runs on the block
    threads and nothing frame-sized is allocated per exposure.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    glow : ndarray or None
        Glow-rate map, e-/pixel/s (the camera's, read-only).
    glow_time : float
        Seconds the glow collects: exposure plus read-out time.
    index : ndarray of int64
        Sorted flat indices of the hot pixels.
    charge : ndarray of float32
        Their electrons over this exposure.
    """

    def __init__(self, shape, glow, glow_time, index, charge):
        self.shape, self.glow, self.glow_time = shape, glow, np.float32(glow_time)
        self.index, self.charge = index, charge

    def rows(self, r0, r1):
        """Electrons of rows ``r0:r1`` (float32, ``(r1 - r0, nx)``).

        Parameters
        ----------
        r0, r1 : int
            First and one-past-last row.

        Returns
        -------
        ndarray of float32
        """
        nx = self.shape[1]
        if self.glow is not None:
            out = self.glow[r0:r1] * self.glow_time
        else:
            out = np.zeros((r1 - r0, nx), dtype=np.float32)
        lo, hi = np.searchsorted(self.index, [r0 * nx, r1 * nx])
        out.ravel()[self.index[lo:hi] - r0 * nx] += self.charge[lo:hi]
        return out

    def __getitem__(self, rows):
        """``charge[r0:r1]``: the same as `rows` (rows only, step 1)."""
        return self.rows(*rows.indices(self.shape[0])[:2])


def truth_files(camera):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``glow.fits``: the glow rate map (e-/pixel/s; the read-out time is the
    frames' ``GLOWREAD`` card). ``hot_pixels.fits``: the population's table
    (`population_table`).

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
    if cam.glow_rate:
        out["glow.fits"] = lambda: (glow_rate_map(cam), "electron/(pix s)",
                                    f"True glow rate; a frame collects it over its exposure "
                                    f"+ {cam.glow_readout_time:g} s of read-out.")
    if cam.hot_above_1:
        out["hot_pixels.fits"] = lambda: population_table(cam)
    return out


def add_dark_current(expected, sources, r0, r1):
    """Step 1: the dark current over the exposure, in e-, hot pixels ``hot_factor`` times it.

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
    s = sources
    expected = expected + s.dark if np.ndim(expected) == 0 else _add(expected, s.dark)
    if s.dark > 0:
        hot = hot_pixels_in_rows(s.hot, s.nx, r0, r1)
        if len(hot[0]):
            expected = as_rows(expected, (r1 - r0, s.nx))
            expected[hot] += s.dark * (s.hot_factor - 1)
    return expected


def _add(array, value):
    array += value
    return array


def add_other_charge(expected, sources, r0, r1):
    """Step 1: charge that is neither light nor the dark current: glow, a hot-pixel
    population (`dark_charge`), persistence of earlier frames.

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
    for term in sources.charge or ():
        expected = as_rows(expected, (r1 - r0, sources.nx))
        expected += term[r0:r1]
    return expected
