"""A plan's sky: the site, the filters' photometry, targets with coordinates, pointings.

A target with ``ra`` and ``dec`` turns its science frames into real
pointings (`ccdsim.sky`): each frame has a WCS (the target plus its dither),
an airmass (from the plan's ``[site]`` at the exposure's middle, or the
group's ``airmass``), a seeing (the group's median times a log-normal
scatter) and stars from the target's catalogue (a file, or a synthetic field
drawn from the plan seed's ``(CATALOG, k)``) with fluxes from their
magnitudes through the filter's zero point and extinction. Dither and
seeing are the telescope's and the sky's, drawn at ``(POINTING, i)``, never
from the camera's noise.

Plan keys, named as the options: ``[site]`` `SITE_KEYS`; ``[filters.NAME]``
`FILTER_KEYS`; camera ``pixel_scale``, ``rotation``; target
`SKY_TARGET_KEYS`; science group `SKY_GROUP_KEYS`. The names the site's and
targets' keys had before (`OLD_NAMES`: ``latitude``, ``density``, ...) are
still read.
"""

from datetime import timedelta

import numpy as np

from ..core.params import PARAMS
from ..core.seeds import NightStream
from ..core.validate import ParameterError
from ..sky.astrometry import airmass_at, frame_wcs, pointing_cards
from ..sky.catalogs import MAX_STAR_ELECTRONS, frame_stars, mag_column
from ..sky.filters import PER_FILTER
from ..sky.photometry import FWHM_PER_SIGMA, optics_cards, sky_level, star_fluxes

__all__ = ["check_sky_frames", "site_from", "SITE_KEYS", "FILTER_KEYS", "SKY_TARGET_KEYS",
           "SKY_GROUP_KEYS", "FIELD_KEYS", "OLD_NAMES", "renamed", "read_site", "read_filters", "read_sky_target", "read_group_sky",
           "pointing", "has_sky", "sky_light", "sky_cards"]

SITE_KEYS = ("site_latitude", "site_longitude", "site_elevation")
FILTER_KEYS = PER_FILTER
#: A target's synthetic field (without a ``catalog``).
FIELD_KEYS = ("star_density", "bright_mag", "limiting_mag", "count_slope")
SKY_TARGET_KEYS = ("ra", "dec", "catalog") + FIELD_KEYS
#: The site's and targets' keys as plans named them before they were named as the
#: options: ``{table: {old name: key}}``, still read (not both at once).
OLD_NAMES = {"site": {"latitude": "site_latitude", "longitude": "site_longitude",
                      "elevation": "site_elevation"},
             "target": {"density": "star_density", "bright": "bright_mag",
                        "limit": "limiting_mag", "slope": "count_slope"}}
SKY_GROUP_KEYS = ("dither", "dither_pattern", "drift", "field_rotation", "seeing",
                  "seeing_jitter", "airmass")


def site_from(latitude, longitude, elevation=0.0):
    """``(latitude, longitude, elevation)``, or None when neither coordinate is given.

    Raises
    ------
    ccdsim.ParameterError
        Only one of the two coordinates.
    """
    if latitude is None and longitude is None:
        if elevation:  # an elevation alone is no site: it would be dropped without a word
            raise ParameterError("site_elevation needs a site: its latitude and longitude too",
                                 param="site_elevation")
        return None
    if latitude is None or longitude is None:
        raise ParameterError("site_latitude and site_longitude go together: a site needs both",
                             param="site_latitude")
    return (latitude, longitude, elevation)


def renamed(doc, where, table):
    """``doc`` with `OLD_NAMES` of ``table`` read as today's keys, and how each key was
    written (``{key: as written}``); a key given under both names is refused."""
    if not isinstance(doc, dict):
        return doc, {}
    old, out, written = OLD_NAMES[table], {}, {}
    for key, value in doc.items():
        new = old.get(key, key)
        if new in out:
            raise ParameterError(f"{where.key(new)} and {key} are one key ({key} is its old "
                                 f"name): give one of them", param=new)
        out[new], written[new] = value, key
    return out, written


