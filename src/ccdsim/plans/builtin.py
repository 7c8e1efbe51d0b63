"""Built-in plans: the guide's data sets (package data) and the default night, as TOML.

`plan_text` gives a built-in plan's TOML text (``ccdsim dataset --show
NAME``); `night_document` is the plan ``ccdsim night`` makes from its options.
"""

from importlib.resources import files

from ..camera.camera import Camera
from ..camera.named import NIGHT_CAMERA
from ..core.params import DEFAULTS as D
from ..core.params import IMAGETYP_STYLES, PARAMS
from ..core.validate import ParameterError
from ..io.toml import document_toml
from ..sky.filters import per_filter
from .sky import site_from

__all__ = ["BUILTIN_PLANS", "plan_text", "night_document"]


#: Built-in plans (``ccdsim dataset NAME``): name -> one-line description.
BUILTIN_PLANS = {
    "guide": "stand-ins for the Astropy CCD guide's two example data sets, with the truth",
    "night": "what `ccdsim night` makes by default: one camera, one filter",
    "emva1288": "the EMVA 1288 series of one camera: photon transfer, nonuniformity, dark "
                "current",
}


def plan_text(name):
    """The TOML text of a built-in plan (``ccdsim dataset --show NAME``).

    Parameters
    ----------
    name : str
        A key of `BUILTIN_PLANS`.

    Returns
    -------
    str
    """
    if name not in BUILTIN_PLANS:
        raise ParameterError(f"plan must be one of {', '.join(BUILTIN_PLANS)} or a TOML file "
                             f"(got {name!r})", param="plan")
    if name == "night":
        return document_toml(night_document(), "The default night of `ccdsim night`.")
    return files("ccdsim").joinpath("plans", f"{name}.toml").read_text(encoding="utf-8")


def night_document(camera=None, *, counts=None, exposure=D.exposure_time, dark_exposures=None,
                   filters=None, imagetyp_style=D.imagetyp_style, flat_level=D.flat_level,
                   flat_exposure=D.flat_exposure, sky=D.sky, stars=D.stars,
                   max_counts=D.max_counts, star_sigma=D.star_sigma, moffat=None,
                   object=D.object, start=D.start, overhead=D.overhead, quantize=True,
                   pointing=None, ptc_pairs=D.ptc_pairs, ptc_max_level=D.ptc_max_level,
                   layout=D.layout, filter=None, camera_name=None):
    """The night as an observing plan document (`ccdsim.plans.file`): what `plan_night` runs.

    Biases, then darks at each dark exposure, then flats in each filter, then
    science frames in each filter; every frame names the filter in the beam
    (biases and darks ``filter``). ``ccdsim dataset --show night`` prints
    the default one.

    Parameters
    ----------
    camera : Camera, optional
        Its pixel size goes in the header (default: the night's camera).
    counts : dict, optional
        ``{kind: number of frames}`` (darks per exposure, flats and science
        frames per filter); default: the table's.
    exposure, dark_exposures, filters, imagetyp_style, flat_level, flat_exposure, sky, stars
    max_counts, star_sigma, moffat, object, start, overhead, quantize, pointing
    ptc_pairs, ptc_max_level, layout, filter, camera_name
        As in `plan_night` (checked there; ``filter`` default: the first of
        ``filters``, ``camera_name``: night).

    Returns
    -------
    dict
    """
    camera = Camera(**NIGHT_CAMERA) if camera is None else camera
    counts = counts or {k: PARAMS[f"n_{k}"].default for k in ("bias", "dark", "flat", "science")}
    dark_exposures = dark_exposures or [exposure]
    filters = filters or [filter or PARAMS["filter"].default]
    filter = filter or filters[0]
    header = {"INSTRUME": ["ccdsim camera", "instrument"],
              "TELESCOP": ["ccdsim telescope", "telescope"],
              "OBSERVER": ["ccdsim", "observer"],
              "CCD-TEMP": [-20.0, "[C] CCD temperature"],
              "SET-TEMP": [-20.0, "[C] CCD temperature set point"],
              # as camera drivers write them: the binned pixel's size
              "XPIXSZ": [camera.pixel_size * camera.xbinning, "[um] pixel size in x"],
              "YPIXSZ": [camera.pixel_size * camera.ybinning, "[um] pixel size in y"]}
    doc = {"name": "night", "start": start, "overhead": overhead, "quantize": quantize,
           "layout": layout, "star_sigma": star_sigma, "imagetyp_style": imagetyp_style}
    if moffat is not None:
        doc["moffat"] = list(moffat)
    doc["cameras"] = {"night": {"camera": camera_name or "night", "header": header}}
    doc["targets"] = {"field": {"object": object, "stars": stars, "max_counts": max_counts,
                                "exposure": exposure, "sky": sky}}
    comment = ["target of the science frames"]

    def group(kind, count, n, **more):
        return {"kind": kind, "count": count, "first": n, "filter": more.pop("filter"),
                "name": f"{kind}-{{number:03d}}.fits", **more,
                "header": {"OBJECT": ([kind] if kind != "science" else [object]) + comment}}

    groups = [group("bias", counts["bias"], 1, filter=filter)]
    darkflat = IMAGETYP_STYLES.get(imagetyp_style, {}).get("darkflat")
    for k, t in enumerate(dark_exposures):
        groups.append(group("dark", counts["dark"], 1 + k * counts["dark"], filter=filter,
                            exposure=t))
        if darkflat and t == flat_exposure:  # the flats' darks, in a style that names them
            groups[-1]["imagetyp"] = darkflat
    for k, f in enumerate(filters):
        groups.append(group("flat", counts["flat"], 1 + k * counts["flat"], filter=f,
                            exposure=flat_exposure,
                            flat={"source": "dome", "level": flat_level}))
    if ptc_pairs:  # flat pairs at rising levels, the same light per second as the flats
        levels = [ptc_max_level * (k + 1) / ptc_pairs for k in range(ptc_pairs) for _ in "ab"]
        ptc = group("flat", 2 * ptc_pairs, 1, filter=filters[0],
                    exposure=[flat_exposure * v / flat_level for v in levels],
                    flat={"source": "dome", "level": levels})
        ptc.update(name="ptc-{number:03d}.fits")
        ptc["header"]["OBJECT"][0] = "photon transfer"
        groups.append(ptc)
    for k, f in enumerate(filters):
        groups.append(group("science", counts["science"], 1 + k * counts["science"], filter=f,
                            exposure=exposure, target="field"))
    doc["groups"] = [g for g in groups if g.get("count")]
    if pointing:
        _point_night(doc, dict(pointing), filters)
    return doc


