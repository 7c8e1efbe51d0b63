"""A night at the telescope: biases, darks, flats and science frames, with the truth.

`plan_night` makes a `NightPlan`: one camera, one star field and a list of
`FrameSpec` (what each frame is and when it was taken). `run_frame` turns
frame ``i`` of a plan into a `Frame`; it is a pure function of the plan and
the index, since frame ``i`` draws its noise from the child ``(FRAMES, i)`` of
the night's seed, so frames can run in any order, on any worker, with the
same pixels. `write_night` writes a whole night to a folder, and
``ccdsim night`` is the command line over it.
"""

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from astropy.io import fits
from astropy.table import Table

from .camera import Camera
from .io import check_writable, remove_stale_temporaries, write_hdulist
from .presets import NIGHT_CAMERA  # also ccdsim.night.NIGHT_CAMERA, as before
from .seeds import NightStream, child_rng, seed_text
from .sources import MIN_SIGMA, make_star_table
from .validate import ParameterError, check_int, check_number

__all__ = ["NIGHT_CAMERA", "FrameSpec", "NightPlan", "plan_night", "frame_seed", "run_frame",
           "truth_maps", "night_paths", "write_night"]


# IMAGETYP values as the guide's notebooks filter on them.
IMAGETYP = {"bias": "Bias Frame", "dark": "Dark Frame", "flat": "Flat Field",
            "science": "Light Frame"}

_DATE_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"


@dataclass(frozen=True)
class FrameSpec:
    """One frame of a night.

    Parameters
    ----------
    index : int
        Position in the plan; frame ``index`` draws its noise from the
        night seed's child ``(NightStream.FRAMES, index)``.
    kind : str
        ``bias``, ``dark``, ``flat`` or ``science``.
    filename : str
        File name inside the night's folder.
    exposure_time : float
        In seconds.
    date_obs : str
        Start of the exposure, UTC, ISO 8601 (the ``DATE-OBS`` keyword).
    sky : float
        Uniform light before the flat field, in ADU per pixel over the
        exposure: the sky for science frames, the lamp or twilight for flats.
    stars : bool
        Whether the night's star field is in the frame.
    """

    index: int
    kind: str
    filename: str
    exposure_time: float
    date_obs: str
    sky: float = 0.0
    stars: bool = False

    @property
    def imagetyp(self):
        """The ``IMAGETYP`` header value."""
        return IMAGETYP[self.kind]


@dataclass(frozen=True, eq=False)
class NightPlan:
    """Everything that defines a night; `run_frame` makes any frame of it.

    Parameters
    ----------
    camera : Camera
        The camera (its defects and flat field are the same all night).
    frames : tuple of FrameSpec
        In the order they were taken.
    seed : int or tuple of int
        The night's seed (entropy of its `~numpy.random.SeedSequence`).
    field : astropy.table.Table
        The stars of the science field (``flux`` in ADU over a science
        exposure, before the flat field).
    star_sigma : float
        Gaussian sigma of the stars, in pixels.
    moffat : tuple of float or None
        ``(fwhm, beta)`` for Moffat stars instead of Gaussians.
    header : dict
        Keywords every frame carries (FILTER, INSTRUME, TELESCOP, ...).
    """

    camera: Camera
    frames: tuple
    seed: object
    field: Table
    star_sigma: float = 4.0
    moffat: tuple | None = None
    header: dict = field(default_factory=dict)

    @property
    def seed_sequence(self):
        """The night's root `~numpy.random.SeedSequence`."""
        return np.random.SeedSequence(self.seed)

    def count(self, kind):
        """Number of frames of one kind.

        Parameters
        ----------
        kind : {'bias', 'dark', 'flat', 'science'}
            The kind of frame.

        Returns
        -------
        int
        """
        return sum(f.kind == kind for f in self.frames)


