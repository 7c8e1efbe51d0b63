"""The guide's sources of counts, one at a time, each returning an image in ADU.

These are for building a frame step by step and looking at each piece.
Adding them up gives the same statistics as `Camera.expose`, which draws all
electrons in one Poisson sample instead (a sum of Poissons is Poisson).
Defects (bad columns, hot pixels) come from ``camera_seed`` so they stay put;
noise comes from ``rng`` (SPEC 7) and changes with every call.
"""

import numpy as np
from astropy.table import Table

from ..core.params import DEFAULTS as D
from ..core.params import check
from ..core.seeds import DEFAULT_CAMERA_SEED, Defect, camera_rng
from ..physics.bias import bad_columns as draw_bad_columns
from ..physics.bias import bias_map
from ..physics.dark import dark_map
from ..physics.hotpixels import hot_pixel_mask
from ..physics.stars import make_star_table, render_stars

__all__ = ["read_noise", "bias", "dark_current", "sky_background", "stars"]


def read_noise(shape, read_noise_e, *, gain=1.0, rng=None):
    """Gaussian read noise in ADU.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    read_noise_e : float
        Read noise, in electrons (>= 0).
    gain : float, optional
        Gain, in e-/ADU (> 0); the noise in ADU is ``read_noise_e / gain``.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    ndarray of float64, in ADU, mean 0.
    """
    rng = np.random.default_rng(rng)
    shape = check("shape", shape)
    read_noise_e = check("read_noise", read_noise_e, "read_noise_e")
    gain = check("gain", gain)
    return rng.normal(0.0, read_noise_e / gain, size=shape)


def bias(shape, level, *, bad_columns=0, camera_seed=DEFAULT_CAMERA_SEED):
    """Bias image in ADU, optionally with the guide's bad columns.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    level : float
        Bias level, in ADU (0..65535).
    bad_columns : int, optional
        Number of bad columns; each carries the same per-row offsets drawn
        from ``[0, 0.1 * level)`` ADU.
    camera_seed : int, optional
        Fixes where the bad columns are (the bias is a property of the camera,
        so it takes no ``rng``); same as ``Camera(camera_seed=...)``.

    Returns
    -------
    ndarray of float32, in ADU.
    """
    shape = check("shape", shape)
    level = check("bias_level", level, "level")
    bad_columns = check("bad_columns", bad_columns, high=shape[1])
    camera_seed = check("camera_seed", camera_seed)
    cols, pattern = draw_bad_columns(shape, bad_columns, 0.1 * level,
                                        rng=camera_rng(camera_seed, Defect.BAD_COLUMNS))
    return bias_map(shape, level, cols, pattern)


def dark_current(shape, current, exposure_time, *, gain=1.0, hot_pixels=False,
                 hot_pixel_fraction=1e-4, hot_pixel_factor=1e4,
                 camera_seed=DEFAULT_CAMERA_SEED, rng=None):
    """Dark counts in ADU: Poisson in electrons, then divided by the gain.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    current : float
        Dark current, in e-/pixel/s (>= 0).
    exposure_time : float
        Exposure time, in s (>= 0).
    gain : float, optional
        Gain, in e-/ADU (> 0).
    hot_pixels : bool, optional
        Add hot pixels: ``hot_pixel_fraction`` of the pixels at
        ``hot_pixel_factor`` times the current (guide: 1e-4 and 1e4).
    hot_pixel_fraction : float, optional
        Fraction of the pixels that are hot, in [0, 1].
    hot_pixel_factor : float, optional
        Hot pixels' dark current relative to ``current`` (dimensionless).
    camera_seed : int, optional
        Fixes where the hot pixels are, as in ``Camera(camera_seed=...)``.
    rng : {None, int, numpy.random.Generator}, optional
        Source of the shot noise (SPEC 7).

    Returns
    -------
    ndarray of float64, in ADU.
    """
    rng = np.random.default_rng(rng)
    shape = check("shape", shape)
    current = check("dark_current", current, "current")
    exposure_time = check("exposure_time", exposure_time)
    gain = check("gain", gain)
    mask = None
    if hot_pixels:
        fraction = check("hot_pixel_fraction", hot_pixel_fraction)
        mask = hot_pixel_mask(shape, fraction,
                                      rng=camera_rng(camera_seed, Defect.HOT_PIXELS))
    factor = check("hot_pixel_factor", hot_pixel_factor)
    electrons = dark_map(shape, current, mask, factor).astype(float) * exposure_time
    # Shot noise lives in electrons; the guide drew it in ADU, wrong when gain != 1.
    return rng.poisson(electrons) / gain


def sky_background(shape, sky_counts, *, gain=1.0, rng=None):
    """Sky background in ADU: Poisson in electrons, then divided by the gain.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    sky_counts : float
        Expected sky per pixel over the exposure, in ADU (>= 0).
    gain : float, optional
        Gain, in e-/ADU (> 0).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    ndarray of float64, in ADU.
    """
    rng = np.random.default_rng(rng)
    shape = check("shape", shape)
    sky_counts = check("sky", sky_counts, "sky_counts")
    gain = check("gain", gain)
    return rng.poisson(sky_counts * gain, size=shape) / gain


def stars(shape, stars, *, max_counts=D.max_counts, sigma=D.star_sigma, gain=1.0, rng=None):
    """Stars with photon noise, in ADU, and their table.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    stars : int or astropy.table.Table
        Number of random stars (see `ccdsim.make_star_table`) or a table
        with ``x_0``, ``y_0`` (px, 0-based) and ``flux`` (total ADU).
    max_counts : float, optional
        Largest peak of random stars, in ADU.
    sigma : float, optional
        Gaussian sigma, in pixels.
    gain : float, optional
        Gain, in e-/ADU (> 0).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7): the random table, then the photon noise.

    Returns
    -------
    image : ndarray of float64, in ADU
    table : astropy.table.Table
    """
    rng = np.random.default_rng(rng)
    shape = check("shape", shape)
    gain = check("gain", gain)
    sigma = check("star_sigma", sigma, "sigma")
    if isinstance(stars, Table):
        table = stars
    else:
        table = make_star_table(stars, shape, max_counts=max_counts, sigma=sigma, rng=rng)
    expected = render_stars(shape, table, sigma=sigma).astype(float)
    return rng.poisson(expected * gain) / gain, table
