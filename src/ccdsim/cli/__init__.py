"""The ``ccdsim`` command line: thin over the library.

One module per command (`image`, `night`, `batch`, `explore`), their
options defined once in `ccdsim.cli.options` from the parameter table, and
one policy for all: the library checks every value before any work; bad
input prints one line that names the option as the user typed it (or the
key of the configuration file it came from), exits with status 2 and writes
nothing.
"""

import argparse
import signal
import sys
from contextlib import contextmanager

from .._version import __version__
from ..camera.filekeys import camera_file_parameters, complete_parameters
from ..camera.named import camera_parameters
from ..core.params import PARAMS
from ..core.validate import ParameterError
from ..io.files import describe_os_error
from ..io.toml import to_toml
from . import camera, configfile
from .options import add_options, with_camera_defaults
from .specs import COMMANDS, FRAME_COMMANDS

__all__ = ["main", "build_parser", "COMMANDS"]

EXIT_USAGE = 2
# Signals that stop a run the way Ctrl-C (SIGINT) does: kill, systemd, docker,
# SLURM and timeout send SIGTERM; a closed terminal SIGHUP.
STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                     if hasattr(signal, name))


class Stopped(KeyboardInterrupt):
    """A stop signal arrived: unwinds like Ctrl-C, so every temporary is removed."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _Received:
    """The stop signal that arrived during the run, if one did."""

    signum = None


@contextmanager
def _stop_on_signals():
    """Turn SIGINT, SIGTERM and SIGHUP into `Stopped`; yields a `_Received`.

    A second signal while the run cleans up kills at once, as the default does.
    """
    received = _Received()

    def stop(signum, _frame):
        received.signum = signum
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_DFL)
        raise Stopped(signum)

    try:
        previous = {s: signal.signal(s, stop) for s in STOP_SIGNALS}
    except ValueError:  # not the main thread: leave signals to whoever owns them
        yield received
        return
    try:
        yield received
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage block), and no abbreviated options."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, allow_abbrev=False, **kwargs)

    def error(self, message):
        # Say it with the option first, as every other error does.
        if message.startswith("argument "):
            message = message[len("argument "):]
            flag, _, rest = message.partition(": ")
            if rest.startswith(flag.split("/")[0]):
                message = rest  # the type check already named the option
        raise ParameterError(message)


def build_parser(cameras=None):
    """The argparse parser of every command (generated from their `Command` records).

    Parameters
    ----------
    cameras : dict, optional
        ``{command: named camera}``: that command's options show the camera's
        values as their defaults (``ccdsim night --camera NAME --help``).

    Returns
    -------
    argparse.ArgumentParser
    """
    cameras = cameras or {}
    parser = _Parser(prog="ccdsim", description="Artificial but realistic astronomical CCD "
                                                "images.")
    parser.add_argument("--version", action="version", version=f"ccdsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    parser.subcommands = {}
    for cmd in COMMANDS.values():
        options, description = cmd.options, cmd.description
        if cmd.name in cameras:
            try:
                options = with_camera_defaults(options, cameras[cmd.name])
            except ParameterError as exc:
                raise ParameterError(exc.say("--camera")) from None
            description += f" Defaults shown: the {cameras[cmd.name]} camera's."
        p = parser.subcommands[cmd.name] = sub.add_parser(cmd.name, help=cmd.help,
                                                          description=description)
        if cmd.positional:
            specs = cmd.positional if isinstance(cmd.positional[0], tuple) else (cmd.positional,)
            for dest, metavar, text, *nargs in specs:
                p.add_argument(dest, metavar=metavar, help=text,
                               **({"nargs": nargs[0]} if nargs else {}))
        add_options(p, options)
        if cmd.config:
            p.add_argument("--config", metavar="FILE.toml",
                           help="read options from a TOML file; flags given here win")
    c = sub.add_parser("config", help="show the effective configuration as TOML",
                       description="Configuration files.")
    csub = c.add_subparsers(dest="action", required=True, parser_class=_Parser)
    csub.add_parser("show", help="print defaults + file + flags as TOML",
                    description="Print the configuration a command would run with (defaults, "
                                "then --config FILE, then flags), in TOML that --config reads "
                                "back. Usage: ccdsim config show [COMMAND] [OPTIONS]; every "
                                "value is checked as the command would check it.")
    camera.add_parser(sub, _Parser)
    return parser


class _Spelling:
    """How the user spelled each option: ``--bias`` on the command line, ``bias`` in a file."""

    def __init__(self, cmd, argv, config_path=None, file_keys=()):
        self.by_param = {}
        for o in cmd.options:
            typed = any(a == o.option or a.startswith(o.option + "=") for a in argv)
            from_file = o.dest in file_keys and not typed
            for param, spelled in o.also or ((o.param, o.option),):
                if param and param not in self.by_param:
                    self.by_param[param] = (f"config file {config_path}: {file_keys[o.dest]}"
                                            if from_file else spelled)

    def message(self, exc):
        spelled = self.by_param.get(exc.param)
        return exc.say(spelled) if spelled else str(exc)


def _parse(parser, argv):
    """Parse ``argv``; a ``--config`` file's values become the command's defaults.

    Returns
    -------
    args : argparse.Namespace
    spelling : _Spelling
    """
    args = _parse_args(parser, argv)
    cmd = COMMANDS[args.command]
    path, values, keys = getattr(args, "config", None), {}, {}
    if path:
        schemas = {name: c.options for name, c in FRAME_COMMANDS.items()}
        values, keys = configfile.load_config(path, args.command, schemas)
    spelling = _Spelling(cmd, argv, path, keys)
    # Defaults, then a named camera, then the file, then the flags.
    sub = parser.subcommands[args.command]
    if hasattr(args, "camera"):
        typed = any(a == "--camera" or a.startswith("--camera=") for a in argv)
        name = args.camera if typed or "camera" not in values else values["camera"]
        typed_mode = any(a == "--gain-mode" or a.startswith("--gain-mode=") for a in argv)
        mode = getattr(args, "gain_mode", "") if typed_mode else values.get("gain_mode", "")
        camera_file = _camera_file(args, argv, values, typed or "camera" in values)
        if camera_file:  # a camera of one's own: its parameters instead of a named camera's
            args.camera_file = camera_file
            sub.set_defaults(camera_file=camera_file, **_file_camera(camera_file, cmd))
        else:
            sub.set_defaults(**_named_camera(name, cmd, spelling, mode))
    if values or hasattr(args, "camera"):
        sub.set_defaults(**values)
        args = _parse_args(parser, argv)
    return args, spelling


def _help_cameras(argv):
    """``{command: camera}`` when ``argv`` asks for a command's help with ``--camera NAME``.

    Read from the words themselves, before any parser is built, so help stays light.
    """
    if not argv or not {"-h", "--help"} & set(argv) or argv[0] not in COMMANDS \
            or not any(o.dest == "camera" for o in COMMANDS[argv[0]].options):
        return None
    for at, word in enumerate(argv):
        if word.startswith("--camera="):
            return {argv[0]: word.partition("=")[2]}
        if word == "--camera" and at + 1 < len(argv):
            return {argv[0]: argv[at + 1]}
    return None


def _named_camera(name, cmd, spelling, gain_mode=""):
    """The option defaults of a named camera in a gain mode, for the options ``cmd`` has."""
    try:
        params = camera_parameters(name, gain_mode)
    except ParameterError as exc:
        raise ParameterError(spelling.message(exc)) from None
    dests = {o.dest for o in cmd.options}
    return {PARAMS[n].key: (list(v) if isinstance(v, tuple) else v) for n, v in params.items()
            if PARAMS[n].key in dests}


def _camera_file(args, argv, values, named):
    """The camera file given (flag, then config file), refused beside a named camera."""
    if not hasattr(args, "camera_file"):
        return None
    typed = any(a == "--camera-file" or a.startswith("--camera-file=") for a in argv)
    path = args.camera_file if typed else values.get("camera_file")
    if path and named:
        raise ParameterError("--camera-file: give a camera file or a named camera (--camera), "
                             "not both", param="camera_file")
    return path


def _file_camera(path, cmd):
    """The option defaults of a camera file's camera, for the options ``cmd`` has."""
    params = complete_parameters(*camera_file_parameters(path))
    dests = {o.dest for o in cmd.options}
    return {PARAMS[n].key: (list(v) if isinstance(v, tuple) else v) for n, v in params.items()
            if PARAMS[n].key in dests}


