"""How fast a full-frame CMOS frame is made, against the random-number floor, and its memory.

One command prints the table::

    python benchmarks/bench_cmos.py             # about a minute on 2 cores
    python benchmarks/bench_cmos.py --rounds 3

The frame: the named camera ``cmos-full-frame`` (9576 x 6388 pixels, IMX455
class) with every CMOS effect it has on (per-column gain, pixel offsets,
column offsets, row noise and RTS pixels drawn per frame, the hot-pixel
population, PRNU, cosmic rays and the full well), a science exposure of 30 s
on a sky of 100 ADU with 50 stars; then the same frame with the CMOS effects
off, to show what they cost. The floor draws one Poisson and one normal
deviate for every pixel at the frame's mean charge, one Generator per
128-row block on all cores (`bench_readout.floor`): the least any simulator
drawing that noise can do. All run interleaved, round after round; medians
and ratios come from the same run.

Memory: the peak resident memory (VmHWM) of a fresh process that makes the
camera and two frames, less that process's after its imports, against the
frame's bytes in float32.
"""

import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

from bench_frame import interleaved, table
from bench_readout import floor

SKY, EXPTIME, STARS = 100.0, 30.0, 50  # ADU, s, stars
TARGET, MEMORY_TARGET = 1.3, 3.0  # / floor; / the frame's float32 bytes
CMOS_EFFECTS = dict(bias_pixel_rms=0.0, column_gain_rms=0.0, row_noise=0.0, rts_fraction=0.0,
                    bias_column_rms=0.0)


def peak_memory_mb():
    """(imports, peak) VmHWM in MB of a fresh process making the camera and two frames."""
    code = (
        "import ccdsim, numpy as np;"
        "from ccdsim.camera.named import camera_parameters;"
        "hwm = lambda: [int(l.split()[1]) for l in open('/proc/self/status')"
        " if l.startswith('VmHWM')][0] / 1024;"
        "ccdsim.Camera(shape=(64, 64)).expose(1.0, rng=0); base = hwm();"
        "cam = ccdsim.Camera(**camera_parameters('cmos-full-frame'));"
        f"frame = cam.expose({EXPTIME}, sky={SKY}, stars={STARS}, rng=1); del frame;"
        f"frame = cam.expose({EXPTIME}, sky={SKY}, stars={STARS}, rng=2);"
        "print(base, hwm())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    base, peak = map(float, out.stdout.split())
    return base, peak


def main():
    from ccdsim import Camera
    from ccdsim.camera.named import camera_parameters

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''}"
          f" Python {platform.python_version()}, numpy {np.__version__}")
    print(f"rounds: {args.rounds} (interleaved; medians)\n")

    full = camera_parameters("cmos-full-frame")
    cameras = {"every CMOS effect": Camera(**full),
               "CMOS effects off": Camera(**{**full, **CMOS_EFFECTS})}
    for cam in cameras.values():  # maps and compiled loops, once
        cam.expose(1.0, rng=0)
    cam = cameras["every CMOS effect"]
    lam = SKY * cam.gain + cam.dark_current * EXPTIME
    shape = cam.readout_shape
    funcs = {"floor": lambda s: floor(s, shape, lam)}
    for name, c in cameras.items():
        funcs[name] = lambda s, c=c: c.expose(EXPTIME, sky=SKY, stars=STARS, rng=s)
    med = interleaved(funcs, args.rounds)
    base = med["floor"]
    print(f"cmos-full-frame: {shape[0]}x{shape[1]}, sky {SKY:g} ADU, {STARS} stars")
    table([(n, f"{t * 1e3:.0f}", f"{t / base:.2f}") for n, t in med.items()],
          ["frame", "median ms", "x floor"])
    frame_mb = shape[0] * shape[1] * 4 / 2**20
    imports, peak = peak_memory_mb()
    table([("after imports", f"{imports:.0f}", ""),
           ("peak, camera and two frames", f"{peak:.0f}", ""),
           ("peak less imports", f"{peak - imports:.0f}", f"{(peak - imports) / frame_mb:.2f}")],
          ["resident memory (VmHWM)", "MB", "x frame in float32"])
    ratio = med["every CMOS effect"] / base
    mem = (peak - imports) / frame_mb
    table([(f"every CMOS effect / floor <= {TARGET:g}", f"{ratio:.2f}",
            "met" if ratio <= TARGET else "NOT met"),
           (f"peak memory less imports / frame in float32 ({frame_mb:.0f} MB) "
            f"<= {MEMORY_TARGET:g}", f"{mem:.2f}", "met" if mem <= MEMORY_TARGET else "NOT met")],
          ["target", "measured", ""])


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s)")
