"""The explorer: move a slider, see what each source of counts does to a frame.

Built on Panel (``pip install 'ccdsim[explorer]'``); only this package
imports it, and `ccdsim.explorer.state` and `ccdsim.explorer.text` do not.
The same `Explorer` object is served by ``ccdsim explore`` and shown inline in
Jupyter by `ccdsim.explore`. Every frame is made by `Camera.expose`, so the
explorer shows exactly what the library makes; the noise budget comes from
`ccdsim.analysis.budget`, the component view from `ccdsim.analysis.decompose`, every control's
label, unit, default and allowed range from `ccdsim.core.params.PARAMS`.

- `ccdsim.explorer.state`: the logic, without Panel: controls' values ->
  checked parameters -> the frame, its measurement, budget and parts;
- `ccdsim.explorer.text`: the HTML describing them;
- `ccdsim.explorer.views`: the Panel widgets and Bokeh figures;
- `ccdsim.explorer.app`: `Explorer`, `explore` and `serve`, tying them together;
- `ccdsim.explorer.server`: serving to this machine's browser only.

Safety: the page only sends parameter values; the app never reads or writes
files, and downloads are generated in memory from the current frame.
"""

from .app import Explorer, explore, serve
from .state import CAMERA_TOGGLES, EXPOSURE_TOGGLES, MAX_SIDE
# Importable from here as before the split (limits and display sizes).
from .state import MAX_COSMIC_RAYS, MAX_SEED, MAX_STARS
from .text import THUMB_SIDE
from .views import DISPLAY_SIDE, SIZES, STRETCHES

__all__ = ["Explorer", "explore", "serve", "MAX_SIDE", "CAMERA_TOGGLES", "EXPOSURE_TOGGLES"]
