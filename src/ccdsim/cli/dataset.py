"""``ccdsim dataset``: the frames of an observing plan (built-in or TOML), with the truth."""

from ..params import PARAMS
from . import options as opt
from .command import Command, progress_wanted

__all__ = ["COMMAND"]

_PLAN = "plan"

OPTIONS = (
    opt.Option("list", "switch", False, "list the built-in plans and exit", group=_PLAN,
               run_only=True),
    opt.Option("show", "text", None, "print built-in plan NAME as TOML (to copy and edit) and "
               "exit", metavar="NAME", group=_PLAN, run_only=True),
    opt.param_option("seed", group=_PLAN,
                     help="the plan's seed, >= 0 (default: the plan's, else fresh; recorded "
                          "as NIGHTSD)"),
    # No default of its own: without --scale the plan's scale holds.
    opt.Option("scale", "int", None, "divide every camera's data section by this on each "
               f"side, {PARAMS['scale'].range} (default: the plan's)", param="scale",
               metavar="N", group=_PLAN),
    *opt.OUTPUT, *opt.EXECUTION,
)


def check(args):
    """Every value checked, nothing written: the plan (or what --list/--show print)."""
    from ..execute import check_execution
    from ..night_output import check_night_output
    from ..planfile import BUILTIN_PLANS, load_plan, plan_text
    from ..validate import ParameterError

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
    from ..night_output import write_night
    from ..seeds import seed_text

    written = write_night(plan, args.outdir, overwrite=args.overwrite, threads=args.threads,
                          progress=progress_wanted(args), workers=args.workers,
                          scheduler=args.scheduler, history=history)
    cams = ", ".join(f"{name} {c.readout_shape[0]}x{c.readout_shape[1]}"
                     for name, c in ((n, plan.camera_named(n)) for n in plan.camera_names))
    print(f"wrote {len(written)} files to {args.outdir}: {len(plan.frames)} frames ({cams}), "
          f"truth/ with manifest.json; NIGHTSD={seed_text(plan.seed_sequence)}")
    return 0


COMMAND = Command(
    name="dataset", help="the frames of an observing plan + truth (built-in: guide, night)",
    description="Write the frames of an observing plan (a built-in name or a TOML file) into "
                "OUTDIR, with every camera's true bias, dark, glow and flat maps and a "
                "manifest in OUTDIR/truth/.",
    positional=(("plan", "PLAN", "a built-in plan (see --list) or a TOML file", "?"),
                ("outdir", "OUTDIR", "folder to write (created if missing)", "?")),
    options=OPTIONS, check=check, run=run, config=False)
