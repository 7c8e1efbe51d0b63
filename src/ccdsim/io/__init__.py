"""Files: FITS frames and truth, files written whole or not at all, TOML, pictures.

The names of the former ``ccdsim.io`` module are importable from here.
"""

from ..core.lazy import lazy_exports

_EXPORTS = {"frame_header": ".fits", "frame_hdulist": ".fits", "write_hdulist": ".fits",
            "remove_stale_temporaries": ".fits", "atomic_path": ".files",
            "check_writable": ".files"}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
