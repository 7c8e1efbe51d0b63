# One command each: `make demo` (set up and make the guide's image), `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
EXTRAS ?= test

.PHONY: setup demo test clean

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

clean:
	rm -rf out
