"""Observing plans as TOML: cameras, star fields and groups of frames, in order.

`build_plan` turns a plan document (the dict a TOML file reads as) into a
`ccdsim.plans.model.NightPlan`; `load_plan` does it for a built-in plan's name or
a file. Every key is checked and a bad one is refused with one line naming
its group and key. The keys (see ``ccdsim dataset --show guide``)::

    seed, scale, start, overhead, quantize, layout, star_sigma, moffat   (top level)
    [cameras.NAME]   camera = "cryogenic", any camera parameter, [..header]
    [targets.NAME]   object, stars, max_counts, exposure, sky, ra, dec, catalog,
                     star_density, bright_mag, limiting_mag, count_slope
    [filters.NAME]   zero_point, extinction, sky_brightness
    [site]           site_latitude, site_longitude, site_elevation
    [[groups]]       camera, kind, count | numbers, first, exposure, filter,
                     start | gap, overhead, folder, name, imagetyp, target,
                     sky_gradient, [..flat], [..combine], [..header]

A group's frames are taken one after the other from its ``start`` (or
``gap`` seconds after the previous group's last frame ends), each
``overhead`` seconds after the previous one ends. Flats: ``dome`` light is
``level`` ADU over each exposure; ``twilight`` light is ``level`` ADU over
the group's first exposure, its rate falling as ``exp(-t / efold)`` with the
time ``t`` (s) since that exposure's middle, with a ``gradient`` across the
columns. Science frames see their target: stars and sky given over the
target's ``exposure`` scale with each frame's exposure time.
"""

import copy
import os

import numpy as np

from ..camera.camera import Camera
from ..camera.filekeys import camera_file_parameters, camera_file_problem, complete_parameters
from ..camera.named import CAMERAS, camera_parameters
from ..core.geometry import amplifier_layout
from ..core.labels import label_file_names
from ..core.params import CAMERA_PARAMS, MAX_AMPLIFIERS, PARAMS, check, check_moffat
from ..core.seeds import NightStream, child_rng
from ..core.validate import ParameterError, short_repr
from ..io.amplifiers import LAYOUTS
from ..io.toml import document_toml, read_toml
from ..physics.cosmics import check_count
from ..physics.stars import make_star_table
from ..readout.amplifiers import PER_AMPLIFIER
from ..sky.catalogs import target_catalog
from .builtin import BUILTIN_PLANS, plan_text
from .groups import Where, cards_of, group_frames, timeline_start
from .model import IMAGETYP_STYLES, NightPlan
from .sky import (SKY_TARGET_KEYS, check_sky_frames, read_filters, read_site, read_sky_target,
                  renamed)

__all__ = ["build_plan", "load_plan", "plan_toml", "TOP_KEYS"]


TOP_KEYS = ("name", "seed", "scale", "start", "overhead", "quantize", "layout", "star_sigma",
            "moffat",
            "imagetyp_style", "site", "filters", "cameras", "targets", "groups")
CAMERA_KEYS = ("camera", "camera_file", "header", "pixel_scale", "rotation") + tuple(CAMERA_PARAMS)
TARGET_KEYS = ("object", "stars", "max_counts", "exposure", "sky") + SKY_TARGET_KEYS


#: Camera lengths in pixels that ``scale`` divides with the shape. Patches keep
#: their size: a smaller one would be too small for `ccdproc.ccdmask` to find.
_SCALED_LENGTHS = ("glow_length",)


