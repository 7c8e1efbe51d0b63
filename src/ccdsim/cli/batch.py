"""``ccdsim batch``: many frames with parameters drawn from ranges, resumable."""

import os

from ..batch import PARAMETERS
from ..params import PARAMS
from ..validate import ParameterError
from . import options as opt
from .command import Command, progress_wanted

__all__ = ["COMMAND"]

_RANGES = "frame parameters: a value or LOW:HIGH"

OPTIONS = (
    opt.param_option("n", group="batch",
                     help="number of frames (required, here or in the config file)"),
    opt.param_option("seed", group="batch", default=0, help="batch seed, >= 0 (default: 0)"),
    opt.param_option("shape", metavar=("NY", "NX"), group="camera"),
    *(o for o in opt.CAMERA if o.dest in ("camera_seed", "no_hot_pixels", "no_bad_columns")),
    *(opt.param_option(p.name, kind="range", metavar="V|LOW:HIGH", group=_RANGES,
                       help=f"{p.help}" + (f" in {p.unit}" if p.unit else "")
                       + f", {p.range} (default: {p.default:g})")
      for p in PARAMETERS.values()),
    opt.FLOAT,
    opt.Option("overwrite", "switch", False, "replace a folder that holds another batch",
               group="output", run_only=True),
    *(o for o in opt.OUTPUT if o.dest != "overwrite"), *opt.EXECUTION,
)


def check(args):
    """Every value checked, nothing written: the batch's plan."""
    from ..batch import BatchPlan, parse_range
    from ..execute import check_execution

    if args.n is None:
        raise ParameterError("n, the number of frames, is required (--n N, or n = N in "
                             "--config)", param="n")
    ranges = {key: parse_range(key, getattr(args, key)) for key in PARAMETERS
              if getattr(args, key) is not None}
    plan = BatchPlan(n=args.n, seed=args.seed, shape=tuple(args.shape),
                     camera_seed=args.camera_seed, ranges=ranges,
                     hot_pixels=not args.no_hot_pixels, bad_columns=not args.no_bad_columns,
                     quantize=args.quantize)
    PARAMS["threads"].check(args.threads)
    check_execution(args.workers, args.scheduler)
    if args.outdir is not None:
        if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
            raise ParameterError(f"OUTDIR {args.outdir} exists and is not a folder",
                                 param="outdir")
        parent = os.path.dirname(os.path.abspath(args.outdir))
        if not os.path.isdir(parent):
            raise ParameterError(f"OUTDIR's folder {parent} does not exist", param="outdir")
    return plan


def run(plan, args, history):
    """Make the frames not yet made."""
    from ..batch import MANIFEST, run_batch

    done = run_batch(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                     workers=args.workers, scheduler=args.scheduler,
                     progress=progress_wanted(args), history=history)
    print(f"{args.outdir}: {done['made']} frames made, {done['skipped']} already complete; "
          f"manifest {os.path.join(args.outdir, MANIFEST)}")
    return 0


COMMAND = Command(
    name="batch", help="many frames with parameters drawn from ranges",
    description="Make N frames whose parameters are drawn uniformly from the ranges given "
                "(LOW:HIGH) or fixed (one value). Frame i depends only on the seed and i. "
                "Rerunning the same command skips frames already complete and verified. The "
                "camera is the guide's (a camera seed, hot pixels and bad columns on or off); "
                "the camera effects of image and night (flat field, cosmic rays, full well, "
                "overscan) are not drawn from ranges.",
    positional=("outdir", "OUTDIR", "folder for the frames and manifest.ecsv"),
    options=OPTIONS, check=check, run=run)
