"""One group of an observing plan: its frames, their times, names, light and cards.

`group_frames` reads one ``[[groups]]`` table of a plan (`ccdsim.plans.file`)
and returns its `ccdsim.plans.model.FrameSpec`; `Where` names the group and key in
every error message (``group 3 (bias): count must be ...``).
"""

import posixpath
from datetime import datetime, timedelta

import numpy as np

from ..core.labels import number_pattern

from ..core.params import MAX_PLAN_FRAMES, PARAMS, check, utc
from ..core.validate import ParameterError, cut
from ..io.fits import card_problem, fits_name_problem
from .model import IMAGETYP_STYLES, KINDS, Combine, FrameSpec, expand_card
from .sky import SKY_GROUP_KEYS, pointing, read_group_sky

__all__ = ["Where", "cards_of", "group_frames", "timeline_start", "GROUP_KEYS"]

GROUP_KEYS = ("camera", "kind", "count", "numbers", "first", "exposure", "filter", "start",
              "gap", "overhead", "folder", "name", "imagetyp", "target", "sky_gradient",
              "sky_factor", "bias_offset", "flat", "combine", "header") + SKY_GROUP_KEYS
FLAT_KEYS = ("source", "level", "efold", "gradient")
COMBINE_KEYS = ("count", "subtract", "trim", "overscan_start")
_DATE = "%Y-%m-%dT%H:%M:%S.%f"


class Where:
    """Names a key in error messages: ``group 3 (bias): count``."""

    def __init__(self, where):
        self.where = where

    def key(self, key):
        return f"{self.where}: {key}" if self.where else key

    def table(self, doc, allowed):
        if not isinstance(doc, dict):
            raise ParameterError(f"{self.where} must be a table of keys")
        unknown = [k for k in doc if k not in allowed]
        if unknown:
            raise ParameterError(f"{self.key(unknown[0])} is not a key here; allowed: "
                                 f"{', '.join(allowed)}", param=unknown[0])
        return doc

    def value(self, name, value, param=None, **bounds):
        return check(param or name, value, self.key(name), **bounds)

    def choice(self, name, value, choices):
        if value not in choices:
            raise ParameterError(f"{self.key(name)} must be one of {', '.join(choices)} "
                                 f"(got {value!r})", param=name)
        return value

    def number_list(self, name, value, count, param, **bounds):
        values = value if isinstance(value, list) else [value] * count
        if len(values) != count:
            raise ParameterError(f"{self.key(name)} has {len(values)} values for "
                                 f"{count} frames", param=name)
        return [self.value(name, v, param, **bounds) for v in values]


def _check_total(before, count, where):
    """Refuse a plan of more than `MAX_PLAN_FRAMES` frames, counted before they are made."""
    if before + count > MAX_PLAN_FRAMES:
        raise ParameterError(f"{where.key('count')}: the plan would hold {before + count:,} "
                             f"frames; at most {MAX_PLAN_FRAMES:,} in one plan", param="n")


def cards_of(doc, where):
    """``[(key, value, comment)]`` of a ``header`` table, each checked (`check_cards` fills
    templates in and checks the whole card).

    A card is ``KEY = value``, ``KEY = [value, comment]``, or, for a key ccdsim
    writes itself, ``KEY = [value, comment, "override"]`` to set it on purpose.
    """
    if not isinstance(doc, dict):
        raise ParameterError(f"{where.key('header')} must be a table of FITS keywords",
                             param="header")
    cards = []
    for key, item in doc.items():
        override = isinstance(item, list) and len(item) == 3 and item[2] == "override"
        if isinstance(item, list) and len(item) in (2, 3) and (len(item) == 2 or override):
            value, comment = item[0], item[1]
        else:
            value, comment = item, ""
        problem = card_problem(key, value, comment, override)  # templates: `check_cards`
        if problem:
            raise ParameterError(f"{where.key('header')}: {cut(key, 20)!r} {problem}",
                                 param="header")
        cards.append((key, value, comment))
    return tuple(cards)


def check_cards(cards, camera, where):
    """Refuse, before any work, a card whose value, templates filled in for ``camera``, is
    not a valid FITS card (`ccdsim.io.fits.card_problem`)."""
    for key, value, comment in cards:
        problem = card_problem(key, expand_card(value, camera), comment, override=True)
        if problem:
            raise ParameterError(f"{where.key('header')}: {cut(key, 20)} {problem} (with the "
                                 f"camera's sizes filled in)", param="header")


