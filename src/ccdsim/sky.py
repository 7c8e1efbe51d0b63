"""The sky as it is: where a frame points, through how much air, and what it sees.

Pure functions, in the physics order of a science frame's light:

- `frame_wcs`: a TAN projection (pointing RA/Dec in degrees, pixel scale in
  arcsec/pixel, rotation in degrees, a dither offset in arcsec) as an
  `astropy.wcs.WCS`, so ``WCS(header).world_to_pixel`` finds the stars;
- `airmass_at`: the airmass of a pointing from a site at a time (astropy's
  AltAz, sec z);
- `star_fluxes`: magnitudes -> e- over the exposure: ``zero_point`` e-/s
  for a star of magnitude 0, dimmed by ``extinction`` mag per airmass;
- `sky_level`: sky brightness (mag/arcsec^2) -> ADU per pixel over the
  exposure, through the same zero point and extinction;
- `synthetic_catalog`: a star field from a number-count law;
- `frame_stars`: a catalogue as one frame sees it: pixel positions by the
  frame's WCS, fluxes by its airmass, widths by its seeing.

The light then goes through the camera (`ccdsim.readout`): flat, one
Poisson draw, read noise, gain, bias, ADC.
"""

import numpy as np
from astropy.table import Table

from .resources import check_star_count

__all__ = ["frame_wcs", "airmass_at", "pointing_cards", "optics_cards", "star_fluxes", "sky_level",
           "synthetic_catalog", "frame_stars", "FWHM_PER_SIGMA", "mag_column"]

#: A Gaussian's FWHM over its sigma, 2 sqrt(2 ln 2).
FWHM_PER_SIGMA = 2.0 * np.sqrt(2.0 * np.log(2.0))
_ARCSEC = 1.0 / 3600.0


def frame_wcs(shape, ra, dec, pixel_scale, rotation=0.0, offset=(0.0, 0.0)):
    """The TAN world coordinate system of a frame.

    North is up (+y) and east left (-x) at ``rotation`` 0; a positive
    rotation turns the image's +y axis from north towards east, so the sky
    turns clockwise on the image as displayed with the origin at the lower
    left (north points along (sin r, cos r) in pixels). The reference pixel
    is the data section's centre.

    Parameters
    ----------
    shape : tuple of int
        ``(ny, nx)`` of the data section.
    ra, dec : float
        Pointing: the sky position of the centre, in degrees (ICRS).
    pixel_scale : float
        In arcsec per pixel.
    rotation : float, optional
        Position angle of the image's +y axis, degrees east of north.
    offset : tuple of float, optional
        ``(east, north)`` dither of the pointing, in arcsec on the sky.

    Returns
    -------
    astropy.wcs.WCS
    """
    from astropy.wcs import WCS

    ny, nx = shape
    east, north = offset
    dec0 = dec + north * _ARCSEC
    ra0 = (ra + east * _ARCSEC / np.cos(np.radians(dec0))) % 360.0
    w = WCS(naxis=2)
    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w.wcs.crval = [ra0, dec0]
    w.wcs.crpix = [(nx + 1) / 2.0, (ny + 1) / 2.0]  # FITS pixels are 1-based
    s, t = pixel_scale * _ARCSEC, np.radians(rotation)
    w.wcs.cd = [[-s * np.cos(t), s * np.sin(t)], [s * np.sin(t), s * np.cos(t)]]
    w.wcs.radesys = "ICRS"
    w.wcs.equinox = 2000.0
    return w


def airmass_at(ra, dec, time, site):
    """Airmass (sec z) of a pointing from a site at a time.

    Parameters
    ----------
    ra, dec : float
        Degrees (ICRS).
    time : str or astropy.time.Time
        UTC (ISO 8601).
    site : tuple of float
        ``(latitude deg, longitude deg east, elevation m)``.

    Returns
    -------
    float
        sec z; ``inf`` when the pointing is below the horizon.
    """
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord
    from astropy.time import Time
    from astropy.utils import iers

    lat, lon, height = site
    where = EarthLocation(lat=lat * u.deg, lon=lon * u.deg, height=height * u.m)
    # The bundled Earth-orientation tables: never a download in the middle of a run.
    with iers.conf.set_temp("auto_download", False):
        altaz = SkyCoord(ra * u.deg, dec * u.deg).transform_to(
            AltAz(obstime=Time(time, scale="utc"), location=where))
    alt = float(altaz.alt.deg)
    return float(1.0 / np.sin(np.radians(alt))) if alt > 0 else float("inf")


