"""How fast a frame of the 16-amplifier sensor is made, against the random-number floor.

One command prints the table::

    python benchmarks/bench_readout.py            # about a minute on 2 cores
    python benchmarks/bench_readout.py --rounds 3

The frame: the named camera ``sixteen-amp`` (4000 x 4072 pixels read by
2 x 8 amplifiers, 4096 x 4608 read out with prescan and overscans), a
science exposure of 30 s with a sky of 200 ADU and 50 stars, with its
crosstalk, CTI (three trap species each way, parallel and serial) and
brighter-fatter; then the same frame with each of those off, to show what
each costs. The floor draws one Poisson and one normal deviate for every
pixel read out, at the frame's mean charge, one Generator per 128-row block
on all cores: the least any simulator drawing that noise can do. All run
interleaved, round after round; medians and ratios come from the same run.
CTI alone against ArCTIc (``arcticpy.add_cti``) is `bench_cti.py`.
"""

import argparse
import os
import platform
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from bench_frame import interleaved, table

SKY, EXPTIME, STARS, MAXC = 200.0, 30.0, 50, 30000.0  # ADU, s, stars, ADU peak
TARGET = 3.0  # the whole read-out chain on, / floor


def floor(seed, shape, lam):
    """One Poisson (mean ``lam``) and one normal draw per pixel, threaded over row blocks."""
    ss = np.random.SeedSequence(seed)
    out = np.empty(shape, dtype=np.float32)

    def block(args):
        b, r0 = args
        rng = np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(b,)))
        r1 = min(r0 + 128, shape[0])
        e = rng.poisson(lam, size=(r1 - r0, shape[1])).astype(np.float32)
        e += rng.standard_normal(e.shape, dtype=np.float32) * np.float32(6.0)
        out[r0:r1] = e

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(block, enumerate(range(0, shape[0], 128))))
    return out


def main():
    from ccdsim import Camera
    from ccdsim.camera.named import camera_parameters

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''}"
          f" Python {platform.python_version()}, numpy {np.__version__}")
    print(f"rounds: {args.rounds} (interleaved; medians)\n")

    full = camera_parameters("sixteen-amp")
    off = {"no CTI": dict(cti_parallel_density=(), cti_parallel_release=(),
                          cti_serial_density=(), cti_serial_release=()),
           "no brighter-fatter": dict(brighter_fatter=0.0),
           "no crosstalk": dict(crosstalk=())}
    cameras = {"every effect": Camera(**full),
               **{name: Camera(**{**full, **change}) for name, change in off.items()}}
    for cam in cameras.values():  # defect maps and compiled loops, once
        cam.expose(1.0, rng=0)
    cam = cameras["every effect"]
    lam = SKY * cam.gain + cam.dark_current * EXPTIME
    shape = cam.readout_shape
    funcs = {"floor": lambda s: floor(s, shape, lam)}
    for name, c in cameras.items():
        funcs[name] = lambda s, c=c: c.expose(EXPTIME, sky=SKY, stars=STARS, max_counts=MAXC,
                                              rng=s)
    med = interleaved(funcs, args.rounds)
    base = med["floor"]
    print(f"The 16-amplifier sensor: {shape[0]}x{shape[1]} read out, sky {SKY:g} ADU, "
          f"{STARS} stars")
    table([(n, f"{t * 1e3:.0f}", f"{t / base:.2f}") for n, t in med.items()],
          ["frame", "median ms", "x floor"])
    ratio = med["every effect"] / base
    table([(f"16 amplifiers, crosstalk, CTI (3 species each way), brighter-fatter / floor "
            f"<= {TARGET:g}", f"{ratio:.2f}", "met" if ratio <= TARGET else "NOT met")],
          ["target", "measured", ""])


if __name__ == "__main__":
    t0 = time.perf_counter()
    main()
    print(f"({time.perf_counter() - t0:.0f} s)")
