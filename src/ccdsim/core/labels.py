"""Names a user gives (a plan's cameras, filters, targets, file names) are labels, never paths.

`label_file_name` makes one safe part of a file name of a label;
`label_file_names` does it for several and refuses two that would share one;
`number_pattern` reads a plan's file-name pattern (``ccd.{number:03d}.fits``):
only ``{number}``, zero-padded to a bounded width, never `str.format` on
what a user wrote.
"""

import re

from .validate import ParameterError

__all__ = ["label_file_name", "label_file_names", "number_pattern", "MAX_LABEL_CHARS",
           "MAX_NUMBER_WIDTH", "MAX_FILE_NAME_CHARS"]

#: Widest number a file-name pattern may ask for (``{number:012d}``).
MAX_NUMBER_WIDTH = 12
#: Longest file name of a pattern: with the temporary's decoration (`atomic_path`:
#: ``.NAME.HOST-PID-RANDOM.part``) it stays under the 255 bytes file systems allow.
MAX_FILE_NAME_CHARS = 160
# Escaped braces, a field, or a brace on its own.
_TOKEN = re.compile(r"\{\{|\}\}|\{[^{}]*\}|[{}]")
_FIELD = re.compile(r"\{number(?::0([0-9]{1,2})d|:d)?\}")

#: Longest file-name part made of a label: with the temporary's decoration
#: (`atomic_path`) a name stays well under the 255 bytes file systems allow.
MAX_LABEL_CHARS = 64


def label_file_name(label, what="name"):
    """A label as one safe part of a file name: ASCII letters, digits, ``-`` and ``_``.

    Quotes become words (``g'`` -> ``gprime``), anything else ``_``: no ``/``,
    no ``..``, no leading dot, nothing a shell or file system reads specially.

    Parameters
    ----------
    label : str
        The name as the user gave it.
    what : str, optional
        What it names, for the error message ("camera").

    Returns
    -------
    str

    Raises
    ------
    ccdsim.ParameterError
        An empty label, or one longer than `MAX_LABEL_CHARS`.
    """
    text = str(label).replace("'", "prime").replace('"', "dprime")
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "-_") else "_" for c in text)
    if not safe or len(safe) > MAX_LABEL_CHARS:
        raise ParameterError(f"{what} name {label[:MAX_LABEL_CHARS]!r} must have 1 to "
                             f"{MAX_LABEL_CHARS} characters", param="name")
    return safe


def label_file_names(labels, what="name"):
    """``{label: file-name part}`` of several labels, refusing two that would share one.

    Parameters
    ----------
    labels : iterable of str
        The names as the user gave them.
    what : str, optional
        What they name, for the error message ("camera").

    Returns
    -------
    dict

    Raises
    ------
    ccdsim.ParameterError
        Two labels map to one file name (``g'`` and ``gprime``, ``m 67`` and ``m_67``).
    """
    out, seen = {}, {}
    for label in labels:
        name = label_file_name(label, what)
        if name.lower() in seen and seen[name.lower()] != label:
            raise ParameterError(f"{what}s {seen[name.lower()]!r} and {label!r} would share "
                                 f"the file name {name!r}; name them apart", param="name")
        seen[name.lower()] = label
        out[label] = name
    return out


def number_pattern(pattern, what="name"):
    """The file names of a pattern with ``{number}``: a function of the frame's number.

    ``{number}`` (or ``{number:d}``) and ``{number:0Nd}`` (zero-padded to
    N <= `MAX_NUMBER_WIDTH` digits) are the only fields; ``{{`` and ``}}`` are braces. The rest must
    be printable ASCII without ``/`` or ``\\``, and a name must not start with
    a dot or be longer than `MAX_FILE_NAME_CHARS`.

    Parameters
    ----------
    pattern : str
        As the plan gives it (``ccd.{number:03d}.0.fits``).
    what : str, optional
        How the plan names the key, for the message (``group 2 (bias): name``).

    Returns
    -------
    callable
        ``name(number) -> str``.

    Raises
    ------
    ccdsim.ParameterError
        Any other field or format, a stray brace, a character a file name
        cannot safely hold.
    """
    example = "e.g. ccd.{number:03d}.fits"
    pieces, at = [], 0
    for m in _TOKEN.finditer(pattern):
        pieces.append(pattern[at:m.start()])
        token, at = m.group(), m.end()
        if token in ("{{", "}}"):
            pieces.append(token[0])
            continue
        field = _FIELD.fullmatch(token)
        if field is None:
            raise ParameterError(f"{what} may hold only {{number}} or {{number:0Nd}} "
                                 f"({example}); got {token[:40]!r}", param="name")
        width = int(field.group(1) or 0)
        if width > MAX_NUMBER_WIDTH:
            raise ParameterError(f"{what}: {{number}} is at most {MAX_NUMBER_WIDTH} digits "
                                 f"wide (got {width})", param="name")
        pieces.append(width)
    pieces.append(pattern[at:])
    text = "".join(p for p in pieces if isinstance(p, str))
    bad = sorted({c for c in text if not (c.isascii() and c.isprintable()) or c in "/\\"})
    if bad:
        raise ParameterError(f"{what} must be a file name of printable ASCII without / or \\ "
                             f"(got {''.join(bad)[:10]!r})", param="name")

    def name(number):
        out = "".join(p if isinstance(p, str) else f"{int(number):0{p}d}" for p in pieces)
        if not out or out.startswith(".") or len(out) > MAX_FILE_NAME_CHARS:
            raise ParameterError(f"{what} gives the file name {out[:40]!r}: it must not "
                                 f"start with a dot, and have 1 to {MAX_FILE_NAME_CHARS} "
                                 f"characters", param="name")
        return out

    return name
