"""The physics: one module per effect, pure functions of arrays, numbers and a
read-only camera (never a plan, an exposure or a frame).

`STEPS` (`ccdsim.physics.steps`) is the order a camera works in, as data.
"""

from ..core.lazy import lazy_exports

_EXPORTS = {"STEPS": ".steps", "Step": ".steps"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
