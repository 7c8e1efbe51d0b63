"""Star catalogues: a user's file, or a synthetic field, and a catalogue as one frame sees it.

- `target_catalog`: a target's catalogue file (ECSV or FITS, read with a
  byte cap) or, without one, `synthetic_catalog`: a star field from a
  number-count law, counted and bounded before it is drawn;
- `frame_stars`: a catalogue as one frame sees it: pixel positions by the
  frame's WCS, fluxes by its airmass, widths by its seeing.

The light then goes through the camera (`ccdsim.readout`): flat, one
Poisson draw, read noise, gain, bias, ADC.
"""

import numpy as np
from astropy.table import Table

from ..core.params import DEFAULTS as D
from ..core.params import PARAMS
from ..core.reading import MAX_CATALOG_BYTES, read_capped
from ..core.resources import check_star_count
from ..core.seeds import NightStream
from ..core.validate import ParameterError
from .photometry import FWHM_PER_SIGMA, star_fluxes

__all__ = ["check_catalog", "MAX_STAR_ELECTRONS", "synthetic_catalog", "frame_stars", "mag_column",
           "target_catalog"]


#: Most electrons one star may give a frame: far past any real star on a CCD, and
#: far below where a Poisson draw of it would overflow.
MAX_STAR_ELECTRONS = 1e15


def _column(table, name, unit, source):
    """Column ``name`` of ``table`` as float64 in ``unit``: converted from its own unit,
    taken as ``unit`` without one; masked values as NaN."""
    from astropy import units as u

    col = table[name]
    if getattr(col, "ndim", 1) != 1 or col.dtype.kind not in "iuf":
        raise ParameterError(f"{source}: column {name} must hold one number per row (it "
                             f"holds {col.dtype} of shape {col.shape[1:] or '()'})",
                             param="catalog")
    values = np.ma.filled(np.ma.asarray(col, dtype=np.float64), np.nan)
    own = getattr(col, "unit", None)
    if own is not None and unit is not None:
        try:
            values = (values * u.Unit(own)).to_value(unit)
        except (u.UnitConversionError, ValueError):
            raise ParameterError(f"{source}: column {name} is in {own}, which is not "
                                 f"{unit}", param="catalog") from None
    return values


def check_catalog(table, source="catalog"):
    """A user's star catalogue, checked and in ccdsim's units: ra, dec (deg), magnitudes.

    ``ra`` and ``dec`` are converted from the units their columns carry (rad,
    hourangle, ...; degrees without one); every row needs a finite ra and a
    dec in [-90, 90], or the catalogue is refused with the number of rows
    that fail. Magnitude columns (``mag_FILTER`` or ``FILTER``) must be
    numbers (mag); a masked or missing one is NaN, and that star is left out
    of frames in that filter.

    Parameters
    ----------
    table : astropy.table.Table
        As read (or as given).
    source : str, optional
        The catalogue's name in messages.

    Returns
    -------
    astropy.table.Table
        A new table: ``ra``, ``dec`` in degrees, and the other numeric columns
        as float64 (NaN where masked).

    Raises
    ------
    ccdsim.ParameterError
    """
    from astropy import units as u

    missing = [c for c in ("ra", "dec") if c not in table.colnames]
    if missing:
        raise ParameterError(f"{source} has no {' or '.join(missing)} column", param="catalog")
    out = Table()
    out["ra"] = _column(table, "ra", u.deg, source) % 360.0
    out["dec"] = _column(table, "dec", u.deg, source)
    bad = ~(np.isfinite(out["ra"]) & (np.abs(out["dec"]) <= 90))
    if bad.any():
        rows = ", ".join(str(i) for i in np.flatnonzero(bad)[:5])
        raise ParameterError(f"{source}: {bad.sum()} rows have no finite ra or a dec outside "
                             f"[-90, 90] (rows {rows}{', ...' if bad.sum() > 5 else ''})",
                             param="catalog")
    low, high = PARAMS["limiting_mag"].low, PARAMS["limiting_mag"].high
    for name in table.colnames:
        if name in ("ra", "dec") or table[name].dtype.kind not in "iufb":
            continue
        out[name] = _column(table, name, u.mag if name.startswith("mag_") else None, source)
        if name.startswith("mag_") and ((out[name] < low) | (out[name] > high)).any():
            raise ParameterError(f"{source}: column {name} has magnitudes outside "
                                 f"[{low:g}, {high:g}]", param="catalog")
    out["ra"].unit = out["dec"].unit = "deg"
    out.meta.update(table.meta)
    return out


def mag_column(table, filter):
    """The column of ``table`` holding magnitudes in ``filter`` (``mag_V`` or ``V``)."""
    for name in (f"mag_{filter}", filter):
        if name in table.colnames:
            return name
    raise ParameterError(f"catalog has no magnitudes in filter {filter!r} (a column mag_{filter} "
                         f"or {filter}; it has {', '.join(table.colnames)})", param="catalog")


