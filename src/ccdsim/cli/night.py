"""``ccdsim night``: biases, darks, flats and science frames of one camera, with the truth."""

from ..params import PARAMS
from . import options as opt
from .command import Command, camera_from_args, progress_wanted

__all__ = ["COMMAND"]

_FRAMES = "frames"

OPTIONS = (
    opt.named_camera_option("night"), *opt.CAMERA, *opt.NIGHT_EFFECTS,
    *(opt.param_option(f"n_{kind}", group=_FRAMES) for kind in ("bias", "dark", "flat",
                                                                 "science")),
    opt.param_option("exposure_time", group=_FRAMES, help=PARAMS["exposure_time"].describe()
                     .replace("exposure time", "science and dark exposure time", 1)),
    opt.param_option("dark_exposures", group=_FRAMES),
    opt.param_option("filters", group=_FRAMES),
    opt.param_option("imagetyp_style", group=_FRAMES),
    opt.param_option("flat_level", group=_FRAMES),
    opt.param_option("flat_exposure", group=_FRAMES),
    *(o for o in opt.exposure_options(_FRAMES) if o.dest != "exposure"),
    opt.param_option("filter", group=_FRAMES),
    opt.param_option("object", group=_FRAMES),
    opt.param_option("start", group=_FRAMES),
    opt.param_option("overhead", group=_FRAMES),
    opt.param_option("seed", group=_FRAMES,
                     help="the night's seed, >= 0 (default: fresh, recorded as NIGHTSD)"),
    *opt.SKY_POINTING, *opt.SKY_NIGHT,
    opt.FLOAT, *opt.OUTPUT, *opt.EXECUTION,
)


def check(args):
    """Every value checked, nothing written: the night's plan."""
    from ..execute import check_execution
    from ..night import plan_night
    from ..night_output import check_night_output

    PARAMS["threads"].check(args.threads)
    check_execution(args.workers, args.scheduler)
    plan = plan_night(camera_from_args(args, OPTIONS), n_bias=args.n_bias, n_dark=args.n_dark,
                      n_flat=args.n_flat, n_science=args.n_science, exposure=args.exposure,
                      flat_level=args.flat_level, flat_exposure=args.flat_exposure,
                      sky=args.sky, stars=args.stars, max_counts=args.max_counts,
                      star_sigma=args.star_sigma,
                      moffat=tuple(args.moffat) if args.moffat else None, filter=args.filter,
                      object=args.object, start=args.start, overhead=args.overhead,
                      seed=args.seed, quantize=args.quantize,
                      dark_exposures=args.dark_exposures or None, filters=args.filters or None,
                      imagetyp_style=args.imagetyp_style, pointing=_pointing(args))
    if args.outdir is not None:
        check_night_output(plan, args.outdir, overwrite=args.overwrite)
    return plan


def _pointing(args):
    """The pointing options given (None without --ra and --dec: no sky coordinates)."""
    if args.ra is None and args.dec is None:
        return None
    keys = [o.dest for o in (*opt.SKY_POINTING, *opt.SKY_NIGHT)]
    values = {k: getattr(args, k) for k in keys}
    values["catalog"] = values["catalog"] or None
    return {k: v for k, v in values.items() if v is not None}


def run(plan, args, history):
    """Write the night."""
    from ..night_output import write_night
    from ..seeds import seed_text

    written = write_night(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                          progress=progress_wanted(args), workers=args.workers,
                          scheduler=args.scheduler, history=history)
    ny, nx = plan.camera.readout_shape
    print(f"wrote {len(written)} files to {args.outdir}: {plan.count('bias')} bias, "
          f"{plan.count('dark')} dark, {plan.count('flat')} flat, "
          f"{plan.count('science')} science ({ny}x{nx}), truth/ with manifest.json; "
          f"NIGHTSD={seed_text(plan.seed_sequence)}")
    return 0


COMMAND = Command(
    name="night", help="a night: biases, darks, flats, science frames + truth",
    description="Write a night's frames as FITS into OUTDIR, with the true bias, dark and "
                "flat maps in OUTDIR/truth/.",
    positional=("outdir", "OUTDIR", "folder to write (created if missing)"),
    options=OPTIONS, check=check, run=run)
