"""The ``ccdsim`` command line: thin over the library.

Every parameter is checked before any work; bad input prints one line
naming the parameter and its allowed range, exits with status 2 and writes
nothing.
"""

import argparse
import os
import sys

from . import cli_explore
from ._version import __version__
from .validate import ParameterError

# Commands that make frames (they take --config).
FRAME_COMMANDS = {"image", "night", "batch"}

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block) and exit 2."""

    def error(self, message):
        raise ParameterError(message)


def _add_camera_options(p):
    g = p.add_argument_group("camera")
    g.add_argument("--shape", nargs=2, type=int, metavar=("NY", "NX"), default=[2000, 2000],
                   help="frame size in pixels (default: 2000 2000)")
    g.add_argument("--gain", type=float, default=1.0, help="gain in e-/ADU (default: 1)")
    g.add_argument("--read-noise", type=float, default=5.0,
                   help="read noise in electrons (default: 5)")
    g.add_argument("--bias", type=float, default=1100.0,
                   help="bias level in ADU, 0..65535 (default: 1100)")
    g.add_argument("--dark-current", type=float, default=0.1,
                   help="dark current in e-/pixel/s (default: 0.1)")
    g.add_argument("--camera-seed", type=int, default=None,
                   help="camera identity: where bad columns and hot pixels are "
                        "(default: the guide's camera)")
    g.add_argument("--no-hot-pixels", action="store_true",
                   help="no hot pixels (default: 0.01%% of pixels at 10,000x the dark current)")
    g.add_argument("--no-bad-columns", action="store_true",
                   help="no bad bias columns (default: 5)")


def build_parser():
    parser = _Parser(prog="ccdsim", description="Artificial but realistic astronomical CCD images.")
    parser.add_argument("--version", action="version", version=f"ccdsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("image", help="one frame: bias + read noise + dark + sky + stars",
                       description="Make one frame as FITS (image + TRUTH star table). "
                                   "The defaults give the guide's final image.")
    p.add_argument("output", metavar="OUT.fits", help="FITS file to write")
    _add_camera_options(p)
    e = p.add_argument_group("exposure")
    e.add_argument("--exposure", type=float, default=100.0,
                   help="exposure time in seconds (default: 100)")
    e.add_argument("--sky", type=float, default=20.0,
                   help="sky background in ADU per pixel over the exposure (default: 20)")
    e.add_argument("--stars", type=int, default=50, metavar="N",
                   help="number of random stars (default: 50)")
    e.add_argument("--max-counts", type=float, default=2000.0,
                   help="largest star peak in ADU; peaks are uniform in "
                        "[max/10, max] (default: 2000)")
    e.add_argument("--star-sigma", type=float, default=4.0,
                   help="Gaussian sigma of the stars in pixels (default: 4)")
    e.add_argument("--seed", type=int, default=None,
                   help="frame seed for noise and star positions, >= 0 "
                        "(default: fresh, recorded in the header as FRMSEED)")
    e.add_argument("--float", dest="quantize", action="store_false",
                   help="write float32 ADU without ADC rounding or clipping")
    o = p.add_argument_group("output")
    o.add_argument("--overwrite", action="store_true", help="replace existing files")
    o.add_argument("--png", metavar="PATH", default=None, help="also write a PNG preview")
    o.add_argument("--threads", type=int, default=None,
                   help="worker threads (default: all CPUs; never changes the pixels)")
    o.add_argument("--chunks", type=int, nargs="?", const=1024, default=None, metavar="ROWS",
                   help="frames larger than memory: build the frame as a dask array of "
                        "ROWS-row bands (a multiple of 128; default 1024) and stream it into "
                        "the FITS file; the pixels are the same")
    add_execution_options(p)
    p.set_defaults(func=_cmd_image)

    _add_batch_parser(sub)
    from .night_cli import add_parser as _add_night_parser

    _add_night_parser(sub)
    cli_explore.add_parser(sub)

    # Every command that makes frames takes --config (defaults < file < flags).
    for name, sp in list(sub.choices.items()):
        if name in FRAME_COMMANDS:
            sp.add_argument("--config", metavar="FILE.toml",
                            help="read options from a TOML file; flags given here win")
    c = sub.add_parser("config", help="show the effective configuration as TOML",
                       description="Configuration files.")
    csub = c.add_subparsers(dest="action", required=True, parser_class=_Parser)
    show = csub.add_parser("show", help="print defaults + file + flags as TOML",
                           description="Print the configuration a command would run with "
                                       "(defaults, then --config FILE, then flags), in TOML "
                                       "that --config reads back.")
    show.add_argument("options", nargs=argparse.REMAINDER, metavar="[COMMAND] OPTIONS",
                      help="a command (default: image) and its options, "
                           "e.g. --config FILE --gain 2")
    show.set_defaults(func=_cmd_config_show)
    parser.commands = {n: sp for n, sp in sub.choices.items() if n in FRAME_COMMANDS}
    return parser


def parse_with_config(parser, argv):
    """Parse ``argv``; if it names --config, the file's values become the defaults."""
    args = parser.parse_args(argv)
    path = getattr(args, "config", None)
    if path:
        from .config import load_config

        parser.commands[args.command].set_defaults(**load_config(path, args.command,
                                                                 parser.commands))
        args = parser.parse_args(argv)
    return args


