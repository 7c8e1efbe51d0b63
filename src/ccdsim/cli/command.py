"""What a command is: its options, how it checks them and how it runs.

Every command follows one policy: the library checks every value (the
command line only passes them on), `Command.check` builds what will be made
without writing anything, and `Command.run` makes it.
"""

from dataclasses import dataclass

__all__ = ["Command", "camera_from_args", "camera_with_effects", "progress_wanted"]


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
        ``(dest, metavar, help)`` of its one positional argument.
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


def camera_from_args(args, **more):
    """The `ccdsim.Camera` the camera options describe (checked by the camera).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of `ccdsim.cli.options.CAMERA`.
    **more
        Further camera keywords.

    Returns
    -------
    ccdsim.Camera
    """
    from ..camera import Camera

    return Camera(shape=tuple(args.shape), gain=args.gain, read_noise=args.read_noise,
                  bias_level=args.bias, dark_current=args.dark_current,
                  bad_columns=0 if args.no_bad_columns else args.bad_columns,
                  hot_pixel_fraction=0.0 if args.no_hot_pixels else args.hot_pixel_fraction,
                  hot_pixel_factor=args.hot_pixel_factor, camera_seed=args.camera_seed, **more)


def camera_with_effects(args):
    """The camera of the camera options and the effects' options (flat, full well, ...).

    Parameters
    ----------
    args : argparse.Namespace
        Parsed options of `ccdsim.cli.options.CAMERA` and ``NIGHT_EFFECTS``.

    Returns
    -------
    ccdsim.Camera
    """
    flat = not args.no_flat
    return camera_from_args(
        args, vignetting=args.vignetting if flat else 0.0, dust_spots=args.dust if flat else 0,
        prnu=args.prnu if flat else 0.0,
        full_well=None if args.no_full_well else args.full_well,
        overscan=0 if args.no_overscan else args.overscan,
        cosmic_ray_rate=0.0 if args.no_cosmic_rays else args.cosmic_ray_rate,
        pixel_size=args.pixel_size)


def progress_wanted(args):
    """A progress bar shows on a terminal unless ``--quiet``, for every command."""
    import sys

    return not args.quiet and sys.stderr.isatty()
