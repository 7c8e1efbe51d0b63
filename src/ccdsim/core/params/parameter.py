"""One parameter of the table (`ccdsim.core.params`): its name, unit, range and checks.

A light module (no third-party imports), as the table is.
"""

from dataclasses import dataclass

from ..validate import (
    ParameterError,
    check_floats,
    check_int,
    check_number,
    check_shape,
    check_text,
    range_text,
)

__all__ = ["Param", "option_name", "key_name", "MAX_AMPLIFIERS", "MAX_FLOATS"]

#: Most output amplifiers a camera may have: each named by a letter, A to Z (``GAINA``).
MAX_AMPLIFIERS = 26
#: Longest list a ``floats`` parameter holds (an N x N crosstalk matrix).
MAX_FLOATS = MAX_AMPLIFIERS ** 2


def option_name(key):
    """The command-line option of a command-line / TOML name: ``--read-noise``.

    Parameters
    ----------
    key : str
        The name with underscores (``read_noise``).

    Returns
    -------
    str
    """
    return "--" + key.replace("_", "-")


def key_name(written):
    """The command-line / TOML name as a file may write it, with dashes or underscores.

    Parameters
    ----------
    written : str
        ``read-noise`` or ``read_noise``.

    Returns
    -------
    str
        ``read_noise``.
    """
    return written.replace("-", "_")


@dataclass(frozen=True)
class Param:
    """One parameter: what it is, its unit and what it may be.

    Parameters
    ----------
    name : str
        The name in Python (a `ccdsim.Camera` field or a keyword argument).
    kind : {'float', 'int', 'bool', 'text', 'shape', 'path', 'floats'}
        The type of value (``text``: a FITS header value; ``path``: a file name;
        ``floats``: a list of numbers, each in the range, one per amplifier or
        trap species; empty: none).
    default : object
        The value used when none is given (the guide's camera and image).
    unit : str
        Unit, as written in help texts and FITS comments ("" when none).
    low, high : float or None
        Allowed range (inclusive; ``high=None``: no upper bound).
    low_open : bool
        ``low`` itself is not allowed.
    optional : bool
        None is allowed too (meaning "off").
    fits : str or None
        FITS keyword that records the value in a frame's header.
    help : str
        What the parameter is, in a few words (help texts, FITS comments, labels).
    option : str or None
        The name on the command line and in TOML files, if not ``name``
        (``bias`` for ``bias_level``).
    typed : str or None
        How it is typed on the command line, if not ``--option VALUE``
        (``--moffat FWHM BETA``).
    """

    name: str
    kind: str
    default: object
    unit: str = ""
    low: float | None = 0
    high: float | None = None
    low_open: bool = False
    optional: bool = False
    fits: str | None = None
    help: str = ""
    option: str | None = None
    typed: str | None = None

    @property
    def key(self):
        """The command-line / TOML name, with underscores (``read_noise``)."""
        return self.option or self.name

    @property
    def flag(self):
        """The command-line option (``--read-noise``), or how it is typed."""
        return self.typed or option_name(self.key)

    @property
    def range(self):
        """The allowed range in words (``in [0, 65535]``)."""
        return range_text(self.low, self.high, self.low_open)

    @property
    def label(self):
        """A label with the unit, for user interfaces: ``bias level (ADU)``."""
        return f"{self.help} ({self.unit})" if self.unit else self.help

    @property
    def fits_comment(self):
        """The FITS card comment: ``[e-/ADU] gain``."""
        return f"[{self.unit}] {self.help}" if self.unit else self.help

    def describe(self, default=None):
        """Help text with unit, range and default, for ``--help``.

        Parameters
        ----------
        default : object, optional
            The default to show, if not the table's (a command's own).

        Returns
        -------
        str

        Examples
        --------
        >>> Param("gain", "float", 1.0, "e-/ADU", 0, 1000, help="gain").describe()
        'gain in e-/ADU, in [0, 1000] (default: 1)'
        """
        default = self.default if default is None else default
        unit = f" in {self.unit}" if self.unit else ""
        rng = f", {self.range}" if self.kind in ("float", "int") else ""
        if default is None or default == ():
            shown = "none"
        elif isinstance(default, float):
            shown = f"{default:g}"
        elif isinstance(default, (tuple, list)):  # as typed: a list 1,2; a shape NY NX
            shown = ("," if self.kind == "floats" else " ").join(f"{v:g}" for v in default)
            shown = shown if len(default) <= 8 else f"{len(default)} values"
        else:
            shown = default
        head, given, own_default = self.help.partition(" (default:")
        if given and default == self.default:  # the default in words: after unit and range
            return f"{head}{unit}{rng}{given}{own_default}"
        return f"{head}{unit}{rng} (default: {shown})"

    def check(self, value, spelled=None, **bounds):
        """Return ``value`` checked against this parameter's type and range.

        Parameters
        ----------
        value : object
            The value.
        spelled : str, optional
            The name the caller used (default: `name`); the error message
            starts with it.
        **bounds
            ``low``, ``high``, ``low_open`` where a context narrows the
            range (a science exposure must be > 0).

        Returns
        -------
        object
            The value as float, int, str or tuple.

        Raises
        ------
        ccdsim.ParameterError
        """
        spelled = spelled or self.name
        if value is None and self.optional:
            return None
        limits = dict(low=self.low, high=self.high)
        limits.update({k: v for k, v in bounds.items() if k in ("low", "high")})
        if self.kind == "float":
            return check_number(spelled, value, low_open=bounds.get("low_open", self.low_open),
                                param=self.name, **limits)
        if self.kind == "int":
            return check_int(spelled, value, param=self.name, **limits)
        if self.kind == "shape":
            return check_shape(value, spelled, high=limits["high"], param=self.name)
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise ParameterError(f"{spelled} must be true or false (got {value!r})",
                                     param=self.name, spelled=spelled)
            return value
        if self.kind == "floats":
            return check_floats(spelled, value, param=self.name, low_open=self.low_open,
                                most=MAX_FLOATS, **limits)
        if self.kind == "path":  # a file name: not a header value, so any printable text
            if not (isinstance(value, str) and 0 < len(value) <= 4096 and value.isprintable()):
                raise ParameterError(f"{spelled} must be a file name (got {value!r:.60})",
                                     param=self.name, spelled=spelled)
            return value
        return check_text(spelled, value, param=self.name)
