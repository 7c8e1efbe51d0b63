"""Hot pixels as a population: a power-law tail of dark current, some of it unstable.

Real sensors have no single "hot" level: most pixels hold the ordinary dark
current (the guide's camera: 0.01 e-/s), about 0.1% run above 1 e-/s, 0.026%
above 4 e-/s, and a tail reaches saturation. `hot_population` draws such a
tail from a Pareto distribution above 1 e-/s::

    P(rate > r | population) = r ** -alpha    (r >= 1 e-/s)

The user gives the fraction of all pixels above 1 e-/s, ``f1``, and above
4 e-/s, ``f4``; then ``f4 / f1 = 4 ** -alpha``, so

    alpha = ln(f1 / f4) / ln(4)

(the guide's 0.1% and 0.026% give alpha = 0.97). ``round(f1 * ny * nx)``
pixels are drawn; their rates are ``u ** (-1 / alpha)`` e-/s for ``u``
uniform in (0, 1], capped at `MAX_RATE`. The rate is added to the
camera's ordinary dark current.

Each pixel also collects a charge that does not grow with exposure time,
``rate x fixed_time`` electrons, in every exposure longer than zero: a
short dark shows it as a higher apparent rate (by ``fixed_charge / t``).
A fraction of the pixels is unstable: each frame, each of them is in its
first or its second state (rate x ``unstable_ratio``) with equal odds, drawn
from the frame's seed.

The guide's hot pixels (a fraction of pixels at ``hot_pixel_factor`` times
the dark current: `hot_pixel_indices`, `hot_pixel_mask`) and a camera's
population (`population`, made once per camera; `population_table`, its truth)
live here too.
"""

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from astropy.table import Table

from ..core.arrays import read_only
from ..core.seeds import Defect, camera_rng

__all__ = ["MAX_RATE", "HotPopulation", "tail_index", "hot_population", "unstable_states",
           "hot_charge", "hot_pixel_indices", "hot_pixels_in_rows", "hot_pixel_mask", "population",
           "population_table"]

#: Highest rate of the tail, in e-/s: far beyond what any pixel holds in a second.
MAX_RATE = 1e7

#: Lowest rate of the population, in e-/s (the ``f1`` threshold).
MIN_RATE = 1.0


class HotPopulation(NamedTuple):
    """Every pixel of a hot-pixel population (arrays of equal length, sorted by index).

    Parameters
    ----------
    index : ndarray of int64
        Flat index ``row * nx + col`` in the data section.
    rate : ndarray of float64
        Dark current added to the ordinary one, in e-/s (first state).
    fixed_charge : ndarray of float64
        Charge of every exposure longer than zero, whatever its time, in e-.
    unstable : ndarray of bool
        True for pixels that switch between two rates from frame to frame.
    rate2 : ndarray of float64
        The second state's rate, in e-/s (``rate`` for stable pixels).
    """

    index: np.ndarray
    rate: np.ndarray
    fixed_charge: np.ndarray
    unstable: np.ndarray
    rate2: np.ndarray


def tail_index(above_1, above_4):
    """The Pareto index ``alpha = ln(above_1 / above_4) / ln 4``.

    Parameters
    ----------
    above_1, above_4 : float
        Fractions of all pixels above 1 and above 4 e-/s (``above_4 < above_1``).

    Returns
    -------
    float
        ``inf`` when ``above_4`` is 0 (every pixel at 1 e-/s).
    """
    if above_4 <= 0:
        return np.inf
    return float(np.log(above_1 / above_4) / np.log(4.0))


def hot_population(shape, above_1, above_4, *, fixed_time=0.0, unstable_fraction=0.0,
                   unstable_ratio=0.1, rng=None, unstable_rng=None):
    """Draw a camera's hot-pixel population (positions, rates, fixed charge, instability).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    above_1, above_4 : float
        Fractions of all pixels whose added dark current is above 1 and above
        4 e-/s (``0 <= above_4 < above_1``).
    fixed_time : float, optional
        Each pixel's exposure-independent charge, in seconds of its own rate
        (charge in e- = rate x this).
    unstable_fraction : float, optional
        Fraction of the population that is unstable, in [0, 1].
    unstable_ratio : float, optional
        Second rate / first rate of an unstable pixel.
    rng : numpy.random.Generator, optional
        Positions and rates (the camera's ``Defect.HOT_POPULATION`` stream).
    unstable_rng : numpy.random.Generator, optional
        Which pixels are unstable (``Defect.HOT_UNSTABLE``).

    Returns
    -------
    HotPopulation
    """
    rng, unstable_rng = np.random.default_rng(rng), np.random.default_rng(unstable_rng)
    npix = shape[0] * shape[1]
    n = int(round(above_1 * npix))
    index = np.sort(rng.choice(npix, size=n, replace=False)).astype(np.int64)
    u = 1.0 - rng.random(n)  # in (0, 1]
    alpha = tail_index(above_1, above_4)
    rate = np.minimum(MIN_RATE * u ** (-1.0 / alpha), MAX_RATE)
    unstable = np.zeros(n, dtype=bool)
    unstable[unstable_rng.choice(n, size=int(round(unstable_fraction * n)), replace=False)] = True
    rate2 = np.where(unstable, rate * unstable_ratio, rate)
    return HotPopulation(index, rate, rate * fixed_time, unstable, rate2)


