"""Parameter checks shared by the library and the command line.

Every public entry point checks its parameters before doing any work, so a
bad value fails fast with one line that names the parameter and the range
it may take.
"""

import math
import numbers

__all__ = ["ParameterError", "check_number", "check_int", "check_shape"]


class ParameterError(ValueError):
    """A parameter is outside its allowed range (the message names both)."""


def _fmt(x):
    return f"{x:g}" if isinstance(x, float) else str(x)


def _range_text(low, high, low_open):
    if high is None:
        return f"{'> ' if low_open else '>= '}{_fmt(low)}"
    left = "(" if low_open else "["
    return f"in {left}{_fmt(low)}, {_fmt(high)}]"


def check_number(name, value, *, low=0.0, high=None, low_open=False):
    """Return ``value`` as a finite float inside the allowed range.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : float
        Value to check.
    low, high : float or None
        Bounds; ``high=None`` means no upper bound.
    low_open : bool
        If true, ``low`` itself is not allowed.

    Raises
    ------
    ParameterError
        If the value is not a real number, not finite, or out of range.
    """
    allowed = _range_text(low, high, low_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{name} must be a number {allowed} (got {value!r})")
    v = float(value)
    if not math.isfinite(v):
        raise ParameterError(f"{name} must be a finite number {allowed} (got {v})")
    if (v <= low if low_open else v < low) or (high is not None and v > high):
        raise ParameterError(f"{name} must be {allowed} (got {_fmt(v)})")
    return v


def check_int(name, value, *, low=0, high=None):
    """Return ``value`` as an int inside ``[low, high]``; see `check_number`.

    Parameters
    ----------
    name : str
        Parameter name used in the error message.
    value : int
        Value to check (bool is refused).
    low, high : int or None
        Inclusive bounds; ``high=None`` means no upper bound.

    Raises
    ------
    ParameterError
        If the value is not an integer or out of range.
    """
    allowed = _range_text(low, high, False)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer {allowed} (got {value!r})")
    v = int(value)
    if v < low or (high is not None and v > high):
        raise ParameterError(f"{name} must be an integer {allowed} (got {v})")
    return v


# Smallest gain (e-/ADU): below it one electron overflows the ADC many times over.
MIN_GAIN = 1e-3

# Upper bound on one side of a frame; larger frames are what the chunked
# (out-of-memory) path is for.
MAX_SIDE = 1 << 20


def check_shape(shape, name="shape"):
    """Return ``shape`` as a tuple ``(ny, nx)`` of positive ints.

    Parameters
    ----------
    shape : sequence of int
        ``(ny, nx)`` in pixels, each in ``[1, MAX_SIDE]``.
    name : str, optional
        Parameter name used in the error message.

    Raises
    ------
    ParameterError
        If ``shape`` is not two integers in range.
    """
    try:
        dims = tuple(shape)
    except TypeError:
        dims = ()
    if len(dims) != 2:
        raise ParameterError(f"{name} must be two integers (ny, nx), each in [1, {MAX_SIDE}] "
                             f"(got {shape!r})")
    return tuple(check_int(f"{name}[{i}]", d, low=1, high=MAX_SIDE) for i, d in enumerate(dims))
