"""Writing a night to its folder: every check up front, then only whole files, one night only.

`write_night` refuses, before anything is written, a night that could not
be written whole: a missing or unwritable folder, a file that exists
without ``overwrite``, too little memory or disk, another run writing the
same folder, or FITS files of another night that would stay beside the new
one (``ImageFileCollection`` would mix them without a word). With
``overwrite`` the other night's frames are removed first, so the folder
holds exactly the new night.
"""

import os

from ..core.resources import STAR_BYTES, check_camera_memory
from ..core.validate import ParameterError
from ..io.files import (
    OutputError,
    atomic_path,
    check_free_space,
    check_outdir,
    check_output_folder,
    check_writable,
    folder_lock,
    sweep_temporaries,
)
from ..io.fits import FITS_SUFFIXES, write_hdulist
from ..plans.make import run_frame
from .execute import check_execution, write_frames
from .truth import night_paths, truth_manifest, truth_maps

__all__ = ["write_night", "check_night_output", "other_fits_files"]




def _folders(plan, outdir):
    """The folders a plan writes into: ``outdir``, ``truth/`` and every sub-folder used."""
    folders = {outdir, os.path.join(outdir, "truth")}
    folders.update(os.path.dirname(p) for p in night_paths(plan, outdir))
    return sorted(folders)


def _check_inside(plan, outdir):
    """Refuse a folder of the plan that is a link or leads outside ``outdir``.

    Names are checked when the plan is read; this holds whatever the file
    system already has (a sub-folder that is a link to somewhere else).
    """
    root = os.path.realpath(outdir)
    for folder in _folders(plan, outdir):
        rel = os.path.relpath(folder, outdir)
        parts = [] if rel == "." else rel.split(os.sep)
        for k in range(1, len(parts) + 1):
            sub = os.path.join(outdir, *parts[:k])
            if os.path.islink(sub):
                raise OutputError(f"{sub} is a link; a night writes only into real folders "
                                  f"inside OUTDIR", param="outdir")
        real = os.path.realpath(folder)
        if os.path.commonpath([root, real]) != root:
            raise OutputError(f"{folder} is outside OUTDIR {outdir}", param="outdir")


#: Most entries of OUTDIR's tree looked at for another night's files: a night's
#: folder holds thousands, never this many.
MAX_TREE_ENTRIES = 200_000


def _tree(outdir):
    """Every FITS file under ``outdir`` (links not followed) and every folder, deepest first."""
    found, folders, seen = [], [], 0
    if not os.path.isdir(outdir):
        return found, folders
    for top, dirs, files in os.walk(outdir, followlinks=False):
        seen += len(dirs) + len(files)
        if seen > MAX_TREE_ENTRIES:
            raise OutputError(f"OUTDIR {outdir} holds more than {MAX_TREE_ENTRIES} files and "
                              f"folders; use a new folder for the night", param="outdir")
        dirs.sort()
        folders.append(top)
        found += [os.path.join(top, e) for e in sorted(files)
                  if e.lower().endswith(FITS_SUFFIXES) and not e.startswith(".")]
    return found, folders[::-1]


def _is_night_file(path):
    """True for a frame or truth map a ccdsim night wrote (its header says so)."""
    from astropy.io import fits

    if os.path.islink(path):
        return False  # what it points to is not ours to judge
    try:
        h = fits.getheader(path)
    except Exception:  # unreadable, truncated, not FITS: not ours to remove
        return False
    return "NIGHTSD" in h and str(h.get("CREATOR", "")).startswith("ccdsim")


def other_fits_files(plan, outdir):
    """FITS files anywhere under ``outdir`` that the night would not write.

    Parameters
    ----------
    plan : NightPlan
        The night.
    outdir : str
        Its folder.

    Returns
    -------
    ours, foreign : list of str
        Another ccdsim night's (or data set's) files, and FITS files of
        anything else.
    """
    planned = {os.path.abspath(p) for p in night_paths(plan, outdir)}
    others = [p for p in _tree(outdir)[0] if os.path.abspath(p) not in planned]
    ours = [p for p in others if _is_night_file(p)]
    return ours, [p for p in others if p not in ours]


def _remove_other_night(plan, outdir):
    """Remove another night's files and the folders they leave empty (never ``outdir``)."""
    ours, _ = other_fits_files(plan, outdir)
    for path in ours:
        os.unlink(path)
    keep = {os.path.abspath(f) for f in _folders(plan, outdir)}
    for folder in _tree(outdir)[1]:
        if os.path.abspath(folder) in keep:
            continue
        try:
            os.rmdir(folder)  # only if empty: anything else a user put there stays
        except OSError:
            pass


def _names(paths, outdir, limit=3):
    shown = [os.path.relpath(p, outdir) for p in paths[:limit]]
    return ", ".join(shown) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def night_bytes(plan):
    """Bytes a plan writes: every frame (image and DQ, or a float32 mean) and the truth."""
    total = 0
    for f in plan.frames:
        ny, nx = plan.camera_named(f.camera).readout_shape
        per_pixel = 4 if f.combine else (2 if plan.quantize else 4) + 1
        total += ny * nx * per_pixel + 64 * 2880
    for name in plan.camera_names:
        ny, nx = plan.camera_named(name).shape
        total += (3 + len(plan.filters(name))) * 4 * ny * nx
    return total


