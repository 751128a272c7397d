# Two commands on a fresh machine:  make lab   (set up, then open JupyterLab)
#                                   make test  (set up, then run every test)
PYTHON ?= python3
VENV   ?= .venv
# The CPU build of torch; override for another platform, e.g. make lab TORCH=torch
TORCH  ?= torch==2.13.0
PY     := $(VENV)/bin/python
PYTEST := $(PY) -m pytest
# JupyterLab refuses to run as root unless told; extra flags via LAB_ARGS
LAB_ARGS ?= $(if $(filter 0,$(shell id -u)),--allow-root,)
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: setup lab present test lint unit nbval notebooks bench clean-cache

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "$(TORCH)"
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

lab: setup
	cd notebooks && $(abspath $(VENV))/bin/jupyter lab $(LAB_ARGS) 00_index.ipynb

# Lecture mode: the notebooks as Voila apps, code hidden, on 127.0.0.1 (PORT=8866 by default)
PORT ?= 8866
present: setup
	$(PY) tools/present.py --port $(PORT)

# ruff first (seconds); then nbval: it fills the model cache that the browser tests'
# servers then use warm
test: setup
	$(PY) -m ruff check .
	$(PYTEST) notebooks tests $(NBVAL)

lint: setup
	$(PY) -m ruff check .

unit: setup
	$(PYTEST) tests

nbval: setup
	$(PYTEST) notebooks $(NBVAL)

notebooks: setup
	$(PY) tools/execute_notebooks.py $(NB)

bench: setup
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/vae_2d_budget.py
	$(PY) benchmarks/moon_slider.py
	$(PY) benchmarks/mixture_sliders.py
	$(PY) benchmarks/lower_bound_sliders.py
	$(PY) benchmarks/anatomy_sliders.py
	$(PY) benchmarks/code_size_slider.py
	$(PY) benchmarks/latent_map_sliders.py

clean-cache:
	rm -rf "$${VAE_EXPLAINER_CACHE:-$$HOME/.cache/vae-explainer}"

# Standalone HTML pages of the notebooks (offline, sliders precomputed): build/html/
# Extra flags via HTML_ARGS, e.g. make html HTML_ARGS="--jobs 1"
.PHONY: html
html: setup
	$(PY) -m explainer.publish.export $(HTML_ARGS) $(NB)
