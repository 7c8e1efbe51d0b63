"""Configuration files (TOML) for the commands that make frames.

The simple form has top-level keys named like the command-line options,
with dashes or underscores (``read-noise = 4.0`` or ``read_noise = 4.0``,
``shape = [300, 400]``). A table named after a command (``[image]``,
``[night]``) holds keys for that command only and wins over the top level.
Flags given on the command line win over the file. Keys that no command
knows are refused, with the closest valid name suggested.
"""

import argparse
import difflib
import json
import tomllib

from .validate import ParameterError

__all__ = ["load_config", "option_actions", "effective_config", "to_toml"]

# Options that are no configuration at all.
_NOT_CONFIG = {"help", "config", "version"}
# Options that say how or where a run happens, never what it makes: a file may
# set them, but the effective configuration (config show, HISTORY) leaves
# them out, so files made on one machine or another carry the same lines.
RUN_ONLY = {"threads", "workers", "scheduler", "quiet", "overwrite", "png", "chunks"}


def option_actions(subparser):
    """The subparser's options that a config file may set.

    Parameters
    ----------
    subparser : argparse.ArgumentParser
        One command's parser.

    Returns
    -------
    dict
        ``{dest: action}``.
    """
    return {a.dest: a for a in subparser._actions
            if a.option_strings and a.dest not in _NOT_CONFIG
            and not isinstance(a, (argparse._HelpAction, argparse._VersionAction))}


_SWITCHES = (argparse._StoreTrueAction, argparse._StoreFalseAction)


def _type_name(action):
    if isinstance(action, _SWITCHES):
        return "true or false"
    if hasattr(action.type, "accepts"):
        base = "a number or a string"
    else:
        base = {int: "an integer", float: "a number"}.get(action.type, "a string")
    if action.nargs == 2:
        return f"a list of two values, each {base}"
    return base


def _check_type(action, value):
    """True if the TOML value has the type the option takes."""
    def ok(v):
        if isinstance(v, bool):
            return False
        if hasattr(action.type, "accepts"):
            return isinstance(v, action.type.accepts)
        if action.type is int:
            return isinstance(v, int)
        if action.type is float:
            return isinstance(v, (int, float))
        return isinstance(v, str)

    if isinstance(action, _SWITCHES):
        return isinstance(value, bool)
    if action.nargs == 2:
        return isinstance(value, list) and len(value) == 2 and all(ok(v) for v in value)
    return ok(value)


def _convert(action, value):
    if action.nargs == 2:
        return [action.type(v) if action.type else v for v in value]
    if action.type is float or hasattr(action.type, "accepts"):
        return action.type(value)
    return value


def _key_names(actions):
    """Accepted spellings: each dest, and ``X`` for a ``no_X`` switch."""
    names = {}
    for dest, action in actions.items():
        names[dest] = (dest, False)
        if dest.startswith("no_") and isinstance(action, argparse._StoreTrueAction):
            names[dest[3:]] = (dest, True)  # hot_pixels = false  ==  --no-hot-pixels
    return names


def load_config(path, command, commands):
    """Read a TOML file and return the defaults it sets for ``command``.

    Parameters
    ----------
    path : str
        The TOML file.
    command : str
        The command being run (its table, if any, applies).
    commands : dict
        ``{name: subparser}`` of every command, to tell keys of another
        command (ignored here) from unknown keys (refused).

    Returns
    -------
    dict
        ``{dest: value}`` for ``subparser.set_defaults``.

    Raises
    ------
    ParameterError
        Unreadable file, TOML syntax error (with its line), unknown key
        (with the closest valid name), or a value of the wrong type.
    """
    try:
        with open(path, "rb") as f:
            doc = tomllib.load(f)
    except FileNotFoundError:
        raise ParameterError(f"config file {path} does not exist") from None
    except OSError as exc:
        raise ParameterError(f"config file {path} cannot be read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"config file {path} is not valid TOML: {exc}") from None

    own = _key_names(option_actions(commands[command]))
    everyone = {}
    for sp in commands.values():
        everyone.update(_key_names(option_actions(sp)))

    top = {k: v for k, v in doc.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in doc.items() if isinstance(v, dict)}
    for name in tables:
        if name not in commands:
            close = difflib.get_close_matches(name, list(commands), n=1)
            hint = f" (did you mean [{close[0]}]?)" if close else ""
            raise ParameterError(f"config file {path}: unknown table [{name}]{hint}; "
                                 f"tables are named after commands: {', '.join(commands)}")

    values = {}
    sources = (("", top, everyone), (f"[{command}] ", tables.get(command, {}), own))
    for where, items, valid in sources:
        for raw, value in items.items():
            key = raw.replace("-", "_")
            if key not in valid:
                close = difflib.get_close_matches(key, list(valid), n=1)
                hint = f" (did you mean {close[0]}?)" if close else ""
                raise ParameterError(f"config file {path}: unknown key {where}{raw}{hint}")
            if key not in own:
                continue  # another command's key
            dest, inverted = own[key]
            action = option_actions(commands[command])[dest]
            if not _check_type(action, value):
                raise ParameterError(f"config file {path}: {where}{raw} must be "
                                     f"{_type_name(action)} (got {value!r})")
            values[dest] = (not value) if inverted else _convert(action, value)
    return values


def effective_config(args, subparser):
    """The options that define what a run makes, in the parser's order.

    Options left at None and the `RUN_ONLY` ones are left out.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.
    subparser : argparse.ArgumentParser
        The command's parser.

    Returns
    -------
    dict
        ``{dest: value}``.
    """
    out = {}
    for dest in option_actions(subparser):
        if dest in RUN_ONLY:
            continue
        value = getattr(args, dest, None)
        if value is not None:
            out[dest] = list(value) if isinstance(value, (list, tuple)) else value
    return out


def _literal(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)  # finite: validated before it gets here
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return json.dumps(str(value))  # JSON string escapes are valid TOML basic strings


def to_toml(values):
    """TOML text of a flat ``{key: value}`` dict.

    Parameters
    ----------
    values : dict
        Keys to bools, numbers, strings or lists of them.

    Returns
    -------
    str

    Written here rather than with a TOML writer because those spread short
    arrays over several lines (``shape = [2000, 2000]`` reads better); the
    tests read every output back with `tomllib`.
    """
    return "".join(f"{k} = {_literal(v)}\n" for k, v in values.items())
