"""``ccdsim image``: one frame (the guide's image by default)."""

import os

from ..camera.pointed import prepare_pointed
from ..core.params import PARAMS, parse_start
from ..core.resources import check_frame_memory
from ..core.validate import ParameterError
from ..io.display import reduce_fits, save_png
from ..io.files import check_free_space, sweep_temporaries
from ..io.amplifiers import check_layout
from ..io.fits import check_writable, fits_name_problem
from ..plans.sky import site_from
from ..run.bigframe import check_chunk_rows, write_chunked
from ..run.execute import check_execution, dask_client
from . import options as opt
from .command import camera_from_args, progress_wanted
from .specs import IMAGE_OPTIONS

__all__ = ["check", "run"]

def check(args):
    """Every value checked, nothing written: the prepared exposure."""
    camera = camera_from_args(args, IMAGE_OPTIONS)
    if args.ra is None and args.dec is None:  # the guide's image: no sky coordinates
        for o in (*opt.SKY_POINTING, *opt.SKY_SITE):  # never silently ignored
            if getattr(args, o.dest) != o.default:
                raise ParameterError(f"{o.param} needs a pointing: give --ra and --dec",
                                     param=o.param)
        cards = None
        if args.start:
            cards = {"DATE-OBS": (parse_start(args.start).isoformat(timespec="milliseconds"),
                                  "[UTC] start of the exposure")}
        exposure = camera.prepare(args.exposure, sky=args.sky, stars=args.stars,
                                  max_counts=args.max_counts, star_sigma=args.star_sigma,
                                  moffat=args.moffat, quantize=args.quantize, cards=cards,
                                  rng=args.seed)
    else:
        for name in ("stars", "max_counts"):  # never silently ignored
            if getattr(args, name) != PARAMS[name].default:
                raise ParameterError(f"{name} is for a field without a pointing: with --ra and "
                                     f"--dec the stars come from magnitudes (--catalog, or "
                                     f"--star-density, --limiting-mag, --bright-mag)",
                                     param=name)
        exposure = prepare_pointed(
            camera, args.exposure, ra=args.ra, dec=args.dec, pixel_scale=args.pixel_scale,
            rotation=args.rotation, filter=args.filter, catalog=args.catalog or None,
            zero_point=args.zero_point, extinction=args.extinction, airmass=args.airmass,
            sky_brightness=args.sky_brightness, sky=args.sky, seeing=args.seeing,
            star_density=args.star_density, limiting_mag=args.limiting_mag,
            bright_mag=args.bright_mag, count_slope=args.count_slope, moffat=args.moffat,
            star_sigma=args.star_sigma, quantize=args.quantize, time=args.start or None,
            site=_site(args), rng=args.seed)
    PARAMS["threads"].check(args.threads)
    check_layout(args.layout, "--layout")
    check_execution(args.workers, args.scheduler)
    if args.chunks is None:
        if args.workers is not None or args.scheduler is not None:
            raise ParameterError("--workers and --scheduler make a frame in bands: "
                                 "add --chunks", param="workers")
        check_frame_memory(exposure)
    else:
        check_chunk_rows(args.chunks)
        if exposure.two_stage:
            raise ParameterError("chunks: a frame with cosmic rays, a full well, several "
                                 "amplifiers or binning cannot be made in bands (charge "
                                 "crosses them, or they are read at once); make it whole",
                                 param="chunks")
    if args.output is None:  # config show: nothing will be written
        return exposure

    # Leftovers of earlier runs into these files that were killed (never a live one's).
    sweep_temporaries([p for p in (args.output, args.png) if p])
    problem = fits_name_problem(args.output) if args.output else None  # empty: below
    if problem:
        raise ParameterError(f"output {args.output} {problem}", param="output")
    check_writable(args.output, args.overwrite, "output")
    # Before the frame is made: the image, its DQ bits and the headers and tables.
    ny, nxo = exposure.shape
    check_free_space(os.path.dirname(os.path.abspath(args.output)),
                     ny * nxo * ((2 if args.quantize else 4) + 1) + 64 * 2880,
                     f"output {args.output}")
    if args.png:
        if os.path.abspath(args.png) == os.path.abspath(args.output):
            raise ParameterError("--png must differ from the FITS output", param="png")
        check_writable(args.png, args.overwrite, "png")
    return exposure


def _site(args):
    """The site the options give, or None."""
    return site_from(args.site_latitude, args.site_longitude, args.site_elevation)


def run(exposure, args, history):
    """Make the frame, write it (and its preview)."""
    if args.chunks is not None:
        with dask_client(args.workers, args.scheduler):
            write_chunked(exposure, args.output, chunk_rows=args.chunks,
                          overwrite=args.overwrite, history=history,
                          progress=progress_wanted(args))
        header, n_stars = exposure.header(), len(exposure.truth or ())
        dtype = "uint16" if args.quantize else "float32"
    else:
        frame = exposure.frame(threads=args.threads)
        for line in history:
            frame.header.add_history(line)
        frame.write(args.output, overwrite=args.overwrite, layout=args.layout)
        header, n_stars, dtype = frame.header, len(frame.truth or ()), frame.data.dtype.name
    ny, nx = exposure.shape
    msg = f"wrote {args.output}: {ny}x{nx} {dtype}, {n_stars} stars, FRMSEED={header['FRMSEED']}"
    if args.png:
        image, block = (frame.data, 1) if args.chunks is None else reduce_fits(args.output)
        save_png(image, args.png, overwrite=args.overwrite, block=block,
                 title=f"ccdsim: {args.exposure:g} s, sky {args.sky:g} ADU, {args.stars} stars",
                 percu=99.9 if args.stars else 99.0)
        msg += f"; preview {args.png}"
    print(msg)
    return 0