def plan_night(camera=None, *, n_bias=5, n_dark=5, n_flat=5, n_science=5, exposure=100.0,
               flat_level=20000.0, flat_exposure=5.0, sky=20.0, stars=50, max_counts=2000.0,
               star_sigma=4.0, moffat=None, filter="R", object="ccdsim field",
               start="2026-03-20T19:00:00", overhead=10.0, seed=None):
    """Plan a night: which frames, in which order, and the star field.

    Frames are taken back to back in the order biases, darks, flats,
    science; each ``DATE-OBS`` is the previous one plus its exposure and
    ``overhead``.

    Parameters
    ----------
    camera : Camera, optional
        Default: the guide's camera with `NIGHT_CAMERA` (flat field, full
        well, overscan, cosmic rays).
    n_bias, n_dark, n_flat, n_science : int, optional
        Number of frames of each kind (>= 0).
    exposure : float, optional
        Science and dark exposure time, in seconds (> 0).
    flat_level : float, optional
        Mean light of a flat before the flat field, in ADU (> 0); keep it well
        below saturation.
    flat_exposure : float, optional
        Flat exposure time, in seconds (> 0).
    sky : float, optional
        Sky in science frames, in ADU per pixel over the exposure.
    stars : int, optional
        Number of stars in the field.
    max_counts : float, optional
        Largest star peak, in ADU over a science exposure (peaks uniform in
        ``[max_counts / 10, max_counts]``).
    star_sigma : float, optional
        Gaussian sigma of the stars, in pixels (the guide's 4).
    moffat : tuple of float, optional
        ``(fwhm, beta)``: Moffat stars instead, with the fluxes the Gaussian
        stars would have (the field's table then has ``fwhm`` and ``beta``
        columns instead of ``peak`` and ``sigma``).
    filter, object : str, optional
        ``FILTER`` and ``OBJECT`` header values.
    start : str, optional
        ``DATE-OBS`` of the first frame, UTC, ISO 8601.
    overhead : float, optional
        Seconds between the end of one exposure and the start of the next (readout).
    seed : {None, int}, optional
        The night's seed; None draws fresh entropy (recorded as ``NIGHTSD``).

    Returns
    -------
    NightPlan
    """
    camera = Camera(**NIGHT_CAMERA) if camera is None else camera
    if not isinstance(camera, Camera):
        raise ParameterError("camera must be a ccdsim.Camera")
    counts = {k: check_int(f"n_{k}", n, high=10**4)
              for k, n in (("bias", n_bias), ("dark", n_dark), ("flat", n_flat),
                           ("science", n_science))}
    exposure = check_number("exposure", exposure, low=0, low_open=True, high=1e6)
    flat_level = check_number("flat_level", flat_level, low=0, low_open=True, high=65535)
    flat_exposure = check_number("flat_exposure", flat_exposure, low=0, low_open=True, high=1e6)
    sky = check_number("sky", sky, high=1e9)
    stars = check_int("stars", stars, high=10**7)
    max_counts = check_number("max_counts", max_counts, low=0, low_open=True, high=1e9)
    star_sigma = check_number("star_sigma", star_sigma, low=MIN_SIGMA, high=1e3)
    if moffat is not None:
        moffat = (check_number("moffat_fwhm", moffat[0], low=0, low_open=True, high=1e3),
                  check_number("moffat_beta", moffat[1], low=1, low_open=True, high=100))
    overhead = check_number("overhead", overhead, high=1e5)
    try:
        t = datetime.fromisoformat(str(start))
    except ValueError:
        raise ParameterError(f"start must be an ISO 8601 date and time, e.g. "
                             f"2026-03-20T19:00:00 (got {start!r})") from None
    if seed is not None:
        seed = check_int("seed", seed)  # any size: a fresh NIGHTSD has 128 bits
    for name, text in (("filter", filter), ("object", object)):
        if not isinstance(text, str) or not text.isprintable() or len(text) > 60:
            raise ParameterError(f"{name} must be printable text of at most 60 characters")

    root = np.random.SeedSequence(seed)
    field_table = make_star_table(stars, camera.shape, max_counts=max_counts, sigma=star_sigma,
                                  rng=child_rng(root, NightStream.FIELD))
    if moffat is not None:
        field_table.remove_columns(["peak", "sigma"])
        field_table["fwhm"] = moffat[0]
        field_table["beta"] = moffat[1]

    light = {"bias": (0.0, 0.0, False), "dark": (exposure, 0.0, False),
             "flat": (flat_exposure, flat_level, False), "science": (exposure, sky, True)}
    frames = []
    for kind in ("bias", "dark", "flat", "science"):
        t_exp, level, has_stars = light[kind]
        for n in range(counts[kind]):
            frames.append(FrameSpec(index=len(frames), kind=kind,
                                    filename=f"{kind}-{n + 1:03d}.fits", exposure_time=t_exp,
                                    date_obs=t.strftime(_DATE_FORMAT)[:-3], sky=level,
                                    stars=has_stars))
            t += timedelta(seconds=t_exp + overhead)
    header = {"FILTER": (filter, "filter in the beam"),
              "OBJECT": (object, "target of the science frames"),
              "INSTRUME": ("ccdsim camera", "instrument"),
              "TELESCOP": ("ccdsim telescope", "telescope"),
              "OBSERVER": ("ccdsim", "observer"),
              "CCD-TEMP": (-20.0, "[C] CCD temperature"),
              "SET-TEMP": (-20.0, "[C] CCD temperature set point"),
              "XBINNING": (1, "binning in x"),
              "YBINNING": (1, "binning in y"),
              "XPIXSZ": (camera.pixel_size, "[um] pixel size in x"),
              "YPIXSZ": (camera.pixel_size, "[um] pixel size in y")}
    return NightPlan(camera=camera, frames=tuple(frames), seed=root.entropy, field=field_table,
                     star_sigma=star_sigma, moffat=moffat, header=header)