#: Options whose value is one comma-separated list: values after it separated by spaces
#: are a mistake worth naming.
_LISTS = ("dark_exposures", "filters")


def _parse_args(parser, argv):
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        at = argv.index(unknown[0]) if unknown[0] in argv else 0
        option = next((a for a in reversed(argv[:at]) if a.startswith("--")), "")
        for name in _LISTS:
            if option == PARAMS[name].flag:
                values = argv[argv.index(option) + 1:at + 1]
                raise ParameterError(f"{option} takes one comma-separated list "
                                     f"({','.join(values)}), not values separated by spaces",
                                     param=name)
        raise ParameterError(f"{unknown[0]}: not an option of ccdsim {args.command} "
                             f"(see ccdsim {args.command} --help)")
    return args


def _history(args):
    """The effective configuration as HISTORY lines (``config: key = value``)."""
    text = to_toml(configfile.effective_config(args, COMMANDS[args.command].options))
    return [f"config: {line.strip()}" for line in text.splitlines() if line.strip()]


def _config_show(parser, rest):
    """``ccdsim config show [COMMAND] OPTIONS``: check, then print the configuration."""
    rest = list(rest)
    name = rest.pop(0) if rest and rest[0] in FRAME_COMMANDS else "image"
    cmd = COMMANDS[name]
    # The command's positional argument (an output path) is no configuration.
    argv = [name, *(["-"] if cmd.positional else []), *rest]
    args, spelling = _parse(parser, argv)
    if cmd.positional:
        setattr(args, cmd.positional[0], None)  # nothing will be written
    try:
        cmd.check(args)
    except ParameterError as exc:
        raise ParameterError(spelling.message(exc)) from None
    sys.stdout.write(to_toml(configfile.effective_config(args, cmd.options)))
    return 0


