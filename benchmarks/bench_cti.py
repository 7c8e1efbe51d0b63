"""How fast ccdsim adds charge-transfer inefficiency, against ArCTIc and the random-number floor.

One command prints the tables::

    python benchmarks/bench_cti.py            # about a minute on 2 cores
    python benchmarks/bench_cti.py --quick    # fewer rounds

Traps everywhere: three species as HST ACS's (densities 0.17, 0.45, 0.38
per pixel, release times 0.74, 7.7, 37 transfers), full well 84700 e-,
power 0.478, no notch. Contenders run interleaved, round after round; we
quote medians and ratios measured in the same run, because shared machines
drift. arcticpy runs on one core (it has no threads); ccdsim is timed on all
cores and on one.

1. One 2000x2000 segment, parallel CTI: a flat of 10,000 e- with 50 stars,
   Poisson-drawn. arcticpy ``express=0`` (every transfer, ArCTIc's exact
   model) would take ~7 minutes: it runs on a strip of 16 columns of full
   height, its time scaled by 125 (columns are independent, so time is linear
   in them); ccdsim's exact model runs on the same strip. Its default
   (``express=1`` with the midpoint) is within 0.3% of the exact model's
   trails (the module's table), arcticpy's ``express=5`` within ~1.4% and
   ``express=1`` within ~7%; ccdsim ``express=1, midpoint=False`` is the same
   algorithm as arcticpy ``express=1``.
2. A 16-amplifier 4k sensor: 16 segments of 2000 + 48 overscan rows by 3
   prescan + 509 + 64 overscan columns, a flat of 10,000 e- with 30 stars a
   segment, Poisson-drawn; parallel then serial CTI (three species each,
   the default express) of every segment, against the floor of that frame:
   one Poisson and one normal deviate per data pixel (16 x 2000 x 509),
   numpy Generators, one per segment, on all cores.
"""

import argparse
import importlib.metadata
import os
import platform
import statistics
import time
from concurrent.futures import ThreadPoolExecutor

import arcticpy
import numpy as np
from bench_frame import table  # same folder: one table format for all

from ccdsim.physics.transfer.cti import TrapSpecies, WellFill, add_cti

TRAPS = [TrapSpecies(0.17, 0.74), TrapSpecies(0.45, 7.7), TrapSpecies(0.38, 37.0)]
WELL = WellFill(84700.0, 0.0, 0.478)
SIDE, STRIP, LEVEL = 2000, 16, 10_000.0
SEG_ROWS, SEG_DATA_ROWS, PRESCAN, SEG_DATA_COLS, SEG_COLS = 2048, 2000, 3, 509, 576


def stars(shape, n, rng, rows=None, cols=None):
    """``n`` Gaussian stars (sigma 2 px, 1e3 to 1e6 e-) in ``rows`` x ``cols`` of ``shape``."""
    img = np.zeros(shape)
    rows = rows or (0, shape[0])
    cols = cols or (0, shape[1])
    y, x = np.mgrid[-8:9, -8:9]
    psf = np.exp(-0.5 * (x * x + y * y) / 4.0)
    psf /= psf.sum()
    for _ in range(n):
        r = rng.integers(rows[0] + 8, rows[1] - 8)
        c = rng.integers(cols[0] + 8, cols[1] - 8)
        img[r - 8:r + 9, c - 8:c + 9] += 10 ** rng.uniform(3, 6) * psf
    return img


def frame(rng):
    """The 2000x2000 segment: a flat with 50 stars, Poisson-drawn."""
    return rng.poisson(LEVEL + stars((SIDE, SIDE), 50, rng)).astype(np.float64)


def sensor(rng):
    """16 segments in read-out order, each Poisson-drawn; empty prescan and overscans."""
    out = []
    for _ in range(16):
        seg = np.zeros((SEG_ROWS, SEG_COLS))
        data = (slice(0, SEG_DATA_ROWS), slice(PRESCAN, PRESCAN + SEG_DATA_COLS))
        seg[data] = LEVEL
        seg += stars(seg.shape, 30, rng, (0, SEG_DATA_ROWS), (PRESCAN, PRESCAN + SEG_DATA_COLS))
        out.append(rng.poisson(seg).astype(np.float64))
    return out


def arctic(image, express):
    return arcticpy.add_cti(
        image, parallel_roe=arcticpy.ROE(), parallel_express=express, verbosity=0,
        parallel_ccd=arcticpy.CCD(full_well_depth=WELL.full_well, well_notch_depth=WELL.notch,
                                  well_fill_power=WELL.power),
        parallel_traps=[arcticpy.TrapInstantCapture(t.density, t.release_time) for t in TRAPS])


