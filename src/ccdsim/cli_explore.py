"""``ccdsim explore``: the explorer in the browser (needs ``pip install 'ccdsim[explorer]'``)."""

from .validate import ParameterError, check_int

__all__ = ["add_parser"]


def add_parser(sub):
    """Register the ``explore`` subcommand on argparse subparsers ``sub``."""
    p = sub.add_parser("explore", help="interactive explorer in the browser",
                       description="Start a local web app: sliders for every source of counts, "
                                   "the frame, its histogram, its noise budget and its parts.")
    p.add_argument("--port", type=int, default=5006,
                   help="TCP port, 0 for any free one (default: 5006)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on and that browsers use (default: 127.0.0.1, "
                        "this machine only; 0.0.0.0 for every interface)")
    p.add_argument("--no-browser", dest="show", action="store_false",
                   help="do not open a web browser")
    p.add_argument("--shape", nargs=2, type=int, metavar=("NY", "NX"), default=[500, 500],
                   help="initial frame size in pixels, each side up to 2000 (default: 500 500)")
    p.set_defaults(func=_cmd_explore)


def _cmd_explore(args, parser=None):
    check_int("port", args.port, high=65535)
    for i, side in enumerate(args.shape):
        check_int(f"shape[{i}]", side, low=1, high=2000)
    try:
        from . import explorer
    except ImportError as exc:
        raise ParameterError(f"ccdsim explore needs Panel: pip install 'ccdsim[explorer]' ({exc})")
    try:
        explorer.serve(port=args.port, host=args.host, show=args.show, shape=tuple(args.shape))
    except OSError as exc:
        raise ParameterError(f"cannot listen on {args.host}:{args.port} ({exc.strerror or exc})")
    return 0
