"""TOML: reading a user's file (capped, checked) and writing the text of a configuration.

`read_toml` reads a configuration or plan file with a byte cap and a
nesting limit, and says in one line what is wrong; `to_toml` and
`document_toml` write what ``ccdsim config show`` prints and frames record.
"""

import json
import tomllib

from ..core.reading import read_capped
from ..core.validate import ParameterError

__all__ = ["to_toml", "document_toml", "read_toml", "MAX_CONFIG_BYTES"]


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
    """TOML text of a nested document: an observing plan (`ccdsim.plans.file`).

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

# A configuration is a few hundred bytes; anything far larger is not one.
MAX_CONFIG_BYTES = 1 << 20
# Tables may nest a level or two (a command's table); deeper is not a configuration.
_MAX_DEPTH = 4


def _too_deep(doc, limit):
    """True if tables and arrays nest more than ``limit`` levels in ``doc``.

    Without recursion: ``[a.a.a...]`` headers nest as deep as a file is long
    (tomllib reads them in a loop), deeper than Python's stack.
    """
    stack = [(doc, 0)]
    while stack:
        value, level = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if level + 1 > limit:
            return True
        stack.extend((child, level + 1) for child in children)
    return False


def read_toml(path, *, depth=_MAX_DEPTH, what="config file"):
    """Read a TOML file, or raise a one-line `ParameterError` that says what is wrong.

    Parameters
    ----------
    path : str
        The file.
    depth : int, optional
        How deep its tables may nest.
    what : str, optional
        What the file is, in messages ("config file", "plan file").

    Returns
    -------
    dict
    """
    raw = read_capped(path, MAX_CONFIG_BYTES, what=what, param="config")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        hint = " (it looks like UTF-16; save it as UTF-8)" if raw[:2] in (b"\xff\xfe",
                                                                         b"\xfe\xff") else ""
        raise ParameterError(f"{what} {path} is not UTF-8 text: byte {exc.start}"
                             f"{hint}", param="config") from None
    try:
        doc = tomllib.loads(text.removeprefix("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{what} {path} is not valid TOML: {exc}",
                             param="config") from None
    except RecursionError:
        raise ParameterError(f"{what} {path} nests too deeply", param="config") from None
    if _too_deep(doc, depth):
        raise ParameterError(f"{what} {path} nests more than {depth} levels deep",
                             param="config")
    return doc
