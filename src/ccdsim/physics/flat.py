"""The flat field: what multiplies light, and the cosmetics `ccdproc.ccdmask` finds in real flats.

The guide's flat (`flat_map`: `vignetting`, `dust_donuts`, `pixel_response`) and a real
chip's cosmetics: dead columns (no light), partial bad columns (low sensitivity from some
row to the top), low-sensitivity patches, a backside-thinned chip's large-scale pattern,
and a large-scale component of the flat that differs from filter to filter. Pure functions
of the shape, the parameters and a Generator (the camera seed's streams,
`ccdsim.core.seeds.Defect`); `ccdsim.camera.maps` puts them into the camera's flat (and
the cosmetics into its DQ bits). All multiply light only, in step 1 of the physics order.
"""

import zlib

import numpy as np
from astropy.table import Table

from ..core.arrays import as_rows
from ..core.seeds import Defect, camera_rng

__all__ = ["column_defects", "low_patches", "smooth_pattern", "cosmetics_map", "cosmetics_table",
           "patch_pixels", "filter_rng", "has_cosmetics", "truth_files", "vignetting",
           "dust_donuts", "pixel_response", "flat_map", "apply_flat"]

# Partial bad columns keep 30-70% of the light (the guide's chip: a few tens of %).
PARTIAL_SENSITIVITY = (0.3, 0.7)
# Highest cosine order of the smooth patterns: a few bumps across the chip.
SMOOTH_ORDER = 3


def column_defects(shape, n_dead, n_partial, *, rng_dead=None, rng_partial=None):
    """Distinct columns: dead ones, and partial ones with their first bad row.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    n_dead, n_partial : int
        Numbers of dead and of partial bad columns (no more than ``nx``
        columns in all: the rest are left out).
    rng_dead, rng_partial : numpy.random.Generator, optional
        Streams ``Defect.DEAD_COLUMNS`` and ``Defect.PARTIAL_COLUMNS``.

    Returns
    -------
    dead : ndarray of int
        Dead columns (0-based), sorted.
    partial : ndarray of int
        Partial bad columns (0-based, none of them dead), in drawing order.
    start : ndarray of int
        Each partial column's first bad row (0-based, in the lower 80% of the chip).
    sensitivity : ndarray of float
        Each partial column's sensitivity from that row on.
    """
    ny, nx = shape
    dead = np.sort(np.random.default_rng(rng_dead).choice(nx, min(n_dead, nx), replace=False))
    rng = np.random.default_rng(rng_partial)
    free = np.setdiff1d(np.arange(nx), dead)
    partial = rng.choice(free, min(n_partial, free.size), replace=False)
    start = rng.integers(0, max(int(0.8 * ny), 1), partial.size)
    sensitivity = rng.uniform(*PARTIAL_SENSITIVITY, partial.size)
    return dead, partial, start, sensitivity


def low_patches(shape, n_patches, *, rng=None):
    """Centres of the discs of low sensitivity (the thinned chip's dark spots).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    n_patches : int
        Number of patches.
    rng : numpy.random.Generator, optional
        Stream ``Defect.LOW_PATCHES``.

    Returns
    -------
    x, y : ndarray of float
        Centres, in pixels (0-based).
    """
    rng = np.random.default_rng(rng)
    ny, nx = shape
    return rng.uniform(0, nx, n_patches), rng.uniform(0, ny, n_patches)


def smooth_pattern(shape, rms, *, rng=None):
    """A smooth, low-order 2-D pattern: ``1 + rms * p`` with ``p`` of mean 0 and rms 1.

    ``p`` is a sum of products of cosines up to order `SMOOTH_ORDER` in x
    and y, with random amplitudes falling as 1/order and random phases.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    rms : float
        Fractional rms of the pattern.
    rng : numpy.random.Generator, optional
        Stream ``Defect.THINNING`` or a filter's (`filter_rng`).

    Returns
    -------
    ndarray of float32, relative sensitivity (at least 0.01).
    """
    rng = np.random.default_rng(rng)
    ny, nx = shape
    u = np.pi * (np.arange(nx) + 0.5) / nx
    v = np.pi * (np.arange(ny) + 0.5) / ny
    p = np.zeros(shape)
    for i in range(SMOOTH_ORDER + 1):
        for j in range(SMOOTH_ORDER + 1):
            if i == j == 0:
                continue
            amp = rng.standard_normal() / (i + j)
            px, py = rng.uniform(0, 2 * np.pi, 2)
            p += amp * np.cos(j * v + py)[:, None] * np.cos(i * u + px)[None, :]
    p -= p.mean()
    p /= max(p.std(), 1e-12)
    return np.clip(1 + rms * p, 0.01, None).astype(np.float32)


