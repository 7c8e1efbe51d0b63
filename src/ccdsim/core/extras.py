"""Optional dependencies: which extra installs each, and one clear line when one is missing.

The core install (``pip install ccdsim``) makes frames, nights and batches on
this machine. Everything else comes with an extra:

=========================  =============  =====================================
Module                     Extra          For
=========================  =============  =====================================
``dask``, ``distributed``  ``dask``       ``--chunks``, ``--workers``,
                                          ``--scheduler``
``panel``, ``bokeh``       ``explorer``   ``ccdsim explore``, `ccdsim.explore`
``scipy``                  ``explorer``   the noise budget (`ccdsim.analysis.budget`),
                                          which only the explorer uses
``ccdproc``                ``twin``       ``ccdsim camera fit``, `ccdsim.fit_camera`
                                          (it brings SciPy, which the fit uses too)
=========================  =============  =====================================

`require` imports one of them or raises `MissingExtra`, a `ParameterError`,
so the command line prints it as one line and exits with status 2.
"""

import importlib

from .validate import ParameterError

__all__ = ["OPTIONAL", "MissingExtra", "require"]

# Top-level import name -> (name shown to the user, extra that installs it).
# The only table of optional dependencies; pyproject.toml must agree (tested).
OPTIONAL = {
    "dask": ("Dask", "dask"),
    "distributed": ("Dask", "dask"),
    "panel": ("Panel", "explorer"),
    "bokeh": ("Bokeh", "explorer"),
    "scipy": ("SciPy", "explorer"),
    "ccdproc": ("ccdproc", "twin"),
}


class MissingExtra(ParameterError):
    """An optional dependency is not installed; the message names the extra to install.

    Parameters
    ----------
    module, extra, feature : str
        The module that failed to import, the extra that installs it and
        the feature that needs it (kept as attributes of the same names).
    """

    def __init__(self, module, extra, feature):
        self.module, self.extra, self.feature = module, extra, feature
        name = OPTIONAL[module.partition(".")[0]][0]
        super().__init__(f"{feature} needs {name}: pip install 'ccdsim[{extra}]'")

    def __reduce__(self):
        return type(self), (self.module, self.extra, self.feature)


def require(module, extra=None, feature=None):
    """Import an optional module, or raise `MissingExtra`.

    Parameters
    ----------
    module : str
        Dotted module name (``"dask.distributed"``); its top-level package
        must be in `OPTIONAL`.
    extra : str, optional
        The extra that installs it (default: from `OPTIONAL`, which it must
        match).
    feature : str, optional
        What needs it, as the user names it (``"--chunks"``,
        ``"ccdsim explore"``); default: ``module``.

    Returns
    -------
    module
        The imported module.

    Raises
    ------
    MissingExtra
        The module (or one it needs) cannot be imported; the original
        ImportError is its ``__cause__``.
    """
    top = module.partition(".")[0]
    if top not in OPTIONAL:
        raise ValueError(f"{top!r} is not an optional dependency of ccdsim")
    if extra is None:
        extra = OPTIONAL[top][1]
    elif extra != OPTIONAL[top][1]:
        raise ValueError(f"{top!r} comes with the {OPTIONAL[top][1]!r} extra, not {extra!r}")
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtra(module, extra, feature or module) from exc
