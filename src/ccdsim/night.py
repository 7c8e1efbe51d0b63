"""A night at the telescope: biases, darks, flats and science frames, with the truth.

`plan_night` makes a `NightPlan`: one camera, one star field and a list of
`FrameSpec` (what each frame is and when it was taken). `run_frame` turns
frame ``i`` of a plan into a `Frame`; it is a pure function of the plan and
the index, since frame ``i`` draws its noise from the child ``(FRAMES, i)`` of
the night's seed, so frames can run in any order, on any worker, with the
same pixels. `write_night` writes a whole night to a folder, and
``ccdsim night`` is the command line over it.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
from astropy.table import Table

from .camera import Camera
from .params import DEFAULTS as D
from .params import PARAMS, check
from .persistence import frame_persistence
from .presets import NIGHT_CAMERA  # also ccdsim.night.NIGHT_CAMERA, as before
from .seeds import NightStream, child_rng, seed_text
from .sources import make_star_table
from .validate import ParameterError, check_int

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
    quantize : bool
        True: uint16 from the ADC; False: float32 ADU.
    """

    camera: Camera
    frames: tuple
    seed: object
    field: Table
    star_sigma: float = D.star_sigma
    moffat: tuple | None = None
    header: dict = field(default_factory=dict)
    quantize: bool = True

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


def plan_night(camera=None, *, n_bias=D.n_bias, n_dark=D.n_dark, n_flat=D.n_flat,
               n_science=D.n_science, exposure=D.exposure_time, flat_level=D.flat_level,
               flat_exposure=D.flat_exposure, sky=D.sky, stars=D.stars, max_counts=D.max_counts,
               star_sigma=D.star_sigma, moffat=None, filter=D.filter, object=D.object,
               start=D.start, overhead=D.overhead, seed=None, quantize=True):
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
    quantize : bool, optional
        True: the ADC's uint16; False: float32 ADU, not rounded or clipped.

    Returns
    -------
    NightPlan
    """
    camera = Camera(**NIGHT_CAMERA) if camera is None else camera
    if not isinstance(camera, Camera):
        raise ParameterError("camera must be a ccdsim.Camera")
    counts = {k: check(f"n_{k}", n) for k, n in (("bias", n_bias), ("dark", n_dark),
                                                 ("flat", n_flat), ("science", n_science))}
    # Darks are taken at the science exposure: zero seconds would make them biases.
    exposure = check("exposure_time", exposure, "exposure", low_open=True)
    flat_level = check("flat_level", flat_level)
    flat_exposure = check("flat_exposure", flat_exposure)
    sky = check("sky", sky)
    stars = check("stars", stars)
    max_counts = check("max_counts", max_counts)
    star_sigma = check("star_sigma", star_sigma)
    if moffat is not None:
        try:
            fwhm, beta = moffat
        except (TypeError, ValueError):
            raise ParameterError("moffat must be a pair (fwhm, beta)",
                                 param="moffat_fwhm", spelled="moffat") from None
        moffat = (check("moffat_fwhm", fwhm), check("moffat_beta", beta))
    overhead = check("overhead", overhead)
    quantize = check("quantize", quantize)
    filter, object = check("filter", filter), check("object", object)
    t = parse_start(start)
    if camera.cosmic_ray_rate:  # before the first frame, not at the sixth
        from .cosmics import check_count

        check_count(camera.shape, max(exposure, flat_exposure), camera.cosmic_ray_rate,
                    camera.pixel_size)
    seed = check("seed", seed)  # any size: a fresh NIGHTSD has 128 bits
    # The last frame must start before the year 10000 (FITS dates have 4 digits).
    total = sum(counts.values()) * (max(exposure, flat_exposure) + overhead)
    if total > (datetime(9999, 12, 31) - t).total_seconds():
        raise ParameterError(f"start {start} leaves no room for the night's "
                             f"{sum(counts.values())} frames before the year 10000",
                             param="start")

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
                     star_sigma=star_sigma, moffat=moffat, header=header, quantize=quantize)


def parse_start(start):
    """``start`` (ISO 8601, UTC) as a `~datetime.datetime`, or a `ParameterError`."""
    try:
        return datetime.fromisoformat(check("start", start))
    except ValueError:
        raise ParameterError(f"start must be an ISO 8601 date and time, e.g. "
                             f"{PARAMS['start'].default} (got {start!r})", param="start") from None


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
        With the night's keywords (``DATE-OBS``, ``FILTER``, ...); science frames: ``TRUTH``.
    """
    index, threads = check_int("index", index, high=len(plan.frames) - 1), check("threads", threads)
    spec = plan.frames[index]
    cards = {"DATE-OBS": (spec.date_obs, "[UTC] start of the exposure"), **plan.header}
    if spec.kind != "science":
        cards["OBJECT"] = (spec.kind, cards["OBJECT"][1])
    cards["NIGHTSD"] = (seed_text(plan.seed_sequence), "seed of the night")
    cards["FRAMENUM"] = (index, "index of this frame in the night")
    if spec.kind == "flat":
        cards["FLATLEV"] = (spec.sky, PARAMS["flat_level"].fits_comment)
    clock = datetime.fromisoformat(spec.date_obs) - datetime.fromisoformat(plan.frames[0].date_obs)
    charge, cards = frame_persistence(plan, index, cards)  # earlier frames' after-images
    return plan.camera.prepare(spec.exposure_time, sky=spec.sky, clock=clock.total_seconds(),
                               stars=plan.field if spec.stars else None, moffat=plan.moffat,
                               star_sigma=plan.star_sigma, quantize=plan.quantize, cards=cards,
                               charge=charge, imagetyp=spec.imagetyp, rng=frame_seed(plan, index),
                               filter=plan.header["FILTER"][0]).frame(threads=threads)


def __getattr__(name):
    # Writing a night and its truth live in ccdsim.night_output and ccdsim.night_truth;
    # importable from here as before.
    if name in ("write_night", "check_night_output"):
        from . import night_output

        return getattr(night_output, name)
    if name in ("truth_maps", "night_paths", "truth_maps_names"):
        from . import night_truth

        return getattr(night_truth, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
