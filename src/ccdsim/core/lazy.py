"""Packages that export their modules' names, each module imported on first use.

So ``import ccdsim`` and the command line's start-up stay fast, and a
package's ``__init__`` imports nothing that could import it back.
"""

import importlib
import sys

__all__ = ["lazy_exports"]


def lazy_exports(package, table):
    """``__getattr__`` and ``__dir__`` for ``package`` that export ``table``'s names.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    table : dict
        ``{name: module}``: each exported name and the module (relative to
        ``package``, e.g. ``".steps"``) that defines it.

    Returns
    -------
    tuple of callable
        The package's ``__getattr__`` and ``__dir__``.
    """

    def __getattr__(name):
        if name in table:
            value = getattr(importlib.import_module(table[name], package), name)
            setattr(sys.modules[package], name, value)  # the next look-up is a plain one
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