def frame_seed(plan, index):
    """The `~numpy.random.SeedSequence` of frame ``index``: child ``(FRAMES, index)``.

    Parameters
    ----------
    plan : NightPlan
        The night.
    index : int
        Position in ``plan.frames``.

    Returns
    -------
    numpy.random.SeedSequence
    """
    return np.random.SeedSequence(plan.seed, spawn_key=(NightStream.FRAMES, int(index)))


def run_frame(plan, index, *, threads=None):
    """Make frame ``index`` of ``plan``: a pure function of the two.

    Parameters
    ----------
    plan : NightPlan
    index : int
        Position in ``plan.frames``.
    threads : int, optional
        Worker threads; never changes the pixels.

    Returns
    -------
    Frame
        With the night's header keywords (``IMAGETYP``, ``DATE-OBS``,
        ``FILTER``, ...); science frames carry the field as ``TRUTH``.
    """
    index = check_int("index", index, high=len(plan.frames) - 1)
    spec = plan.frames[index]
    stars = plan.field if spec.stars else None
    frame = plan.camera.expose(spec.exposure_time, sky=spec.sky, stars=stars,
                               star_sigma=plan.star_sigma, moffat=plan.moffat,
                               imagetyp=spec.imagetyp, threads=threads,
                               rng=frame_seed(plan, index))
    h = frame.header
    h.set("DATE-OBS", spec.date_obs, "[UTC] start of the exposure", after="EXPOSURE")
    for key, value in plan.header.items():
        if key == "OBJECT" and spec.kind != "science":
            value = ({"flat": "flat", "dark": "dark", "bias": "bias"}[spec.kind], value[1])
        h[key] = value
    h["NIGHTSD"] = (seed_text(plan.seed_sequence), "seed of the night")
    h["FRAMENUM"] = (index, "index of this frame in the night")
    if spec.kind == "flat":
        h["FLATLEV"] = (spec.sky, "[adu] mean light before the flat field")
    return frame


