"""Module paths that moved when the package was laid out in layers, and their new homes.

`MOVED` is the one table: ``ccdsim.OLD`` -> the modules that now hold its
names (the first is its main home). Importing an old path still works: it
gives a module that finds each name in its new home, and warns once with a
`DeprecationWarning` that names the new path. ``ccdsim.readout``,
``ccdsim.io``, ``ccdsim.sky`` and ``ccdsim.camera`` are packages now and
export their former names themselves, without a warning.
"""

import importlib
import importlib.abc
import importlib.util
import sys
import types
import warnings

__all__ = ["MOVED", "install"]

#: ``old module -> new homes``, relative to ``ccdsim``.
MOVED = {
    "validate": ("core.validate",),
    "params": ("core.params",),
    "seeds": ("core.seeds",),
    "quality": ("core.quality",),
    "extras": ("core.extras",),
    "resources": ("core.resources",),
    "_kernels": ("core.kernels",),
    "files": ("io.files",),
    "config": ("io.toml",),
    "display": ("io.display",),
    "sources": ("physics.stars",),
    "components": ("camera.guide",),
    "defects": ("physics.bias", "physics.hotpixels", "physics.dark", "physics.flat"),
    "biasmodel": ("physics.bias",),
    "darkside": ("physics.dark", "physics.glow", "physics.hotpixels"),
    "hotpixels": ("physics.hotpixels",),
    "glow": ("physics.glow",),
    "cosmetics": ("physics.flat",),
    "shutter": ("physics.shutter",),
    "cosmics": ("physics.cosmics",),
    "bleed": ("physics.fullwell",),
    "response": ("physics.response",),
    "crossblock": ("readout.moving",),
    "exposure": ("readout.exposure",),
    "frame": ("readout.frame",),
    "expose": ("readout.legacy",),
    "overscan": ("readout.overscan",),
    "pattern": ("camera.maps",),
    "presets": ("camera.named",),
    "pointed": ("camera.pointed",),
    "observe": ("plans.sky", "sky.catalogs"),
    "plan": ("plans.model",),
    "planfile": ("plans.file", "plans.builtin"),
    "plangroups": ("plans.groups",),
    "planframe": ("plans.frames", "plans.make"),
    "combine": ("plans.combine",),
    "persistence": ("plans.afterimages", "physics.fullwell"),
    "night": ("plans.night", "plans.model", "plans.builtin", "plans.frames", "plans.make",
              "camera.named", "run.output", "run.truth", "core.params"),
    "execute": ("run.execute",),
    "night_output": ("run.output",),
    "night_truth": ("run.truth",),
    "batch": ("run.batch",),
    "bigframe": ("run.bigframe",),
    "budget": ("analysis.budget", "analysis.histogram"),
    "decompose": ("analysis.decompose",),
}


class _Moved(types.ModuleType):
    """An old module path: each name is looked up in the new homes, in order."""

    def __init__(self, name, homes):
        super().__init__(name, f"Moved: see {', '.join('ccdsim.' + h for h in homes)}.")
        self._homes = homes

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        for home in self._homes:
            module = importlib.import_module(f"ccdsim.{home}")
            if hasattr(module, name):
                return getattr(module, name)
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __dir__(self):
        names = set()
        for home in self._homes:
            names |= set(getattr(importlib.import_module(f"ccdsim.{home}"), "__all__", ()))
        return sorted(names)


def _caller_level():
    """The stack level of the first frame outside importlib and ccdsim (the user's import)."""
    frame, level = sys._getframe(1), 1
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if not (name.startswith(("importlib", "ccdsim")) or name == "_frozen_importlib"):
            return level
        frame, level = frame.f_back, level + 1
    return 1


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds ``ccdsim.OLD`` for every old path of `MOVED`."""

    def find_spec(self, fullname, path=None, target=None):
        old = fullname.removeprefix("ccdsim.")
        if fullname.startswith("ccdsim.") and old in MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return _Moved(spec.name, MOVED[spec.name.removeprefix("ccdsim.")])

    def exec_module(self, module):
        # Once per process: the module stays in sys.modules.
        warnings.warn(f"{module.__name__} moved to "
                      f"{', '.join('ccdsim.' + h for h in module._homes)}; import it from "
                      f"there (the old path will go in a later release)", DeprecationWarning,
                      stacklevel=_caller_level())


def install():
    """Put the finder of old paths on `sys.meta_path` (once; ``import ccdsim`` does it)."""
    if not any(isinstance(f, _Finder) for f in sys.meta_path):
        sys.meta_path.append(_Finder())
