"""``ccdsim explore``: the explorer in the browser (needs ``pip install 'ccdsim[explorer]'``)."""

from ..validate import ParameterError
from .command import Command
from .options import Option, param_option

__all__ = ["COMMAND"]

# The explorer draws every frame while a slider moves: it keeps frames small.
MAX_EXPLORER_SIDE = 2000

OPTIONS = (
    param_option("port"),
    Option("host", "text", "127.0.0.1", "address to listen on and that browsers use "
           "(default: 127.0.0.1, this machine only; ::1 for IPv6 loopback; any other "
           "address, e.g. 0.0.0.0 for every interface, lets whoever reaches it use the "
           "explorer)"),
    Option("show", "switch", True, "do not open a web browser", flag="--no-browser",
           store=False),
    param_option("shape", default=(500, 500), metavar=("NY", "NX"),
                 help=f"initial frame size in pixels, each side up to {MAX_EXPLORER_SIDE} "
                      f"(default: 500 500)"),
)


def check(args):
    """Every value checked before the server starts."""
    from ..params import PARAMS

    PARAMS["port"].check(args.port)
    PARAMS["shape"].check(args.shape, high=MAX_EXPLORER_SIDE)
    return tuple(args.shape)


def run(shape, args, history):
    """Serve the explorer until interrupted."""
    from ..extras import require

    for module in ("panel", "bokeh", "scipy"):
        require(module, "explorer", "ccdsim explore")
    from .. import explorer
    try:
        explorer.serve(port=args.port, host=args.host, show=args.show, shape=shape)
    except OSError as exc:
        where = f"[{args.host}]" if ":" in args.host and "[" not in args.host else args.host
        raise ParameterError(f"cannot listen on {where}:{args.port} ({exc.strerror or exc})",
                             param="host") from None
    return 0


COMMAND = Command(
    name="explore", help="interactive explorer in the browser",
    description="Start a local web app: sliders for every source of counts, the frame, its "
                "histogram, its noise budget and its parts.",
    positional=None, options=OPTIONS, check=check, run=run, config=False)
