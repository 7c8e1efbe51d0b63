"""Cosmic rays: random tracks of charge, drawn from a frame's own stream.

Muons reach the ground with a zenith angle distributed as cos^2; through a
flat sensor the rate of hits goes as cos^3 sin dtheta, so ``cos(theta) =
U**(1/4)``. A track crosses the depleted silicon (`DEPTH_UM` thick) and its
projection on the pixels is ``DEPTH_UM * tan(theta)`` long, in a uniformly
random direction. It frees about `ELECTRONS_PER_UM` electrons per micron of
path (a minimum-ionising particle), with a lognormal spread standing in for
the Landau tail. These are electrons: they are added after the Poisson draw
of the light and dark current, and are not scaled by the gain.
"""

import numpy as np
from astropy.table import Table

from ..core.validate import ParameterError

__all__ = ["DEPTH_UM", "ELECTRONS_PER_UM", "MAX_COSMIC_RAYS", "expected_count", "check_count",
           "cosmic_ray_table", "cosmic_ray_deposits", "render_cosmic_rays", "cosmic_ray_charge",
           "add_cosmic_rays"]

# Depleted thickness of the silicon, in microns (a thick, red-sensitive CCD).
DEPTH_UM = 50.0
# Electron-hole pairs per micron of silicon for a minimum-ionising particle.
ELECTRONS_PER_UM = 80.0
# Longest projected track, in units of the depth (tan(theta) <= 10, 84 degrees).
_MAX_TAN = 10.0
# Points per pixel of track when depositing charge.
_STEPS_PER_PIXEL = 8
#: Most cosmic rays expected on one frame. Each track costs about a kilobyte
#: while it is drawn and rendered; far beyond any real frame (a 4k x 4k chip
#: of 15 um pixels at sea level gets about 1 a second), and it keeps a typo
#: (a rate of 1000 for a day) from exhausting memory.
MAX_COSMIC_RAYS = 10**6


def expected_count(shape, exposure_time, rate, pixel_size):
    """Mean number of cosmic rays on the frame.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    exposure_time : float
        In seconds.
    rate : float
        Cosmic-ray flux, in events/cm^2/s (about 0.02 at sea level, more on
        mountains).
    pixel_size : float
        Pixel pitch, in microns.
    """
    area_cm2 = shape[0] * shape[1] * (pixel_size * 1e-4) ** 2
    return rate * area_cm2 * exposure_time


def check_count(shape, exposure_time, rate, pixel_size):
    """Refuse a frame that expects more than `MAX_COSMIC_RAYS` cosmic rays.

    Parameters
    ----------
    shape, exposure_time, rate, pixel_size
        As in `expected_count`.

    Raises
    ------
    ccdsim.ParameterError
        Naming the rate (the parameter a user most likely mistyped).
    """
    n = expected_count(shape, exposure_time, rate, pixel_size)
    if n > MAX_COSMIC_RAYS:
        raise ParameterError(f"cosmic_ray_rate {rate:g} events/cm^2/s over {exposure_time:g} s "
                             f"on {shape[0]}x{shape[1]} pixels of {pixel_size:g} um expects "
                             f"{n:.3g} cosmic rays; at most {MAX_COSMIC_RAYS:.0e} a frame",
                             param="cosmic_ray_rate")


def cosmic_ray_table(shape, exposure_time, *, rate, pixel_size, rng=None):
    """Draw the cosmic rays that hit one exposure.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    exposure_time : float
        In seconds; the count is Poisson with mean ``rate * area * time``.
    rate : float
        Events/cm^2/s.
    pixel_size : float
        Pixel pitch, in microns.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7): the frame's ``Stream.COSMIC_RAYS``.

    Returns
    -------
    astropy.table.Table
        ``id``, ``x_start``, ``y_start``, ``x_end``, ``y_end`` (px, 0-based)
        and ``electrons`` (e-, generated along the whole track).
    """
    rng = np.random.default_rng(rng)
    check_count(shape, exposure_time, rate, pixel_size)
    ny, nx = shape
    n = rng.poisson(expected_count(shape, exposure_time, rate, pixel_size))
    x0 = rng.uniform(-0.5, nx - 0.5, n)
    y0 = rng.uniform(-0.5, ny - 0.5, n)
    cos_t = rng.uniform(0, 1, n) ** 0.25
    tan_t = np.minimum(np.sqrt(1 - cos_t**2) / np.maximum(cos_t, 1e-12), _MAX_TAN)
    length = DEPTH_UM * tan_t / pixel_size
    phi = rng.uniform(0, 2 * np.pi, n)
    path_um = DEPTH_UM * np.sqrt(1 + tan_t**2)
    electrons = ELECTRONS_PER_UM * path_um * rng.lognormal(0.0, 0.3, n)
    table = Table([np.arange(1, n + 1), x0, y0, x0 + length * np.cos(phi),
                   y0 + length * np.sin(phi), np.round(electrons)],
                  names=["id", "x_start", "y_start", "x_end", "y_end", "electrons"])
    for c in ("x_start", "y_start", "x_end", "y_end"):
        table[c].unit = "pix"
    table["electrons"].description = "electrons freed along the track (e-)"
    return table


