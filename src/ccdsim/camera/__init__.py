"""The camera: its identity (`Camera`), its fixed maps (`maps`), the named
cameras (`named`) and a frame pointed at the sky (`pointed`).
"""

from ..core.lazy import lazy_exports

_EXPORTS = {"Camera": ".camera", "Exposure": ".camera"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