def _scaled(params, scale, name):
    """A camera's parameters with its data section divided by ``scale`` on each side."""
    if scale <= 1:
        return params
    params = dict(params)
    ny, nx = params["shape"]
    if ny // scale < 16 or nx // scale < 16:
        raise ParameterError(f"scale {scale} leaves camera {name} fewer than 16 rows or "
                             f"columns", param="scale")
    # Each amplifier keeps a whole share of the smaller section.
    rows, columns = amplifier_layout(params.get("amplifiers", 1))
    params["shape"] = (ny // scale // rows * rows, nx // scale // columns * columns)
    # Lengths across the chip shrink with it, so the frame looks the same, only smaller.
    for key in _SCALED_LENGTHS:
        params[key] = params[key] / scale
    return params


def _camera(name, doc, scale, folder="."):
    where = Where(f"camera {name}")
    doc = where.table(doc, CAMERA_KEYS)
    base = where.choice("camera", doc.get("camera", "guide"), tuple(CAMERAS))
    try:
        if "camera_file" in doc:  # a camera of one's own, beside the plan
            path = _camera_file(name, doc, scale, folder)
            params = complete_parameters(*camera_file_parameters(path))
        else:
            params = camera_parameters(base, doc.get("gain_mode"))
    except ParameterError as exc:
        raise ParameterError(f"camera {name}: {exc}", param=exc.param) from None
    if isinstance(doc.get("amplifiers"), list):  # [[cameras.NAME.amplifiers]] tables
        doc = {**doc, **_amplifier_tables(doc["amplifiers"], where)}
    for key, value in doc.items():
        if key not in ("camera", "camera_file", "header", "pixel_scale", "rotation"):
            params[key] = tuple(value) if isinstance(value, list) else value
    try:
        camera = Camera.from_file(path, **params) if "camera_file" in doc else \
            Camera(**_scaled(params, scale, name))
    except ParameterError as exc:
        raise ParameterError(f"camera {name}: {exc}", param=exc.param) from None
    optics = {k: where.value(k, doc[k]) for k in ("pixel_scale", "rotation") if k in doc}
    if scale > 1 and "pixel_scale" in optics:
        optics["pixel_scale"] *= scale  # the same sky on fewer, larger pixels
    return camera, cards_of(doc.get("header", {}), where), optics


def _camera_file(name, doc, scale, folder):
    """The path of a camera's ``camera_file``: a plain file name in the plan's folder."""
    given = doc["camera_file"]
    problem = camera_file_problem(given)
    if problem:
        raise ParameterError(f"camera_file {short_repr(given)} {problem}", param="camera_file")
    if "camera" in doc:
        raise ParameterError("camera_file: give a camera file or a named camera (camera), "
                             "not both", param="camera_file")
    if scale > 1:
        raise ParameterError("camera_file: a camera with maps cannot be scaled (scale must be "
                             "1)", param="scale")
    return os.path.join(folder, given)


def _amplifier_tables(tables, where):
    """A camera's ``[[amplifiers]]`` tables, one per amplifier (``gain``, ``read_noise``,
    ``bias_level``), as its parameters: ``amplifiers`` and the per-amplifier lists."""
    if not (0 < len(tables) <= MAX_AMPLIFIERS and all(isinstance(t, dict) for t in tables)):
        raise ParameterError(f"{where.key('amplifiers')} must be a number, or 1 to "
                             f"{MAX_AMPLIFIERS} tables [[amplifiers]] of "
                             f"{', '.join(PER_AMPLIFIER.values())}", param="amplifiers")
    keys = set(tables[0])
    for k, table in enumerate(tables, 1):
        unknown = set(table) - set(PER_AMPLIFIER.values())
        if unknown or set(table) != keys:
            raise ParameterError(f"{where.key('amplifiers')} table {k} must give the first "
                                 f"one's keys, each of {', '.join(PER_AMPLIFIER.values())} "
                                 f"(got {', '.join(sorted(table)) or 'none'})",
                                 param="amplifiers")
    out = {"amplifiers": len(tables)}
    for own, shared in PER_AMPLIFIER.items():
        if shared in keys:
            out[own] = tuple(t[shared] for t in tables)
    return out


def build_plan(doc, *, seed=None, scale=None, cameras=None, source="plan", base="."):
    """A `ccdsim.plans.model.NightPlan` from a plan document.

    Parameters
    ----------
    doc : dict
        The plan, as read from TOML (see the module docstring).
    seed : int, optional
        Overrides the plan's ``seed``; None in both draws fresh entropy
        (recorded as ``NIGHTSD``).
    scale : int, optional
        Overrides the plan's ``scale``: every camera's data section divided by it.
    cameras : dict, optional
        ``{name: Camera}`` used instead of the plan's camera of that name
        (the Python API's camera objects).
    source : str, optional
        The plan's name in error messages.
    base : str, optional
        Folder that relative catalogue paths start from (a plan file's).

    Returns
    -------
    NightPlan
    """
    top = Where("")
    doc = top.table(doc, TOP_KEYS)
    scale = check("scale", doc.get("scale", 1) if scale is None else scale)
    seed = check("seed", doc.get("seed") if seed is None else seed)
    overhead = top.value("overhead", doc.get("overhead", PARAMS["overhead"].default))
    quantize = top.value("quantize", doc.get("quantize", True))
    layout = top.choice("layout", doc.get("layout", PARAMS["layout"].default), LAYOUTS)
    star_sigma = top.value("star_sigma", doc.get("star_sigma", PARAMS["star_sigma"].default))
    moffat = check_moffat(doc.get("moffat"), "moffat")
    style = top.choice("imagetyp_style", doc.get("imagetyp_style", "guide"),
                       tuple(IMAGETYP_STYLES))
    cams, cam_cards, optics = {}, {}, {}
    cam_docs = doc.get("cameras") or {"": {}}
    if not isinstance(cam_docs, dict):
        raise ParameterError("cameras must be a table of [cameras.NAME]", param="camera")
    for name, cdoc in cam_docs.items():
        cams[name], cam_cards[name], optics[name] = _camera(name, cdoc, scale, base)
        if cameras and name in cameras:  # the Python API's camera, scaled as the plan's
            given = cameras[name]
            if scale > 1 and getattr(given, "maps", None) is not None:
                raise ParameterError("scale: a camera with maps cannot be scaled (scale must "
                                     "be 1)", param="scale")
            cams[name] = given if scale <= 1 else Camera(**_scaled(given.parameters(), scale,
                                                                   name or "night"))
    names = tuple(cams)
    root = np.random.SeedSequence(seed)
    targets = _targets(doc.get("targets", {}), top)
    site = read_site(doc.get("site"), Where("site"))
    sky = {"site": site, "filters": read_filters(doc.get("filters"), Where),
           "targets": {n: t["coords"] for n, t in targets.items() if t["coords"]}, "cameras": optics}
    fields = {}
    for k, (tname, target) in enumerate(targets.items()):
        for c, cname in enumerate(names):
            # The first target as the first camera sees it: the night's field stream.
            key = (NightStream.FIELD,) if (k, c) == (0, 0) else (NightStream.FIELD, k, c)
            table = make_star_table(target["stars"], cams[cname].shape,
                                    max_counts=target["max_counts"], sigma=star_sigma,
                                    rng=child_rng(root, *key))
            if moffat is not None:
                table.remove_columns(["peak", "sigma"])
                table["fwhm"], table["beta"] = moffat
            fields[(tname, cname)] = table
    t = None
    if "start" in doc:
        t = timeline_start(doc, top, None)
    frames = []
    groups = doc.get("groups", [])
    if not isinstance(groups, list) or not groups:
        raise ParameterError(f"{source} has no [[groups]] of frames", param="groups")
    for g, gdoc in enumerate(groups, 1):
        new, t = group_frames(g, gdoc, len(frames), t, names, cams, cam_cards, targets, style,
                              overhead, sky_context=sky, root=root)
        frames.extend(new)
    first_field = fields.get((next(iter(targets), ""), names[0]))
    if first_field is None:
        first_field = make_star_table(0, cams[names[0]].shape, rng=0)
    _check_unique(frames)
    _check_labels(names, targets, frames)
    for name, cam in cams.items():  # before the first frame, not at the sixth
        longest = max((f.exposure_time for f in frames if f.camera == name), default=0.0)
        if cam.cosmic_ray_rate and longest:
            check_count(cam.shape, longest, cam.cosmic_ray_rate, cam.pixel_size)
    cams_arg = {} if names == ("",) else cams
    catalogs = _catalogs(sky, frames, cams, optics, root, base)
    plan = NightPlan(camera=cams[names[0]], frames=tuple(frames), seed=root.entropy,
                     field=first_field, star_sigma=star_sigma, moffat=moffat,
                     quantize=quantize, layout=layout, cameras=cams_arg, fields=fields,
                     name=str(doc.get("name", source)), sky=sky if sky["targets"] else {},
                     catalogs=catalogs,
                     document=_document(doc, root.entropy, scale, cameras or {}))
    check_sky_frames(plan)  # what would fail only while a frame is made
    return plan


def _catalogs(sky, frames, cams, optics, root, base):
    """Each sky target's catalogue, covering every frame that points at it."""
    out = {}
    for k, (name, target) in enumerate(sky["targets"].items()):
        mine = [f for f in frames if f.target == name]
        radius = 0.0
        for f in mine:  # half the frame's diagonal, plus its dither
            cam = cams[f.camera] if f.camera in cams else next(iter(cams.values()))
            scale = optics.get(f.camera, {}).get("pixel_scale", PARAMS["pixel_scale"].default)
            # + the drift and 20 arcsec: stars just off a corner still shine into it
            half = (0.5 * np.hypot(*cam.shape) * scale + np.hypot(*f.dither)
                    + np.hypot(*f.drift) + 20.0)
            radius = max(radius, half / 3600.0)
        filters = sorted({f.filter for f in frames if f.filter} | set(sky["filters"]))
        try:
            out[name] = target_catalog(target, k, root, radius or 0.1, filters, base)
        except ParameterError as exc:  # in the plan's words: the target's key as written
            raise ParameterError(f"target {name}: {exc.say(target['written'].get(exc.param))}",
                                 param=exc.param) from None
    return out


def _targets(doc, top):
    if not isinstance(doc, dict):
        raise ParameterError("targets must be a table of [targets.NAME]", param="targets")
    out = {}
    for name, tdoc in doc.items():
        where = Where(f"target {name}")
        tdoc, written = renamed(tdoc, where, "target")
        tdoc = where.table(tdoc, TARGET_KEYS)
        out[name] = dict(
            object=where.value("object", tdoc.get("object", name)),
            stars=where.value("stars", tdoc.get("stars", 0)),
            max_counts=where.value("max_counts", tdoc.get("max_counts",
                                                          PARAMS["max_counts"].default)),
            exposure=where.value("exposure", tdoc.get("exposure", 1.0), "exposure_time",
                                 low_open=True),
            sky=where.value("sky", tdoc.get("sky", 0.0)),
            coords=read_sky_target(tdoc, where, written))  # None without ra and dec
    return out


def _document(doc, seed, scale, given):
    """The plan document that makes the same plan again: seed and scale written in, keys
    under their names of today, and each camera handed over from Python as its named
    camera's differing parameters."""
    out = copy.deepcopy(doc)
    out["seed"], out["scale"] = int(seed), scale
    if out.get("site"):
        out["site"] = renamed(out["site"], Where("site"), "site")[0]
    for name, tdoc in out.get("targets", {}).items():
        out["targets"][name] = renamed(tdoc, Where(f"target {name}"), "target")[0]
    for name, camera in given.items():
        cdoc = out.setdefault("cameras", {}).setdefault(name, {})
        if getattr(camera, "maps", None) is not None and camera.maps.name:  # beside the plan
            cdoc.pop("camera", None)
            cdoc["camera_file"] = camera.maps.name
        base = camera_parameters(cdoc.get("camera", "guide"))
        for key, value in camera.parameters().items():
            if value != base[key] and value is not None:
                cdoc[key] = list(value) if isinstance(value, tuple) else value
    return out


def plan_toml(plan, comment=""):
    """A plan as TOML text that makes it again, frame for frame (``night --save-plan``).

    Parameters
    ----------
    plan : NightPlan
        Made by `build_plan` (or `ccdsim.plan_night`).
    comment : str, optional
        A first line, as a TOML comment.

    Returns
    -------
    str
    """
    return document_toml(plan.document, comment)


def _check_unique(frames):
    """Refuse two frames written to one file, as a file system that ignores case sees it,
    and frames written into ``truth/`` (the truth's own folder)."""
    seen = {}
    for f in frames:
        key = f.filename.lower()
        if key.split("/")[0] == "truth":
            raise ParameterError(f"frame {f.index} would be written to {f.filename}: truth/ "
                                 f"holds the truth only; choose another folder", param="folder")
        if key in seen:
            raise ParameterError(f"two frames would be written to {f.filename} (frames "
                                 f"{seen[key][1]} and {f.index}"
                                 + (f", as {seen[key][0]}" if seen[key][0] != f.filename else "")
                                 + ")", param="name")
        seen[key] = (f.filename, f.index)


def _check_labels(cameras, targets, frames):
    """Refuse, up front, names that would share a file (cameras, targets, a camera's filters)."""
    label_file_names(cameras if len(cameras) > 1 else (), "camera")
    label_file_names(targets, "target")
    for name in cameras:
        label_file_names(dict.fromkeys(f.filter for f in frames
                                       if f.camera == name and f.filter), "filter")


#: How deep a plan file nests: [cameras.NAME.header] KEY = [value, comment].
_PLAN_DEPTH = 6


def load_plan(plan, *, seed=None, scale=None):
    """A plan from a built-in name or a TOML file.

    Parameters
    ----------
    plan : str or os.PathLike
        A key of `BUILTIN_PLANS`, or a TOML file's path.
    seed, scale : int, optional
        Override the plan's (see `build_plan`).

    Returns
    -------
    NightPlan
    """
    import os
    import tomllib

    plan = os.fspath(plan)
    if plan in BUILTIN_PLANS and os.path.exists(plan):
        raise ParameterError(f"plan {plan} is a built-in plan and a file here: write "
                             f"./{plan} for the file", param="plan")
    if plan in BUILTIN_PLANS:
        doc, source, base = tomllib.loads(plan_text(plan)), plan, "."
    elif plan.lower().endswith(".toml") or os.path.exists(plan):
        doc, source = read_toml(plan, depth=_PLAN_DEPTH, what="plan file"), f"plan {plan}"
        base = os.path.dirname(os.path.abspath(plan))
    else:
        raise ParameterError(f"plan must be one of {', '.join(BUILTIN_PLANS)} or a TOML file "
                             f"(got {plan!r})", param="plan")
    try:
        return build_plan(doc, seed=seed, scale=scale, source=source, base=base)
    except ParameterError as exc:
        if plan in BUILTIN_PLANS:
            raise
        raise ParameterError(f"plan {plan}: {exc}", param=exc.param) from None
