"""A camera twin: a user's camera measured from its raw calibration frames (``ccdsim camera fit``).

`fit_camera` reads a folder of biases, darks and flats (``ccdproc`` needed:
``pip install 'ccdsim[twin]'``) and measures, each with its standard error,
what ccdsim simulates: gain and read noise (photon transfer), the bias map,
its drift and jitter, the overscan's level, the dark-current map with glow
and hot pixels, cosmic rays, flats per filter and their cosmetics, the
nonlinearity. `CameraFit.write` writes a camera file
(`ccdsim.camera.camerafile`) that `ccdsim.Camera.from_file` simulates.

Modules: collect (which frame is which), stack (bands of frames combined),
levels (offsets), ptc (photon transfer), amps (several amplifiers: each one's
gain, read noise and bias level, the frames assembled into the detector),
detector (darks, flats, nonlinearity of one data section), dark, flat, cmos,
maps (noise shrunk from maps), model (`CameraFit`), fit (`fit_camera`); the
report package checks a fit (twins: frames simulated like the input; page:
the HTML report).
"""

from ..core.lazy import lazy_exports

__all__ = ["fit_camera", "CameraFit", "simulate_like", "write_report"]

__getattr__, __dir__ = lazy_exports(__name__, {"fit_camera": ".fit", "CameraFit": ".model",
                                               "simulate_like": ".report.twins",
                                               "write_report": ".report.page"})
