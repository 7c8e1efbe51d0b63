"""Frames per second on Dask workers, and a frame larger than memory.

One command prints the tables::

    python benchmarks/bench_scale.py            # about 3 minutes on 2 cores
    python benchmarks/bench_scale.py --quick    # fewer frames, a 10000x10000 big frame

Each run is a fresh ``ccdsim`` process, as a user would start it, timed from
outside; the configurations take turns, round after round, and we quote
medians. Peak memory is the process tree's largest resident set (the
workers are separate processes: each is counted on its own).
"""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from bench_frame import table  # same folder: one table format for both


def ccdsim(*args):
    return [sys.executable, "-m", "ccdsim", *args]


def _tree_rss_mb(pid):
    """Resident memory (MB) of ``pid`` and of its largest descendant."""
    def rss(p):
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def children(p):
        try:
            with open(f"/proc/{p}/task/{p}/children") as f:
                return [int(c) for c in f.read().split()]
        except OSError:
            return []

    stack, peak = [pid], 0.0
    while stack:
        p = stack.pop()
        peak = max(peak, rss(p))
        stack += children(p)
    return peak


def timed(cmd):
    """Wall seconds of a command and the peak RSS (MB) of its largest process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak = [0.0]

    def watch():
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))
            time.sleep(0.05)

    w = threading.Thread(target=watch)
    w.start()
    _, err = proc.communicate()
    w.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed: {err.strip()[-500:]}")
    return time.perf_counter() - t0, peak[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n = 8 if args.quick else 24
    rounds = 2 if args.quick else 3
    side = 10000 if args.quick else 20000
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}\n")

    with tempfile.TemporaryDirectory(dir=".") as tmp:
        runs = {"serial (threads)": [], "1 worker": ["--workers", "1"],
                "2 workers": ["--workers", "2"]}
        times = {k: [] for k in runs}
        for r in range(rounds):
            for name, extra in runs.items():
                out = os.path.join(tmp, f"{name.replace(' ', '_')}_{r}")
                t, _ = timed(ccdsim("batch", out, "--n", str(n), "--quiet", *extra))
                times[name].append(t)
        print(f"Batch of {n} frames of 2000x2000 (the guide's frame), whole command")
        base = statistics.median(times["serial (threads)"])
        table([(name, f"{statistics.median(t):.1f}", f"{n / statistics.median(t):.2f}",
                f"{base / statistics.median(t):.2f}") for name, t in times.items()],
              ["run", "median s", "frames/s", "x serial"])

        out = os.path.join(tmp, "big.fits")
        t, peak = timed(ccdsim("image", out, "--shape", str(side), str(side), "--chunks",
                               "--seed", "1", "--quiet"))
        size = os.path.getsize(out) / 2**30
        print(f"A {side}x{side} frame with --chunks (bands of 1024 rows)")
        table([(f"{side}x{side}", f"{t:.1f}", f"{peak:.0f}", f"{size:.2f}",
                f"{side * side * 2 / 2**20:.0f}")],
              ["frame", "wall s", "peak RSS MB", "file GiB", "uint16 frame MB"])


if __name__ == "__main__":
    main()