def unstable_states(population, rng):
    """One frame's states of the unstable pixels: True where in the second state.

    Parameters
    ----------
    population : HotPopulation
        The camera's population.
    rng : numpy.random.Generator
        The frame's own stream (``Stream.HOT_SWITCH``).

    Returns
    -------
    ndarray of bool
        One per pixel of the population (False for stable pixels).
    """
    second = np.zeros(len(population.index), dtype=bool)
    second[population.unstable] = rng.random(int(population.unstable.sum())) < 0.5
    return second


def hot_charge(population, exposure_time, second):
    """Expected electrons of each pixel of the population over one exposure.

    Parameters
    ----------
    population : HotPopulation
        The camera's population.
    exposure_time : float
        In seconds.
    second : ndarray of bool
        Pixels in their second state this frame (`unstable_states`).

    Returns
    -------
    ndarray of float64
        e-, one per pixel of the population: rate x t, + the fixed charge
        when ``exposure_time > 0`` (a zero-second bias is read out at once).
    """
    rate = np.where(second, population.rate2, population.rate)
    fixed = population.fixed_charge if exposure_time > 0 else 0.0
    return rate * exposure_time + fixed


def hot_pixel_indices(shape, fraction, *, rng=None):
    """Sorted flat indices of ``int(fraction * ny * nx)`` distinct hot pixels.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    fraction : float
        Fraction of pixels that are hot, in [0, 1] (the guide uses 1e-4).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).
    """
    rng = np.random.default_rng(rng)
    npix = shape[0] * shape[1]
    return np.sort(rng.choice(npix, size=int(fraction * npix), replace=False))


def hot_pixels_in_rows(indices, nx, r0, r1):
    """``(rows, cols)`` of the hot pixels in rows ``r0:r1``, rows relative to ``r0``.

    Parameters
    ----------
    indices : ndarray of int
        Sorted flat indices (``row * nx + col``), as from `hot_pixel_indices`.
    nx : int
        Pixels per row.
    r0, r1 : int
        First and one-past-last row.

    Returns
    -------
    tuple of ndarray
        Index arrays for a ``(r1 - r0, nx)`` block.
    """
    lo, hi = np.searchsorted(indices, [r0 * nx, r1 * nx])
    return np.divmod(indices[lo:hi] - r0 * nx, nx)


def hot_pixel_mask(shape, fraction, *, rng=None):
    """Boolean mask of the pixels `hot_pixel_indices` picks.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    fraction : float
        Fraction of pixels that are hot, in [0, 1].
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    ndarray of bool, shape ``shape``
    """
    mask = np.zeros(shape[0] * shape[1], dtype=bool)
    mask[hot_pixel_indices(shape, fraction, rng=rng)] = True
    return mask.reshape(shape)


# A memo by value, not per camera (see ccdsim.core.arrays): equal cameras share it.
@lru_cache(maxsize=8)
def _population(shape, camera_seed, above_1, above_4, fixed_time, unstable_fraction,
                unstable_ratio):
    pop = hot_population(shape, above_1, above_4, fixed_time=fixed_time,
                         unstable_fraction=unstable_fraction, unstable_ratio=unstable_ratio,
                         rng=camera_rng(camera_seed, Defect.HOT_POPULATION),
                         unstable_rng=camera_rng(camera_seed, Defect.HOT_UNSTABLE))
    return type(pop)(*(read_only(a) for a in pop))


def population(camera):
    """The camera's hot-pixel population (`ccdsim.physics.hotpixels.HotPopulation`), or None.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera; positions and rates come from its seed.

    Returns
    -------
    ccdsim.physics.hotpixels.HotPopulation or None
    """
    if not camera.hot_above_1:
        return None
    return _population(camera.shape, camera.camera_seed, camera.hot_above_1,
                       camera.hot_above_4, camera.hot_fixed_time, camera.hot_unstable_fraction,
                       camera.hot_unstable_ratio)


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