def read_site(doc, where):
    """``(latitude, longitude, elevation)`` of a ``[site]`` table, or None."""
    if not doc:
        return None
    doc, written = renamed(doc, where, "site")
    doc = where.table(doc, SITE_KEYS)
    if "site_latitude" not in doc or "site_longitude" not in doc:
        raise ParameterError(f"{where.key('site_latitude')} and site_longitude are needed",
                             param="site_latitude")
    return tuple(where.value(written.get(k, k), doc.get(k, PARAMS[k].default), k)
                 for k in SITE_KEYS)


def read_filters(doc, where_of):
    """``{filter: {zero_point, extinction, sky_brightness}}`` of ``[filters.NAME]`` tables."""
    out = {}
    for name, fdoc in (doc or {}).items():
        where = where_of(f"filter {name}")
        fdoc = where.table(fdoc, FILTER_KEYS)
        out[name] = {k: where.value(k, fdoc.get(k, PARAMS[k].default), k) for k in FILTER_KEYS}
    return out


def read_sky_target(doc, where, written=None):
    """A target's sky keys (checked), or None when it has no coordinates; ``doc`` as
    `renamed` gives it, ``written`` how its keys were written (error messages), kept under
    ``"written"``."""
    written = written or {}
    if "ra" not in doc and "dec" not in doc:
        if any(k in doc for k in SKY_TARGET_KEYS):
            raise ParameterError(f"{where.key('ra')} and dec are needed for a sky target",
                                 param="ra")
        return None
    if "ra" not in doc or "dec" not in doc:
        raise ParameterError(f"{where.key('ra')} and dec go together", param="ra")
    out = {"ra": where.value("ra", doc["ra"]), "dec": where.value("dec", doc["dec"]),
           "catalog": where.value("catalog", doc["catalog"]) if "catalog" in doc else None}
    for k in FIELD_KEYS:
        out[k] = where.value(written.get(k, k), doc.get(k, PARAMS[k].default), k)
    return {**out, "written": written}


def read_group_sky(doc, where):
    """A science group's pointing keys (checked)."""
    pattern = doc.get("dither_pattern")
    if pattern is not None:
        if not (isinstance(pattern, list) and pattern
                and all(isinstance(p, list) and len(p) == 2 for p in pattern)):
            raise ParameterError(f"{where.key('dither_pattern')} must be a list of "
                                 f"[east, north] offsets in arcsec", param="dither")
        pattern = [tuple(where.value("dither_pattern", v, "rotation", low=-36000, high=36000)
                         for v in p) for p in pattern]
    seeing = doc.get("seeing")
    drift = doc.get("drift", [0.0, 0.0])
    if not (isinstance(drift, list) and len(drift) == 2):
        raise ParameterError(f"{where.key('drift')} must be [east, north] in arcsec over the "
                             f"exposure", param="dither")
    drift = tuple(where.value("drift", v, "rotation", low=-36000, high=36000) for v in drift)
    return {"dither": where.value("dither", doc.get("dither", 0.0)), "pattern": pattern,
            "drift": drift, "spin": where.value("field_rotation", doc.get("field_rotation", 0.0),
                                                "rotation"),
            "seeing": None if seeing is None else where.value("seeing", seeing),
            "jitter": where.value("seeing_jitter", doc.get("seeing_jitter", 0.0)),
            "airmass": (where.value("airmass", doc["airmass"]) if "airmass" in doc else None)}


