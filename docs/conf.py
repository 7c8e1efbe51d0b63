"""Sphinx configuration: reference documentation from the numpydoc docstrings."""

import os
import sys

# Document the source tree even when ccdsim is not installed.
sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "src")))

import ccdsim  # noqa: E402

project = "ccdsim"
author = "ccdsim developers"
copyright = "ccdsim developers"
version = release = ccdsim.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "numpydoc",
]

exclude_patterns = ["_build", "tutorial.ipynb", "reduction.ipynb", "**.ipynb_checkpoints"]
root_doc = "index"
default_role = "py:obj"  # `name` links to the API where it can

autodoc_default_options = {"members": True, "member-order": "bysource"}
autodoc_typehints = "none"  # the numpydoc sections carry types and units
numpydoc_show_class_members = False  # members come from autodoc, no autosummary stubs
numpydoc_xref_param_type = False
# Every parameter documented (PR01) and no stray ones (PR02); -W makes these errors.
numpydoc_validation_checks = {"PR01", "PR02"}

# No network at build time: cross-references to other projects stay plain text.
intersphinx_mapping = {}

html_theme = "pydata_sphinx_theme"
html_title = f"ccdsim {release}"
html_static_path = []
html_theme_options = {"navigation_with_keys": False}
html_sidebars = {"**": []}  # few pages: the top bar is the navigation
