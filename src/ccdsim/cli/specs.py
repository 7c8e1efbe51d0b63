"""The commands as the parser sees them: names, help, options; their work is loaded when they run.

`COMMANDS` holds every subcommand's `Command`: what ``ccdsim --help``, a
command's ``--help``, configuration files and refusals of options need. It
imports only the parameter table and the option definitions, so the command
line answers those in a fraction of a second; the module that does a
command's work (``ccdsim.cli.NAME``: its ``check`` and ``run``, with numpy,
astropy and the compiled kernels) is imported when the command runs. Measured
on this 2-core machine: ``ccdsim --help`` 0.15 s this way, 1.1 s with every
command's work imported up front.
"""

import importlib
from dataclasses import dataclass

from ..core.params import (
    BATCH_PARAMS,
    BLOCK_ROWS,
    DEFAULT_CHUNK_ROWS,
    EXPLORER_HOST,
    EXPLORER_MAX_SIDE,
    EXPLORER_SHAPE,
    PARAMS,
)
from . import options as opt

__all__ = ["Command", "COMMANDS", "FRAME_COMMANDS"]


@dataclass(frozen=True)
class Command:
    """One subcommand of ``ccdsim``.

    Parameters
    ----------
    name : str
        As typed (``image``).
    help : str
        One line for ``ccdsim --help``.
    description : str
        For ``ccdsim NAME --help``.
    positional : tuple or None
        ``(dest, metavar, help)`` of its one positional argument, or a tuple
        of such, each with an optional fourth item, argparse's ``nargs``.
    options : tuple of Option
        Its options (see `ccdsim.cli.options`); configuration files use the same.
    work : str
        The module of ``ccdsim.cli`` that does its work: ``check(args)`` ->
        what will be made (a plan), checking every value and writing nothing
        (raises `ccdsim.ParameterError`); ``run(plan, args, history)`` -> exit
        status, ``history`` holding the effective configuration as HISTORY
        lines for the frames.
    config : bool
        Takes ``--config FILE.toml``.
    """

    name: str
    help: str
    description: str
    positional: tuple | None
    options: tuple
    work: str
    config: bool = True

    @property
    def check(self):
        """The command's ``check(args)``."""
        return importlib.import_module(f".{self.work}", __package__).check

    @property
    def run(self):
        """The command's ``run(plan, args, history)``."""
        return importlib.import_module(f".{self.work}", __package__).run


# ccdsim image
_IMAGE_CHUNKS = opt.Option(
    "chunks", "int", None,
    f"frames larger than memory: build the frame as a dask array of ROWS-row bands (a multiple "
    f"of {BLOCK_ROWS}; {DEFAULT_CHUNK_ROWS} when given alone) and stream it into the FITS file; "
    f"the pixels are the same. Not with cosmic rays or a full well (their charge crosses bands)",
    param="chunks", metavar="ROWS", group="output", run_only=True, const=DEFAULT_CHUNK_ROWS)
_IMAGE_PNG = opt.Option("png", "text", None, "also write a PNG preview to PATH", metavar="PATH",
                        group="output", run_only=True)

# A camera of one's own: its parameters are the defaults, its maps the camera's.
_CAMERA_FILE = opt.Option(
    "camera_file", "text", None, "a camera file (TOML with FITS maps beside it, as `ccdsim "
    "camera fit` writes): its parameters are the defaults (a config file and the flags still "
    "win), its bias, dark and flat maps the camera's; not with --camera",
    group="camera", metavar="FILE.toml")

IMAGE_OPTIONS = (
    opt.named_camera_option("guide"), _CAMERA_FILE, *opt.CAMERA, *opt.effect_options({}),
    *opt.EXPOSURE,
    opt.param_option("seed", group="exposure",
                     help="frame seed for noise and star positions, >= 0 (default: fresh, "
                          "recorded in the header as FRMSEED)"),
    *opt.SKY_POINTING, *opt.SKY_SITE,
    opt.param_option("filter", group=opt.SKY_POINTING[0].group),
    opt.param_option("start", group=opt.SKY_POINTING[0].group,
                     help="DATE-OBS of the exposure, UTC, ISO 8601 (with a site: the airmass; "
                          "default: no date)", default=""),
    opt.FLOAT, opt.LAYOUT, *opt.OUTPUT, _IMAGE_PNG, _IMAGE_CHUNKS, *opt.EXECUTION,
)

