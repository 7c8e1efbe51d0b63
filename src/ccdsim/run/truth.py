"""A night's truth: the camera's true maps and tables, and every path a night writes.

`truth_maps` gives the files of ``OUTDIR/truth/``: the true bias (ADU), dark
current (e-/pixel/s) and flat field (mean 1) of the data section, and what
each of the camera's personalities adds (`truth_files` of each effect's
module). `night_paths` lists every file of a night, frames first.
"""

import os
import sys

import numpy as np
from astropy.io import fits
from astropy.table import Table

from .._version import __version__
from ..core.labels import label_file_name
from ..core.params import PARAMS
from ..core.seeds import seed_text
from ..physics import STEPS
from ..physics.hotpixels import population
from ..physics.fullwell import has_persistence
from ..plans.afterimages import persistence_table
from ..readout.binning import bin_map, binned

__all__ = ["truth_maps", "truth_manifest", "truth_maps_names", "night_paths"]


def _truth_hdu(data, bunit, comment, plan, camera=None):
    cam = camera or plan.camera
    h = fits.Header()
    h["BUNIT"] = (bunit, "unit of the data")
    if binned(cam) and isinstance(data, np.ndarray) and data.shape == tuple(cam.shape):
        # A map of the detector, binned as the frames are: charge and rates summed, the rest
        # averaged (`ccdsim.readout.binning.bin_map`).
        data = bin_map(data, cam, bunit)
        h["CCDSUM"] = (f"{cam.xbinning} {cam.ybinning}", "binned: e- summed, else averaged")
    h["CAMSEED"] = (cam.camera_seed, PARAMS["camera_seed"].fits_comment)
    h["NIGHTSD"] = (seed_text(plan.seed_sequence), "seed of the night")
    h["CREATOR"] = (f"ccdsim {__version__}", "software that made this map")
    h.add_comment(comment)
    return fits.HDUList([fits.PrimaryHDU(data=data, header=h)])


def _folder(plan, name):
    """``truth/``'s sub-folder of camera ``name``: none for a plan of one camera.

    The name is a label, never a path (`ccdsim.io.files.label_file_name`).
    """
    return "" if len(plan.camera_names) == 1 else f"{label_file_name(name, 'camera')}/"


def _camera_truth(plan, name):
    """``{relative path: (what, filter, maker)}`` of one camera's truth files."""
    view, _ = plan.view(name)
    cam, pre = view.camera, _folder(plan, name)
    out = {
        pre + "bias.fits": ("bias", None, lambda: _truth_hdu(
            cam.bias_map, "adu", "True bias map (level + structure + bad columns).", plan, cam)),
        pre + "dark.fits": ("dark", None, lambda: _truth_hdu(
            _dark_truth(cam), "electron/(pix s)", "True dark current, hot pixels included "
            "(a hot-pixel population at its first rate; hot_pixels.fits has the rest).", plan,
            cam)),
    }
    filters = plan.filters(name)
    for f in filters or (None,):
        file = "flat.fits" if len(filters) <= 1 else f"flat-{label_file_name(f, 'filter')}.fits"
        out[pre + file] = ("flat", f, lambda f=f: _truth_hdu(
            cam.flat_for(f), "", f"True sensitivity in filter {f}, mean 1; multiplies light "
                                  f"only." if f else "True sensitivity, mean 1.", plan, cam))
    # Each camera personality's own truth: name -> (data, BUNIT, comment), or a table.
    for file, make in _personality_truth(view).items():
        out[pre + file] = (file.removesuffix(".fits"), None,
                           lambda make=make: _personality_hdu(make(), plan, cam))
    return out


def _dark_truth(cam):
    """True dark current, e-/pixel/s: `dark_map` plus the hot-pixel population's rates.

    The population (`ccdsim.physics.hotpixels.population`) adds its first-state rate to
    its pixels; its second rates and fixed charge are in ``hot_pixels.fits``.
    """
    pop = population(cam)
    if pop is None:
        return cam.dark_map
    out = np.array(cam.dark_map, dtype=np.float32)
    out.ravel()[pop.index] += pop.rate.astype(np.float32)
    return out


def _personality_hdu(item, plan, cam):
    if isinstance(item, Table):
        hdul = _truth_hdu(None, "", item.meta.get("comment", ""), plan, cam)
        hdul.append(fits.BinTableHDU(item, name="TRUTH"))
        return hdul
    return _truth_hdu(*item, plan, cam)


def truth_maps(plan):
    """The cameras' true maps over the (trimmed) data section, as FITS.

    Parameters
    ----------
    plan : NightPlan
        The plan (its cameras and the filters each looks through).

    Returns
    -------
    dict
        Path under ``truth/`` -> `~astropy.io.fits.HDUList`: ``bias.fits``
        (ADU), ``dark.fits`` (e-/pixel/s), ``flat.fits`` (sensitivity, mean 1;
        ``flat-FILTER.fits`` for each filter of a camera that uses several)
        and each personality's truth (`truth_files` of its module). A plan
        of several cameras puts each camera's files in ``truth/NAME/``.
    """
    maps = {path: make() for name in plan.camera_names
            for path, (_, _, make) in _camera_truth(plan, name).items()}
    for path, (_, make) in _catalog_truth(plan).items():
        maps[path] = make()
    return maps