def pointing(group_sky, target, site, root, index, k, date_obs, exposure_time):
    """One science frame's dither (arcsec), seeing (arcsec FWHM) and airmass.

    Parameters
    ----------
    group_sky : dict
        `read_group_sky`'s.
    target : dict
        The target's sky keys.
    site : tuple or None
        The plan's site.
    root : numpy.random.SeedSequence
        The plan's seed; the frame draws at ``(POINTING, index)``.
    index : int
        The frame's index in the plan.
    k : int
        The frame's position in its group (the dither pattern's step).
    date_obs : datetime
        Start of the exposure.
    exposure_time : float
        In seconds.

    Returns
    -------
    dither : tuple of float
    seeing : float or None
    airmass : float
    drift : tuple of float
        The group's (arcsec east and north over the exposure).
    spin : float
        The group's field rotation, degrees over the exposure.
    """
    rng = np.random.default_rng(np.random.SeedSequence(root.entropy,
                                                       spawn_key=(NightStream.POINTING, index)))
    if group_sky["pattern"]:
        dither = group_sky["pattern"][k % len(group_sky["pattern"])]
    else:  # uniform in a disc
        r = group_sky["dither"] * np.sqrt(rng.random())
        a = 2 * np.pi * rng.random()
        dither = (float(r * np.cos(a)), float(r * np.sin(a)))
    seeing = group_sky["seeing"]
    if seeing is not None:
        seeing = float(seeing * np.exp(group_sky["jitter"] * rng.standard_normal()))
    airmass = group_sky["airmass"]
    if airmass is None and site is not None:
        middle = date_obs + timedelta(seconds=exposure_time / 2)
        airmass = airmass_at(target["ra"], target["dec"], middle.isoformat(), site)
        if not np.isfinite(airmass):
            raise ParameterError(f"target at ra {target['ra']}, dec {target['dec']} is below "
                                 f"the horizon at {middle.isoformat()}", param="airmass")
    return dither, seeing, float(airmass or 1.0), group_sky["drift"], group_sky["spin"]


def _frame_optics(plan, spec):
    """The frame's camera, target, pixel scale, rotation and filter photometry."""
    cam = plan.camera_named(spec.camera)
    target = plan.sky["targets"][spec.target]
    optics = plan.sky["cameras"].get(spec.camera or plan.camera_names[0], {})
    scale = optics.get("pixel_scale", PARAMS["pixel_scale"].default)
    rotation = optics.get("rotation", PARAMS["rotation"].default)
    phot = plan.sky["filters"].get(spec.filter) or {k: PARAMS[k].default for k in FILTER_KEYS}
    return cam, target, scale, rotation, phot


def _frame_setup(plan, spec):
    """`_frame_optics` and the frame's WCS (its target plus its dither)."""
    cam, target, scale, rotation, phot = _frame_optics(plan, spec)
    wcs = frame_wcs(cam.shape, target["ra"], target["dec"], scale, rotation, spec.dither)
    return cam, target, scale, rotation, wcs, phot


def check_sky_frames(plan):
    """Refuse, before any frame is made, sky frames that could only fail while they are made.

    Each frame's catalogue must have magnitudes in its filter; its brightest
    star must stay below `~ccdsim.sky.catalogs.MAX_STAR_ELECTRONS`; its seeing
    on the camera's pixels must be at least the narrowest star ccdsim draws.

    Parameters
    ----------
    plan : ccdsim.plans.model.NightPlan

    Raises
    ------
    ccdsim.ParameterError
        Naming the frame's file, target and filter.
    """
    brightest = {}  # per (target, filter): each catalogue column looked at once
    for spec in plan.frames:
        if not has_sky(plan, spec):
            continue
        cam, target, scale, rotation, phot = _frame_optics(plan, spec)
        where = f"{spec.filename} (target {spec.target}, filter {spec.filter})"
        key = (spec.target, spec.filter)
        if key not in brightest:
            catalog = plan.catalogs[spec.target]
            try:
                mags = np.asarray(catalog[mag_column(catalog, spec.filter)], dtype=float)
            except ParameterError as exc:
                raise ParameterError(f"{where}: {exc}", param=exc.param) from None
            brightest[key] = np.nanmin(mags) if np.isfinite(mags).any() else None
        if brightest[key] is not None:
            e = star_fluxes(brightest[key], spec.exposure_time, phot["zero_point"],
                            phot["extinction"], spec.airmass)
            if e > MAX_STAR_ELECTRONS:
                raise ParameterError(f"{where}: a star of magnitude {brightest[key]:g} gives "
                                     f"{float(e):.3g} e- in {spec.exposure_time:g} s; at most "
                                     f"{MAX_STAR_ELECTRONS:.0e} e- a star (zero_point, "
                                     f"magnitudes)", param="zero_point")
        low = PARAMS["star_sigma"].low
        if spec.seeing is not None and spec.seeing / FWHM_PER_SIGMA / scale < low:
            raise ParameterError(f"{where}: seeing {spec.seeing:g} arcsec is a star of sigma "
                                 f"{spec.seeing / FWHM_PER_SIGMA / scale:.3g} pixels at "
                                 f"{scale:g} arcsec/pixel; at least {low:g} pixels",
                                 param="seeing")


