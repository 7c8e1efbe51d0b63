"""Where a frame points: its WCS, its airmass and the header cards that say so.

- `frame_wcs`: a TAN projection (pointing RA/Dec in degrees, pixel scale in
  arcsec/pixel, rotation in degrees, a dither offset in arcsec) as an
  `astropy.wcs.WCS`, so ``WCS(header).world_to_pixel`` finds the stars;
- `airmass_at`: the airmass of a pointing from a site at a time (astropy's
  AltAz, sec z);
- `pointing_cards`: RA, DEC, OBJCTRA, AIRMASS, LST and the WCS as cards;
- `bin_wcs`: the WCS cards of a binned frame (``--bin NX NY``).
"""

import numpy as np

__all__ = ["offset_pointing", "mjd_card", "frame_wcs", "airmass_at", "pointing_cards",
           "bin_wcs"]
_ARCSEC = 1.0 / 3600.0


def offset_pointing(ra, dec, east, north):
    """The sky position ``(east, north)`` arcsec from ``(ra, dec)``, on its tangent plane.

    The inverse gnomonic projection: exact at any declination, the poles
    included (a dither across the pole comes out on its far side, never past
    dec 90).

    Parameters
    ----------
    ra, dec : float
        Centre, in degrees.
    east, north : float
        Offset, in arcsec on the sky (standard coordinates).

    Returns
    -------
    ra, dec : float
        In degrees; ra in [0, 360).
    """
    if not (east or north):
        return ra % 360.0, dec
    xi, eta = np.radians(east * _ARCSEC), np.radians(north * _ARCSEC)
    d = np.radians(dec)
    dec0 = np.arcsin((np.sin(d) + eta * np.cos(d)) / np.sqrt(1.0 + xi**2 + eta**2))
    ra0 = np.radians(ra) + np.arctan2(xi, np.cos(d) - eta * np.sin(d))
    return float(np.degrees(ra0) % 360.0), float(np.degrees(dec0))


def mjd_card(time):
    """``{"MJD-OBS": (mjd, comment)}`` of an exposure's start (UTC, ISO 8601).

    Every dated frame carries it: astropy's FITS reader then needs no
    ``DATE-OBS`` fix-up (no `FITSFixedWarning` per file in a reduction).

    Parameters
    ----------
    time : str
        Start of the exposure, UTC.

    Returns
    -------
    dict
    """
    from astropy.time import Time

    return {"MJD-OBS": (float(Time(time, scale="utc").mjd),
                        "modified Julian date of the exposure start")}


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
    ra0, dec0 = offset_pointing(ra, dec, *offset)
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
        cards["JD"] = (float(Time(time, scale="utc").jd), "Julian date of the exposure start")
        cards.update(mjd_card(time))
    if site is not None and time is not None:
        lat, lon, height = site
        with iers.conf.set_temp("auto_download", False):
            lst = Time(time, scale="utc").sidereal_time("mean", longitude=lon * u.deg)
        cards["LST"] = (str(lst.to_string(sep=":", precision=1, pad=True)), "local sidereal time")
        cards["SITELAT"] = (float(lat), "[deg] site latitude")
        cards["SITELONG"] = (float(lon), "[deg] site longitude, east positive")
        cards["SITEELEV"] = (float(height), "[m] site elevation")
    if airmass is not None:
        cards["AIRMASS"] = (float(airmass), "airmass (sec z) at the exposure's middle")
    return cards


def bin_wcs(header, xbinning, ybinning):
    """Make a header's WCS cards describe the frame binned ``xbinning x ybinning``, in place.

    A binned pixel ``q`` (1-based) covers the pixels whose centres lie
    between ``(q - 1) b + 1`` and ``q b``, so ``CRPIXj`` becomes
    ``(CRPIXj - 0.5) / b + 0.5``; each pixel axis's step grows ``b`` times:
    the column ``j`` of ``CDi_j`` is multiplied by its axis's ``b``; with a
    ``PC`` matrix, ``CDELTi`` when both axes bin alike (``PC`` stays a
    rotation), else ``PC``'s columns; without a matrix, ``CDELTj``. A header
    without a WCS is left as it is.

    Parameters
    ----------
    header : astropy.io.fits.Header
        A frame's header, changed in place.
    xbinning, ybinning : int
        Pixels binned along a row (axis 1) and a column (axis 2).

    Returns
    -------
    astropy.io.fits.Header
        ``header``.
    """
    factor = {1: int(xbinning), 2: int(ybinning)}
    if not any(f"CRPIX{j}" in header for j in factor):
        return header
    for j, b in factor.items():
        header[f"CRPIX{j}"] = (header[f"CRPIX{j}"] - 0.5) / b + 0.5
    matrix = next((m for m in ("CD", "PC") if any(f"{m}{i}_{j}" in header for i in factor
                                                    for j in factor)), None)
    if matrix == "CD" or (matrix == "PC" and factor[1] != factor[2]):
        for i in factor:
            for j, b in factor.items():
                if f"{matrix}{i}_{j}" in header:
                    header[f"{matrix}{i}_{j}"] = header[f"{matrix}{i}_{j}"] * b
    else:  # no matrix, or a PC rotation binned alike along both axes
        for j, b in factor.items():
            header[f"CDELT{j}"] = header.get(f"CDELT{j}", 1.0) * b
    return header
