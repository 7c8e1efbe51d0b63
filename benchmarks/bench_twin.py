"""Fitting the guide's thermo-electric data set against making it: ``ccdsim camera fit`` speed.

Each round makes the guide's data set (``ccdsim dataset guide OUT``, both
cameras, full size) and fits its thermo-electric folder (``ccdsim camera
fit OUT/example-thermo-electric``), each in its own process, one after the
other (rounds interleave them). Prints wall times, their ratio and each
process's own peak resident memory (its VmHWM from ``/proc/self/status``,
read by the process itself at its end: the fit's peak, not the largest of
all children so far).

    python benchmarks/bench_twin.py [--rounds N] [--scale S] [--workdir DIR]
"""

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: ``ccdsim ARGS`` in a fresh process that prints its own VmHWM (kB) last, on stderr.
CCDSIM = [sys.executable, "-c",
          "import sys; from ccdsim.cli import main; rc = main(sys.argv[1:]); "
          "print('VmHWM', [l.split()[1] for l in open('/proc/self/status') "
          "if l.startswith('VmHWM')][0], file=sys.stderr); sys.exit(rc)"]


def timed(argv):
    """Wall seconds and the peak resident memory (MB) of one fresh process."""
    t = time.perf_counter()
    out = subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    wall = time.perf_counter() - t
    peak = [line.split()[1] for line in out.stderr.splitlines() if line.startswith("VmHWM")]
    return wall, int(peak[-1]) / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--scale", type=int, default=1)
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="bench-twin-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for r in range(args.rounds):
        out = work / f"guide-{r}"
        shutil.rmtree(out, ignore_errors=True)
        make, make_mb = timed(CCDSIM + ["dataset", "guide", str(out), "--quiet", "--seed", "1",
                                        "--scale", str(args.scale)])
        fit, fit_mb = timed(CCDSIM + ["camera", "fit", str(out / "example-thermo-electric"),
                                      "-o", str(work / f"thermo-{r}.toml"), "--quiet",
                                      "--overwrite"])
        rows.append((r + 1, make, fit, fit / make, make_mb, fit_mb))
        shutil.rmtree(out, ignore_errors=True)
    print(f"guide data set at scale {args.scale}: make (both cameras) vs fit (thermo-electric)")
    print("| round | make (s) | fit (s) | fit / make | make's peak (MB) | fit's peak (MB) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for r, make, fit, ratio, make_mb, fit_mb in rows:
        print(f"| {r} | {make:.1f} | {fit:.1f} | {ratio:.2f} | {make_mb:.0f} | {fit_mb:.0f} |")


if __name__ == "__main__":
    main()