def _truth_hdu(data, bunit, comment, camera):
    h = fits.Header()
    h["BUNIT"] = (bunit, "unit of the data")
    h["CAMSEED"] = (camera.camera_seed, "camera seed (defects)")
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
    return {
        "bias.fits": _truth_hdu(cam.bias_map, "adu", "True bias map (level + bad columns).", cam),
        "dark.fits": _truth_hdu(cam.dark_map, "electron/(pix s)",
                                "True dark current, hot pixels included.", cam),
        "flat.fits": _truth_hdu(cam.flat_map, "", "True sensitivity (flat field), mean 1: "
                                "vignetting x dust x PRNU; multiplies light only.", cam),
    }


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
    return frames + [os.path.join(outdir, "truth", name) for name in truth_maps_names()]


def truth_maps_names():
    """File names under ``truth/``."""
    return ("bias.fits", "dark.fits", "flat.fits")


def _night_task(args):
    """Make and write one frame (module level, so Dask can send it to a worker)."""
    plan, index, path, overwrite, threads, history = args
    frame = run_frame(plan, index, threads=threads)
    for line in history:
        frame.header.add_history(line)
    return frame.write(path, overwrite=overwrite)


def write_night(plan, outdir, *, overwrite=False, threads=None, progress=None, workers=None,
                scheduler=None, history=()):
    """Write every frame of ``plan`` and its truth maps to ``outdir``.

    Every path is checked before anything is written: without
    ``overwrite`` an existing file stops it all. Each file is written
    atomically.

    Parameters
    ----------
    plan : NightPlan
        The night (see `plan_night`).
    outdir : str or os.PathLike
        Folder (created if missing; its parent must exist).
    overwrite : bool, optional
        Replace existing files.
    threads : int, optional
        Worker threads per frame; never changes the pixels.
    progress : bool, optional
        Show a progress bar on stderr; None: only when stderr is a terminal.
    workers, scheduler : optional
        Make the frames on a local Dask cluster of ``workers`` processes, or
        on the dask.distributed scheduler at ``scheduler``
        (`ccdsim.execute.run_tasks`); the files are the same.
    history : sequence of str, optional
        HISTORY lines for every frame's header (the effective configuration).

    Returns
    -------
    list of str
        The paths written.
    """
    import sys

    from .execute import check_execution, run_tasks

    check_execution(workers, scheduler)  # before anything is written
    outdir = os.fspath(outdir)
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise ParameterError(f"OUTDIR {outdir} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(outdir))
    if not os.path.isdir(parent):
        raise ParameterError(f"OUTDIR's folder {parent} does not exist")
    truth_dir = os.path.join(outdir, "truth")
    if os.path.exists(truth_dir) and not os.path.isdir(truth_dir):
        raise ParameterError(f"{truth_dir} exists and is not a folder")
    paths = night_paths(plan, outdir)
    for path in paths:
        if os.path.exists(path):
            check_writable(path, overwrite, "output")
    os.makedirs(truth_dir, exist_ok=True)
    written = []
    for name, hdul in truth_maps(plan).items():
        written.append(write_hdulist(hdul, os.path.join(truth_dir, name), overwrite=overwrite))
    if progress is None:
        progress = sys.stderr.isatty()
    tasks = [(plan, spec.index, os.path.join(outdir, spec.filename), overwrite,
              threads if workers is None and scheduler is None else 1, tuple(history))
             for spec in plan.frames]
    try:
        written += run_tasks(_night_task, tasks, workers=workers, scheduler=scheduler,
                             progress=progress, desc="ccdsim night")
    finally:
        # A worker that died mid-write (or was stopped by Ctrl-C) left its
        # temporary; Dask has made that frame again.
        for spec in plan.frames:
            remove_stale_temporaries(outdir, spec.filename)
    return written
