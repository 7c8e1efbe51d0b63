"""Configuration files (TOML) for the commands that make frames.

The simple form has top-level keys named like the command-line options,
with dashes or underscores (``read-noise = 4.0`` or ``read_noise = 4.0``,
``shape = [300, 400]``). A table named after a command (``[image]``,
``[night]``) holds keys for that command only and wins over the top level.
Flags given on the command line win over the file. Keys that no command
knows are refused, with the closest valid name suggested. The schema is each
command's list of `ccdsim.cli.options.Option`.
"""

import difflib

from ..core.params import key_name
from ..core.validate import ParameterError, cut, short_repr
from ..io.toml import read_toml

__all__ = ["load_config", "effective_config"]


def _keys(options):
    """Accepted spellings: each dest, and ``X`` for a ``no_X`` switch (inverted)."""
    names = {}
    for o in options:
        names[o.dest] = (o, False)
        if o.inverted:
            names[o.inverted] = (o, True)
    return names


def load_config(path, command, schemas):
    """Read a TOML file and return the values it sets for ``command``.

    Parameters
    ----------
    path : str
        The TOML file.
    command : str
        The command being run (its table, if any, applies).
    schemas : dict
        ``{command: [Option, ...]}`` of every command that takes ``--config``,
        to tell keys of another command (ignored here) from unknown keys
        (refused).

    Returns
    -------
    values : dict
        ``{dest: value}``, as the command line would give them.
    keys : dict
        ``{dest: key as written in the file}``, for error messages.

    Raises
    ------
    ParameterError
        Unreadable file, TOML syntax error (with its line), unknown key
        (with the closest valid name), or a value of the wrong type.
    """
    doc = read_toml(path)
    own = _keys(schemas[command])
    everyone = {}
    for options in schemas.values():
        everyone.update(_keys(options))

    top = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in doc.items() if isinstance(v, dict)}
    for name in tables:
        if name not in schemas:
            close = difflib.get_close_matches(name, list(schemas), n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            raise ParameterError(f"config file {path}: unknown table [{cut(name, 40)}]{hint};"
                                 f" tables are named after commands: {', '.join(schemas)}",
                                 param="config")

    values, keys = {}, {}
    sources = (("", top, everyone), (f"[{command}] ", tables.get(command, {}), own))
    for where, items, valid in sources:
        for raw, value in items.items():
            key = key_name(raw)
            if key not in valid:
                close = difflib.get_close_matches(key, list(valid), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ParameterError(f"config file {path}: unknown key {where}"
                                     f"{cut(raw, 40)}{hint}", param="config")
            if key not in own:
                continue  # another command's key
            option, inverted = own[key]
            if not option.accepts(value):
                raise ParameterError(f"config file {path}: {where}{raw} must be "
                                     f"{option.toml_type()} (got {short_repr(value)})",
                                     param="config")
            if inverted:
                value = option.store if not value else option.default
            values[option.dest] = option.from_toml(value)
            keys[option.dest] = f"{where}{cut(raw, 40)}"
    return values, keys


def effective_config(args, options):
    """The options that define what a run makes, in the command's order.

    Options left at None and the run-only ones are left out.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    options : sequence of Option
        The command's options.

    Returns
    -------
    dict
        ``{dest: value}``.
    """
    out = {}
    for o in options:
        if o.run_only:
            continue
        value = getattr(args, o.dest, None)
        if value is not None:
            out[o.dest] = list(value) if isinstance(value, (list, tuple)) else value
    return out
