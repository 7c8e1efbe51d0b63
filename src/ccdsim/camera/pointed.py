"""One frame pointed at the sky: `prepare_pointed`, what ``ccdsim image --ra --dec`` makes.

The same physics as a plan's sky targets (`ccdsim.plans.sky`, `ccdsim.sky`),
for a single exposure: its stars from a catalogue or a synthetic field drawn
from the frame's own seed, its airmass given or from a site and a time.
"""

import numpy as np

from ..core.params import DEFAULTS as D
from ..core.params import PARAMS, check, parse_start
from ..core.seeds import Stream, child_rng, frame_seed_sequence
from ..core.validate import ParameterError
from ..sky.astrometry import airmass_at, frame_wcs, pointing_cards
from ..sky.catalogs import frame_stars, synthetic_catalog, target_catalog
from ..sky.filters import per_filter
from ..sky.photometry import optics_cards, sky_level

__all__ = ["prepare_pointed"]


def prepare_pointed(camera, exposure_time, *, ra, dec, pixel_scale=D.pixel_scale,
                    rotation=D.rotation, filter=D.filter, catalog=None, zero_point=D.zero_point,
                    extinction=D.extinction, airmass=None, sky_brightness=None, sky=0.0,
                    seeing=None, star_density=D.star_density, limiting_mag=D.limiting_mag,
                    bright_mag=D.bright_mag, count_slope=D.count_slope, moffat=None,
                    star_sigma=D.star_sigma, quantize=True, time=None, site=None, rng=None):
    """One exposure pointed at the sky: `ccdsim.Camera.prepare` with a WCS and magnitudes.

    Stars come from ``catalog`` (a table or a file: ``ra``, ``dec``, magnitudes
    in ``filter``) or, without one, from a synthetic field (`ccdsim.sky.synthetic_catalog`)
    drawn from the frame seed's ``Stream.SKY_FIELD``; their fluxes are
    ``zero_point`` x 10**(-0.4 (m + extinction x airmass)) x t. The sky is
    ``sky_brightness`` (mag/arcsec^2) through the same zero point, or ``sky``
    ADU. Parameters with units as in the parameter table (`ccdsim.core.params`).

    Parameters
    ----------
    camera : ccdsim.Camera
    exposure_time : float
        Seconds.
    ra, dec, pixel_scale, rotation, filter, catalog, zero_point, extinction, airmass, \
sky_brightness, sky, seeing, star_density, limiting_mag, bright_mag, count_slope
        The pointing, its stars and its sky (see ``ccdsim image --help``);
        ``zero_point``, ``extinction`` and ``sky_brightness`` also as
        ``{filter: value}`` or ``"V=5e8,R=6e8"`` (`ccdsim.sky.per_filter`),
        naming ``filter`` and no other.
    moffat, star_sigma, quantize, rng
        As in `ccdsim.Camera.prepare`.
    time : str, optional
        Start of the exposure, UTC, ISO 8601 (``DATE-OBS``, ``JD``, ``MJD-OBS``).
    site : tuple of float, optional
        ``(latitude deg, longitude deg east, elevation m)``: with ``time`` and
        no ``airmass``, the airmass at the exposure's middle (and ``LST``).

    Returns
    -------
    ccdsim.camera.Exposure
        Its header has the WCS, pointing cards and the photometric truth; its
        truth table ``ra``, ``dec``, ``mag`` and ``filter`` beside ``x_0``,
        ``y_0``, ``flux``.
    """
    from astropy.table import Table

    ra, dec = check("ra", ra), check("dec", dec)
    if ra is None or dec is None:
        raise ParameterError("ra and dec go together: give both for a pointing", param="ra")
    pixel_scale, rotation = check("pixel_scale", pixel_scale), check("rotation", rotation)
    filter = check("filter", filter)
    zero_point, extinction, sky_brightness = (
        per_filter(name, value, [filter])[filter] for name, value in (
            ("zero_point", zero_point), ("extinction", extinction),
            ("sky_brightness", sky_brightness)))
    if time is not None:
        start = parse_start(time)
    if site is not None:
        site = (check("site_latitude", site[0]), check("site_longitude", site[1]),
                check("site_elevation", site[2]))
    if airmass is None and site is not None and time is not None:
        from datetime import timedelta

        middle = (start + timedelta(seconds=float(exposure_time) / 2)).isoformat()
        airmass = airmass_at(ra, dec, middle, site)
        if not np.isfinite(airmass):
            raise ParameterError(f"ra {ra}, dec {dec} is below the horizon at {middle} from "
                                 f"the site", param="airmass")
    airmass = 1.0 if airmass is None else check("airmass", airmass)
    seeing = check("seeing", seeing)
    seed_seq = frame_seed_sequence(rng)
    wcs = frame_wcs(camera.shape, ra, dec, pixel_scale, rotation)
    if isinstance(catalog, Table):
        table = catalog
    elif catalog:
        table = target_catalog({"catalog": check("catalog", catalog)}, 0, None, 0, ())
    else:
        radius = 0.5 * float(np.hypot(*camera.shape)) * pixel_scale / 3600.0 * 1.05
        table = synthetic_catalog(
            ra, dec, radius, filters=(filter,), rng=child_rng(seed_seq, Stream.SKY_FIELD),
            density=check("star_density", star_density), limit=check("limiting_mag", limiting_mag),
            bright=check("bright_mag", bright_mag), slope=check("count_slope", count_slope))
    stars = frame_stars(table, wcs, camera.shape, filter=filter, exposure_time=exposure_time,
                        zero_point=zero_point, gain=camera.gain, extinction=extinction,
                        airmass=airmass, fwhm=seeing, pixel_scale=pixel_scale)
    if sky_brightness is not None:
        sky = sky_level(sky_brightness, pixel_scale, exposure_time,
                        zero_point, camera.gain)
        if not sky <= PARAMS["sky"].high:  # name what the user typed, not the sky it made
            raise ParameterError(f"sky_brightness {sky_brightness:g} mag/arcsec^2 gives "
                                 f"{sky:.3g} ADU per pixel with zero_point {zero_point:g} over "
                                 f"{exposure_time:g} s; at most {PARAMS['sky'].high:g}",
                                 param="sky_brightness")
    cards = pointing_cards(wcs, ra, dec, time, site, airmass=airmass)
    if time is not None:
        cards["DATE-OBS"] = (start.isoformat(timespec="milliseconds"),
                             "[UTC] start of the exposure")
    cards["FILTER"] = (filter, PARAMS["filter"].fits_comment)
    cards.update(optics_cards(pixel_scale, rotation, zero_point, extinction, seeing))
    return camera.prepare(exposure_time, sky=sky, stars=stars, star_sigma=star_sigma,
                          moffat=moffat, quantize=quantize, cards=cards, rng=seed_seq)
