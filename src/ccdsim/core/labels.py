"""Names a user gives (a plan's cameras, filters, targets) are labels, never paths.

`label_file_name` makes one safe part of a file name of a label;
`label_file_names` does it for several and refuses two that would share one.
"""

from .validate import ParameterError

__all__ = ["label_file_name", "label_file_names", "MAX_LABEL_CHARS"]

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
