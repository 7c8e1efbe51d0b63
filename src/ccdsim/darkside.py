"""Charge that is not light: amplifier glow and a population of hot pixels.

`dark_charge` is the hook of step 1 of the read-out (`ccdsim.readout`): the
expected electrons of a camera's glow (`ccdsim.glow`) and hot-pixel
population (`ccdsim.hotpixels`) over one exposure, beside the guide's uniform
dark current and hot pixels; they go into the one Poisson draw with all
other charge. Off by default (None: no such charge).

The camera's maps are made once per camera (cached on the parameters that
shape them, read-only) and one exposure's charge once per exposure, never per
block of rows.
"""

from functools import lru_cache

import numpy as np
from astropy.table import Table

from .glow import glow_map, parse_glow_sources
from .hotpixels import hot_charge, hot_population, tail_index, unstable_states
from .seeds import Defect, Stream, camera_rng, child_rng
from .validate import ParameterError

__all__ = ["DarkCharge", "check_dark_side", "glow_rate_map", "population", "population_table", "truth_files",
           "dark_charge"]


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


def _read_only(a):
    a.flags.writeable = False
    return a


@lru_cache(maxsize=8)
def _glow(shape, rate, length, sources):
    return _read_only(glow_map(shape, rate, length, parse_glow_sources(sources)))


def glow_rate_map(camera):
    """The camera's glow, in e-/pixel/s (read-only float32), or None without glow.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    ndarray or None
    """
    if not camera.glow_rate:
        return None
    return _glow(camera.shape, camera.glow_rate, camera.glow_length, camera.glow_sources)


@lru_cache(maxsize=8)
def _population(shape, camera_seed, above_1, above_4, fixed_time, unstable_fraction,
                unstable_ratio):
    pop = hot_population(shape, above_1, above_4, fixed_time=fixed_time,
                         unstable_fraction=unstable_fraction, unstable_ratio=unstable_ratio,
                         rng=camera_rng(camera_seed, Defect.HOT_POPULATION),
                         unstable_rng=camera_rng(camera_seed, Defect.HOT_UNSTABLE))
    return type(pop)(*(_read_only(a) for a in pop))


def population(camera):
    """The camera's hot-pixel population (`ccdsim.hotpixels.HotPopulation`), or None.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera; positions and rates come from its seed.

    Returns
    -------
    ccdsim.hotpixels.HotPopulation or None
    """
    if not camera.hot_above_1:
        return None
    return _population(camera.shape, camera.camera_seed, camera.hot_above_1,
                       camera.hot_above_4, camera.hot_fixed_time, camera.hot_unstable_fraction,
                       camera.hot_unstable_ratio)


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


def population_table(camera):
    """Every hot pixel of the camera's population, as a table (the truth).

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    astropy.table.Table
        ``x``, ``y`` (0-based pixels), ``rate`` and ``rate2`` (e-/s added to
        the ordinary dark current, first and second state), ``fixed_charge``
        (e- per exposure longer than zero) and ``unstable``.
    """
    pop = population(camera)
    y, x = np.divmod(pop.index, camera.shape[1])
    t = Table([x, y, pop.rate, pop.fixed_charge, pop.unstable, pop.rate2],
              names=("x", "y", "rate", "fixed_charge", "unstable", "rate2"))
    alpha = tail_index(camera.hot_above_1, camera.hot_above_4)
    # FITS has no unit "electron": the units are in the comment.
    t.meta["comment"] = (f"Hot-pixel population: Pareto tail above 1 e-/s, index {alpha:.4g}. "
                         "x, y: 0-based pixels; rate, rate2 (second state): e-/s added to "
                         "the dark current; fixed_charge: e- per exposure > 0 s.")
    return t


def truth_files(plan):
    """The truth this effect writes for a night: ``{file name: function}``.

    ``glow.fits``: the glow rate map (e-/pixel/s; the read-out time is the
    frames' ``GLOWREAD`` card). ``hot_pixels.fits``: the population's table
    (`population_table`).

    Parameters
    ----------
    plan : ccdsim.NightPlan
        The night (its camera).

    Returns
    -------
    dict
    """
    cam = plan.camera
    out = {}
    if cam.glow_rate:
        out["glow.fits"] = lambda: (glow_rate_map(cam), "electron/(pix s)",
                                    f"True glow rate; a frame collects it over its exposure "
                                    f"+ {cam.glow_readout_time:g} s of read-out.")
    if cam.hot_above_1:
        out["hot_pixels.fits"] = lambda: population_table(cam)
    return out
