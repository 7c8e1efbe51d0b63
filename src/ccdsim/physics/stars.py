"""Star tables and their rendering into expected counts (deterministic, no noise).

Tables use photutils' column names: ``x_0``, ``y_0`` (0-based pixel centres,
the centre of the first pixel is 0.0) and ``flux`` (the star's total over the
exposure, in ADU). Rendering integrates a round Gaussian over each pixel.
"""

import numpy as np
from astropy.table import Table

from ..core.arrays import as_rows
from ..core.kernels import add_gaussian_stars
from ..core.params import BLOCK_ROWS, PARAMS, check
from ..core.params import DEFAULTS as D
from ..core.validate import ParameterError

__all__ = ["add_sky", "add_star_light", "make_star_table", "render_stars", "star_arrays",
           "stars_reaching_rows", "add_stars_to_rows", "gaussian_peak_to_flux", "moffat_alpha"]

# Stars are drawn out to this many sigma (a square stamp); about 1e-6 of the flux lies beyond.
TRUNCATE_SIGMA = 5.0
# Narrowest star (px): narrower ones are points once integrated over a pixel.
MIN_SIGMA = PARAMS["star_sigma"].low
# Rows rendered at a time by render_stars: a noise block's, which stays in cache.
_ROWS = BLOCK_ROWS


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


def make_star_table(n_stars, shape, *, max_counts=D.max_counts, sigma=D.star_sigma, rng=None):
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
    n_stars = check("stars", n_stars, "n_stars")
    max_counts = check("max_counts", max_counts)
    sigma = check("star_sigma", sigma, "sigma")
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


def star_arrays(table, sigma=D.star_sigma):
    """Checked float64 arrays ``x, y, flux, sigma`` of a star table.

    Parameters
    ----------
    table : astropy.table.Table
        Needs ``x_0``, ``y_0`` (px, 0-based) and ``flux``; an optional
        ``sigma`` column (px) overrides ``sigma`` per star.
    sigma : float, optional
        Gaussian sigma (px) of stars without a ``sigma`` column.

    Raises
    ------
    ParameterError
        Missing columns, non-finite values, negative flux, sigma below `MIN_SIGMA`.
    """
    missing = [c for c in ("x_0", "y_0", "flux") if c not in table.colnames]
    if missing:
        raise ParameterError("stars table needs columns x_0, y_0, flux "
                             f"(missing {', '.join(missing)})")
    n = len(table)
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
    sigma_param = PARAMS["star_sigma"]
    if np.any((sig < sigma_param.low) | (sig > sigma_param.high)):
        raise ParameterError(f"stars table column sigma must be {sigma_param.range} px")
    return x, y, flux, sig


# Moffat stars: drawn out to where at most this fraction of the light is left
# (but no farther than _MOFFAT_MAX_RADIUS px), on a grid of _OVERSAMPLE^2 points per pixel.
MOFFAT_TAIL = 1e-3
_MOFFAT_MAX_RADIUS = 300
_OVERSAMPLE = 5


def moffat_alpha(fwhm, beta):
    """Moffat core width alpha (px) for a FWHM (px) and power ``beta``."""
    return fwhm / (2.0 * np.sqrt(2.0 ** (1.0 / beta) - 1.0))