IMAGE = Command(
    name="image", help="one frame: bias + read noise + dark + sky + stars",
    description="Make one frame as FITS (image + TRUTH star table). The defaults give the "
                "guide's final image.",
    positional=("output", "OUT.fits", "FITS file to write"),
    options=IMAGE_OPTIONS, work="image")

# ccdsim night
_NIGHT_FRAMES = "frames"

NIGHT_OPTIONS = (
    opt.named_camera_option("night"), _CAMERA_FILE, *opt.CAMERA, *opt.NIGHT_EFFECTS,
    *(opt.param_option(f"n_{kind}", group=_NIGHT_FRAMES)
      for kind in ("bias", "dark", "flat", "science")),
    opt.param_option("exposure_time", group=_NIGHT_FRAMES, help=PARAMS["exposure_time"].describe()
                     .replace("exposure time", "science and dark exposure time", 1)),
    opt.param_option("dark_exposures", group=_NIGHT_FRAMES),
    opt.param_option("filters", group=_NIGHT_FRAMES),
    opt.param_option("imagetyp_style", group=_NIGHT_FRAMES),
    opt.param_option("flat_level", group=_NIGHT_FRAMES),
    opt.param_option("flat_exposure", group=_NIGHT_FRAMES),
    opt.param_option("ptc_pairs", group=_NIGHT_FRAMES),
    opt.param_option("ptc_max_level", group=_NIGHT_FRAMES),
    *(o for o in opt.exposure_options(_NIGHT_FRAMES) if o.dest != "exposure"),
    # No default of its own: the biases and darks carry the first of --filters without it.
    opt.Option("filter", "text", None, "FILTER of the biases and darks, and of every frame "
               "without --filters (default: the first of --filters, else "
               f"{PARAMS['filter'].default})", param="filter", group=_NIGHT_FRAMES),
    opt.param_option("object", group=_NIGHT_FRAMES),
    opt.param_option("start", group=_NIGHT_FRAMES),
    opt.param_option("overhead", group=_NIGHT_FRAMES),
    opt.param_option("seed", group=_NIGHT_FRAMES,
                     help="the night's seed, >= 0 (default: fresh, recorded as NIGHTSD)"),
    opt.Option("save_plan", "text", None, "also write the night as a plan file (TOML) to "
               "edit: `ccdsim dataset FILE OUTDIR` makes the same frames again",
               metavar="FILE", group="output", run_only=True),
    opt.param_option("scale", group=_NIGHT_FRAMES, default=1,
                     help="divide the camera's data section by this on each side (a small "
                          "night that looks the same)"),
    *opt.SKY_POINTING, *opt.SKY_NIGHT,
    opt.FLOAT, opt.LAYOUT, *opt.OUTPUT, *opt.EXECUTION,
)

NIGHT = Command(
    name="night", help="a night: biases, darks, flats, science frames + truth",
    description="Write a night's frames as FITS into OUTDIR, with the true bias, dark and "
                "flat maps in OUTDIR/truth/.",
    positional=("outdir", "OUTDIR", "folder to write (created if missing)"),
    options=NIGHT_OPTIONS, work="night")

# ccdsim dataset
_DATASET_PLAN = "plan"

DATASET_OPTIONS = (
    opt.Option("list", "switch", False, "list the built-in plans and exit", group=_DATASET_PLAN,
               run_only=True),
    opt.Option("show", "text", None, "print built-in plan NAME as TOML (to copy and edit) and "
               "exit", metavar="NAME", group=_DATASET_PLAN, run_only=True),
    opt.param_option("seed", group=_DATASET_PLAN,
                     help="the plan's seed, >= 0 (default: the plan's, else fresh; recorded "
                          "as NIGHTSD)"),
    # No default of its own: without --scale the plan's scale holds.
    opt.Option("scale", "int", None, "divide every camera's data section by this on each "
               f"side, {PARAMS['scale'].range} (default: the plan's)", param="scale",
               metavar="N", group=_DATASET_PLAN),
    *opt.OUTPUT, *opt.EXECUTION,
)

