"""How long ``ccdsim dataset guide`` takes to write, against making the same frames in memory.

One command prints the table::

    python benchmarks/bench_dataset.py              # the full-size guide data set, minutes
    python benchmarks/bench_dataset.py --scale 4    # 1/4 size per side, quick

Contenders, each a fresh Python process, run interleaved round after round:

memory   every frame of the plan made (`ccdsim.plans.make.run_frame`) and dropped:
         the least any writer of these frames can cost
dataset  ``ccdsim dataset guide OUTDIR``: the same frames made and written (FITS with
         checksums, bzip2 for the single files), the truth maps and the manifest

We quote medians, their ratio (the target: dataset <= 1.3 x memory: writing overlaps
making rather than adding to it) and each process's peak resident memory (the
target: under 4 GB), as the operating system reports it for that child alone.
"""

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

MEMORY = """
import sys
from ccdsim.plans.file import load_plan
from ccdsim.plans.make import run_frame
plan = load_plan("guide", scale=int(sys.argv[1]))
for i in range(len(plan.frames)):
    run_frame(plan, i)
"""


def timed(argv):
    """Wall time (s) and peak resident memory (MB) of one child process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(argv)}")
    return elapsed, usage.ru_maxrss / 1024  # kB on Linux


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=int, default=1, help="divide the data sections (default 1)")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds (default 1)")
    args = ap.parse_args()
    times = {"memory": [], "dataset": []}
    peaks = {"memory": [], "dataset": []}
    work = tempfile.mkdtemp(prefix="bench-dataset-")
    try:
        for r in range(args.rounds):
            t, m = timed([sys.executable, "-c", MEMORY, str(args.scale)])
            times["memory"].append(t)
            peaks["memory"].append(m)
            out = os.path.join(work, f"round{r}")
            t, m = timed([sys.executable, "-m", "ccdsim", "dataset", "guide", out,
                          "--scale", str(args.scale), "--quiet"])
            times["dataset"].append(t)
            peaks["dataset"].append(m)
            shutil.rmtree(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"ccdsim dataset guide --scale {args.scale}: {args.rounds} round(s) on "
          f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    base = statistics.median(times["memory"])
    print(f"{'contender':<10} {'median s':>9} {'x memory':>9} {'peak MB':>8}")
    for name in times:
        med = statistics.median(times[name])
        print(f"{name:<10} {med:9.1f} {med / base:9.2f} {max(peaks[name]):8.0f}")
    ratio = statistics.median(times["dataset"]) / base
    print(f"\ndataset / memory <= 1.3: {ratio:.2f} "
          f"{'met' if ratio <= 1.3 else 'NOT met'}; peak memory < 4096 MB: "
          f"{max(peaks['dataset']):.0f} {'met' if max(peaks['dataset']) < 4096 else 'NOT met'}")


if __name__ == "__main__":
    main()
