"""What a command is: its options, how it checks them and how it runs.

Every command follows one policy: the library checks every value (the
command line only passes them on), `Command.check` builds what will be made
without writing anything, and `Command.run` makes it.
"""

from dataclasses import dataclass

__all__ = ["Command", "camera_from_args", "progress_wanted"]


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
    check : callable
        ``check(args)`` -> what will be made (a plan), checking every value
        and writing nothing; raises `ccdsim.ParameterError`.
    run : callable
        ``run(plan, args, history)`` -> exit status; ``history`` holds the
        effective configuration as HISTORY lines for the frames.
    config : bool
        Takes ``--config FILE.toml``.
    """

    name: str
    help: str
    description: str
    positional: tuple | None
    options: tuple
    check: object
    run: object
    config: bool = True


def camera_from_args(args, options):
    """The `ccdsim.Camera` the options describe (checked by the camera).

    Every camera parameter of the table whose option the command has is
    passed on; a switch that turns an effect off (``--no-flat``) sets the
    parameters it names.

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
    from ..camera import Camera
    from ..params import CAMERA_PARAMS, PARAMS

    kw = {name: getattr(args, PARAMS[name].key) for name in CAMERA_PARAMS
          if hasattr(args, PARAMS[name].key)}
    kw["shape"] = tuple(kw["shape"])
    for o in options:
        if o.sets and getattr(args, o.dest, False):
            kw.update(o.sets)
    return Camera(**kw)


def progress_wanted(args):
    """A progress bar shows on a terminal unless ``--quiet``, for every command."""
    import sys

    return not args.quiet and sys.stderr.isatty()
