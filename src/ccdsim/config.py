"""TOML text of a configuration: what ``ccdsim config show`` prints and frames record.

Reading configuration files belongs to the command line
(`ccdsim.cli.configfile`); this module only writes them, so the library
(batch plans) can too.
"""

import json

__all__ = ["to_toml"]


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

    Notes
    -----
    Written here rather than with a TOML writer because those spread short
    arrays over several lines (``shape = [2000, 2000]`` reads better); the
    tests read every output back with `tomllib`.

    Examples
    --------
    >>> print(to_toml({"shape": [64, 64], "gain": 1.5, "hot_pixels": False}), end="")
    shape = [64, 64]
    gain = 1.5
    hot_pixels = false
    """
    return "".join(f"{k} = {_literal(v)}\n" for k, v in values.items())
