"""Checks of parameter values, and the error that names what was wrong.

Every public entry point checks its parameters before doing any work, so a
bad value fails fast with one line that names the parameter and the range
it may take. The bounds themselves live in `ccdsim.core.params`; these are the
mechanics.

A `ParameterError` remembers which parameter of the table it is about, so a
front end can say it in the user's words: ``--bias`` on the command line,
``bias`` in a configuration file, ``bias_level`` in Python.
"""

import math
import numbers

__all__ = ["ParameterError", "check_number", "check_floats", "check_int", "check_shape", "check_text", "cut",
           "short_repr", "range_text"]


class ParameterError(ValueError):
    """A parameter is outside its allowed range (the message names both).

    Parameters
    ----------
    message : str
        The message as Python callers see it.
    param : str, optional
        Name of the parameter in `ccdsim.core.params.PARAMS` the message is
        about; front ends use it to name the option the user typed.
    spelled : str, optional
        How ``message`` spells the parameter (it starts with it); replaced
        by the front end's spelling in `say`.
    """

    def __init__(self, message, *, param=None, spelled=None):
        super().__init__(message)
        self.param = param
        self.spelled = spelled if spelled is not None else param

    def say(self, spelling):
        """The message with the parameter spelled another way.

        Parameters
        ----------
        spelling : str
            How the front end names the parameter (``--bias``).

        Returns
        -------
        str
        """
        text = str(self)
        if self.spelled and spelling and text.startswith(self.spelled):
            return spelling + text[len(self.spelled):]
        return text


