"""``ccdsim dataset``: the frames of an observing plan (built-in or TOML), with the truth."""

from ..core.params import PARAMS
from ..core.seeds import seed_text
from ..core.validate import ParameterError
from ..plans.file import BUILTIN_PLANS, load_plan, plan_text
from ..run.execute import check_execution
from ..run.output import check_night_output, write_night
from .command import progress_wanted

__all__ = ["check", "run"]

def check(args):
    """Every value checked, nothing written: the plan (or what --list/--show print)."""
    if (args.list or args.show is not None) and (args.plan or args.outdir or args.seed is not None
                                                  or args.scale is not None):
        raise ParameterError(f"{'--list' if args.list else '--show'} prints and exits: it takes "
                             f"no PLAN, OUTDIR, --seed or --scale (they apply when a plan runs)",
                             param="plan")
    if args.list:
        width = max(map(len, BUILTIN_PLANS))
        return "".join(f"{name:<{width}}  {text}\n" for name, text in BUILTIN_PLANS.items())
    if args.show is not None:
        return plan_text(args.show)
    if args.plan is None or args.outdir is None:
        raise ParameterError("PLAN and OUTDIR are needed (or --list, or --show NAME)",
                             param="plan")
    PARAMS["threads"].check(args.threads)
    check_execution(args.workers, args.scheduler)
    plan = load_plan(args.plan, seed=args.seed, scale=args.scale)
    check_night_output(plan, args.outdir, overwrite=args.overwrite)
    return plan


def run(plan, args, history):
    """Write the data set (or print what --list/--show asked for)."""
    import sys

    if isinstance(plan, str):
        sys.stdout.write(plan)
        return 0

    written = write_night(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                          progress=progress_wanted(args), workers=args.workers,
                          scheduler=args.scheduler, history=history)
    cams = ", ".join(f"{name} {c.readout_shape[0]}x{c.readout_shape[1]}"
                     for name, c in ((n, plan.camera_named(n)) for n in plan.camera_names))
    print(f"wrote {len(written)} files to {args.outdir}: {len(plan.frames)} frames ({cams}), "
          f"truth/ with manifest.json; NIGHTSD={seed_text(plan.seed_sequence)}")
    return 0