def synthetic_catalog(ra, dec, radius, *, bright=D.bright_mag, limit=D.limiting_mag,
                      density=D.star_density, slope=D.count_slope, filters=("V",), colors=None,
                      rng=None):
    """Stars from a number-count law, uniform on the sky within ``radius`` of a pointing.

    The number of stars per magnitude rises as ``10**(slope * m)`` from
    ``bright`` to ``limit``; ``density`` is the number per square degree
    brighter than ``limit``. Each star gets a colour, normal with mean 0.6
    and sigma 0.3 mag, and its magnitude in filter ``f`` is the reference
    magnitude plus ``colors[f]`` times that colour (``colors`` default: 0
    for the first filter, then 0.5, 1.0, ...: redder filters, fainter blue
    stars... any linear colour law).

    Parameters
    ----------
    ra, dec : float
        Centre, degrees.
    radius : float
        Degrees.
    bright, limit : float, optional
        Magnitude range.
    density : float, optional
        Stars per square degree brighter than ``limit``.
    slope : float, optional
        d log10 N / dm (0.6: a uniform Euclidean population; fewer for the
        Galaxy's real counts).
    filters : sequence of str, optional
        Filters to give magnitudes in (``mag_FILTER`` columns).
    colors : dict, optional
        ``{filter: coefficient}`` of the colour law.
    rng : {None, int, SeedSequence, Generator}, optional
        SPEC 7.

    Returns
    -------
    astropy.table.Table
        ``ra``, ``dec`` (deg), ``color`` (mag), ``mag_FILTER`` per filter.
    """
    if not bright < limit:
        raise ParameterError(f"bright_mag {bright:g} must be brighter (smaller) than "
                             f"limiting_mag {limit:g}", param="bright_mag")
    rng = np.random.default_rng(rng)
    area = 2 * np.pi * (1 - np.cos(np.radians(radius))) * (180 / np.pi) ** 2  # deg^2
    # Counted before anything is drawn: a wide field at a high density is millions.
    check_star_count(density * area, f"{density:g} stars/deg^2 over {area:.3g} deg^2 "
                                     f"(a radius of {radius:.3g} deg)", "star_density")
    n = rng.poisson(density * area)
    # Inverse CDF of N(<m) ~ 10**(slope m) between bright and limit.
    lo, hi = 10.0 ** (slope * bright), 10.0 ** (slope * limit)
    u = rng.random(n)
    # slope 0: as many stars per magnitude at every magnitude (uniform in m)
    mag = np.log10(lo + u * (hi - lo)) / slope if slope > 0 else bright + u * (limit - bright)
    # Uniform on the spherical cap around the pole, then rotated to (ra, dec).
    cos_t = 1 - rng.random(n) * (1 - np.cos(np.radians(radius)))
    phi = rng.random(n) * 2 * np.pi
    sin_t = np.sqrt(1 - cos_t ** 2)
    v = np.stack([sin_t * np.cos(phi), sin_t * np.sin(phi), cos_t])
    a, d = np.radians(ra), np.radians(dec)
    # pole -> (ra, dec): rotate about y by (90 - dec), then about z by ra
    ry = np.array([[np.sin(d), 0, np.cos(d)], [0, 1, 0], [-np.cos(d), 0, np.sin(d)]])
    rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    x, y, z = rz @ ry @ v
    color = rng.normal(0.6, 0.3, n)
    t = Table({"ra": np.degrees(np.arctan2(y, x)) % 360.0,
               "dec": np.degrees(np.arcsin(np.clip(z, -1, 1))), "color": color})
    colors = colors or {f: 0.5 * k for k, f in enumerate(filters)}
    for f in filters:
        t[f"mag_{f}"] = mag + colors.get(f, 0.0) * (color - 0.6)
    t["ra"].unit = t["dec"].unit = "deg"
    t.meta["comment"] = (f"Synthetic field: N(<m) ~ 10**({slope} m), {density:g} stars/deg^2 "
                         f"with m < {limit:g}, m >= {bright:g}")
    return t