def has_cosmetics(camera):
    """True if the camera's flat has cosmetics (dead/partial columns, patches, thinning).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its cosmetics' parameters.

    Returns
    -------
    bool
    """
    return bool(camera.dead_columns or camera.partial_columns
                or (camera.low_patches and camera.patch_depth) or camera.thinning)


def _columns(camera):
    return column_defects(camera.shape, camera.dead_columns, camera.partial_columns,
                          rng_dead=camera_rng(camera.camera_seed, Defect.DEAD_COLUMNS),
                          rng_partial=camera_rng(camera.camera_seed, Defect.PARTIAL_COLUMNS))


def _patches(camera):
    return low_patches(camera.shape, camera.low_patches,
                       rng=camera_rng(camera.camera_seed, Defect.LOW_PATCHES))


def patch_pixels(camera):
    """``(rows, cols)`` of each low-sensitivity patch's pixels: discs of ``patch_size``.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its cosmetics' parameters and seed.
    """
    ny, nx = camera.shape
    r, out = camera.patch_size / 2, []
    for x0, y0 in zip(*_patches(camera)):
        yy, xx = np.mgrid[max(int(y0 - r) - 1, 0):min(int(y0 + r) + 2, ny),
                          max(int(x0 - r) - 1, 0):min(int(x0 + r) + 2, nx)]
        inside = np.hypot(xx - x0, yy - y0) <= r
        out.append((yy[inside], xx[inside]))
    return out


def cosmetics_map(camera):
    """The cosmetics' relative sensitivity (float32, 1 where none; not normalised).

    Parameters
    ----------
    camera : ccdsim.Camera
        Its cosmetics' parameters and seed.

    Returns
    -------
    ndarray of float32, ``shape``.
    """
    out = (smooth_pattern(camera.shape, camera.thinning,
                          rng=camera_rng(camera.camera_seed, Defect.THINNING))
           if camera.thinning else np.ones(camera.shape, dtype=np.float32))
    for rows, cols in patch_pixels(camera):
        out[rows, cols] *= np.float32(1 - camera.patch_depth)
    dead, partial, start, sens = _columns(camera)
    out[:, dead] = 0
    for col, row, s in zip(partial, start, sens):
        out[row:, col] *= np.float32(s)
    return out


def cosmetics_table(camera):
    """Where the cosmetics are: one row per dead column, partial column and patch.

    Parameters
    ----------
    camera : ccdsim.Camera
        Its cosmetics' parameters and seed.

    Returns
    -------
    astropy.table.Table
        ``kind`` (dead, partial, patch), ``x``, ``y`` (pixels, 0-based: a
        column's index and first bad row, a patch's centre), ``size``
        (pixels: 1 for a column, the patch's diameter), ``sensitivity``
        (the fraction of light kept there, before normalising the flat).
    """
    dead, partial, start, sens = _columns(camera)
    px, py = _patches(camera)
    n_p = px.size
    t = Table({"kind": ["dead"] * dead.size + ["partial"] * partial.size + ["patch"] * n_p,
               "x": np.concatenate([dead, partial, px]).astype(float),
               "y": np.concatenate([np.zeros(dead.size), start, py]).astype(float),
               "size": np.concatenate([np.ones(dead.size + partial.size),
                                       np.full(n_p, camera.patch_size)]),
               "sensitivity": np.concatenate([np.zeros(dead.size), sens,
                                              np.full(n_p, 1 - camera.patch_depth)])})
    t["x"].unit = t["y"].unit = t["size"].unit = "pix"
    t.meta["comment"] = ("Flat cosmetics: dead and partial bad columns (x, first bad row y), "
                         "low-sensitivity patches (centre x, y; diameter size).")
    return t


def filter_rng(camera_seed, filter):
    """The Generator of one filter's own flat: the camera seed and the filter's name.

    ``Defect.FILTER_FLAT``'s stream gives one number; with the CRC-32 of the
    filter's name (stable across runs and platforms, unlike ``hash``) it
    seeds the filter's stream.

    Parameters
    ----------
    camera_seed : int
        The camera's identity.
    filter : str
        The filter's name (``R``).

    Returns
    -------
    numpy.random.Generator
    """
    base = int(camera_rng(camera_seed, Defect.FILTER_FLAT).integers(0, 2**63))
    return np.random.default_rng([base, zlib.crc32(filter.encode("ascii"))])


def truth_files(camera):
    """The cosmetics' positions as ``flat-cosmetics.fits`` when the camera has any.

    Parameters
    ----------
    camera : ccdsim.Camera
        The camera.

    Returns
    -------
    dict
        ``{file name: function}`` returning an `~astropy.table.Table`.
    """
    if not (camera.dead_columns or camera.partial_columns or camera.low_patches):
        return {}
    return {"flat-cosmetics.fits": lambda: cosmetics_table(camera)}