def timeline_start(doc, where, previous_end):
    if "start" in doc and "gap" in doc:
        raise ParameterError(f"{where.key('start')} and gap exclude each other", param="start")
    if "start" in doc:  # text, or a TOML date-time; offsets converted to UTC
        start = doc["start"]
        return utc(start if isinstance(start, datetime) else where.value("start", start),
                   where.key("start"))
    gap = where.value("gap", doc.get("gap", 0.0), "overhead", high=1e8)
    if previous_end is None:
        raise ParameterError(f"{where.key('start')} is needed: the plan's first group and "
                             f"the plan set no start", param="start")
    return previous_end + timedelta(seconds=gap)


def group_frames(g, doc, first_index, t, names, cams, cam_cards, targets, style, overhead,
                 sky_context=None, root=None):
    """The frames of group ``g`` (1-based) and the time its last frame ends.

    ``sky_context``: ``{"targets": sky targets by name, "site": site}`` (`ccdsim.plans.sky`);
    ``root``: the plan's seed (each sky frame's dither and seeing).
    """
    kind = doc.get("kind") if isinstance(doc, dict) else None
    where = Where(f"group {g}" + (f" ({kind})" if kind in KINDS else ""))
    doc = where.table(doc, GROUP_KEYS)
    kind = where.choice("kind", doc.get("kind"), KINDS)
    cname = where.choice("camera", doc.get("camera", names[0]), names)
    cam = cams[cname]
    combine = None
    if "combine" in doc:
        cw = Where(where.key("combine"))
        cdoc = cw.table(doc["combine"], COMBINE_KEYS)
        combine = Combine(count=cw.value("count", cdoc.get("count", 1), "n", high=10**4),
                          subtract=cw.choice("subtract", cdoc.get("subtract", "none"),
                                             ("none", "bias", "overscan")),
                          trim=cw.value("trim", cdoc.get("trim", False), "quantize"),
                          overscan_start=cw.value("overscan_start",
                                                  cdoc.get("overscan_start", 0), "overscan"))
        if combine.subtract == "overscan" and not cam.overscan:
            raise ParameterError(f"{where.key('combine')}: subtract = 'overscan' needs a camera "
                                 f"with overscan columns", param="subtract")
        if combine.overscan_start >= max(cam.overscan, 1):
            raise ParameterError(f"{where.key('combine')}: overscan_start must be below the "
                                 f"camera's {cam.overscan} overscan columns", param="overscan")
    if "numbers" in doc and ("count" in doc or "first" in doc):
        raise ParameterError(f"{where.key('numbers')} excludes count and first", param="numbers")
    if "numbers" in doc:
        numbers = doc["numbers"]
        if not (isinstance(numbers, list) and numbers):
            raise ParameterError(f"{where.key('numbers')} must be a list of file numbers",
                                 param="numbers")
        numbers = [where.value("numbers", n, "n", low=0) for n in numbers]
    else:
        count = 1 if combine else where.value("count", doc.get("count", 1), "n")
        first = where.value("first", doc.get("first", 1), "n", low=0)
        _check_total(first_index, count, where)  # before a list of them is made
        numbers = list(range(first, first + count))
    n = len(numbers)
    _check_total(first_index, n, where)
    default_exposure = 0.0 if kind == "bias" else None
    if doc.get("exposure", default_exposure) is None:
        raise ParameterError(f"{where.key('exposure')} is needed for {kind} frames",
                             param="exposure_time")
    exposures = where.number_list("exposure", doc.get("exposure", default_exposure), n,
                                  "exposure_time")
    if kind == "bias" and any(exposures):
        raise ParameterError(f"{where.key('exposure')} of a bias must be 0", param="exposure")
    if kind != "bias" and not all(exposures):
        raise ParameterError(f"{where.key('exposure')} of {kind} frames must be > 0",
                             param="exposure")
    filt = where.value("filter", doc["filter"]) if "filter" in doc else None
    bias_offset = where.value("bias_offset", doc.get("bias_offset", 0.0), "overscan_offset")
    over = where.value("overhead", doc.get("overhead", overhead))
    t = timeline_start(doc, where, t)
    name_of = number_pattern(where.value("name", doc.get("name", f"{kind}-{{number:03d}}.fits"),
                                         "filter"), where.key("name"))
    folder = where.value("folder", doc.get("folder", ""), "filter")
    if ".." in folder.replace("\\", "/").split("/") or folder.startswith("/"):
        raise ParameterError(f"{where.key('folder')} must stay inside OUTDIR (got {folder!r})",
                             param="folder")
    folder = posixpath.normpath(folder) if folder else ""  # a/./b and a//b are a/b
    folder = "" if folder == "." else folder
    imagetyp = where.value("imagetyp", doc.get("imagetyp", IMAGETYP_STYLES[style][kind]),
                           "filter")
    cards = cam_cards[cname] + cards_of(doc.get("header", {}), where)
    check_cards(cards, cams[cname], where)
    if filt is not None:
        cards = (("FILTER", filt, PARAMS["filter"].fits_comment),) + cards
    levels, gradient, target, flux, efold = _light(doc, where, kind, exposures, targets)
    if target and kind == "science":  # the target's name as observers write it; a card wins
        cards = (("OBJECT", targets[target]["object"], PARAMS["object"].fits_comment),) + cards
    sky_target = ((sky_context or {}).get("targets", {}).get(target) if kind == "science"
                  else None)
    if sky_target is not None:
        group_sky = read_group_sky(doc, where)
        if filt is None:
            raise ParameterError(f"{where.key('filter')} is needed: target {target} has "
                                 f"coordinates, and magnitudes are per filter", param="filter")
    elif any(k in doc for k in SKY_GROUP_KEYS):
        raise ParameterError(f"{where.key('dither')}, seeing and airmass are for science "
                             f"frames of a target with ra and dec", param="dither")
    frames, mid0 = [], None
    for k, (number, exposure) in enumerate(zip(numbers, exposures)):
        filename = name_of(number)
        problem = fits_name_problem(filename)
        if problem:
            raise ParameterError(f"{where.key('name')}: {filename} {problem}", param="name")
        sky = levels[k]
        if efold is not None:  # twilight: the rate fades from the first exposure's middle
            mid = t + timedelta(seconds=exposure / 2)
            mid0 = mid0 or mid
            rate0 = levels[0] / exposures[0]
            sky = rate0 * exposure * float(np.exp(-(mid - mid0).total_seconds() / efold))
        scale = exposure / targets[target]["exposure"] if target else 1.0
        point = {}
        if sky_target is not None:
            dither, seeing, airmass, drift, spin = pointing(
                group_sky, sky_target, sky_context["site"], root, first_index + len(frames), k,
                t, exposure)
            point = dict(dither=dither, seeing=seeing, airmass=airmass, drift=drift, spin=spin)
        frames.append(FrameSpec(
            index=first_index + len(frames), kind=kind,
            filename=f"{folder.rstrip('/')}/{filename}" if folder else filename,
            exposure_time=exposure, date_obs=t.strftime(_DATE)[:-3],
            sky=sky * scale if kind == "science" else sky, stars=flux, camera=cname,
            filter=filt, imagetyp=imagetyp, cards=cards, sky_gradient=gradient,
            target=target, flux_scale=scale, combine=combine, bias_offset=bias_offset,
            **point))
        if combine is None:
            t += timedelta(seconds=exposure + over)
    return frames, t


