"""TOML text of a configuration: what ``ccdsim config show`` prints and frames record.

Reading configuration files belongs to the command line
(`ccdsim.cli.configfile`); this module only writes them, so the library
(batch plans) can too.
"""

import json

__all__ = ["to_toml", "document_toml"]


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


def _key(key):
    """A TOML key, quoted unless bare (letters, digits, - and _)."""
    bare = key and all(c.isascii() and (c.isalnum() or c in "-_") for c in key)
    return key if bare else json.dumps(key)


def document_toml(doc, comment=""):
    """TOML text of a nested document: an observing plan (`ccdsim.planfile`).

    Scalars and lists of scalars first, then each table (``[a.b]``) and each
    list of tables (``[[groups]]``), depth first, in the document's order.

    Parameters
    ----------
    doc : dict
        Keys to scalars, lists, tables (dicts) or lists of tables.
    comment : str, optional
        A first line, written as a TOML comment.

    Returns
    -------
    str

    Examples
    --------
    >>> print(document_toml({"seed": 1, "groups": [{"kind": "bias", "header": {"A": 1}}]}),
    ...       end="")
    seed = 1
    <BLANKLINE>
    [[groups]]
    kind = "bias"
    <BLANKLINE>
    [groups.header]
    A = 1
    """
    lines = [f"# {comment}"] if comment else []
    _emit(doc, [], lines, array=False)
    return "\n".join(lines).lstrip("\n") + "\n"


def _is_table_list(value):
    return isinstance(value, list) and value and all(isinstance(v, dict) for v in value)


def _emit(doc, path, lines, array):
    scalars = [k for k, v in doc.items() if not isinstance(v, dict) and not _is_table_list(v)]
    if path and (array or scalars or not doc):  # a table of tables needs no header of its own
        name = ".".join(_key(p) for p in path)
        lines += ["", f"[[{name}]]" if array else f"[{name}]"]
    for k, v in doc.items():
        if not isinstance(v, dict) and not _is_table_list(v):
            lines.append(f"{_key(k)} = {_literal(v)}")
    for k, v in doc.items():
        if isinstance(v, dict):
            _emit(v, path + [k], lines, array=False)
        elif _is_table_list(v):
            for item in v:
                _emit(item, path + [k], lines, array=True)
