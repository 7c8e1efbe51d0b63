"""``ccdsim explore``: the explorer in the browser (needs ``pip install 'ccdsim[explorer]'``)."""

from ..core.extras import require
from ..core.params import EXPLORER_MAX_SIDE, PARAMS
from ..core.validate import ParameterError

__all__ = ["check", "run"]

def check(args):
    """Every value checked before the server starts."""
    PARAMS["port"].check(args.port)
    PARAMS["shape"].check(args.shape, high=EXPLORER_MAX_SIDE)
    return tuple(args.shape)


def run(shape, args, history):
    """Serve the explorer until interrupted."""
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
