"""ccdsim: artificial but realistic astronomical CCD images.

Build a frame piece by piece (`read_noise`, `bias`, `dark_current`,
`sky_background`, `stars`) or take exposures with a `Camera`, whose defects
are fixed by its seed while each frame's noise comes from its own ``rng``.
`plan_night` / `write_night` make a whole night of calibration and science
frames with the truth beside them.
"""

import importlib

from ._version import __version__
from .compat import MOVED, install
from .core.extras import require
from .core.params import EXPLORER_SHAPE
from .core.lazy import lazy_exports

install()

# Public name -> module. Loaded on first use, so `import ccdsim` (and the
# command line's start-up, --help and error paths) stays fast.
_LAZY = {
    "Camera": "camera.camera",
    "Frame": "readout.frame",
    "ParameterError": "core.validate",
    "bias": "camera.guide",
    "dark_current": "camera.guide",
    "read_noise": "camera.guide",
    "sky_background": "camera.guide",
    "stars": "camera.guide",
    "make_star_table": "physics.stars",
    "render_stars": "physics.stars",
    "show_image": "io.display",
    "save_png": "io.display",
    "NightPlan": "plans.model",
    "plan_night": "plans.night",
    "run_frame": "plans.make",
    "write_night": "run.output",
    "DQ": "core.quality",
    "fit_camera": "twin.fit",
}

__all__ = ["__version__", "explore", *_LAZY]


_exported, __dir__ = lazy_exports(__name__, {k: f".{v}" for k, v in _LAZY.items()})


def __getattr__(name):
    if name in MOVED:  # ``ccdsim.plans.night`` as an attribute: the old path, which warns
        return importlib.import_module(f"{__name__}.{name}")
    return _exported(name)


def explore(shape=EXPLORER_SHAPE, **values):
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
    require("panel", "explorer", "ccdsim.explore")
    from .explorer import explore as _explore

    return _explore(shape, **values)
