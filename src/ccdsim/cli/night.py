"""``ccdsim night``: biases, darks, flats and science frames of one camera, with the truth."""

from ..core.params import PARAMS
from ..core.seeds import seed_text
from ..core.validate import ParameterError
from ..io.files import atomic_path, check_writable
from ..plans.file import plan_toml
from ..plans.night import night_filter, plan_night
from ..run.execute import check_execution
from ..run.output import check_night_output, write_night
from . import options as opt
from .command import camera_from_args, progress_wanted
from .specs import NIGHT_OPTIONS

__all__ = ["check", "run"]

def check(args):
    """Every value checked, nothing written: the night's plan."""
    PARAMS["threads"].check(args.threads)
    check_execution(args.workers, args.scheduler)
    plan = plan_night(camera_from_args(args, NIGHT_OPTIONS), n_bias=args.n_bias,
                      n_dark=args.n_dark,
                      n_flat=args.n_flat, n_science=args.n_science, exposure=args.exposure,
                      flat_level=args.flat_level, flat_exposure=args.flat_exposure,
                      sky=args.sky, stars=args.stars, max_counts=args.max_counts,
                      star_sigma=args.star_sigma,
                      moffat=args.moffat, filter=args.filter,
                      object=args.object, start=args.start, overhead=args.overhead,
                      seed=args.seed, quantize=args.quantize,
                      dark_exposures=args.dark_exposures or None, filters=args.filters or None,
                      imagetyp_style=args.imagetyp_style, pointing=_pointing(args),
                      scale=args.scale, ptc_pairs=args.ptc_pairs,
                      ptc_max_level=args.ptc_max_level, layout=args.layout,
                      camera_name=args.camera)
    # What was done, as the frames' HISTORY says it: the biases' and darks' filter.
    args.filter = night_filter(args.filter, args.filters or None)[0]
    if args.outdir is not None:
        check_night_output(plan, args.outdir, overwrite=args.overwrite)
    if args.save_plan is not None:
        if not args.save_plan.lower().endswith(".toml"):
            raise ParameterError(f"--save-plan {args.save_plan} must end in .toml",
                                 param="save_plan")
        check_writable(args.save_plan, args.overwrite, "--save-plan")
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
    """Write the night (and, with --save-plan, the plan that makes it again)."""
    if args.save_plan is not None:
        with atomic_path(args.save_plan, args.overwrite) as tmp, \
                open(tmp, "w", encoding="utf-8") as f:
            f.write(plan_toml(plan, "A night of `ccdsim night`, saved to edit and run with "
                                    "`ccdsim dataset`."))
    written = write_night(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                          progress=progress_wanted(args), workers=args.workers,
                          scheduler=args.scheduler, history=history)
    ny, nx = plan.camera.readout_shape
    print(f"wrote {len(written)} files to {args.outdir}: {plan.count('bias')} bias, "
          f"{plan.count('dark')} dark, {plan.count('flat')} flat, "
          f"{plan.count('science')} science ({ny}x{nx}), truth/ with manifest.json; "
          f"NIGHTSD={seed_text(plan.seed_sequence)}")
    return 0