def _effective_toml(parser, args):
    from .config import effective_config, to_toml

    return to_toml(effective_config(args, parser.commands[args.command]))


def _cmd_config_show(args, parser):
    return config_show(parser, args.options)


def config_show(parser, rest):
    """Print the effective configuration of ``[COMMAND] OPTIONS`` as TOML."""
    rest = list(rest)
    name = rest.pop(0) if rest and rest[0] in parser.commands else "image"
    positionals = [a for a in parser.commands[name]._actions
                   if not a.option_strings and a.required]
    # The command's positional arguments (output paths) are not configuration.
    inner = parse_with_config(parser, [name, *["-"] * len(positionals), *rest])
    sys.stdout.write(_effective_toml(parser, inner))
    return 0


def config_history(parser, args):
    """The effective configuration as HISTORY lines (``config: key = value``)."""
    return [f"config: {line.strip()}" for line in _effective_toml(parser, args).splitlines()
            if line.strip()]


def record_config(header, parser, args):
    """Write the effective configuration into ``header`` as HISTORY cards."""
    for line in config_history(parser, args):
        header.add_history(line)


def _range_arg(text):
    """A value or LOW:HIGH, kept as text and checked by ccdsim.batch.parse_range."""
    return str(text)


# In a config file a range is "LOW:HIGH" or a plain number.
_range_arg.accepts = (str, int, float)


def add_execution_options(p):
    """--workers / --scheduler: where the work runs (the results never change)."""
    g = p.add_argument_group("execution (the pixels are the same wherever they are made)")
    g.add_argument("--workers", type=int, default=None, metavar="N",
                   help="run on a local Dask cluster of N worker processes")
    g.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="run on an existing dask.distributed scheduler, tcp://host:port")
    g.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_batch_parser(sub):
    from .batch import PARAMETERS

    p = sub.add_parser("batch", help="many frames with parameters drawn from ranges",
                       description="Make N frames whose parameters are drawn uniformly from "
                                   "the ranges given (LOW:HIGH) or fixed (one value). Frame i "
                                   "depends only on the seed and i. Rerunning the same command "
                                   "skips frames already complete and verified.")
    p.add_argument("outdir", metavar="OUTDIR", help="folder for the frames and manifest.ecsv")
    p.add_argument("--n", type=int, default=None,
                   help="number of frames (required, here or in the config file)")
    p.add_argument("--seed", type=int, default=0, help="batch seed, >= 0 (default: 0)")
    p.add_argument("--shape", nargs=2, type=int, metavar=("NY", "NX"), default=[2000, 2000],
                   help="frame size in pixels (default: 2000 2000)")
    p.add_argument("--camera-seed", type=int, default=None,
                   help="camera identity (default: the guide's camera)")
    p.add_argument("--no-hot-pixels", action="store_true", help="no hot pixels")
    p.add_argument("--no-bad-columns", action="store_true", help="no bad bias columns")
    p.add_argument("--float", dest="quantize", action="store_false",
                   help="float32 ADU without ADC rounding or clipping")
    units = {"gain": "e-/ADU", "read_noise": "e-", "bias": "ADU", "dark_current": "e-/pixel/s",
             "exposure": "s", "sky": "ADU over the exposure", "stars": "count",
             "max_counts": "ADU", "star_sigma": "pixels"}
    g = p.add_argument_group("frame parameters: a value or LOW:HIGH")
    for name, (default, *_rest) in PARAMETERS.items():
        g.add_argument("--" + name.replace("_", "-"), type=_range_arg, default=None,
                       metavar="V|LOW:HIGH", help=f"{units[name]} (default: {default:g})")
    p.add_argument("--overwrite", action="store_true",
                   help="replace a folder that holds another batch")
    add_execution_options(p)
    p.set_defaults(func=_cmd_batch)


