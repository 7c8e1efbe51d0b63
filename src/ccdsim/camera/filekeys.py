"""A camera file's TOML, checked: its parameters, its maps' kinds and names, what each replaces.

A light module (no numpy): the command line reads a camera file's parameters
with it (`camera_file_parameters`) before anything heavy is loaded.
`ccdsim.camera.camerafile` reads the maps themselves and writes camera
files; see it for what each map means.
"""

import difflib
import os

from ..core.params import CAMERA_PARAMS, DEFAULTS, PARAMS, check, key_name
from ..core.validate import ParameterError, cut, short_repr
from ..io.toml import read_toml

__all__ = ["MAP_KINDS", "REPLACED", "DARK_OFF", "map_name_problem", "camera_file_problem",
           "complete_parameters", "base_kind", "kind_problem", "check_parameters",
           "read_document", "camera_file_parameters"]

#: The kinds of map a camera file holds; a filter's own flat is ``flat_<FILTER>``.
MAP_KINDS = ("bias", "dark", "flat")
#: The camera parameters each map replaces, with their values when off.
REPLACED = {
    "bias": {"bad_columns": 0, "bias_gradient": 0.0, "bias_row_rms": 0.0,
             "bias_column_rms": 0.0, "bias_pixel_rms": 0.0},
    "dark": {},
    "flat": {"vignetting": 0.0, "dust_spots": 0, "prnu": 0.0, "dead_columns": 0,
             "partial_columns": 0, "low_patches": 0, "thinning": 0.0},
}
#: Defaults that are 0 in a camera with a dark map (they would add to it).
DARK_OFF = {"dark_current": 0.0, "hot_pixel_fraction": 0.0, "hot_above_1": 0.0,
            "hot_above_4": 0.0}


def base_kind(kind):
    """The kind of map ``kind`` is: ``flat`` for ``flat_<FILTER>``.

    Parameters
    ----------
    kind : str

    Returns
    -------
    str
    """
    return "flat" if kind.startswith("flat_") else kind


def kind_problem(kind):
    """What is wrong with ``kind`` as a map's kind, or None.

    Parameters
    ----------
    kind : object
        A ``[maps]`` key.

    Returns
    -------
    str or None
        One clause for a message, or None.
    """
    if not isinstance(kind, str):
        return "is not a map kind"
    if kind in MAP_KINDS:
        return None
    if kind.startswith("flat_") and len(kind) > 5:
        try:
            check("filter", kind[5:])
        except ParameterError:
            return "names no filter a frame can carry"
        return None
    return f"is not a map kind ({', '.join(MAP_KINDS)} or flat_<FILTER>)"


def map_name_problem(name):
    """What is wrong with ``name`` as a map's file name, or None.

    A map is named by a label: a plain file name in the camera file's
    folder, never a path (no ``/``, ``\\``, ``..``, drive or absolute name).

    Parameters
    ----------
    name : object
        The value of a ``[maps]`` entry.

    Returns
    -------
    str or None
        One clause for a message, or None.
    """
    if not isinstance(name, str) or not name:
        return "must be a file name (text)"
    if (len(name) > 255 or "/" in name or "\\" in name or ":" in name or name in (".", "..")
            or ".." in name or os.path.isabs(name) or not name.isprintable()
            or name.startswith(".")):
        return "must be a plain file name beside the camera file (no path, '/', '\\', '..')"
    if not name.lower().endswith((".fits", ".fit", ".fts")):
        return "must end in .fits (or .fit, .fts)"
    return None


def camera_file_problem(name):
    """What is wrong with ``name`` as a camera file named in a plan, or None.

    Parameters
    ----------
    name : object
        A plan's ``camera_file``: a plain file name beside the plan.

    Returns
    -------
    str or None
        One clause for a message, or None.
    """
    if not isinstance(name, str) or not name.lower().endswith(".toml"):
        return "must be a file name ending in .toml"
    problem = map_name_problem(name[:-5] + ".fits")
    return problem and problem.replace("the camera file", "the plan")


