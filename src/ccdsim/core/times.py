"""Times: one rule for every date a user gives (UTC)."""

from datetime import datetime

from .params import PARAMS, check
from .validate import ParameterError

__all__ = ["parse_start"]


def parse_start(start):
    """``start`` (ISO 8601, UTC) as a `~datetime.datetime`, or a `ParameterError`."""
    try:
        return datetime.fromisoformat(check("start", start))
    except ValueError:
        raise ParameterError(f"start must be an ISO 8601 date and time, e.g. "
                             f"{PARAMS['start'].default} (got {start!r})", param="start") from None
