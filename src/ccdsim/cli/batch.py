"""``ccdsim batch``: many frames with parameters drawn from ranges, resumable."""

import os

from ..core.params import PARAMS
from ..core.validate import ParameterError
from ..io.files import check_outdir
from ..run.batch import MANIFEST, PARAMETERS, BatchPlan, parse_range, run_batch
from ..run.execute import check_execution
from .command import progress_wanted

__all__ = ["check", "run"]

def check(args):
    """Every value checked, nothing written: the batch's plan."""
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
        check_outdir(args.outdir)
    return plan


def run(plan, args, history):
    """Make the frames not yet made."""
    done = run_batch(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                     workers=args.workers, scheduler=args.scheduler,
                     progress=progress_wanted(args), history=history)
    print(f"{args.outdir}: {done['made']} frames made, {done['skipped']} already complete; "
          f"manifest {os.path.join(args.outdir, MANIFEST)}")
    return 0
