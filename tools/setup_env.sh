#!/usr/bin/env bash
# Create (or update) the project-local virtual environment used by `make demo`
# and `make test`. Safe to run again: nothing already in place is rebuilt.
#
#   VENV          where the environment lives            (default: .venv)
#   PYTHON        the interpreter to build it from       (default: python3)
#   MMREFINE_CACHE  wheel cache outside the repository   (default: ~/.cache/mmrefine)
#
# torch: an already-installed torch (e.g. a CUDA build of the user's) is kept by
# giving the venv access to the system site-packages; otherwise torch==2.13.0.
# mmcv 2.1.0 has no binary wheel for this platform, so it is built once from
# its sdist *with* ops and the wheel is cached, keyed by mmcv, torch, CUDA and
# Python versions.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VENV=${VENV:-$ROOT/.venv}
PYTHON=${PYTHON:-python3}
CACHE=${MMREFINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mmrefine}
CONSTRAINTS=$ROOT/requirements/constraints.txt
MMCV_VERSION=2.1.0
TORCH_FALLBACK=2.13.0

log() { printf '[setup_env] %s\n' "$*" >&2; }

if [ ! -x "$VENV/bin/python" ]; then
    if "$PYTHON" -c 'import torch' 2>/dev/null; then
        log "using the torch already installed for $PYTHON"
        "$PYTHON" -m venv --system-site-packages "$VENV"
    else
        "$PYTHON" -m venv "$VENV"
    fi
fi
PY=$VENV/bin/python
pip_install() { "$PY" -m pip install --quiet -c "$CONSTRAINTS" "$@"; }

if ! "$PY" -c 'import torch' 2>/dev/null; then
    log "installing torch==$TORCH_FALLBACK"
    "$PY" -m pip install --quiet "torch==$TORCH_FALLBACK"
fi
# After torch, which asks for setuptools >= 77: mmcv's setup.py and mmengine
# (resolving mmdet:: configs) import pkg_resources, removed in setuptools 70.
pip_install "setuptools<70" wheel ninja numpy

KEY=$("$PY" - <<EOF
import sys, torch
cuda = 'cu' + torch.version.cuda.replace('.', '') if torch.version.cuda else 'cpu'
print(f'mmcv-$MMCV_VERSION-torch{torch.__version__.split("+")[0]}-{cuda}'
      f'-py{sys.version_info.major}{sys.version_info.minor}')
EOF
)
WHEEL_DIR=$CACHE/wheels/$KEY
if ! ls "$WHEEL_DIR"/mmcv-*.whl >/dev/null 2>&1; then
    log "building mmcv $MMCV_VERSION with ops (about 6 minutes on 2 cores) -> $WHEEL_DIR"
    mkdir -p "$CACHE"
    TMP_DIR=$(mktemp -d "$CACHE/build.XXXXXX")
    trap 'rm -rf "$TMP_DIR"' EXIT
    # --no-build-isolation: an isolated build cannot see torch, and mmcv then
    # silently builds without its ops.
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} "$PY" -m pip wheel --quiet \
        --no-deps --no-build-isolation "mmcv==$MMCV_VERSION" -w "$TMP_DIR"
    mkdir -p "$WHEEL_DIR"
    mv "$TMP_DIR"/mmcv-*.whl "$WHEEL_DIR"/
else
    log "reusing cached mmcv wheel from $WHEEL_DIR"
fi
if ! "$PY" -c "import mmcv, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
    pip_install --no-deps "$WHEEL_DIR"/mmcv-*.whl
fi

pip_install -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt"
# mmengine asks for opencv-python; the headless build satisfies its code and
# needs no display libraries.
if "$PY" -m pip show --quiet opencv-python >/dev/null 2>&1; then
    "$PY" -m pip uninstall --quiet -y opencv-python
    pip_install --force-reinstall --no-deps opencv-python-headless
fi
# --no-use-pep517: a legacy editable install whose location is the checkout,
# where `mim train mmrefine ...` looks for mmrefine/.mim/{configs,tools}.
pip_install --no-deps --no-build-isolation --no-use-pep517 -e "$ROOT"

"$PY" -c 'import mmcv.ops, mmdet, mmrefine, panopticapi.evaluation' \
    || { log "the environment does not import: see the messages above"; exit 1; }
log "ready: $VENV"
