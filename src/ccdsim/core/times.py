"""Times: one rule for every date a user gives: UTC.

A date and time without a zone is UTC; one with an offset (``+05:00``) or
``Z`` is converted to UTC. Inside ccdsim every time is a naive `datetime` in
UTC, and every header writes it so (``DATE-OBS`` in FITS's form, no offset).
"""

from datetime import date, datetime, timezone

from .params import PARAMS, check
from .validate import ParameterError, cut

__all__ = ["parse_start", "utc"]


def utc(value, what="start"):
    """An ISO 8601 date and time (text, or a TOML date-time) as a naive UTC `datetime`.

    Parameters
    ----------
    value : str or datetime.datetime
        ``2026-03-21T04:00:00`` (UTC), ``...Z``, ``...+05:00`` (converted).
    what : str, optional
        How the caller names it, for the message.

    Returns
    -------
    datetime.datetime
        Without a zone, in UTC.

    Raises
    ------
    ccdsim.ParameterError
        Not a date and time, or one that leaves the calendar once converted.
    """
    try:
        if isinstance(value, datetime):
            t = value
        elif isinstance(value, date) or not isinstance(value, str):
            raise ValueError(value)
        else:
            t = datetime.fromisoformat(value)
        if t.tzinfo is not None:
            t = t.astimezone(timezone.utc).replace(tzinfo=None)
        return t
    except (ValueError, OverflowError):
        raise ParameterError(f"{what} must be an ISO 8601 date and time in UTC (or with an "
                             f"offset, or Z), e.g. {PARAMS['start'].default} (got "
                             f"{cut(str(value), 40)!r})", param="start") from None


def parse_start(start):
    """``start`` (ISO 8601; UTC unless it says otherwise) as a naive UTC `datetime`.

    Parameters
    ----------
    start : str
        As the user gave it.

    Returns
    -------
    datetime.datetime
    """
    return utc(check("start", start))
