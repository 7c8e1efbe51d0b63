# One command each: `make demo` (set up and make the guide's image), `make test`,
# `make check-installs` (the declared dependencies are enough, in fresh venvs),
# `make docs` (reference pages), `make tutorial` (run the notebook, refresh its pictures),
# `make reduction` (run the reduction notebook, refresh its pictures),
# `make bench` (speed tables; `python benchmarks/bench_dataset.py` for the full-size data set).
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test
SPEC = $(if $(EXTRAS),.[$(EXTRAS)],.)
# ArCTIc, the reference the charge-transfer tests compare with: its package pins
# numpy~=1.21 but works on numpy 2, so it is built here without its pins.
ARCTIC = $(PY) -m pip install -q --no-cache-dir --no-deps --no-build-isolation 'arcticpy-no-gsl==2.6'

.PHONY: setup demo test check-installs browser docs tutorial reduction bench clean

$(VENV)/.installed-$(or $(EXTRAS),core): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '$(SPEC)'
	$(if $(filter test,$(EXTRAS)),$(ARCTIC))
	touch $@

setup: $(VENV)/.installed-$(or $(EXTRAS),core)

# The guide's final image: FITS (image + TRUTH star table) and a PNG preview.
# Only the core install is needed.
demo:
	$(MAKE) setup EXTRAS=
	mkdir -p out
	$(VENV)/bin/ccdsim image out/guide.fits --png out/guide.png --seed 1 --overwrite

# The explorer's tests drive a real headless Chromium: Debian's package.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium; }

test: setup browser
	$(PY) -m pytest -q

# ccdsim alone, ccdsim[explorer] alone and ccdsim[twin] alone, each in a fresh venv in a
# temporary folder: an image and a night, the explorer's import, a camera fit (a few minutes).
check-installs:
	.ci/check-installs

# HTML reference documentation in docs/_build/html; warnings are errors.
docs:
	$(MAKE) setup EXTRAS=docs
	$(PY) -m sphinx -W -b html docs docs/_build/html

# Execute docs/tutorial.ipynb (in docs/) and rewrite its pictures in docs/images.
tutorial: setup
	cd docs && $(abspath $(VENV))/bin/jupyter-execute tutorial.ipynb

# Execute docs/reduction.ipynb (the guide's data sets reduced, checked against
# their truth) and write its pictures to docs/images; a plain run writes none.
reduction: setup
	cd docs && CCDSIM_REDUCTION_IMAGES=images $(abspath $(VENV))/bin/jupyter-execute reduction.ipynb

# Speed and scale tables (see README "Speed"); several minutes.
bench: setup
	$(PY) benchmarks/bench_frame.py
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/bench_dataset.py --scale 4 --rounds 3
	$(PY) benchmarks/bench_cmos.py

clean:
	rm -rf out docs/_build