def _catalog_truth(plan):
    """``{path: (target, maker)}``: each sky target's catalogue (``catalog-TARGET.fits``)."""
    out = {}
    for target, table in plan.catalogs.items():
        def make(table=table, target=target):
            hdul = _truth_hdu(None, "", f"Star catalogue of target {target}: ra, dec (deg), "
                                        f"magnitudes above the atmosphere.", plan)
            hdul.append(fits.BinTableHDU(table, name="CATALOG"))
            return hdul
        out[f"catalog-{label_file_name(target, 'target')}.fits"] = (target, make)
    return out


def truth_manifest(plan):
    """``truth/manifest.json``: every truth file, its camera and the data it describes.

    Parameters
    ----------
    plan : NightPlan
        The plan.

    Returns
    -------
    dict
        ``plan``, ``seed``; ``cameras``: per camera its gain (e-/ADU), read
        noise (e-), camera seed, data section and read-out shapes, each
        amplifier's sections (FITS sections,
        `ccdsim.core.geometry.ReadoutGeometry.describe`) with its gain (e-/ADU),
        read noise (e-) and bias level (ADU), and every parameter; ``truth``:
        per file its path (relative to the plan's
        folder), camera, what it is, unit, filter and the data files it
        describes (for a flat: the frames whose light came through its
        filter, flats and science frames). Each camera's ``camera`` is the
        named camera it was made from (`ccdsim.camera.named.CAMERAS`; None
        for a camera handed over without one).
    """
    cameras, entries = {}, []
    for name in plan.camera_names:
        cam = plan.camera_named(name)
        cameras[name] = {"gain": cam.gain, "read_noise": cam.read_noise,
                         "gain_unit": "electron/adu", "read_noise_unit": "electron",
                         "camera": _named(plan, name), "camera_seed": cam.camera_seed,
                         "shape": list(cam.geometry.detector_shape),
                         "readout_shape": list(cam.geometry.shape),
                         "amplifiers": [
                             {**sections, "gain": float(g), "read_noise": float(r),
                              "bias_level": float(b)} for sections, g, r, b in zip(
                                 cam.geometry.describe(), *cam.amplifier_values)],
                         "parameters": {k: list(v) if isinstance(v, tuple) else v
                                        for k, v in cam.parameters().items()}}
        mine = [f for f in plan.frames if (f.camera or plan.camera_names[0]) == name]
        for path, (what, filt, _) in _camera_truth(plan, name).items():
            files = [f.filename for f in mine if what != "flat" or (
                f.kind in _LIGHT and (filt is None or f.filter == filt))]
            entries.append({"file": f"truth/{path}", "camera": name, "what": what,
                            "unit": _UNITS.get(what, ""), "filter": filt, "describes": files})
    for path, (target, _) in _catalog_truth(plan).items():
        entries.append({"file": f"truth/{path}", "camera": None, "what": "catalog",
                        "unit": "", "filter": None,
                        "describes": [f.filename for f in plan.frames if f.target == target
                                      and f.stars]})
    return {"plan": plan.name, "seed": seed_text(plan.seed_sequence), "cameras": cameras,
            "truth": entries}


#: Frames whose light the flat field multiplies.
_LIGHT = ("flat", "science")


def _named(plan, name):
    """The named camera the plan's camera ``name`` was made from (None: a plan without
    its document)."""
    table = ((plan.document or {}).get("cameras") or {}).get(name)
    return None if table is None else table.get("camera", "guide")


_UNITS = {"bias": "adu", "dark": "electron/(pix s)", "flat": "", "glow": "electron/(pix s)"}


def _personality_truth(plan):
    """``{file name: function}`` of the truth each effect of the camera writes.

    Each physics module of `ccdsim.physics.STEPS` that has a ``truth_files(camera)``
    says what it writes, in the order of the steps: a new effect's module is
    asked as soon as its step is in the table. ``persistence.fits`` (a camera
    with persistence and a full well): every pixel of every frame that
    collects persistence charge (`ccdsim.plans.afterimages.persistence_table`),
    the one truth made of the plan rather than the camera.
    """
    cam, out = plan.camera, {}
    for module in dict.fromkeys(sys.modules[s.function.__module__] for s in STEPS):
        if hasattr(module, "truth_files"):
            out.update(module.truth_files(cam))
    if has_persistence(cam):
        out["persistence.fits"] = lambda: persistence_table(plan)
    return out


def night_paths(plan, outdir):
    """Every file `write_night` writes, frames first, then ``truth/``.

    Parameters
    ----------
    plan : NightPlan
        The night.
    outdir : str or os.PathLike
        The night's folder.

    Returns
    -------
    list of str
    """
    frames = [os.path.join(outdir, f.filename) for f in plan.frames]
    return frames + [os.path.join(outdir, "truth", name)
                     for name in truth_maps_names(plan) + ("manifest.json",)]


def truth_maps_names(plan=None):
    """Paths under ``truth/`` (with a plan: every camera's, personalities included)."""
    if plan is None:
        return ("bias.fits", "dark.fits", "flat.fits")
    return (tuple(path for name in plan.camera_names for path in _camera_truth(plan, name))
            + tuple(_catalog_truth(plan)))
