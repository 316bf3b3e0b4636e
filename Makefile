# The two commands of the README:
#   make demo   set up, then train + evaluate PQ + draw a picture on "shapes"
#   make test   set up, lint (flake8, isort, yapf), then run the test suite
#   make smoke-coco   every COCO config: one training iteration and one
#                     prediction on a generated COCO-shaped set, on the CPU
VENV ?= .venv
PY := $(VENV)/bin/python
CONFIG ?= configs/refine/refine_r18_fpn_shapes.py
WORK_DIR ?= work_dirs/demo
PYTEST_ARGS ?=

SETUP_INPUTS := tools/setup_env.sh setup.py pyproject.toml model-index.yml $(wildcard requirements/*.txt) \
	$(shell find mmrefine/ops/csrc -type f 2>/dev/null)

.PHONY: env demo test lint smoke-coco
env: $(VENV)/.ready

# setup_env.sh is idempotent and reuses the cached mmcv wheel; the stamp
# only saves re-checking when nothing it depends on changed.
$(VENV)/.ready: $(SETUP_INPUTS)
	bash tools/setup_env.sh
	touch $@

demo: env
	$(PY) tools/shapes_demo.py $(CONFIG) --work-dir $(WORK_DIR)

test: lint
	$(PY) -m pytest tests $(PYTEST_ARGS)

# mmdet's linters with the settings of setup.cfg; `make test` runs them first
LINT_PATHS := mmrefine tests tools configs setup.py
lint: env
	$(VENV)/bin/flake8 $(LINT_PATHS)
	$(VENV)/bin/isort --check-only --diff $(LINT_PATHS)
	$(VENV)/bin/yapf --diff --recursive $(LINT_PATHS)

smoke-coco: env
	OMP_NUM_THREADS=$${OMP_NUM_THREADS:-1} $(PY) tools/analysis_tools/smoke_coco.py \
		$(sort $(wildcard configs/*/*_coco.py)) --work-dir work_dirs/smoke_coco
