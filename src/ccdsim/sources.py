"""Star tables and their rendering into expected counts (deterministic, no noise).

Tables use photutils' column names: ``x_0``, ``y_0`` (0-based pixel centres,
the centre of the first pixel is 0.0) and ``flux`` (the star's total over the
exposure, in ADU). Rendering integrates a round Gaussian over each pixel.
"""

import numpy as np
from astropy.table import Table
from scipy.special import erf

from .validate import ParameterError, check_int, check_number

__all__ = ["make_star_table", "render_stars", "gaussian_peak_to_flux"]

# Stars are drawn out to this many sigma; the flux beyond is exp(-12.5) ~ 4e-6.
TRUNCATE_SIGMA = 5.0
# Stars rendered per batch: bounds the temporaries at ~batch * (2*5*sigma+1)^2 values.
_BATCH = 512


def gaussian_peak_to_flux(peak, sigma):
    """Total flux of a round Gaussian: ``2 pi sigma**2 peak``.

    Parameters
    ----------
    peak : float or array_like
        Peak value of the continuous profile (ADU, or any unit).
    sigma : float or array_like
        Gaussian standard deviation, in pixels.

    Returns
    -------
    ndarray
        Total flux, in the unit of ``peak`` (summed over pixels).
    """
    return 2.0 * np.pi * np.asarray(sigma, dtype=float) ** 2 * np.asarray(peak, dtype=float)


def make_star_table(n_stars, shape, *, max_counts=2000.0, sigma=4.0, rng=None):
    """Random star field in the spirit of the guide.

    Positions are uniform over the central 80% of each axis; peak counts are
    uniform in ``[max_counts / 10, max_counts]``; every star is a round
    Gaussian of standard deviation ``sigma``.

    Parameters
    ----------
    n_stars : int
        Number of stars (>= 0).
    shape : tuple of int
        ``(ny, nx)`` of the frame.
    max_counts : float, optional
        Largest peak value, in ADU over the exposure (> 0).
    sigma : float, optional
        Gaussian standard deviation, in pixels (> 0).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7).

    Returns
    -------
    astropy.table.Table
        Columns ``id``, ``x_0``, ``y_0`` (px, 0-based), ``flux`` (ADU, total),
        ``peak`` (ADU, of the continuous profile) and ``sigma`` (px).

    Examples
    --------
    >>> from ccdsim import make_star_table
    >>> t = make_star_table(3, (100, 200), rng=1)
    >>> t.colnames
    ['id', 'x_0', 'y_0', 'flux', 'peak', 'sigma']
    """
    n_stars = check_int("n_stars", n_stars)
    max_counts = check_number("max_counts", max_counts, low=0, low_open=True, high=1e9)
    sigma = check_number("star_sigma", sigma, low=0, low_open=True, high=1e3)
    rng = np.random.default_rng(rng)
    ny, nx = shape
    x = rng.uniform(0.1 * nx, 0.9 * nx, n_stars)
    y = rng.uniform(0.1 * ny, 0.9 * ny, n_stars)
    peak = rng.uniform(max_counts / 10, max_counts, n_stars)
    sig = np.full(n_stars, sigma)
    table = Table([np.arange(1, n_stars + 1), x, y, gaussian_peak_to_flux(peak, sig), peak, sig],
                  names=["id", "x_0", "y_0", "flux", "peak", "sigma"])
    table["x_0"].unit = table["y_0"].unit = table["sigma"].unit = "pix"
    table["flux"].unit = table["peak"].unit = "adu"
    return table


def _pixel_integrals(centre, sigma, start, width):
    """Fraction of a 1-D Gaussian falling in pixels ``start + arange(width)``."""
    edges = start[:, None] + np.arange(width + 1) - 0.5
    cdf = erf((edges - centre[:, None]) / (np.sqrt(2.0) * sigma[:, None]))
    return 0.5 * np.diff(cdf, axis=1), edges[:, :-1] + 0.5


def render_stars(shape, table, *, sigma=4.0, out=None):
    """Expected counts of the stars in ``table``, integrated over each pixel.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the frame.
    table : astropy.table.Table
        Needs ``x_0``, ``y_0`` (px, 0-based) and ``flux`` (total, any unit);
        an optional ``sigma`` column (px) overrides ``sigma`` per star.
    sigma : float, optional
        Gaussian standard deviation in pixels for stars without a ``sigma`` column.
    out : ndarray, optional
        Float array of ``shape`` to add into; a new float32 array otherwise.

    Returns
    -------
    ndarray
        The image, in the unit of ``flux``. Light falling off the frame is lost.

    Notes
    -----
    Hand-written rather than photutils' ``make_model_image`` because stars
    here are rendered on small cutouts all at once: measured about 100x
    faster for thousands of stars. The tests check it against photutils'
    ``CircularGaussianPRF`` to 1e-6.
    """
    ny, nx = shape
    if out is None:
        out = np.zeros(shape, dtype=np.float32)
    missing = [c for c in ("x_0", "y_0", "flux") if c not in table.colnames]
    if missing:
        raise ParameterError(f"stars table needs columns x_0, y_0, flux (missing {', '.join(missing)})")
    n = len(table)
    if n == 0:
        return out
    x = np.asarray(table["x_0"], dtype=float)
    y = np.asarray(table["y_0"], dtype=float)
    flux = np.asarray(table["flux"], dtype=float)
    sig = (np.asarray(table["sigma"], dtype=float) if "sigma" in table.colnames
           else np.full(n, float(sigma)))
    for name, arr in (("x_0", x), ("y_0", y), ("flux", flux), ("sigma", sig)):
        if not np.all(np.isfinite(arr)):
            raise ParameterError(f"stars table column {name} must be finite")
    if np.any(flux < 0):
        raise ParameterError("stars table column flux must be >= 0")
    if np.any(sig <= 0):
        raise ParameterError("stars table column sigma must be > 0")
    half = int(np.ceil(TRUNCATE_SIGMA * sig.max()))
    width = 2 * half + 1
    flat_out = out.reshape(-1)
    for lo in range(0, n, _BATCH):
        s = slice(lo, lo + _BATCH)
        x0 = np.floor(x[s] + 0.5).astype(np.int64) - half
        y0 = np.floor(y[s] + 0.5).astype(np.int64) - half
        ex, cols = _pixel_integrals(x[s], sig[s], x0, width)
        ey, rows = _pixel_integrals(y[s], sig[s], y0, width)
        vals = flux[s, None, None] * ey[:, :, None] * ex[:, None, :]
        rows = rows.astype(np.int64)
        cols = cols.astype(np.int64)
        inside = ((rows >= 0) & (rows < ny))[:, :, None] & ((cols >= 0) & (cols < nx))[:, None, :]
        idx = rows[:, :, None] * nx + cols[:, None, :]
        np.add.at(flat_out, idx[inside], vals[inside])
    return out