def frame_stars(catalog, wcs, shape, *, filter, exposure_time, zero_point, gain,
                extinction=0.0, airmass=1.0, fwhm=None, pixel_scale=1.0, margin=None):
    """A catalogue as one frame sees it: a star table for `ccdsim.Camera.prepare`.

    Parameters
    ----------
    catalog : astropy.table.Table
        ``ra``, ``dec`` (deg) and magnitudes in ``filter`` (`mag_column`).
    wcs : astropy.wcs.WCS
        The frame's.
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    filter : str
        The filter in the beam.
    exposure_time : float
        In seconds.
    zero_point : float
        e-/s of a magnitude-0 star in this filter.
    gain : float
        e-/ADU (the table's fluxes are in ADU, as every ccdsim star table).
    extinction, airmass : float, optional
        mag/airmass and the frame's airmass.
    fwhm : float, optional
        Seeing FWHM in arcsec: each star a Gaussian of sigma FWHM / 2.355 /
        ``pixel_scale`` pixels (None: the camera's ``star_sigma``).
    pixel_scale : float, optional
        arcsec per pixel.
    margin : float, optional
        Keep stars whose centre lies within this many pixels outside the
        frame (default: 5 sigma of the seeing, else 20).

    Returns
    -------
    astropy.table.Table
        ``x_0``, ``y_0`` (0-based pixels), ``flux`` (ADU over the exposure,
        before the flat field), ``sigma`` (pixels, with ``fwhm``), ``ra``,
        ``dec``, ``mag`` and ``filter``: the truth of the frame.
    """
    mag = np.asarray(catalog[mag_column(catalog, filter)], dtype=float)
    x, y = wcs.wcs_world2pix(np.asarray(catalog["ra"], float), np.asarray(catalog["dec"], float),
                             0)
    sigma = None if fwhm is None else fwhm / FWHM_PER_SIGMA / pixel_scale
    margin = (5 * sigma if sigma else 20.0) if margin is None else margin
    ny, nx = shape
    keep = (x > -margin) & (x < nx - 1 + margin) & (y > -margin) & (y < ny - 1 + margin)
    keep &= np.isfinite(mag)
    electrons = star_fluxes(mag[keep], exposure_time, zero_point, extinction, airmass)
    if electrons.size and electrons.max() > MAX_STAR_ELECTRONS:
        raise ParameterError(f"zero_point: a star of magnitude {mag[keep].min():g} gives "
                             f"{electrons.max():.3g} e- in {exposure_time:g} s; at most "
                             f"{MAX_STAR_ELECTRONS:.0e} e- a star", param="zero_point")
    flux = electrons / gain
    t = Table({"x_0": x[keep], "y_0": y[keep], "flux": flux})
    if sigma is not None:
        t["sigma"] = np.full(keep.sum(), sigma)
    t["ra"] = np.asarray(catalog["ra"], float)[keep]
    t["dec"] = np.asarray(catalog["dec"], float)[keep]
    t["mag"] = mag[keep]
    t["filter"] = np.full(keep.sum(), filter, dtype=f"U{max(len(filter), 1)}")
    return t


def target_catalog(target, k, root, radius, filters, base="."):
    """The catalogue of sky target ``k``: its file, or a synthetic field.

    Parameters
    ----------
    target : dict
        `read_sky_target`'s.
    k : int
        The target's position in the plan (its synthetic field's stream).
    root : numpy.random.SeedSequence
        The plan's seed.
    radius : float
        Degrees the field must cover around the target.
    filters : sequence of str
        Filters the plan looks through.
    base : str, optional
        Folder a relative catalogue path is relative to.

    Returns
    -------
    astropy.table.Table
    """
    import os

    if target["catalog"]:
        path = os.path.join(base, target["catalog"])
        raw = read_capped(path, MAX_CATALOG_BYTES, what="catalog", param="catalog")
        try:
            table = _read_table(raw, path)
        except ParameterError:
            raise
        except Exception as exc:  # missing, not a table: one line, naming the file
            raise ParameterError(f"catalog {path} cannot be read as a table "
                                 f"({type(exc).__name__})", param="catalog") from None
        return check_catalog(table, f"catalog {path}")
    rng = np.random.default_rng(np.random.SeedSequence(root.entropy,
                                                       spawn_key=(NightStream.CATALOG, k)))
    return synthetic_catalog(target["ra"], target["dec"], radius, bright=target["bright_mag"],
                             limit=target["limiting_mag"], density=target["star_density"],
                             slope=target["count_slope"], filters=tuple(filters) or ("V",),
                             rng=rng)


def _read_table(raw, path):
    """A table from a catalogue's bytes: FITS by its signature, else ECSV text."""
    import io

    from astropy.table import Table

    if raw.startswith(b"SIMPLE  ="):
        return Table.read(io.BytesIO(raw), format="fits")
    # A list of lines is always data, never taken for a file name (a string may be).
    lines = raw.decode("utf-8").splitlines()
    _check_ecsv_header(lines, path)
    return Table.read(lines, format="ascii.ecsv")


#: Largest YAML header of an ECSV catalogue (bytes): its columns and metadata.
MAX_ECSV_HEADER_BYTES = 1 << 20


def _check_ecsv_header(lines, path):
    """Refuse an ECSV header that is too long or uses YAML aliases, before parsing it.

    Aliases (``*name``) can nest into a structure exponentially larger than the file
    (a "billion laughs"); astropy never writes them. Tokens are only scanned here:
    nothing is built.
    """
    import yaml

    header = []
    for line in lines:
        if not line.startswith("#"):
            break
        header.append(line[2:] if line.startswith("# ") else line[1:])
    if sum(len(h) + 1 for h in header) > MAX_ECSV_HEADER_BYTES:
        raise ParameterError(f"catalog {path}: its ECSV header is longer than "
                             f"{MAX_ECSV_HEADER_BYTES >> 20} MiB", param="catalog")
    body = "\n".join(h for h in header if not h.startswith("%ECSV"))
    try:
        aliases = any(isinstance(t, yaml.AliasToken) for t in yaml.scan(body))
    except yaml.YAMLError:
        return  # not YAML: astropy says it cannot be read
    if aliases:
        raise ParameterError(f"catalog {path}: its ECSV header uses YAML aliases (*name), "
                             f"which are not read (they can expand without bound)",
                             param="catalog")
