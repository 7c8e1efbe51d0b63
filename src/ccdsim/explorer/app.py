"""The explorer app: its controls drive a `State`, whose frame its display draws.

One `Explorer` per browser tab (or notebook cell); `serve` serves them through
`ccdsim.explorer.server`, `explore` shows one in Jupyter.
"""

import logging
import time

import panel as pn

from ..core.params import DEFAULTS as D
from ..core.params import EXPLORER_HOST, EXPLORER_SHAPE
from ..core.validate import ParameterError
from . import server
from .state import Settings, State, fits_bytes, png_bytes
from .views import Controls, Display

__all__ = ["Explorer", "explore", "serve"]

log = logging.getLogger(__name__)


class Explorer:
    """Controls, the frame, its histogram, its noise budget and its parts, in one Panel layout.

    Parameters
    ----------
    shape : tuple of int, optional
        Initial frame size ``(ny, nx)`` in pixels, each side 1..`MAX_SIDE`.
    seed : int, optional
        Initial frame seed (noise and star positions), 0 to `MAX_SEED`;
        ``new noise`` adds 1.
    toggles : dict, optional
        Initial switches by label (`CAMERA_TOGGLES`, `EXPOSURE_TOGGLES`), e.g.
        ``{"flat field": True, "hot pixels": False}``.
    **values
        Initial control values by name, in the units of `ccdsim.core.params.PARAMS`:
        ``bias_level``, ``read_noise``, ``gain``, ``dark_current``,
        ``exposure_time``, ``sky``, ``max_counts``, ``stars``,
        ``cosmic_ray_rate`` (used when cosmic rays are on); the table's
        defaults otherwise.

    Attributes
    ----------
    layout : panel.viewable.Viewable
        What the page (or the notebook) shows.
    state : ccdsim.explorer.state.State
        The frame and what was measured on it; ``frame``, ``camera``,
        ``budget``, ``measured`` and ``mask`` are its attributes.
    controls, display : ccdsim.explorer.views.Controls, ccdsim.explorer.views.Display
        The widgets and the figures; ``sliders``, ``toggles``, ``seed``,
        ``alert``, ``info``, ``budget_pane``, ``thumbs`` and ``thumb_panes``
        are theirs.
    error : str or None
        The message shown for the last invalid input (None when all is well).
    update_seconds : float
        Time the last update took on the server (make, measure, draw).
    updates : int
        Number of frames made so far.
    """

    def __init__(self, shape=EXPLORER_SHAPE, *, seed=1, toggles=None, **values):
        start = Settings.start(shape, seed, toggles, **values)
        self.state = State()
        self.error, self.update_seconds, self.updates = None, float("nan"), 0
        self.controls = Controls(start, fits=self._fits_bytes, png=self._png_bytes)
        self.display = Display()
        c, d = self.controls, self.display
        self.sliders, self.toggles, self.seed, self.alert = c.sliders, c.toggles, c.seed, c.alert
        self.info, self.budget_pane = d.info, d.budget_pane
        self.thumbs, self.thumb_panes = d.thumbs, d.thumb_panes
        self.layout = pn.Row(c.panel(), d.panel(), name="ccdsim explorer")
        c.watch(self.update)
        self.update()

    @property
    def frame(self):
        """The current `ccdsim.Frame`."""
        return self.state.frame

    @property
    def camera(self):
        """The current `ccdsim.Camera`."""
        return self.state.camera

    @property
    def budget(self):
        """The frame's predicted background, a `ccdsim.analysis.budget.Budget`."""
        return self.state.budget

    @property
    def measured(self):
        """The frame's measured background (see `ccdsim.explorer.state.State`)."""
        return self.state.measured

    @property
    def mask(self):
        """The background pixels measured (ndarray of bool)."""
        return self.state.mask

    def update(self, *_):
        """Make a new frame from the controls and redraw everything.

        Parameters
        ----------
        *_ : object
            Ignored: Panel passes the event that called it.

        Returns
        -------
        bool
            True, or False when an input is invalid: then the message is
            shown in the page (`error`) and the last good frame stays.
        """
        t0 = time.perf_counter()
        try:
            self.state.update(self.controls.settings())
            self.display.draw(self.state, self.controls.stretch.value)
        except ParameterError as exc:
            return self._fail(str(exc))
        except Exception as exc:  # never a stack trace in the page; the log keeps it
            log.exception("explorer update failed")
            return self._fail(f"could not make the frame: {type(exc).__name__}: {exc}")
        self.error = None
        self.controls.say(None)
        self.updates += 1
        self.update_seconds = time.perf_counter() - t0
        # Written last, so the page shows it once everything else has arrived.
        self.info.object += (f'<p>update <span data-q="update-count">{self.updates}</span>: '
                             f'<span data-q="update-ms">{1e3 * self.update_seconds:.0f}</span> '
                             f'ms on the server</p>')
        return True

    def _fail(self, message):
        self.error = message
        self.controls.say(message)
        return False

    def _fits_bytes(self):
        """The current frame as FITS bytes: image + TRUTH table."""
        return fits_bytes(self.state.frame)

    def _png_bytes(self):
        """The current frame as a PNG picture with the current stretch."""
        return png_bytes(self.state.frame, self.controls.stretch.value)

    def __panel__(self):
        return self.layout

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.layout._repr_mimebundle_(include, exclude)


def explore(shape=EXPLORER_SHAPE, **values):
    """The explorer's controls and pictures, for a Jupyter notebook.

    Parameters
    ----------
    shape : tuple of int, optional
        Frame size ``(ny, nx)``, each side up to `MAX_SIDE` pixels.
    **values
        Initial control values; see `Explorer`.

    Returns
    -------
    Explorer
        Shown inline when it is the last expression of a cell.
    """
    pn.extension()
    return Explorer(shape, **values)


def serve(*, port=D.port, host=EXPLORER_HOST, show=True, shape=EXPLORER_SHAPE):
    """Serve the explorer until interrupted; each browser tab gets its own `Explorer`.

    Only the app's page, its websocket and the files it loads (from Bokeh's and
    Panel's static folders) are served; no request imports a module. Every
    request, HTTP or websocket, whose ``Host`` (or ``Origin``, when sent) is
    not ``host:port`` is refused with 403; on loopback ``127.0.0.1``,
    ``localhost`` and ``[::1]`` are accepted too. See `ccdsim.explorer.server`.

    Parameters
    ----------
    port : int
        TCP port; 0 picks a free one (the printed address says which).
    host : str
        Address to listen on and that browsers use; 127.0.0.1 (only this
        machine) unless told otherwise; ``::1`` for IPv6 loopback. Any other
        address prints a warning: whoever reaches it can use the explorer.
    show : bool
        Open the default web browser.
    shape : tuple of int
        Initial frame size.
    """
    server.serve({"/": lambda: Explorer(shape).layout}, port=port, host=host, show=show,
                 title="ccdsim explorer")
