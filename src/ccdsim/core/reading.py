"""Reading what a user hands over: regular files only, never more than a cap.

A file's size says nothing for a device (``/dev/zero`` is 0 bytes and
endless) or a FIFO (opening it waits for a writer), so `read_capped` opens
without blocking, refuses anything but a regular file, and reads at most
one byte more than the cap: a longer file is refused, never read whole.
"""

import os
import stat

from .validate import ParameterError

__all__ = ["read_capped", "MAX_CATALOG_BYTES"]

#: Largest star catalogue read (bytes): about a million rows of ECSV, more of FITS.
MAX_CATALOG_BYTES = 64 << 20


def _size_text(n):
    return f"{n >> 20} MiB" if n >= 1 << 20 else f"{n} bytes"


def read_capped(path, max_bytes, *, what="file", param="config"):
    """The bytes of a regular file of at most ``max_bytes`` bytes.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    max_bytes : int
        The most bytes it may hold.
    what : str, optional
        What the file is, in messages ("plan file", "catalog").
    param : str, optional
        The parameter a refusal is about.

    Returns
    -------
    bytes

    Raises
    ------
    ccdsim.ParameterError
        Missing, a folder, not a regular file, unreadable or too long: one
        line that names the file.
    """
    path = os.fspath(path)
    try:
        # O_NONBLOCK: a FIFO opens at once (and is refused below) instead of waiting.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ParameterError(f"{what} {path} does not exist", param=param) from None
    except IsADirectoryError:
        raise ParameterError(f"{what} {path} is a folder", param=param) from None
    except OSError as exc:
        raise ParameterError(f"{what} {path} cannot be read: {exc.strerror}",
                             param=param) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ParameterError(f"{what} {path} is a folder", param=param)
        if not stat.S_ISREG(mode):
            raise ParameterError(f"{what} {path} is not a regular file (a device, FIFO or "
                                 f"socket)", param=param)
        os.set_blocking(fd, True)
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        if left <= 0:
            raise ParameterError(f"{what} {path} is larger than {_size_text(max_bytes)}; "
                                 f"at most {_size_text(max_bytes)} is read", param=param)
        return b"".join(chunks)
    except OSError as exc:
        raise ParameterError(f"{what} {path} cannot be read: {exc.strerror}",
                             param=param) from None
    finally:
        os.close(fd)