def floor(seed):
    """One Poisson and one normal deviate per data pixel of the sensor, all cores."""
    ss = np.random.SeedSequence(seed)
    out = np.empty((16, SEG_DATA_ROWS, SEG_DATA_COLS), dtype=np.float32)

    def segment(i):
        rng = np.random.default_rng(np.random.SeedSequence(ss.entropy, spawn_key=(i,)))
        e = rng.poisson(LEVEL, size=out.shape[1:]).astype(np.float32)
        e += rng.standard_normal(e.shape, dtype=np.float32) * np.float32(5.0)
        out[i] = e

    with ThreadPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(segment, range(16)))
    return out


def interleaved(funcs, rounds):
    """Median seconds of each function, running them in turn, round after round."""
    times = {name: [] for name in funcs}
    for f in funcs.values():  # warm-up: compilation, caches
        f()
    for _ in range(rounds):
        for name, f in funcs.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds")
    ap.add_argument("--rounds", type=int, default=None)
    args = ap.parse_args()
    rounds = args.rounds or (2 if args.quick else 5)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.processor() or ''}"
          f" Python {platform.python_version()}, numpy {np.__version__}, arcticpy "
          f"{importlib.metadata.version('arcticpy-no-gsl')}")
    print(f"rounds: {rounds} (interleaved; medians)\n")
    rng = np.random.default_rng(2026)
    img = frame(rng)
    strip = np.ascontiguousarray(img[:, :STRIP])
    scale = SIDE / STRIP
    par = dict(parallel=TRAPS, well=WELL)
    funcs = {
        "arcticpy express=0 (strip x125)": lambda: arctic(strip, 0),
        "arcticpy express=5": lambda: arctic(img, 5),
        "arcticpy express=1": lambda: arctic(img, 1),
        "ccdsim express=0 (strip x125)": lambda: add_cti(strip, express=0, **par),
        "ccdsim default, all cores": lambda: add_cti(img, **par),
        "ccdsim default, 1 thread": lambda: add_cti(img, threads=1, **par),
        "ccdsim express=1 no midpoint, 1 thread": lambda: add_cti(img, midpoint=False,
                                                                 threads=1, **par),
    }
    med = interleaved(funcs, max(1, rounds // 2))
    med = {k: v * (scale if "strip" in k else 1.0) for k, v in med.items()}
    base = med["ccdsim default, all cores"]
    print(f"Parallel CTI of a {SIDE}x{SIDE} segment (flat {LEVEL:,.0f} e- + 50 stars, Poisson),"
          " three species")
    table([(n, f"{t:.3f}", f"{t / base:.1f}") for n, t in med.items()],
          ["contender", "median s (strips scaled)", "x ccdsim default"])

    segs = sensor(rng)
    both = dict(parallel=TRAPS, serial=TRAPS, well=WELL)
    funcs = {"floor (16 x 2000 x 509 Poisson + normal, all cores)": lambda: floor(1),
             "ccdsim CTI, 16 segments, all cores": lambda: [add_cti(s, **both) for s in segs],
             "ccdsim CTI, 16 segments, express=1 no midpoint":
                 lambda: [add_cti(s, midpoint=False, **both) for s in segs]}
    sm = interleaved(funcs, rounds)
    fl = sm["floor (16 x 2000 x 509 Poisson + normal, all cores)"]
    print("A 16-amplifier 4k sensor: parallel + serial CTI, three species each way, "
          f"segments of {SEG_ROWS}x{SEG_COLS}")
    table([(n, f"{t * 1e3:.0f}", f"{t / fl:.2f}") for n, t in sm.items()],
          ["contender", "median ms", "x floor"])

    exact = med["arcticpy express=0 (strip x125)"]
    vs_floor = sm["ccdsim CTI, 16 segments, all cores"] / fl
    same = med["arcticpy express=1"] / med["ccdsim express=1 no midpoint, 1 thread"]
    checks = [  # (target, measured, met: None where there is no target)
        ("arcticpy express=0 / ccdsim default (all cores) >= 50", exact / base,
         exact / base >= 50),
        ("arcticpy express=0 / ccdsim default (1 thread) >= 50",
         exact / med["ccdsim default, 1 thread"], exact / med["ccdsim default, 1 thread"] >= 50),
        ("arcticpy express=5 / ccdsim default (all cores), ccdsim the more accurate",
         med["arcticpy express=5"] / base, None),
        ("arcticpy express=1 / ccdsim express=1 no midpoint (1 thread), same algorithm",
         same, None),
        ("4k sensor: CTI / floor < 1 (the aim: well under)", vs_floor, vs_floor < 1),
    ]
    print("Targets")
    table([(n, f"{v:.2f}", {None: "", True: "met", False: "NOT met"}[ok]) for n, v, ok in checks],
          ["target", "measured", ""])


if __name__ == "__main__":
    main()
