# One command each: `make demo` (set up and make the guide's image), `make test`,
# `make docs` (reference pages), `make tutorial` (run the notebook, refresh its pictures).
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test

.PHONY: setup demo test docs tutorial clean

$(VENV)/.installed-$(EXTRAS): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[$(EXTRAS)]'
	touch $@

setup: $(VENV)/.installed-$(EXTRAS)

# The guide's final image: FITS (image + TRUTH star table) and a PNG preview.
demo: setup
	mkdir -p out
	$(VENV)/bin/ccdsim image out/guide.fits --png out/guide.png --seed 1 --overwrite

test: setup
	$(PY) -m pytest -q

# HTML reference documentation in docs/_build/html; warnings are errors.
docs:
	$(MAKE) setup EXTRAS=docs
	$(PY) -m sphinx -W -b html docs docs/_build/html

# Execute docs/tutorial.ipynb (in docs/) and rewrite its pictures in docs/images.
tutorial: setup
	cd docs && $(abspath $(VENV))/bin/jupyter-execute tutorial.ipynb

clean:
	rm -rf out docs/_build