def has_sky(plan, spec):
    """Whether frame ``spec`` points at a sky target (a WCS, catalogue stars)."""
    return spec.stars and spec.target in plan.sky.get("targets", {})


def sky_light(plan, spec):
    """The stars (a truth table) and sky (ADU per pixel) of a sky target's frame.

    Parameters
    ----------
    plan : ccdsim.plans.model.NightPlan
    spec : ccdsim.plans.model.FrameSpec

    Returns
    -------
    stars : astropy.table.Table
    sky : float
        From the filter's ``sky_brightness`` if given, else the group's sky.
    trail : tuple of float or None
        Pixels the stars move during the exposure (the group's ``drift``).
    """
    cam, target, scale, rotation, wcs, phot = _frame_setup(plan, spec)
    stars = frame_stars(plan.catalogs[spec.target], wcs, cam.shape, filter=spec.filter,
                        exposure_time=spec.exposure_time, zero_point=phot["zero_point"],
                        gain=cam.gain, extinction=phot["extinction"], airmass=spec.airmass,
                        fwhm=spec.seeing, pixel_scale=scale)
    sky = spec.sky
    trail = None
    if any(spec.drift):  # where the target's centre lands at the start and at the end
        ends = [frame_wcs(cam.shape, target["ra"], target["dec"], scale, rotation,
                          (spec.dither[0] + s * spec.drift[0] / 2,
                           spec.dither[1] + s * spec.drift[1] / 2))
                .wcs_world2pix([[target["ra"], target["dec"]]], 0)[0] for s in (-1, 1)]
        trail = (float(ends[1][0] - ends[0][0]), float(ends[1][1] - ends[0][1]))
    if spec.spin and len(stars):  # each star along its arc about the centre (a chord)
        ny, nx = cam.shape
        u, v = stars["x_0"] - (nx - 1) / 2, stars["y_0"] - (ny - 1) / 2
        chord = 2 * np.sin(np.radians(spec.spin) / 2)
        turn = np.column_stack([-chord * v, chord * u])
        trail = turn + (trail if trail is not None else 0.0)
    if phot["sky_brightness"] is not None:
        sky = sky_level(phot["sky_brightness"], scale, spec.exposure_time,
                        phot["zero_point"], cam.gain)
    return stars, sky, trail


def sky_cards(plan, spec):
    """Header cards of a sky target's frame: WCS, pointing, site, and the truth."""
    cam, target, scale, rotation, wcs, phot = _frame_setup(plan, spec)
    cards = pointing_cards(wcs, target["ra"], target["dec"], spec.date_obs,
                           plan.sky.get("site"), spec.airmass)
    cards.update(optics_cards(scale, rotation, phot["zero_point"], phot["extinction"],
                              spec.seeing))
    if spec.spin:
        cards["FIELDROT"] = (spec.spin, "[deg] field turned during the exposure, ccw")
    if any(spec.drift):
        cards["DRIFTE"] = (spec.drift[0], "[arcsec] pointing drift east during the exposure")
        cards["DRIFTN"] = (spec.drift[1], "[arcsec] pointing drift north during the exposure")
    cards["DITHERE"] = (spec.dither[0], "[arcsec] dither east of the target")
    cards["DITHERN"] = (spec.dither[1], "[arcsec] dither north of the target")
    return cards