def check_night_output(plan, outdir, *, overwrite=False):
    """Refuse, before anything is written, a night that could not be written whole.

    Checks the folder, every file the night writes (an existing one without
    ``overwrite`` stops it all), other nights' files that would stay beside
    it, the memory one frame needs and the disk space of the whole night.

    Parameters
    ----------
    plan : NightPlan
        The night.
    outdir : str or os.PathLike
        Its folder (created if missing; its parent must exist).
    overwrite : bool, optional
        Whether existing files may be replaced.

    Raises
    ------
    ccdsim.ParameterError, FileExistsError, FileNotFoundError
    """
    outdir = check_outdir(outdir)
    truth_dir = os.path.join(outdir, "truth")
    if os.path.exists(truth_dir) and not os.path.isdir(truth_dir):
        raise ParameterError(f"{truth_dir} exists and is not a folder", param="outdir")
    _check_inside(plan, outdir)
    # Leftovers of killed runs go even when this run is refused (never a live writer's).
    sweep_temporaries(night_paths(plan, outdir))
    for folder in _folders(plan, outdir):  # a read-only sub-folder: refused now, not mid-run
        if folder != outdir and os.path.isdir(folder):
            check_output_folder(folder, "OUTDIR's sub-folder")
    # Other nights' files first: that the folder holds another night says more than
    # that one of its names is taken.
    ours, foreign = other_fits_files(plan, outdir)
    if foreign:
        raise OutputError(f"OUTDIR {outdir} holds FITS files that are not a ccdsim night's "
                          f"({_names(foreign, outdir)}); they would be mixed with the night: "
                          f"use another folder", param="outdir")
    if ours and not overwrite:
        raise FileExistsError(f"OUTDIR {outdir} holds another night's frames "
                              f"({_names(ours, outdir)}) that this night would not replace; "
                              f"use --overwrite to remove them, or another folder")
    for path in night_paths(plan, outdir):
        if os.path.lexists(path):
            check_writable(path, overwrite, "output")
        elif os.path.lexists(os.path.dirname(path)) and not os.path.isdir(os.path.dirname(path)):
            raise ParameterError(f"{os.path.dirname(path)} exists and is not a folder",
                                 param="outdir")
    # Besides each frame: the truth maps (float32), the star field, the frame being
    # written while the next is made, and a combined frame's two float64 images.
    for name in plan.camera_names:
        combined = any(f.combine for f in plan.frames if f.camera == name)
        check_camera_memory(plan.camera_named(name), plan.quantize,
                            extra_per_pixel=12 + 5 + (16 if combined else 0),
                            extra_bytes=STAR_BYTES * sum(len(t) for t in plan.fields.values()))
    check_free_space(outdir, night_bytes(plan), "the night")


def write_manifest(plan, truth_dir, *, overwrite=False):
    """Write ``truth/manifest.json`` (`ccdsim.run.truth.truth_manifest`) atomically."""
    import json

    path = os.path.join(truth_dir, "manifest.json")
    with atomic_path(path, overwrite) as tmp, open(tmp, "w", encoding="utf-8") as f:
        json.dump(truth_manifest(plan), f, indent=1)
        f.write("\n")
    return path


def write_night(plan, outdir, *, overwrite=False, threads=None, progress=None, workers=None,
                scheduler=None, history=()):
    """Write every frame of ``plan`` and its truth maps to ``outdir``.

    Everything is checked before anything is written (`check_night_output`);
    each file is written atomically, and the folder is held by this run
    alone while it writes. With ``overwrite``, another night's frames in the
    folder are removed first: the folder holds exactly this night.

    Parameters
    ----------
    plan : NightPlan
        The night (see `ccdsim.plan_night`).
    outdir : str or os.PathLike
        Folder (created if missing; its parent must exist).
    overwrite : bool, optional
        Replace existing files and remove another night's.
    threads : int, optional
        Worker threads per frame; never changes the pixels.
    progress : bool, optional
        Show a progress bar on stderr; None: only when stderr is a terminal.
    workers, scheduler : optional
        Make the frames on a local Dask cluster of ``workers`` processes, or
        on the dask.distributed scheduler at ``scheduler``
        (`ccdsim.run.execute.run_tasks`); the files are the same.
    history : sequence of str, optional
        HISTORY lines for every frame's header (the effective configuration).

    Returns
    -------
    list of str
        The paths written.
    """
    outdir = os.fspath(outdir)
    check_execution(workers, scheduler)
    check_night_output(plan, outdir, overwrite=overwrite)
    truth_dir = os.path.join(outdir, "truth")
    paths = night_paths(plan, outdir)
    for folder in _folders(plan, outdir):
        os.makedirs(folder, exist_ok=True)
    with folder_lock(outdir):
        # Under the lock, so no other run's files change meanwhile.
        _remove_other_night(plan, outdir)
        sweep_temporaries(paths)  # of runs that were killed
        written = []
        for name, hdul in truth_maps(plan).items():
            written.append(write_hdulist(hdul, os.path.join(truth_dir, name),
                                         overwrite=overwrite))
        written.append(write_manifest(plan, truth_dir, overwrite=overwrite))
        if progress is None:
            import sys

            progress = sys.stderr.isatty()
        written += write_frames(run_frame, plan,
                                [(f.index, os.path.join(outdir, f.filename))
                                 for f in plan.frames],
                                overwrite=overwrite, threads=threads, workers=workers,
                                scheduler=scheduler, progress=progress, history=history,
                                desc=f"ccdsim {'night' if plan.name == 'night' else 'dataset'}")
    return written