# Flat field (sensitivity): multiplies light only, never bias or dark current. ----


def vignetting(shape, depth):
    """Smooth fall-off of the illumination towards the corners.

    ``1 - depth * (r / r_corner)**2``, ``r`` from the frame centre: 1 there, ``1 -
    depth`` in the corners (``cos**4`` vignetting near the axis).

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    depth : float
        Fractional loss of light in the corners, in [0, 1).

    Returns
    -------
    ndarray of float32, relative sensitivity.
    """
    ny, nx = shape
    y = (np.arange(ny, dtype=np.float32) - (ny - 1) / 2) ** 2
    x = (np.arange(nx, dtype=np.float32) - (nx - 1) / 2) ** 2
    r2_corner = max(((ny - 1) / 2) ** 2 + ((nx - 1) / 2) ** 2, 1.0)
    return (1 - np.float32(depth / r2_corner) * (y[:, None] + x[None, :])).astype(np.float32)


def dust_donuts(shape, n_spots, *, radius=(8.0, 30.0), depth=(0.01, 0.05), rng=None):
    """Shadows of dust on a window or filter: out-of-focus rings ("donuts").

    Each shadow is an annulus (the telescope's central obstruction makes the
    hole) with outer radius uniform in ``radius``, inner radius 0.4 of it and
    a fractional loss of light uniform in ``depth``, with edges softened over
    about one pixel.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    n_spots : int
        Number of dust shadows (>= 0).
    radius : tuple of float, optional
        Range of the outer radius, in pixels.
    depth : tuple of float, optional
        Range of the fractional loss of light inside the ring.
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7); pass ``camera_rng(seed, Defect.DUST)``.

    Returns
    -------
    ndarray of float32, relative sensitivity (1 outside the shadows).
    """
    rng = np.random.default_rng(rng)
    ny, nx = shape
    out = np.ones(shape, dtype=np.float32)
    xc, yc = rng.uniform(0, nx, n_spots), rng.uniform(0, ny, n_spots)
    r_out = rng.uniform(*radius, n_spots)
    d = rng.uniform(*depth, n_spots)
    for x0, y0, ro, dd in zip(xc, yc, r_out, d):
        half = int(np.ceil(ro + 2))
        ys = slice(max(int(y0) - half, 0), min(int(y0) + half + 1, ny))
        xs = slice(max(int(x0) - half, 0), min(int(x0) + half + 1, nx))
        yy, xx = np.mgrid[ys, xs]
        r = np.hypot(xx - x0, yy - y0)
        # 1 inside the annulus, 0 outside, linear over one pixel at each edge
        inside = np.clip(ro + 0.5 - r, 0, 1) * np.clip(r - 0.4 * ro + 0.5, 0, 1)
        out[ys, xs] *= (1 - dd * inside).astype(np.float32)
    return out


def pixel_response(shape, rms, *, rng=None):
    """Pixel-to-pixel response non-uniformity (PRNU): ``1 + rms * N(0, 1)`` per pixel.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)``.
    rms : float
        Fractional rms of the pixel responses (about 0.01 for real CCDs).
    rng : {None, int, numpy.random.Generator}, optional
        Source of randomness (SPEC 7); pass ``camera_rng(seed, Defect.FLAT)``.
    """
    rng = np.random.default_rng(rng)
    out = rng.standard_normal(shape, dtype=np.float32)
    out *= np.float32(rms)
    out += 1
    return np.clip(out, 0.01, None, out=out)


def flat_map(shape, *, vignetting_depth=0.0, dust=None, prnu=None):
    """Sensitivity map: vignetting x dust x PRNU, normalised to mean 1.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    vignetting_depth : float, optional
        Fractional loss of light in the corners (see `vignetting`).
    dust, prnu : ndarray, optional
        Maps from `dust_donuts` and `pixel_response` (``prnu``, fresh, is reused).

    Returns
    -------
    ndarray of float32, dimensionless, mean 1 over the data section.
    """
    # No vignetting is 1: prnu x dust alone is the same bits, without a second full-size map.
    plain = vignetting_depth == 0 and prnu is not None and prnu.dtype == np.float32
    out, prnu = (prnu, None) if plain else (vignetting(shape, vignetting_depth), prnu)
    for part in (dust, prnu):
        if part is not None:
            out *= part
    out /= np.float32(out.mean(dtype=np.float64))
    return out


def apply_flat(expected, sources, r0, r1):
    """Step 1: the flat field multiplies the light (the terms before it), never dark charge.

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
    if sources.flat is None or (np.ndim(expected) == 0 and expected == 0):
        return expected  # uniform, or no light to scale
    expected = as_rows(expected, (r1 - r0, sources.nx))
    expected *= sources.flat[r0:r1]
    return expected