#: `plan_night`'s pointing keys -> (plan table, key in it).
_POINTING_KEYS = {
    "ra": ("target", "ra"), "dec": ("target", "dec"), "catalog": ("target", "catalog"),
    "star_density": ("target", "star_density"), "limiting_mag": ("target", "limiting_mag"),
    "bright_mag": ("target", "bright_mag"), "count_slope": ("target", "count_slope"),
    "pixel_scale": ("camera", "pixel_scale"), "rotation": ("camera", "rotation"),
    "zero_point": ("filter", "zero_point"), "extinction": ("filter", "extinction"),
    "sky_brightness": ("filter", "sky_brightness"), "airmass": ("science", "airmass"),
    "seeing": ("science", "seeing"), "seeing_jitter": ("science", "seeing_jitter"),
    "dither": ("science", "dither"), "site_latitude": ("site", "site_latitude"),
    "site_longitude": ("site", "site_longitude"), "site_elevation": ("site", "site_elevation"),
}


def _point_night(doc, pointing, filters):
    unknown = [k for k in pointing if k not in _POINTING_KEYS]
    if unknown:
        raise ParameterError(f"pointing: {unknown[0]} is not a pointing key; allowed: "
                             f"{', '.join(_POINTING_KEYS)}", param="ra")
    tables = {"target": doc["targets"]["field"], "camera": doc["cameras"]["night"],
              "site": {}, "filter": {}}
    science = [g for g in doc["groups"] if g["kind"] == "science"]
    for key, value in pointing.items():
        if value is None:
            continue
        where, name = _POINTING_KEYS[key]
        for table in (science if where == "science" else [tables[where]]):
            table[name] = value

    site = tables["site"]
    if site_from(site.get("site_latitude"), site.get("site_longitude")):  # elevation alone
        doc["site"] = site
    given = {k: per_filter(k, v, filters) for k, v in tables["filter"].items()}
    if given:  # each filter its own values (one value given: the same in each)
        doc["filters"] = {f: {k: given[k][f] for k in given} for f in filters}