def _cmd_batch(args, parser):
    from .batch import PARAMETERS, BatchPlan, parse_range, run_batch
    from .execute import check_execution
    from .seeds import DEFAULT_CAMERA_SEED

    if args.n is None:
        raise ParameterError("n, the number of frames, is required (--n N, or n = N in --config)")
    ranges = {name: parse_range(name, getattr(args, name)) for name in PARAMETERS
              if getattr(args, name) is not None}
    plan = BatchPlan(n=args.n, seed=args.seed, shape=tuple(args.shape),
                     camera_seed=(DEFAULT_CAMERA_SEED if args.camera_seed is None
                                  else args.camera_seed),
                     ranges=ranges, hot_pixels=not args.no_hot_pixels,
                     bad_columns=not args.no_bad_columns, quantize=args.quantize)
    check_execution(args.workers, args.scheduler)
    from .resources import check_memory

    check_memory(plan.shape, 2 if plan.quantize else 4)
    if os.path.exists(args.outdir) and not os.path.isdir(args.outdir):
        raise ParameterError(f"OUTDIR {args.outdir} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(args.outdir))
    if not os.path.isdir(parent):
        raise FileNotFoundError(f"OUTDIR folder {parent} does not exist")
    done = run_batch(plan, args.outdir, overwrite=args.overwrite, workers=args.workers,
                     scheduler=args.scheduler, progress=not args.quiet,
                     history=config_history(parser, args))
    print(f"{args.outdir}: {done['made']} frames made, {done['skipped']} already complete; "
          f"manifest {os.path.join(args.outdir, 'manifest.ecsv')}")
    return 0


def _camera_from_args(args):
    from .camera import Camera
    from .presets import GUIDE_BAD_COLUMNS, GUIDE_HOT_PIXEL_FRACTION
    from .seeds import DEFAULT_CAMERA_SEED

    return Camera(shape=tuple(args.shape), gain=args.gain, read_noise=args.read_noise,
                  bias_level=args.bias, dark_current=args.dark_current,
                  bad_columns=0 if args.no_bad_columns else GUIDE_BAD_COLUMNS,
                  hot_pixel_fraction=0.0 if args.no_hot_pixels else GUIDE_HOT_PIXEL_FRACTION,
                  camera_seed=DEFAULT_CAMERA_SEED if args.camera_seed is None else args.camera_seed)


def _cmd_image(args, parser):
    from .execute import check_execution
    from .io import check_writable
    from .resources import check_memory
    from .sources import MIN_SIGMA
    from .validate import check_int, check_number

    # Check everything before any work.
    camera = _camera_from_args(args)
    check_number("exposure", args.exposure, high=1e6)
    check_number("sky", args.sky, high=1e9)
    check_int("stars", args.stars, high=10**7)
    check_number("max_counts", args.max_counts, low=0, low_open=True, high=1e9)
    check_number("star_sigma", args.star_sigma, low=MIN_SIGMA, high=1e3)
    if args.seed is not None:
        check_int("seed", args.seed)  # any size: FRMSEED of a fresh frame has 128 bits
    if args.threads is not None:
        check_int("threads", args.threads, low=1, high=1024)
    check_execution(args.workers, args.scheduler)
    if args.chunks is None:
        if args.workers is not None or args.scheduler is not None:
            raise ParameterError("--workers and --scheduler make a frame in bands: "
                                 "add --chunks")
        check_memory(camera.shape, 2 if args.quantize else 4)
    else:
        from .bigframe import check_chunk_rows

        check_chunk_rows(args.chunks)
    check_writable(args.output, args.overwrite, "output")
    if args.png:
        if os.path.abspath(args.png) == os.path.abspath(args.output):
            raise ParameterError("--png must differ from the FITS output")
        check_writable(args.png, args.overwrite, "png")

    exposure = camera.prepare(args.exposure, sky=args.sky, stars=args.stars,
                              max_counts=args.max_counts, star_sigma=args.star_sigma,
                              quantize=args.quantize, rng=args.seed)
    if args.chunks is not None:
        from .bigframe import write_chunked
        from .execute import dask_client

        with dask_client(args.workers, args.scheduler):
            write_chunked(exposure, args.output, chunk_rows=args.chunks,
                          overwrite=args.overwrite, history=config_history(parser, args),
                          progress=not args.quiet and sys.stderr.isatty())
        header, n_stars, dtype = exposure.header(), len(exposure.truth or ()), \
            ("uint16" if args.quantize else "float32")
    else:
        frame = exposure.frame(threads=args.threads)
        record_config(frame.header, parser, args)
        frame.write(args.output, overwrite=args.overwrite)
        header, n_stars, dtype = frame.header, len(frame.truth or ()), frame.data.dtype.name
    ny, nx = camera.readout_shape
    msg = f"wrote {args.output}: {ny}x{nx} {dtype}, {n_stars} stars, FRMSEED={header['FRMSEED']}"
    if args.png:
        from .display import reduce_fits, save_png

        image, block = (frame.data, 1) if args.chunks is None else reduce_fits(args.output)
        save_png(image, args.png, overwrite=args.overwrite, block=block,
                 title=f"ccdsim: {args.exposure:g} s, sky {args.sky:g} ADU, {args.stars} stars",
                 percu=99.9 if args.stars else 99.0)
        msg += f"; preview {args.png}"
    print(msg)
    return 0


def main(argv=None):
    """Entry point of the ``ccdsim`` console script; returns the exit status."""
    parser = build_parser()
    try:
        argv = sys.argv[1:] if argv is None else list(argv)
        # argparse cannot hand options on to a REMAINDER argument that starts
        # with one, so `config show` takes the rest of the line itself.
        if argv[:2] == ["config", "show"] and argv[2:3] not in (["-h"], ["--help"]):
            return config_show(parser, argv[2:])
        args = parse_with_config(parser, argv)
        return args.func(args, parser)
    except (ParameterError, FileExistsError, FileNotFoundError, IsADirectoryError,
            PermissionError) as exc:
        print(f"ccdsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except OSError as exc:  # the machine, not the input: a full disk, a read-only folder
        where = f": {exc.filename}" if exc.filename else ""
        print(f"ccdsim: error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ccdsim: interrupted; no partial files left", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
