"""What a command is: its options, how it checks them and how it runs.

Every command follows one policy: the library checks every value (the
command line only passes them on), `Command.check` builds what will be made
without writing anything, and `Command.run` makes it.
"""

from ..camera.camera import Camera
from ..core.params import CAMERA_PARAMS, PARAMS

__all__ = ["camera_from_args", "progress_wanted"]


def camera_from_args(args, options):
    """The `ccdsim.Camera` the options describe (checked by the camera).

    Every camera parameter of the table whose option the command has is
    passed on; a switch that turns an effect off (``--no-flat``) sets the
    parameters it names; a pair (``--bin NX NY``) both of its parameters.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options.
    options : sequence of Option
        The command's options.

    Returns
    -------
    ccdsim.Camera
    """
    kw = {name: getattr(args, PARAMS[name].key) for name in CAMERA_PARAMS
          if hasattr(args, PARAMS[name].key)}
    kw["shape"] = tuple(kw["shape"])
    for o in options:
        if o.sets and getattr(args, o.dest, False):
            kw.update(o.sets)
        if o.kind == "pair" and o.also and o.param in CAMERA_PARAMS \
                and getattr(args, o.dest, None) is not None:  # --bin NX NY: both parameters
            kw.update(zip((name for name, _ in o.also), getattr(args, o.dest)))
    if getattr(args, "camera_file", None):  # its maps; the options (its parameters) on top
        return Camera.from_file(args.camera_file, **kw)
    return Camera(**kw)


def progress_wanted(args):
    """A progress bar shows on a terminal unless ``--quiet``, for every command."""
    import sys

    return not args.quiet and sys.stderr.isatty()