def _render_moffat(out, x, y, flux, fwhm, beta):
    """Add Moffat stars (total ``flux`` each) into ``out``, averaged over sub-pixels."""
    ny, nx = out.shape
    alpha = moffat_alpha(fwhm, beta)
    radius = min(alpha * np.sqrt(MOFFAT_TAIL ** (1.0 / (1.0 - beta)) - 1.0), _MOFFAT_MAX_RADIUS)
    half = int(np.ceil(radius))
    sub = (np.arange(_OVERSAMPLE) + 0.5) / _OVERSAMPLE - 0.5
    norm = (beta - 1.0) / (np.pi * alpha**2)
    for xs, ys, f in zip(x, y, flux):
        xc, yc = int(np.floor(xs + 0.5)), int(np.floor(ys + 0.5))
        r0, r1 = max(yc - half, 0), min(yc + half + 1, ny)
        c0, c1 = max(xc - half, 0), min(xc + half + 1, nx)
        if r0 >= r1 or c0 >= c1:
            continue
        dy = (np.arange(r0, r1)[:, None] + sub[None, :] - ys).reshape(-1)
        dx = (np.arange(c0, c1)[:, None] + sub[None, :] - xs).reshape(-1)
        r2 = dy[:, None] ** 2 + dx[None, :] ** 2
        prof = norm * (1.0 + r2 / alpha**2) ** (-beta)
        prof[r2 > radius**2] = 0.0
        pix = prof.reshape(r1 - r0, _OVERSAMPLE, c1 - c0, _OVERSAMPLE).mean(axis=(1, 3))
        out[r0:r1, c0:c1] += (f * pix).astype(out.dtype)


def render_stars(shape, table, *, sigma=D.star_sigma, moffat=None, out=None):
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
    moffat : tuple of float, optional
        ``(fwhm, beta)``: draw every star as a Moffat profile
        ``(1 + r^2/alpha^2)^-beta`` of that FWHM (px) instead of a Gaussian,
        averaged over 5x5 points per pixel, out to the radius holding all
        but `MOFFAT_TAIL` of the light (at most 300 px).
    out : ndarray, optional
        Float array of ``shape`` to add into; a new float32 array otherwise.

    Returns
    -------
    ndarray
        The image, in the unit of ``flux``. Light falling off the frame is lost.

    Notes
    -----
    Each star is a round Gaussian integrated over every pixel (the product of
    two differences of error functions), drawn out to 5 sigma. The tests
    check it against photutils' ``CircularGaussianPRF``.
    """
    if out is None:
        out = np.zeros(shape, dtype=np.float32)
    x, y, flux, sig = star_arrays(table, sigma)
    if moffat is not None:
        _render_moffat(out, x, y, flux, *moffat)
        return out
    for r0 in range(0, shape[0], _ROWS):
        add_stars_to_rows(out[r0:r0 + _ROWS], r0, x, y, flux, sig)
    return out


def stars_reaching_rows(y, sigma, row0, row1):
    """Indices of the stars whose stamps reach frame rows ``row0:row1``."""
    reach = np.ceil(TRUNCATE_SIGMA * sigma) + 1
    return np.flatnonzero((y + reach >= row0) & (y - reach < row1))


def add_stars_to_rows(rows, row0, x, y, flux, sigma, near=None):
    """Add stars into ``rows`` (frame rows ``row0 ...``), in place.

    Arrays as returned by `star_arrays`; ``near`` (from `stars_reaching_rows`)
    saves finding the stars that reach these rows again.
    """
    if near is None:
        near = stars_reaching_rows(y, sigma, row0, row0 + rows.shape[0])
    if near.size:
        add_gaussian_stars(rows, row0, x[near], y[near], flux[near], sigma[near],
                           TRUNCATE_SIGMA)
    return rows


def add_sky(expected, sources, r0, r1):
    """Step 1, light: the sky over the exposure, ADU x gain -> e-.

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
    if np.ndim(s.sky) == 0:
        return expected + s.sky * s.gain
    expected = as_rows(expected, (r1 - r0, s.nx))
    expected += s.sky[r0:r1] * s.gain
    return expected


def add_star_light(expected, sources, r0, r1):
    """Step 1, light: the stars over the exposure, in e- (Gaussian, or a Moffat image in ADU).

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
    near = stars_reaching_rows(s.stars[1], s.stars[3], r0, r1) if s.stars else ()
    if len(near):
        expected = as_rows(expected, (r1 - r0, s.nx))
        add_stars_to_rows(expected, r0, *s.stars, near=near)
    if s.star_image is not None:
        expected = as_rows(expected, (r1 - r0, s.nx))
        expected += s.star_image[r0:r1] * s.gain
    return expected