def complete_parameters(params, kinds):
    """Every camera parameter of a camera with maps of ``kinds``: the file's over the defaults.

    The parameters a map replaces (`REPLACED`, and ``DARK_OFF`` for a dark
    map) default to off; ``bias_level`` is the bias map's median, given as
    ``bias_median``.

    Parameters
    ----------
    params : dict
        The file's parameters (Python names).
    kinds : iterable of str
        The kinds of its maps.

    Returns
    -------
    dict
        ``{name: value}`` of every camera parameter.
    """
    out = {name: getattr(DEFAULTS, name) for name in CAMERA_PARAMS}
    bases = {base_kind(k) for k in kinds}
    for base in bases:
        out.update(REPLACED[base])
    if "dark" in bases:
        out.update(DARK_OFF)
    out.update(params)
    return out


_TABLES = ("camera", "maps", "fit")
_BY_KEY = {}
for _name in CAMERA_PARAMS:
    _BY_KEY[PARAMS[_name].key] = _BY_KEY[_name] = _name


def check_parameters(raw, where):
    """``{python name: checked value}`` of a ``[camera]`` table (any spelling).

    Parameters
    ----------
    raw : dict
        The table as read: keys with dashes or underscores, or Python names.
    where : str
        The file, for messages.

    Returns
    -------
    dict

    Raises
    ------
    ccdsim.ParameterError
        Unknown keys (named, with the closest one) or a value out of its range.
    """
    if not isinstance(raw, dict):
        raise ParameterError(f"{where}: [camera] must be a table of parameters",
                             param="camera_file")
    out, unknown = {}, []
    for written, value in raw.items():
        name = _BY_KEY.get(key_name(written))
        if name is None:
            unknown.append(written)
            continue
        if name in out:
            raise ParameterError(f"{where}: [camera] sets {PARAMS[name].key} twice",
                                 param="camera_file")
        out[name] = value
    if unknown:
        close = difflib.get_close_matches(key_name(unknown[0]), list(_BY_KEY), n=1)
        hint = f" (did you mean {PARAMS[_BY_KEY[close[0]]].key}?)" if close else ""
        raise ParameterError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} in "
                             f"[camera]: {', '.join(cut(k, 40) for k in unknown[:8])}{hint}",
                             param="camera_file")
    checked = {}
    for name in CAMERA_PARAMS:  # in the table's order
        if name in out:
            value = out[name]
            if isinstance(value, list):
                value = tuple(value)
            try:
                checked[name] = check(name, value, spelled=PARAMS[name].key)
            except ParameterError as exc:
                raise ParameterError(f"{where}: [camera] {exc}", param="camera_file") from None
    return checked


def camera_file_parameters(path):
    """A camera file's parameters and the kinds of its maps, without reading the maps.

    Parameters
    ----------
    path : str or os.PathLike
        The camera file.

    Returns
    -------
    params : dict
        ``{camera parameter (Python name): value}``, checked.
    kinds : tuple of str
        The kinds its ``[maps]`` names (each name checked, not read).

    Raises
    ------
    ccdsim.ParameterError
        As `read_camera_file`, the maps' contents aside.
    """
    params, names, _, _ = read_document(os.fspath(path))
    return params, tuple(names)


def read_document(path):
    """A camera file's TOML: ``(params, {kind: file name}, fit, where)``, keys and names checked.

    Parameters
    ----------
    path : str
        The camera file.

    Returns
    -------
    tuple
    """
    doc = read_toml(path, what="camera file")
    where = f"camera file {cut(path, 200)}"
    unknown = [k for k in doc if k not in _TABLES]
    if unknown:
        raise ParameterError(f"{where}: unknown key{'s' if len(unknown) > 1 else ''} "
                             f"{', '.join(cut(k, 40) for k in unknown[:8])}; a camera file "
                             f"holds the tables [camera], [maps] and [fit]", param="camera_file")
    params = check_parameters(doc.get("camera", {}), where)
    names = doc.get("maps", {})
    if not isinstance(names, dict):
        raise ParameterError(f"{where}: [maps] must be a table of kind = \"file name\"",
                             param="camera_file")
    for kind, name in names.items():
        problem = kind_problem(kind)
        if problem:
            raise ParameterError(f"{where}: [maps] {cut(kind, 40)} {problem}",
                                 param="camera_file")
        problem = map_name_problem(name)
        if problem:
            raise ParameterError(f"{where}: [maps] {kind} = {short_repr(name)} {problem}",
                                 param="camera_file")
    fit_table = doc.get("fit", {})
    if not isinstance(fit_table, dict):
        raise ParameterError(f"{where}: [fit] must be a table", param="camera_file")
    return params, names, fit_table, where