def _light(doc, where, kind, exposures, targets):
    """``(levels per frame, gradient, target, stars?, twilight e-folding s or None)``."""
    n = len(exposures)
    gradient = where.value("sky_gradient", doc.get("sky_gradient", 0.0), "flat_exposure",
                           low=-1.0, high=1.0)
    if kind == "flat":
        fw = Where(where.key("flat"))
        fdoc = fw.table(doc.get("flat", {"source": "dome"}), FLAT_KEYS)
        source = fw.choice("source", fdoc.get("source", "dome"), ("dome", "twilight"))
        levels = fw.number_list("level", fdoc.get("level", PARAMS["flat_level"].default), n,
                                "flat_level")
        efold = (fw.value("efold", fdoc.get("efold", 600.0), "flat_exposure")
                 if source == "twilight" else None)
        gradient = fw.value("gradient", fdoc.get("gradient", gradient), "flat_exposure",
                            low=-1.0, high=1.0)
        return levels, gradient, "", False, efold
    if kind == "science":
        if not targets:
            raise ParameterError(f"{where.key('target')}: science frames need a [targets.NAME]",
                                 param="target")
        target = where.choice("target", doc.get("target", next(iter(targets))),
                              tuple(targets))
        factor = where.value("sky_factor", doc.get("sky_factor", 1.0), "flat_exposure")
        return [targets[target]["sky"] * factor] * n, gradient, target, True, None
    return [0.0] * n, 0.0, "", False, None


