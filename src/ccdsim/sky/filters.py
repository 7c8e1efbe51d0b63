"""A filter's own photometry: the parameters that differ from filter to filter.

`PER_FILTER` names them (a plan's ``[filters.NAME]`` keys); `per_filter`
reads one of them given once for every filter, as ``{filter: value}`` or as
typed on the command line, ``V=5e8,R=6e8``. A light module (no numpy): the
command line builds its options from it.
"""

from ..core.params import PARAMS
from ..core.validate import ParameterError, cut

__all__ = ["PER_FILTER", "per_filter"]

#: The parameters each filter has its own value of (a plan's ``[filters.NAME]``).
PER_FILTER = ("zero_point", "extinction", "sky_brightness")


def per_filter(name, value, filters):
    """Each filter's value of parameter ``name`` (one of `PER_FILTER`), checked.

    Parameters
    ----------
    name : str
        ``zero_point``, ``extinction`` or ``sky_brightness``.
    value : float, str, dict or None
        One number for every filter; ``{filter: number}``; or text
        ``FILTER=VALUE,FILTER=VALUE`` (as typed: ``V=5e8,R=6e8``).
    filters : sequence of str
        The filters of the frames that see light: each needs a value, and no
        other filter may be named.

    Returns
    -------
    dict
        ``{filter: value}`` for each of ``filters``.

    Raises
    ------
    ccdsim.ParameterError
        Bad text, a value out of the parameter's range, a filter without a value
        or one not among ``filters``; the message starts with ``name``.

    Examples
    --------
    >>> per_filter("zero_point", "V=5e8,R=6e8", ["V", "R"])
    {'V': 500000000.0, 'R': 600000000.0}
    >>> per_filter("extinction", 0.1, ["V", "R"])
    {'V': 0.1, 'R': 0.1}
    """
    p, filters = PARAMS[name], list(filters)
    if isinstance(value, str):
        value = _pairs(name, value)
    if not isinstance(value, dict):
        return {f: p.check(value, name) for f in filters}
    missing = [f for f in filters if f not in value]
    if missing:
        raise ParameterError(f"{name} has no value for filter {missing[0]}: give one number "
                             f"for every filter, or FILTER=VALUE for each of "
                             f"{', '.join(filters)}", param=name)
    unknown = [f for f in value if f not in filters]
    if unknown:
        raise ParameterError(f"{name} names filter {cut(unknown[0], 20)}, not a filter of "
                             f"these frames ({', '.join(filters)})", param=name)
    out = {}
    for f in filters:
        try:
            out[f] = p.check(value[f], f"{name} for filter {f}")
        except ParameterError as exc:  # said with the caller's spelling of ``name``
            raise ParameterError(str(exc), param=name, spelled=name) from None
    return out


def _pairs(name, text):
    """``{filter: value}`` of text ``FILTER=VALUE,FILTER=VALUE`` (values left as typed
    where they are no number: `per_filter` names them)."""
    out = {}
    for item in text.split(","):
        f, eq, v = (s.strip() for s in item.partition("="))
        if not (eq and f and v):
            raise ParameterError(f"{name} must be one number, or FILTER=VALUE pairs "
                                 f"separated by commas (got {cut(text, 40)!r})", param=name)
        if f in out:
            raise ParameterError(f"{name} gives filter {cut(f, 20)} twice", param=name)
        try:
            out[f] = float(v)
        except ValueError:
            out[f] = v
    return out
