"""ccdsim: artificial but realistic astronomical CCD images.

Build a frame piece by piece (`read_noise`, `bias`, `dark_current`,
`sky_background`, `stars`) or take exposures with a `Camera`, whose defects
are fixed by its seed while each frame's noise comes from its own ``rng``.
`plan_night` / `write_night` make a whole night of calibration and science
frames with the truth beside them.
"""

import importlib

from ._version import __version__

# Public name -> module. Loaded on first use, so `import ccdsim` (and the
# command line's start-up, --help and error paths) stays fast.
_LAZY = {
    "Camera": "camera",
    "Frame": "frame",
    "ParameterError": "validate",
    "bias": "components",
    "dark_current": "components",
    "read_noise": "components",
    "sky_background": "components",
    "stars": "components",
    "make_star_table": "sources",
    "render_stars": "sources",
    "show_image": "display",
    "save_png": "display",
    "NightPlan": "night",
    "plan_night": "night",
    "run_frame": "night",
    "write_night": "night",
    "DQ": "quality",
}

__all__ = ["__version__", "explore", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'ccdsim' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))


def explore(shape=(500, 500), **values):
    """Interactive explorer for Jupyter (needs ``pip install 'ccdsim[explorer]'``).

    See `ccdsim.explorer.explore`; Panel is imported only when this is called.

    Parameters
    ----------
    shape : tuple of int, optional
        Frame size ``(ny, nx)`` in pixels.
    **values
        Initial control values (``gain=2``, ``sky=100``, ...); see
        `ccdsim.explorer.Explorer`.

    Returns
    -------
    ccdsim.explorer.Explorer
        Shown inline when it is the last expression of a cell.
    """
    from .extras import require

    require("panel", "explorer", "ccdsim.explore")
    from .explorer import explore as _explore

    return _explore(shape, **values)