def cut(text, limit=60):
    """``text`` cut to ``limit`` characters, so an error line never echoes a huge value."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _fmt(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


def short_repr(value, limit=60):
    """``repr(value)``, cut to ``limit`` characters: an error line never echoes a huge value."""
    return cut(repr(value), limit)


def range_text(low, high, low_open=False):
    """``"in [0, 1]"``, ``"in (0, 1]"``, ``">= 0"``: the allowed range in words."""
    if high is None:
        return f"{'> ' if low_open else '>= '}{_fmt(low)}"
    left = "(" if low_open else "["
    return f"in {left}{_fmt(low)}, {_fmt(high)}]"


def check_number(name, value, *, low=0.0, high=None, low_open=False, param=None):
    """Return ``value`` as a finite float inside the allowed range.

    Parameters
    ----------
    name : str
        Parameter name used in the error message (the caller's spelling).
    value : float
        Value to check.
    low, high : float or None
        Bounds; ``high=None`` means no upper bound.
    low_open : bool
        If true, ``low`` itself is not allowed.
    param : str, optional
        The parameter's name in `ccdsim.core.params.PARAMS` (default: ``name``).

    Raises
    ------
    ParameterError
        If the value is not a real number, not finite, or out of range.
    """
    allowed = range_text(low, high, low_open)
    err = dict(param=param or name, spelled=name)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be a number {allowed} (got {short_repr(value)})", **err)
    try:
        v = float(value)
    except OverflowError:  # an int too large for a float
        raise ParameterError(f"{name} must be {allowed} (got {short_repr(value)})", **err) from None
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be a finite number {allowed} (got {v})", **err)
    if (v <= low if low_open else v < low) or (high is not None and v > high):
        raise ParameterError(f"{name} must be {allowed} (got {_fmt(v)})", **err)
    return v


def check_floats(name, value, *, low=0.0, high=None, low_open=False, most, param=None):
    """Return a list of numbers as a tuple of floats, each inside the allowed range.

    Parameters
    ----------
    name : str
        Parameter name used in the error message (the caller's spelling).
    value : sequence of float or str
        The numbers, or them as text separated by commas (``"1.5,1.6"``);
        nested lists (a matrix, row by row) are flattened.
    low, high, low_open
        Each number's bounds, as in `check_number`.
    most : int
        Most numbers allowed.
    param : str, optional
        The parameter's name in `ccdsim.core.params.PARAMS` (default: ``name``).

    Returns
    -------
    tuple of float

    Raises
    ------
    ParameterError
    """
    err = dict(param=param or name, spelled=name)
    allowed = range_text(low, high, low_open)
    if isinstance(value, str):
        if len(value) > 32 * most:
            raise ParameterError(f"{name} must be at most {most} numbers", **err)
        value = [v for v in value.replace(" ", "").split(",") if v] if value.strip() else []
        try:
            value = [float(v) for v in value]
        except ValueError:
            raise ParameterError(f"{name} must be numbers {allowed} separated by commas "
                                 f"(got {short_repr(value)})", **err) from None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (list, tuple))
                                                          for v in value):
        value = [v for row in value for v in row]
    if not isinstance(value, (list, tuple)):
        raise ParameterError(f"{name} must be a list of numbers {allowed} "
                             f"(got {short_repr(value)})", **err)
    if len(value) > most:
        raise ParameterError(f"{name} must be at most {most} numbers (got {len(value)})", **err)
    out = []
    for i, v in enumerate(value):
        try:
            out.append(check_number(name, v, low=low, high=high, low_open=low_open,
                                    param=param or name))
        except ParameterError as e:  # which of the numbers, without losing the message
            raise ParameterError(f"{e} as number {i + 1} of {len(value)}", **err) from None
    return tuple(out)


def check_int(name, value, *, low=0, high=None, param=None):
    """Return ``value`` as an int inside ``[low, high]``; see `check_number`.

    Parameters
    ----------
    name : str
        Parameter name used in the error message (the caller's spelling).
    value : int
        Value to check (bool is refused).
    low, high : int or None
        Inclusive bounds; ``high=None`` means no upper bound.
    param : str, optional
        The parameter's name in `ccdsim.core.params.PARAMS` (default: ``name``).

    Raises
    ------
    ParameterError
        If the value is not an integer or out of range.
    """
    allowed = range_text(low, high, False)
    err = dict(param=param or name, spelled=name)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer {allowed} (got {short_repr(value)})",
                             **err)
    v = int(value)
    if v < low or (high is not None and v > high):
        raise ParameterError(f"{name} must be an integer {allowed} (got {short_repr(v)})", **err)
    return v


# Smallest gain (e-/ADU): below it one electron overflows the ADC many times over.
MIN_GAIN = 1e-3

# Upper bound on one side of a frame; larger frames are what the chunked
# (out-of-memory) path is for.
MAX_SIDE = 1 << 20


def check_shape(shape, name="shape", *, high=MAX_SIDE, param="shape"):
    """Return ``shape`` as a tuple ``(ny, nx)`` of positive ints.

    Parameters
    ----------
    shape : sequence of int
        ``(ny, nx)`` in pixels, each in ``[1, high]``.
    name : str, optional
        Parameter name used in the error message.
    high : int, optional
        Largest side, in pixels.
    param : str, optional
        The parameter's name in `ccdsim.core.params.PARAMS`.

    Raises
    ------
    ParameterError
        If ``shape`` is not two integers in range.
    """
    try:
        dims = tuple(shape)
    except TypeError:
        dims = ()
    ok = len(dims) == 2 and all(isinstance(d, numbers.Integral) and not isinstance(d, bool)
                                and 1 <= d <= high for d in dims)
    if not ok:
        raise ParameterError(f"{name} must be two integers (ny, nx), each in [1, {high}] "
                             f"(got {short_repr(shape)})", param=param, spelled=name)
    return tuple(int(d) for d in dims)


def check_text(name, value, *, max_length=68, param=None):
    """Return ``value`` if it is text a FITS header card can hold: printable ASCII.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : str
        The text.
    max_length : int, optional
        Most characters allowed (a FITS string value holds at most 68).
    param : str, optional
        The parameter's name in `ccdsim.core.params.PARAMS` (default: ``name``).

    Raises
    ------
    ParameterError
        If it is not a string of at most ``max_length`` printable ASCII characters.
    """
    ok = (isinstance(value, str) and len(value) <= max_length
          and all(" " <= c <= "~" for c in value))
    if not ok:
        raise ParameterError(f"{name} must be printable ASCII text of at most {max_length} "
                             f"characters (got {short_repr(value)})", param=param or name,
                             spelled=name)
    return value