DATASET = Command(
    name="dataset", help="the frames of an observing plan + truth (built-in: guide, night, "
         "emva1288)",
    description="Write the frames of an observing plan (a built-in name or a TOML file) into "
                "OUTDIR, with every camera's true bias, dark, glow and flat maps and a "
                "manifest in OUTDIR/truth/.",
    positional=(("plan", "PLAN", "a built-in plan (see --list) or a TOML file", "?"),
                ("outdir", "OUTDIR", "folder to write (created if missing)", "?")),
    options=DATASET_OPTIONS, work="dataset", config=False)

# ccdsim batch
_BATCH_RANGES = "frame parameters: a value or LOW:HIGH"

BATCH_OPTIONS = (
    opt.param_option("n", group="batch",
                     help="number of frames (required, here or in the config file)"),
    opt.param_option("seed", group="batch", default=0, help="batch seed, >= 0 (default: 0)"),
    opt.param_option("shape", metavar=("NY", "NX"), group="camera"),
    *(o for o in opt.CAMERA if o.dest in ("camera_seed", "no_hot_pixels", "no_bad_columns")),
    *(opt.param_option(p.name, kind="range", metavar="V|LOW:HIGH", group=_BATCH_RANGES,
                       help=f"{p.help}" + (f" in {p.unit}" if p.unit else "")
                       + f", {p.range} (default: {p.default:g})")
      for p in (PARAMS[name] for name in BATCH_PARAMS)),
    opt.FLOAT,
    opt.Option("overwrite", "switch", False, "replace a folder that holds another batch",
               group="output", run_only=True),
    *(o for o in opt.OUTPUT if o.dest != "overwrite"), *opt.EXECUTION,
)

BATCH = Command(
    name="batch", help="many frames with parameters drawn from ranges",
    description="Make N frames whose parameters are drawn uniformly from the ranges given "
                "(LOW:HIGH) or fixed (one value). Frame i depends only on the seed and i. "
                "Rerunning the same command skips frames already complete and verified. The "
                "camera is the guide's (a camera seed, hot pixels and bad columns on or off); "
                "the camera effects of image and night (flat field, cosmic rays, full well, "
                "overscan) are not drawn from ranges.",
    positional=("outdir", "OUTDIR", "folder for the frames and manifest.ecsv"),
    options=BATCH_OPTIONS, work="batch")

# ccdsim explore
_EXPLORER = "explorer"
EXPLORE_OPTIONS = (
    opt.param_option("port", group=_EXPLORER),
    opt.Option("host", "text", EXPLORER_HOST, f"address to listen on and that browsers use "
               f"(default: {EXPLORER_HOST}, this machine only; ::1 for IPv6 loopback; any "
               f"other address, e.g. 0.0.0.0 for every interface, lets whoever reaches it "
               f"use the explorer)", group=_EXPLORER),
    opt.Option("show", "switch", True, "do not open a web browser", flag="--no-browser",
               store=False, group=_EXPLORER),
    opt.param_option("shape", default=EXPLORER_SHAPE, metavar=("NY", "NX"), group=_EXPLORER,
                     help=f"initial frame size in pixels, each side up to {EXPLORER_MAX_SIDE} "
                          f"(default: {' '.join(map(str, EXPLORER_SHAPE))})"),
)

EXPLORE = Command(
    name="explore", help="interactive explorer in the browser",
    description="Start a local web app: sliders for every source of counts, the frame, its "
                "histogram, its noise budget and its parts.",
    positional=None, options=EXPLORE_OPTIONS, work="explore", config=False)

COMMANDS = {c.name: c for c in (IMAGE, NIGHT, DATASET, BATCH, EXPLORE)}
#: The commands that make frames and take ``--config``.
FRAME_COMMANDS = {name: c for name, c in COMMANDS.items() if c.config}