def cosmic_ray_deposits(shape, table):
    """Where each track's electrons land: flat pixel indices and electrons, step by step.

    Each track is cut into equal pieces (`_STEPS_PER_PIXEL` per pixel of
    length), each piece's share of the electrons going to the pixel of its
    centre; pieces off the frame are dropped (their charge is lost).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    table : astropy.table.Table
        From `cosmic_ray_table`.

    Returns
    -------
    index : ndarray of int64
        Flat index ``row * nx + col`` of each piece, tracks in table order.
    electrons : ndarray of float64
        Electrons of each piece.
    """
    ny, nx = shape
    if len(table) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    xs, ys = np.asarray(table["x_start"]), np.asarray(table["y_start"])
    xe, ye = np.asarray(table["x_end"]), np.asarray(table["y_end"])
    e = np.asarray(table["electrons"], dtype=float)
    steps = np.maximum(np.ceil(np.hypot(xe - xs, ye - ys) * _STEPS_PER_PIXEL), 1).astype(int)
    track = np.repeat(np.arange(len(table)), steps)
    # position of each step along its track, at the centres of equal pieces
    first = np.repeat(np.cumsum(steps) - steps, steps)
    f = (np.arange(track.size) - first + 0.5) / steps[track]
    col = np.floor(xs[track] + f * (xe - xs)[track] + 0.5).astype(np.int64)
    row = np.floor(ys[track] + f * (ye - ys)[track] + 0.5).astype(np.int64)
    ok = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
    return row[ok] * nx + col[ok], (e / steps)[track][ok]


def render_cosmic_rays(shape, table, out=None):
    """Spread each track's electrons evenly along its segment.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    table : astropy.table.Table
        From `cosmic_ray_table`.
    out : ndarray, optional
        Float array of ``shape`` to add the electrons into.

    Returns
    -------
    ndarray
        Electrons per pixel (float32 unless ``out`` is given). Charge from a
        track's part off the frame is lost.
    """
    if out is None:
        out = np.zeros(shape, dtype=np.float32)
    index, electrons = cosmic_ray_deposits(shape, table)
    np.add.at(out.reshape(-1), index, electrons)
    return out


def cosmic_ray_charge(shape, cosmics):
    """The cosmic rays' electrons in each pixel they cross, whole.

    Only the pixels the tracks cross: the same float32 sums, in the same
    order, as rendering a whole image (`render_cosmic_rays`), without one;
    then rounded to whole electrons.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    cosmics : astropy.table.Table
        The tracks (`ccdsim.physics.cosmics.cosmic_ray_table`).

    Returns
    -------
    pixels : ndarray of int64
        Flat indices of the pixels crossed, sorted, each once.
    charge : ndarray of float32
        Their electrons (whole; 0 where a track's share rounds to nothing).
    """
    index, deposits = cosmic_ray_deposits(shape, cosmics)
    pixels, which = np.unique(index, return_inverse=True)
    charge = np.zeros(pixels.size, dtype=np.float32)
    np.add.at(charge, which, deposits)
    return pixels, np.rint(charge)


def add_cosmic_rays(electrons, cosmics):
    """Step 3: add the cosmic rays' charge (whole e-) to the data section, in place.

    Before the full well (`~ccdsim.physics.fullwell.bleed_columns`): their charge bleeds too.

    Parameters
    ----------
    electrons : ndarray of float64, shape ``(ny, nx)``
        Electrons of the whole data section, after the Poisson draw.
    cosmics : astropy.table.Table
        The tracks (`ccdsim.physics.cosmics.cosmic_ray_table`).

    Returns
    -------
    tuple of ndarray
        ``(rows, cols)`` of the pixels that received charge.
    """
    pixels, charge = cosmic_ray_charge(electrons.shape, cosmics)
    electrons.reshape(-1)[pixels] += charge
    return np.divmod(pixels[charge > 0], electrons.shape[1])
