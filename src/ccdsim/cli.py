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
    p.set_defaults(func=_cmd_image)
    cli_explore.add_parser(sub)
    return parser


def _camera_from_args(args):
    from .camera import Camera
    from .seeds import DEFAULT_CAMERA_SEED

    return Camera(shape=tuple(args.shape), gain=args.gain, read_noise=args.read_noise,
                  bias_level=args.bias, dark_current=args.dark_current,
                  bad_columns=0 if args.no_bad_columns else 5,
                  hot_pixel_fraction=0.0 if args.no_hot_pixels else 1e-4,
                  camera_seed=DEFAULT_CAMERA_SEED if args.camera_seed is None else args.camera_seed)


def _cmd_image(args):
    from .io import check_writable
    from .validate import check_int, check_number

    # Check everything before any work.
    camera = _camera_from_args(args)
    check_number("exposure", args.exposure, high=1e6)
    check_number("sky", args.sky, high=1e9)
    check_int("stars", args.stars, high=10**7)
    check_number("max_counts", args.max_counts, low=0, low_open=True, high=1e9)
    check_number("star_sigma", args.star_sigma, low=0, low_open=True, high=1e3)
    if args.seed is not None:
        check_int("seed", args.seed, high=2**63 - 1)
    if args.threads is not None:
        check_int("threads", args.threads, low=1, high=1024)
    check_writable(args.output, args.overwrite, "output")
    if args.png:
        if os.path.abspath(args.png) == os.path.abspath(args.output):
            raise ParameterError("--png must differ from the FITS output")
        check_writable(args.png, args.overwrite, "png")

    frame = camera.expose(args.exposure, sky=args.sky, stars=args.stars,
                          max_counts=args.max_counts, star_sigma=args.star_sigma,
                          quantize=args.quantize, threads=args.threads, rng=args.seed)
    frame.write(args.output, overwrite=args.overwrite)
    msg = (f"wrote {args.output}: {camera.shape[0]}x{camera.shape[1]} {frame.data.dtype.name}, "
           f"{len(frame.truth) if frame.truth is not None else 0} stars, "
           f"FRMSEED={frame.header['FRMSEED']}")
    if args.png:
        from .display import save_png

        save_png(frame.data, args.png, overwrite=args.overwrite,
                 title=f"ccdsim: {args.exposure:g} s, sky {args.sky:g} ADU, {args.stars} stars",
                 percu=99.9 if args.stars else 99.0)
        msg += f"; preview {args.png}"
    print(msg)
    return 0


def main(argv=None):
    """Entry point of the ``ccdsim`` console script; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        return args.func(args)
    except (ParameterError, FileExistsError, FileNotFoundError, IsADirectoryError,
            PermissionError) as exc:
        print(f"ccdsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("ccdsim: interrupted; no partial files left", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
