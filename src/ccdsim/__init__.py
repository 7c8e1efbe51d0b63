"""ccdsim: artificial but realistic astronomical CCD images.

Build a frame piece by piece (`read_noise`, `bias`, `dark_current`,
`sky_background`, `stars`) or take exposures with a `Camera`, whose defects
are fixed by its seed while each frame's noise comes from its own ``rng``.
"""

from ._version import __version__
from .camera import Camera
from .components import bias, dark_current, read_noise, sky_background, stars
from .display import save_png, show_image
from .frame import Frame
from .sources import make_star_table, render_stars
from .validate import ParameterError

__all__ = ["__version__", "Camera", "Frame", "ParameterError", "bias", "dark_current",
           "read_noise", "sky_background", "stars", "make_star_table", "render_stars",
           "show_image", "save_png", "explore"]


def explore(shape=(500, 500), **values):
    """Interactive explorer for Jupyter (needs ``pip install 'ccdsim[explorer]'``).

    See `ccdsim.explorer.explore`; Panel is imported only when this is called.
    """
    from .explorer import explore as _explore

    return _explore(shape, **values)
