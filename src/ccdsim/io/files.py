"""Writing files safely: whole or absent, never overwritten silently, never mixed.

- `atomic_path`: write to a hidden temporary beside the file, then move it
  into place; the temporary's name says which process wrote it
  (``.NAME.HOST-PID-RANDOM.part``), so a later run can tell a dead writer's
  leftovers from a live writer's file.
- `sweep_temporaries`: remove the leftovers of writers that are gone.
- `folder_lock`: one run at a time writes a folder of many files (a night,
  a batch), so two runs can never delete each other's temporaries.
- `check_outdir`, `check_output_folder`, `check_free_space`: refuse up front
  what could only fail later (no such folder, not writable, a full disk).
"""

import errno
import os
import re
import secrets
import shutil
import socket
from contextlib import contextmanager

from ..core.validate import ParameterError

__all__ = ["atomic_path", "check_writable", "check_outdir", "check_output_folder",
           "check_free_space", "folder_lock", "sweep_temporaries", "scratch_path", "OutputError",
           "describe_os_error"]

class OutputError(ParameterError):
    """An output cannot be written (the message names the user's path).

    Parameters
    ----------
    message : str
        The message, naming the path.
    param : str, optional
        The parameter it is about (``output``, ``outdir``).
    spelled : str, optional
        How ``message`` spells it (see `ccdsim.ParameterError`).
    """


_HOST = "".join(c if c.isalnum() else "_" for c in socket.gethostname())[:40] or "host"