def pointing_cards(wcs, ra, dec, time=None, site=None, airmass=None):
    """Header cards of a pointing: the WCS and what real cameras write beside it.

    Parameters
    ----------
    wcs : astropy.wcs.WCS
        The frame's (`frame_wcs`).
    ra, dec : float
        The telescope's pointing, degrees (``RA``, ``DEC``, ``OBJCTRA``, ``OBJCTDEC``).
    time : str, optional
        Start of the exposure, UTC (``JD``, ``MJD-OBS``; ``LST`` with a site);
        None: a frame without a date (no site either).
    site : tuple of float, optional
        ``(latitude, longitude, elevation)`` (``SITELAT``, ``SITELONG``, ``SITEELEV``).
    airmass : float, optional
        ``AIRMASS``.

    Returns
    -------
    dict
        ``{keyword: (value, comment)}``.
    """
    import astropy.units as u
    from astropy.coordinates import Angle
    from astropy.time import Time
    from astropy.utils import iers

    cards = {k: (v, c) for k, v, c in wcs.to_header().cards if k not in ("", "COMMENT")}
    cards["RA"] = (float(ra), "[deg] telescope pointing, ICRS")
    cards["DEC"] = (float(dec), "[deg] telescope pointing, ICRS")
    cards["OBJCTRA"] = (str(Angle(ra, u.deg).to_string(u.hour, sep=" ", precision=2,
                                                       pad=True)), "[h m s] pointing RA")
    cards["OBJCTDEC"] = (str(Angle(dec, u.deg).to_string(u.deg, sep=" ", precision=1,
                                                        alwayssign=True, pad=True)),
                         "[d m s] pointing Dec")
    cards["EQUINOX"] = (2000.0, "equinox of the coordinates")
    if time is not None:
        t = Time(time, scale="utc")
        cards["JD"] = (float(t.jd), "Julian date of the exposure start")
        cards["MJD-OBS"] = (float(t.mjd), "modified Julian date of the exposure start")
    if site is not None and time is not None:
        lat, lon, height = site
        with iers.conf.set_temp("auto_download", False):
            lst = t.sidereal_time("mean", longitude=lon * u.deg)
        cards["LST"] = (str(lst.to_string(sep=":", precision=1, pad=True)), "local sidereal time")
        cards["SITELAT"] = (float(lat), "[deg] site latitude")
        cards["SITELONG"] = (float(lon), "[deg] site longitude, east positive")
        cards["SITEELEV"] = (float(height), "[m] site elevation")
    if airmass is not None:
        cards["AIRMASS"] = (float(airmass), "airmass (sec z) at the exposure's middle")
    return cards


def optics_cards(pixel_scale, rotation, zero_point, extinction, seeing=None):
    """Header cards of the optics and the photometric truth, keyed as the parameter table says.

    Parameters
    ----------
    pixel_scale, rotation, zero_point, extinction : float
        arcsec/pixel, degrees, e-/s of a magnitude-0 star, mag/airmass.
    seeing : float, optional
        FWHM in arcsec.

    Returns
    -------
    dict
        ``{keyword: (value, comment)}``.
    """
    from .params import PARAMS

    values = {"pixel_scale": pixel_scale, "rotation": rotation, "zero_point": zero_point,
              "extinction": extinction, "seeing": seeing}
    return {PARAMS[n].fits: (v, PARAMS[n].fits_comment) for n, v in values.items()
            if v is not None}


def star_fluxes(mag, exposure_time, zero_point, extinction=0.0, airmass=1.0):
    """Electrons a star collects over an exposure.

    Parameters
    ----------
    mag : float or ndarray
        Magnitudes above the atmosphere.
    exposure_time : float
        In seconds.
    zero_point : float
        e-/s of a magnitude-0 star above the atmosphere (telescope, filter and
        detector together).
    extinction : float, optional
        In magnitudes per airmass.
    airmass : float, optional
        The frame's airmass.

    Returns
    -------
    ndarray
        e- over the exposure.
    """
    return zero_point * exposure_time * 10.0 ** (-0.4 * (np.asarray(mag, float)
                                                         + extinction * airmass))


def sky_level(brightness, pixel_scale, exposure_time, zero_point, gain, extinction=0.0,
              airmass=1.0):
    """Sky per pixel over an exposure, in ADU, from its surface brightness.

    Parameters
    ----------
    brightness : float
        Sky surface brightness, mag/arcsec^2 (as seen, at the frame's airmass).
    pixel_scale : float
        arcsec per pixel.
    exposure_time : float
        In seconds.
    zero_point : float
        e-/s of a magnitude-0 source.
    gain : float
        e-/ADU.
    extinction, airmass : float, optional
        Unused for the sky's own glow (it is where the air is); kept for
        symmetry with `star_fluxes` and ignored.

    Returns
    -------
    float
    """
    del extinction, airmass  # the sky shines from inside the atmosphere
    return float(zero_point * 10.0 ** (-0.4 * brightness) * pixel_scale ** 2
                 * exposure_time / gain)


def mag_column(table, filter):
    """The column of ``table`` holding magnitudes in ``filter`` (``mag_V`` or ``V``)."""
    for name in (f"mag_{filter}", filter):
        if name in table.colnames:
            return name
    from .validate import ParameterError

    raise ParameterError(f"catalog has no magnitudes in filter {filter!r} (a column mag_{filter} "
                         f"or {filter}; it has {', '.join(table.colnames)})", param="catalog")


def synthetic_catalog(ra, dec, radius, *, bright=12.0, limit=20.0, density=2000.0, slope=0.3,
                      filters=("V",), colors=None, rng=None):
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
    rng = np.random.default_rng(rng)
    area = 2 * np.pi * (1 - np.cos(np.radians(radius))) * (180 / np.pi) ** 2  # deg^2
    # Counted before anything is drawn: a wide field at a high density is millions.
    check_star_count(density * area, f"{density:g} stars/deg^2 over {area:.3g} deg^2 "
                                     f"(a radius of {radius:.3g} deg)", "star_density")
    n = rng.poisson(density * area)
    # Inverse CDF of N(<m) ~ 10**(slope m) between bright and limit.
    lo, hi = 10.0 ** (slope * bright), 10.0 ** (slope * limit)
    mag = np.log10(lo + rng.random(n) * (hi - lo)) / slope
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
    flux = star_fluxes(mag[keep], exposure_time, zero_point, extinction, airmass) / gain
    t = Table({"x_0": x[keep], "y_0": y[keep], "flux": flux})
    if sigma is not None:
        t["sigma"] = np.full(keep.sum(), sigma)
    t["ra"] = np.asarray(catalog["ra"], float)[keep]
    t["dec"] = np.asarray(catalog["dec"], float)[keep]
    t["mag"] = mag[keep]
    t["filter"] = np.full(keep.sum(), filter, dtype=f"U{max(len(filter), 1)}")
    return t
