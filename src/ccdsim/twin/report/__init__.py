"""Checking a fit: frames simulated like the input from its camera file, and the HTML report.

Modules: twins (frames simulated like the input, the values of both fits
compared) and page (the report: panels and one self-contained HTML file,
matplotlib needed: loaded only when asked for).
"""

from ...core.lazy import lazy_exports

__all__ = ["write_report", "fit_twins", "report_figure", "profile_rms", "simulate_like",
           "compare"]

__getattr__, __dir__ = lazy_exports(__name__, {
    "write_report": ".page", "fit_twins": ".page", "report_figure": ".page",
    "profile_rms": ".page", "simulate_like": ".twins", "compare": ".twins"})