def _errno(exc):
    """The errno of ``exc`` or of the error it wraps (astropy and numpy re-raise without one)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, OSError) and exc.errno:
            return exc.errno
        exc = exc.__cause__ or exc.__context__
    return None


# What astropy (``Not enough space on disk: requested N, available M``) and numpy's
# ``tofile`` (``N requested and M written``: a short write) say, without an errno,
# when the disk fills.
_DISK_FULL = re.compile(r"Not enough space on disk|No space left on device"
                        r"|\b\d+ requested and \d+ written")


def describe_os_error(exc):
    """One line for an OSError, in words users know.

    Parameters
    ----------
    exc : OSError
        The error (or one that wraps it).

    Returns
    -------
    str
    """
    code = _errno(exc)
    if code == errno.ENOSPC or (code is None and _DISK_FULL.search(str(exc))):
        return "the disk is full"
    if code == errno.EROFS:
        return "the file system is read-only"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.EDQUOT:
        return "the disk quota is exceeded"
    if code == errno.EFBIG:
        return "the file is too large for the file system"
    if code is not None:
        return os.strerror(code)
    # One line, whatever a library put in the message.
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def check_writable(path, overwrite=False, name="output"):
    """Refuse early: an existing file without ``overwrite``, a folder missing or unwritable.

    Parameters
    ----------
    path : str or os.PathLike
        File about to be written.
    overwrite : bool, optional
        Whether an existing file may be replaced.
    name : str, optional
        What the file is, for the error message.

    Raises
    ------
    FileExistsError, FileNotFoundError, IsADirectoryError, OutputError
    """
    path = os.fspath(path)
    if not path:
        raise OutputError(f"{name} must be a file name (got an empty one)", param=name)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{name} {path} is a directory")
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"{name} {path} exists (use --overwrite / overwrite=True)")
    check_output_folder(os.path.dirname(os.path.abspath(path)), name)


def check_output_folder(folder, name="output"):
    """Refuse a folder that does not exist or cannot take a new file (tried, not guessed).

    Parameters
    ----------
    folder : str
        The folder.
    name : str, optional
        What is written there, for the error message.

    Raises
    ------
    FileNotFoundError, OutputError
    """
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{name} folder {folder} does not exist")
    # Permission bits say nothing for root or on a read-only mount: try it.
    probe = os.path.join(folder, f".ccdsim-probe.{_HOST}-{os.getpid()}-{secrets.token_hex(4)}")
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise OutputError(f"{name} folder {folder} cannot be written: {describe_os_error(exc)}",
                          param=name) from None
    try:
        os.close(fd)
    finally:  # even when a stop signal arrives here
        os.unlink(probe)
    # Probes of processes killed between creating and removing theirs.
    for entry in os.listdir(folder):
        host, _, rest = entry.removeprefix(".ccdsim-probe.").partition("-")
        pid = rest.partition("-")[0]
        if entry.startswith(".ccdsim-probe.") and host == _HOST and pid.isdigit() \
                and not _alive(int(pid)):
            try:
                os.unlink(os.path.join(folder, entry))
            except FileNotFoundError:
                pass


def check_outdir(outdir, name="OUTDIR"):
    """``outdir`` as a string, refused if it could not be made or written (a night's, a batch's).

    Parameters
    ----------
    outdir : str or os.PathLike
        An existing folder, or a new one whose parent exists.
    name : str, optional
        What it is, for the messages (its parameter: ``name.lower()``).
    """
    outdir, param = os.fspath(outdir), name.lower()
    if not outdir:
        raise ParameterError(f"{name} must be a folder name (got an empty one)", param=param)
    if os.path.exists(outdir) and not os.path.isdir(outdir):
        raise ParameterError(f"{name} {outdir} exists and is not a folder", param=param)
    parent = os.path.dirname(os.path.abspath(outdir))
    if not os.path.isdir(parent):
        raise ParameterError(f"{name}'s folder {parent} does not exist", param=param)
    check_output_folder(outdir if os.path.isdir(outdir) else parent, name)  # tried, not guessed
    return outdir


def check_free_space(folder, need_bytes, name="output"):
    """Refuse a run whose files would not fit on the disk (with 5% to spare).

    Parameters
    ----------
    folder : str
        Where the files go (an existing folder, or one whose parent exists).
    need_bytes : int
        What the run writes, in bytes.
    name : str, optional
        What is written, for the error message.

    Raises
    ------
    OutputError
    """
    while not os.path.isdir(folder):
        folder = os.path.dirname(os.path.abspath(folder))
    free = shutil.disk_usage(folder).free
    if need_bytes * 1.05 > free:
        raise OutputError(f"{name} needs about {need_bytes / 2**20:.0f} MiB on disk, only "
                          f"{free / 2**20:.0f} MiB free in {folder}", param=name)


def _temporary_name(folder, base):
    return os.path.join(folder, f".{base}.{_HOST}-{os.getpid()}-{secrets.token_hex(6)}.part")


def scratch_path(tmp, tag):
    """A second scratch file of the writer of temporary ``tmp`` (from `atomic_path`).

    Named like ``tmp`` (``.NAME.HOST-PID-RANDOM-TAG.part``), so `sweep_temporaries`
    removes it with the temporaries of ``NAME`` when its writer is gone (a
    process killed with SIGKILL cleans up nothing).

    Parameters
    ----------
    tmp : str
        The temporary `atomic_path` yielded.
    tag : str
        Letters and digits, what the scratch file holds.

    Returns
    -------
    str
    """
    if not tmp.endswith(".part") or not tag.isalnum():
        raise ValueError(f"not a temporary of atomic_path, or a bad tag: {tmp!r}, {tag!r}")
    return f"{tmp[:-len('.part')]}-{tag}.part"


def _writer(entry, names):
    """``(host, pid)`` of a temporary of one of ``names``, or None if it is not one."""
    if not (entry.startswith(".") and entry.endswith(".part")):
        return None
    base, _, tag = entry[1:-len(".part")].rpartition(".")
    if base not in names:
        return None
    host, _, rest = tag.partition("-")
    pid = rest.partition("-")[0]
    return (host, int(pid)) if pid.isdigit() else (None, None)  # older names: no writer


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def sweep_temporaries(paths, *, everyone=False):
    """Remove the temporaries `atomic_path` left for any of ``paths`` by writers that are gone.

    A temporary of a live process on this machine is kept (another run may be
    writing it), unless ``everyone``: for a run that holds the folder's
    `folder_lock` and has finished its own writing, every temporary of its
    files is a leftover (a Dask worker that died on another machine too).

    Parameters
    ----------
    paths : iterable of str
        Final file names; each folder is listed once.
    everyone : bool, optional
        Remove the temporaries of live writers too.

    Returns
    -------
    list of str
        The paths removed.
    """
    by_folder = {}
    for path in paths:
        folder, base = os.path.split(os.path.abspath(os.fspath(path)))
        by_folder.setdefault(folder, set()).add(base)
    removed = []
    for folder, names in by_folder.items():
        try:
            entries = os.listdir(folder)
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            writer = _writer(entry, names)
            if writer is None:
                continue
            host, pid = writer
            if not everyone and host == _HOST and pid is not None and pid != os.getpid() \
                    and _alive(pid):
                continue
            if not everyone and host not in (_HOST, None):
                continue  # another machine's writer: only its run knows
            try:
                os.unlink(os.path.join(folder, entry))
                removed.append(os.path.join(folder, entry))
            except FileNotFoundError:
                pass
    return removed


@contextmanager
def folder_lock(folder, name="OUTDIR"):
    """Hold ``folder`` for this run alone; a second run into it is refused with one line.

    The lock (``flock`` on the folder itself) goes with the process, even one
    killed with SIGKILL, so no stale lock is ever left.

    Parameters
    ----------
    folder : str
        An existing folder.
    name : str, optional
        What it is, for the error message.

    Raises
    ------
    OutputError
        Another run holds it.
    """
    import fcntl

    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"{name} {folder} is being written by another ccdsim run; "
                              f"wait for it or use another folder", param=name.lower()) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _full(folder):
    try:
        return shutil.disk_usage(folder).free == 0
    except OSError:
        return False


@contextmanager
def atomic_path(path, overwrite=False):
    """Yield a temporary name beside ``path``; on success move it into place.

    The file appears whole or not at all. Without ``overwrite`` an existing
    file is never replaced, even one that appeared while we were writing
    (the final step is a hard link, which fails if the name exists). Errors
    name ``path``, never the temporary.

    Parameters
    ----------
    path : str or os.PathLike
        Final file name; its folder must exist.
    overwrite : bool, optional
        Replace an existing file (refused otherwise).

    Yields
    ------
    str
        Temporary file name in the same folder, to write to.

    Raises
    ------
    FileExistsError, OutputError
    """
    path = os.fspath(path)
    if os.path.lexists(path) and not overwrite:
        raise FileExistsError(f"output {path} exists (use --overwrite / overwrite=True)")
    folder, base = os.path.split(os.path.abspath(path))
    tmp = _temporary_name(folder, base)
    try:
        # Created like any new file (mode 0666 less the umask), unlike mkstemp's 0600.
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        yield tmp
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)
            except FileExistsError:
                raise FileExistsError(f"output {path} exists (use --overwrite / "
                                      f"overwrite=True)") from None
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                # A file system without hard links.
                if os.path.lexists(path):
                    raise FileExistsError(f"output {path} exists") from None
                os.replace(tmp, path)
    except OSError as exc:
        if isinstance(exc, (FileExistsError, FileNotFoundError, IsADirectoryError)):
            raise
        why = describe_os_error(exc)
        if _errno(exc) is None and _full(folder):
            why = "the disk is full"  # a short write, which a library reported without errno
        raise OutputError(f"cannot write {path}: {why}", param="output") from None
    finally:
        if os.path.lexists(tmp):
            os.unlink(tmp)
