"""Running many independent tasks: here, on a local Dask cluster, or on a scheduler.

Every task is a pure function of a plan and an index: its random numbers
come from a SeedSequence child keyed by that index, so serial, local and
remote runs write the same pixels whatever the order or the worker.
"""

import logging
import sys
from contextlib import contextmanager

from ..core.extras import require
from ..core.validate import ParameterError, check_int
from ..io.files import sweep_temporaries

__all__ = ["run_tasks", "write_frames", "check_execution", "dask_client"]


_DASK_FEATURE = "--workers and --scheduler"


def _distributed():
    return require("dask.distributed", "dask", _DASK_FEATURE)


def check_execution(workers=None, scheduler=None):
    """Validate the execution choice before anything is written (raises ParameterError).

    Parameters
    ----------
    workers : int, optional
        Local worker processes, 1..256.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:port``); excludes
        ``workers``.

    Raises
    ------
    ParameterError
        A bad value, an unreachable scheduler, or Dask not installed while
        ``workers`` or ``scheduler`` is given (`ccdsim.core.extras.MissingExtra`).
    """
    if workers is not None and scheduler is not None:
        raise ParameterError("--workers and --scheduler exclude each other")
    if workers is not None:
        check_int("workers", workers, low=1, high=256)
    if workers is not None or scheduler is not None:
        _distributed()
    if scheduler is None:
        return
    scheme, _, rest = str(scheduler).partition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "tls") or not host or not port.isdigit():
        raise ParameterError("scheduler must be an address like tcp://host:port "
                             f"(got {scheduler!r})")
    # Before anything is written: is anyone listening there?
    import socket

    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=5).close()
    except OSError as exc:
        raise ParameterError(f"cannot reach the scheduler at {scheduler} "
                             f"({exc.strerror or type(exc).__name__})") from None


@contextmanager
def dask_client(workers=None, scheduler=None):
    """A dask.distributed Client for the duration (None when neither is given).

    With ``workers``, a local cluster of single-threaded worker processes on
    127.0.0.1; with ``scheduler``, a connection to that address. While the
    client is open, ``dask.compute`` runs on it.

    Parameters
    ----------
    workers : int, optional
        Local worker processes.
    scheduler : str, optional
        Address of a running Dask scheduler.

    Yields
    ------
    dask.distributed.Client or None
    """
    if workers is None and scheduler is None:
        yield None
        return
    distributed = _distributed()
    Client, LocalCluster = distributed.Client, distributed.LocalCluster
    cluster = None
    if workers is not None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               silence_logs=logging.ERROR)
    try:
        try:
            client = Client(cluster if cluster is not None else scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            where = (f"the scheduler at {scheduler}" if cluster is None
                     else "the local Dask cluster")
            raise ParameterError(f"cannot reach {where} ({type(exc).__name__})") from None
        with client:
            yield client
    finally:
        if cluster is not None:
            cluster.close()


def _progress(total, desc, enabled):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="frame", file=sys.stderr,
                disable=not enabled or total == 0, leave=False)


def run_tasks(func, items, *, workers=None, scheduler=None, progress=True, desc="frames"):
    """Call ``func(item)`` for every item and return the results in item order.

    Parameters
    ----------
    func : callable
        A picklable, pure function of one item.
    items : sequence
        Its arguments.
    workers : int, optional
        Run on a local Dask cluster of this many single-threaded worker
        processes, bound to 127.0.0.1.
    scheduler : str, optional
        Address of a running dask.distributed scheduler (``tcp://host:port``).
    progress : bool, optional
        Show a progress bar on standard error.
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    list
        ``func(item)`` for each item, in order.

    Notes
    -----
    With neither ``workers`` nor ``scheduler`` the tasks run here, one after
    the other. On Dask, a task whose worker dies is run again elsewhere (the
    scheduler's own retry); tasks write their files atomically, so a dead
    worker leaves no partial file behind.
    """
    items = list(items)
    bar = _progress(len(items), desc, progress)
    try:
        if workers is None and scheduler is None:
            out = []
            for item in items:
                out.append(func(item))
                bar.update()
            return out
        with dask_client(workers, scheduler) as client:
            from dask.distributed import as_completed

            futures = client.map(func, items, pure=False)
            index = {f.key: i for i, f in enumerate(futures)}
            results = [None] * len(items)
            for fut in as_completed(futures):
                results[index[fut.key]] = fut.result()
                bar.update()
            return results
    finally:
        bar.close()


def _write(frame, path, overwrite, history, layout="assembled"):
    """Write a frame atomically with the run's HISTORY lines, in the plan's layout."""
    for line in history:
        frame.header.add_history(line)
    return frame.write(path, overwrite=overwrite, layout=layout)


def _write_task(task):
    """Make frame ``index`` of a plan and write it atomically (module level: picklable)."""
    make, plan, index, path, overwrite, threads, history = task
    return _write(make(plan, index, threads=threads), path, overwrite, history,
                  getattr(plan, "layout", "assembled"))


def _write_here(tasks, progress, desc):
    """Make each frame here while the previous one is written (one writer thread).

    Writing (FITS encoding, checksums, compression, the disk) then costs
    little more than making: both release the GIL. At most two frames are
    held: the one being written and the one being made.
    """
    from concurrent.futures import ThreadPoolExecutor

    bar = _progress(len(tasks), desc, progress)
    written, pending = [], None
    try:
        with ThreadPoolExecutor(1) as pool:
            for make, plan, index, path, overwrite, threads, history in tasks:
                frame = make(plan, index, threads=threads)
                layout = getattr(plan, "layout", "assembled")
                if pending is not None:
                    written.append(pending.result())
                    bar.update()
                pending = pool.submit(_write, frame, path, overwrite, history, layout)
            if pending is not None:
                written.append(pending.result())
                bar.update()
        return written
    finally:
        bar.close()


def write_frames(make, plan, jobs, *, overwrite=False, threads=None, workers=None,
                 scheduler=None, progress=False, history=(), desc="frames"):
    """Make frames of a plan and write each to its file: the one way nights and batches run.

    Frame ``i`` is ``make(plan, i, threads=...)``, a pure function of the plan
    and the index, so it is the same here (threads share each frame's row
    blocks) or on Dask (one frame per single-threaded worker). Every file is
    written atomically; the temporaries of a worker that died mid-write (or
    of a run stopped by Ctrl-C) are removed at the end, since Dask has made
    those frames again or the next run will.

    Parameters
    ----------
    make : callable
        ``make(plan, index, threads=None)`` -> `ccdsim.Frame`; module level,
        so Dask can send it to a worker.
    plan : object
        The plan (picklable).
    jobs : sequence of (int, str)
        ``(index, path)`` of each frame to make.
    overwrite : bool, optional
        Replace existing files.
    threads : int, optional
        Threads per frame when run here; never changes the pixels.
    workers, scheduler : optional
        Where to run (see `run_tasks`).
    progress : bool, optional
        Show a progress bar on standard error.
    history : sequence of str, optional
        HISTORY lines for every frame (the effective configuration).
    desc : str, optional
        Label of the progress bar.

    Returns
    -------
    list of str
        The paths written, in the order of ``jobs``.
    """
    local = workers is None and scheduler is None
    tasks = [(make, plan, index, path, overwrite, threads if local else 1, tuple(history))
             for index, path in jobs]
    try:
        if local:
            return _write_here(tasks, progress, desc)
        return run_tasks(_write_task, tasks, workers=workers, scheduler=scheduler,
                         progress=progress, desc=desc)
    finally:
        # Temporaries of writers that died (a worker killed mid-write, Ctrl-C).
        sweep_temporaries([path for _, path in jobs])
