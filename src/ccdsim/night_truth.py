"""A night's truth: the camera's true maps and tables, and every path a night writes.

`truth_maps` gives the files of ``OUTDIR/truth/``: the true bias (ADU), dark
current (e-/pixel/s) and flat field (mean 1) of the data section, and what
each of the camera's personalities adds (`truth_files` of each effect's
module). `night_paths` lists every file of a night, frames first.
"""

import os

from astropy.io import fits
from astropy.table import Table

from .params import PARAMS
from .seeds import seed_text

__all__ = ["truth_maps", "truth_maps_names", "night_paths"]


def _truth_hdu(data, bunit, comment, plan):
    from ._version import __version__

    h = fits.Header()
    h["BUNIT"] = (bunit, "unit of the data")
    h["CAMSEED"] = (plan.camera.camera_seed, PARAMS["camera_seed"].fits_comment)
    h["NIGHTSD"] = (seed_text(plan.seed_sequence), "seed of the night")
    h["CREATOR"] = (f"ccdsim {__version__}", "software that made this map")
    h.add_comment(comment)
    return fits.HDUList([fits.PrimaryHDU(data=data, header=h)])


def truth_maps(plan):
    """The camera's true maps over the (trimmed) data section, as FITS.

    Parameters
    ----------
    plan : NightPlan
        The night (only its camera matters).

    Returns
    -------
    dict
        ``bias.fits`` (ADU), ``dark.fits`` (e-/pixel/s), ``flat.fits``
        (sensitivity, mean 1) -> `~astropy.io.fits.HDUList`.
    """
    cam = plan.camera
    maps = {
        "bias.fits": _truth_hdu(cam.bias_map, "adu", "True bias map (level + bad columns).", plan),
        "dark.fits": _truth_hdu(cam.dark_map, "electron/(pix s)",
                                "True dark current, hot pixels included.", plan),
        "flat.fits": _truth_hdu(cam.flat_for(plan.header["FILTER"][0]), "", "True sensitivity "
                                "in the night's filter, mean 1; multiplies light only.", plan),
    }
    # Each camera personality's own truth: name -> (data, BUNIT, comment), or a table.
    for name, make in _personality_truth(plan).items():
        item = make()
        if isinstance(item, Table):
            hdul = _truth_hdu(None, "", item.meta.get("comment", ""), plan)
            hdul.append(fits.BinTableHDU(item, name="TRUTH"))
            maps[name] = hdul
        else:
            maps[name] = _truth_hdu(*item, plan)
    return maps


def _personality_truth(plan):
    """``{file name: function}`` of the truth each effect of the camera writes."""
    from . import biasmodel, darkside, response, shutter

    out = {}
    for module in (darkside, biasmodel, shutter, response):
        out.update(module.truth_files(plan))
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
    return frames + [os.path.join(outdir, "truth", name) for name in truth_maps_names(plan)]


def truth_maps_names(plan=None):
    """File names under ``truth/`` (those of the camera's personalities with a plan)."""
    base = ("bias.fits", "dark.fits", "flat.fits")
    return base if plan is None else base + tuple(_personality_truth(plan))