def _run(parser, argv):
    # argparse cannot hand options on to a REMAINDER argument that starts
    # with one, so `config show` takes the rest of the line itself.
    if argv[:2] == ["config", "show"] and argv[2:3] not in (["-h"], ["--help"]):
        return _config_show(parser, argv[2:])
    if argv[:1] == ["camera"]:
        return camera.run(_parse_args(parser, argv))
    args, spelling = _parse(parser, argv)
    cmd = COMMANDS[args.command]
    try:
        plan = cmd.check(args)
        return cmd.run(plan, args, _history(args) if cmd.config else [])
    except ParameterError as exc:
        raise ParameterError(spelling.message(exc)) from None


def main(argv=None):
    """Entry point of the ``ccdsim`` console script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    received = _Received()
    try:
        with _stop_on_signals() as received:
            return _run(build_parser(_help_cameras(argv)), argv)
    except BaseException as exc:
        # A stop signal raises `Stopped` wherever the run is, in an import too, and some
        # code wraps what it catches (a class body's __set_name__ in RuntimeError): once a
        # stop signal has arrived, whatever comes out of the run is that stop.
        signum = received.signum
        if signum is None and isinstance(exc, KeyboardInterrupt):
            signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
        if signum is not None:
            print(f"ccdsim: stopped by {signal.Signals(signum).name}; no partial files left",
                  file=sys.stderr)
            return 128 + signum
        if isinstance(exc, (ParameterError, FileExistsError, FileNotFoundError,
                            IsADirectoryError, PermissionError)):
            print(f"ccdsim: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        if isinstance(exc, OSError):  # an output the machine refuses: a full disk, ...

            where = f": {exc.filename}" if exc.filename else ""
            print(f"ccdsim: error: {describe_os_error(exc)}{where}", file=sys.stderr)
            return EXIT_USAGE
        raise
