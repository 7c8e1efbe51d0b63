"""A night at the telescope: biases, darks, flats and science frames, with the truth.

`plan_night` makes a `NightPlan`: one camera, one star field and a list of
`FrameSpec` (what each frame is and when it was taken). `run_frame` turns
frame ``i`` of a plan into a `Frame`; it is a pure function of the plan and
the index, since frame ``i`` draws its noise from the child ``(FRAMES, i)`` of
the night's seed, so frames can run in any order, on any worker, with the
same pixels. `write_night` writes a whole night to a folder, and
``ccdsim night`` is the command line over it.
"""

from datetime import datetime

from ..camera.camera import Camera
from ..camera.named import NIGHT_CAMERA
from ..core.params import DEFAULTS as D
from ..core.params import check, check_moffat, parse_start
from ..core.validate import ParameterError
from ..io.amplifiers import check_layout
from .builtin import night_document
from .file import build_plan
from .model import IMAGETYP_STYLES

__all__ = ["plan_night", "night_filter"]


def plan_night(camera=None, *, n_bias=D.n_bias, n_dark=D.n_dark, n_flat=D.n_flat,
               n_science=D.n_science, exposure=D.exposure_time, flat_level=D.flat_level,
               flat_exposure=D.flat_exposure, sky=D.sky, stars=D.stars, max_counts=D.max_counts,
               star_sigma=D.star_sigma, moffat=None, filter=None, object=D.object,
               start=D.start, overhead=D.overhead, seed=None, quantize=True,
               dark_exposures=None, filters=None, imagetyp_style=D.imagetyp_style,
               pointing=None, scale=None, ptc_pairs=D.ptc_pairs,
               ptc_max_level=D.ptc_max_level, layout=D.layout, camera_name=None):
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
    filter : str, optional
        ``FILTER`` of the biases and darks (the filter in the beam while no
        light comes in), and of every frame without ``filters``; default:
        the first of ``filters``, else R (`night_filter`).
    object : str, optional
        ``OBJECT`` of the science frames.
    start : str, optional
        ``DATE-OBS`` of the first frame, UTC, ISO 8601.
    overhead : float, optional
        Seconds between the end of one exposure and the start of the next (readout).
    seed : {None, int}, optional
        The night's seed; None draws fresh entropy (recorded as ``NIGHTSD``).
    quantize : bool, optional
        True: the ADC's uint16; False: float32 ADU, not rounded or clipped.
    dark_exposures : sequence of float or str, optional
        Darks at each of these exposure times, in seconds (``n_dark`` each;
        a string: comma-separated). Default: the science exposure.
    filters : sequence of str or str, optional
        Flats and science frames in each filter (``n_flat`` and
        ``n_science`` each; a string: comma-separated). Default: ``filter``
        (else R).
    imagetyp_style : str, optional
        ``IMAGETYP`` spelling, a key of `ccdsim.plans.model.IMAGETYP_STYLES`;
        in a style with a ``darkflat`` word (nina), darks at
        ``flat_exposure`` get it.
    pointing : dict, optional
        Science frames pointed at the sky (`ccdsim.plans.sky`): ``ra``, ``dec``
        and any of ``pixel_scale``, ``rotation``, ``catalog``, ``zero_point``,
        ``extinction``, ``sky_brightness`` (one value for every filter, or each
        filter's: ``{"V": 5e8, "R": 6e8}`` or ``"V=5e8,R=6e8"``), ``airmass``,
        ``seeing``, ``seeing_jitter``, ``dither``, ``site_latitude``,
        ``site_longitude``, ``site_elevation``, ``star_density``,
        ``limiting_mag``, ``bright_mag``, ``count_slope`` (units as in the
        parameter table). Stars then come from magnitudes, not ``stars``.
    ptc_pairs : int, optional
        A photon-transfer series after the flats: this many flat pairs, their
        light rising evenly to ``ptc_max_level`` (exposures at the flats' rate).
    ptc_max_level : float, optional
        Mean light of the series' last pair before the flat field, in ADU.
    layout : {'assembled', 'amplifiers'}, optional
        How frames of several amplifiers are written (`ccdsim.io.amplifiers`).
    scale : int, optional
        Divide the camera's data section by this on each side (a small night
        that looks the same, as a plan's ``scale``); None or 1: full size.
    camera_name : str, optional
        The named camera ``camera`` was made from (`ccdsim.camera.named.CAMERAS`),
        recorded in the plan and the truth's manifest (default: ``night``).

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
    dark_exposures = _checked_list("dark_exposures", dark_exposures, [exposure],
                                   lambda v: check("exposure_time", v, "dark_exposures",
                                                   low_open=True))
    filter, filters = night_filter(filter, filters)
    imagetyp_style = check("imagetyp_style", imagetyp_style)
    if imagetyp_style not in IMAGETYP_STYLES:
        raise ParameterError(f"imagetyp_style must be one of {', '.join(IMAGETYP_STYLES)} "
                             f"(got {imagetyp_style!r})", param="imagetyp_style")
    flat_level = check("flat_level", flat_level)
    ptc_pairs, ptc_max_level = check("ptc_pairs", ptc_pairs), check("ptc_max_level", ptc_max_level)
    layout = check_layout(check("layout", layout))
    flat_exposure = check("flat_exposure", flat_exposure)
    sky = check("sky", sky)
    stars = check("stars", stars)
    max_counts = check("max_counts", max_counts)
    star_sigma = check("star_sigma", star_sigma)
    moffat = check_moffat(moffat)
    overhead = check("overhead", overhead)
    quantize = check("quantize", quantize)
    object = check("object", object)
    t = parse_start(start)
    seed = check("seed", seed)  # any size: a fresh NIGHTSD has 128 bits
    # The last frame must start before the year 10000 (FITS dates have 4 digits).
    n_frames = (counts["bias"] + counts["dark"] * len(dark_exposures)
                + (counts["flat"] + counts["science"]) * len(filters) + 2 * ptc_pairs)
    longest_flat = flat_exposure * max(1.0, ptc_max_level / flat_level if ptc_pairs else 1.0)
    total = n_frames * (max(exposure, longest_flat, *dark_exposures) + overhead)
    if total > (datetime(9999, 12, 31) - t).total_seconds():
        raise ParameterError(f"start {start} leaves no room for the night's "
                             f"{n_frames} frames before the year 10000", param="start")
    doc = night_document(camera, counts=counts, exposure=exposure,
                         dark_exposures=dark_exposures, filters=filters,
                         imagetyp_style=imagetyp_style, flat_level=flat_level,
                         flat_exposure=flat_exposure, sky=sky, stars=stars,
                         max_counts=max_counts, star_sigma=star_sigma, moffat=moffat,
                         object=object, start=start, overhead=overhead, quantize=quantize,
                         ptc_pairs=ptc_pairs, ptc_max_level=ptc_max_level, layout=layout,
                         pointing=pointing, filter=filter, camera_name=camera_name)

    return build_plan(doc, seed=seed, scale=scale, cameras={"night": camera}, source="night")


def night_filter(filter=None, filters=None):
    """The filters of a night: the biases' and darks', and the flats' and science frames'.

    Parameters
    ----------
    filter : str, optional
        The biases' and darks' (default: the first of ``filters``, else R).
    filters : sequence of str or str, optional
        The flats' and science frames' (a string: comma-separated; default:
        ``filter``, else R).

    Returns
    -------
    filter : str
    filters : list of str
        Both checked.
    """
    filter = None if filter is None else check("filter", filter)
    filters = _checked_list("filters", filters, [filter or D.filter],
                            lambda v: check("filter", v, "filters"))
    if len(set(filters)) != len(filters):
        raise ParameterError(f"filters must differ from each other (got {', '.join(filters)})",
                             param="filters")
    return filter or filters[0], filters


def _checked_list(name, values, default, check_one):
    if values is None:
        return default
    if isinstance(values, str):
        text = values
        values = [v.strip() for v in values.split(",")] if values.strip() else []
        if name == "dark_exposures":
            try:
                values = [float(v) for v in values]
            except ValueError:
                raise ParameterError(f"dark_exposures must be numbers of seconds separated by "
                                     f"commas (got {text!r})", param=name) from None
    values = [values] if isinstance(values, (int, float)) else list(values)
    if not values:
        raise ParameterError(f"{name} must name at least one value", param=name)
    try:
        return [check_one(v) for v in values]
    except ParameterError as exc:  # about this list, not the parameter it borrows a range from
        raise ParameterError(str(exc), param=name) from None


