#!/usr/bin/env bash
# Every GPU check of mmrefine in one run, each table and log under OUT:
#   1. build.log          mmrefine's op built with CUDA for this GPU (skipped
#                         when the built op already runs on it);
#   2. cuda_tests.log     the CUDA test set, `pytest -m cuda`: the op tests
#                         and one training step + prediction of each shapes
#                         model on the GPU;
#   3. roi_inlay.md       the RoIInlay benchmark on the GPU: first a float64
#                         check against the CPU extension and the reference
#                         (nothing is timed if it fails), then BANet's Table 5
#                         settings, the copy bandwidth measured in the same
#                         run, backward / forward;
#   4. speed.txt, speed.json
#                         COCO-scale throughput of PanopticFPN R-50, REFINE
#                         R-50 GN and BANet R-50 (random weights) at
#                         800 x 1333 on a shapes data set written at that size
#                         with COCO's pipelines: training and inference
#                         images per second and peak memory, one run;
#   summary.md            the exit status of each step.
# Needs python3 (or $PYTHON) with torch, mmcv with its ops, mmengine, mmdet
# and pytest; on an offline machine, source ../shared/gpu/offline_env.sh
# first. Generated data goes to $WORK (default /tmp/mmrefine-gpu-check).
#
#   bash tools/analysis_tools/gpu_check.sh OUT [--device cpu] [--quick]
#       [--steps build,tests,roi_inlay,speed] [--baseline CONFIG]
#       [--refine CONFIG] [--banet CONFIG]
#
# --steps runs some of the steps (default all; speed needs roi_inlay's float64
# check, which it then runs alone). --device cpu --quick runs the same steps
# on the CPU at toy sizes: a check of this script (the CUDA tests then skip,
# and no op is built).
set -u
OUT=${1:?usage: gpu_check.sh OUT [--device cpu] [--quick] [--steps LIST] [--baseline CONFIG] [--refine CONFIG] [--banet CONFIG]}
shift
DEVICE=cuda
QUICK=0
STEPS=build,tests,roi_inlay,speed
BASELINE=configs/panoptic_fpn/panoptic-fpn_r50_fpn_1x_coco.py
REFINE=configs/refine/refine_r50_fpn_gn-all_2x_coco.py
BANET=configs/banet/banet_r50_fpn_1x_coco.py
while [ $# -gt 0 ]; do
    case $1 in
        --device) DEVICE=${2:?--device needs cpu or cuda}; shift 2 ;;
        --quick) QUICK=1; shift ;;
        --steps) STEPS=${2:?--steps needs a list}; shift 2 ;;
        --baseline) BASELINE=${2:?--baseline needs a config}; shift 2 ;;
        --refine) REFINE=${2:?--refine needs a config}; shift 2 ;;
        --banet) BANET=${2:?--banet needs a config}; shift 2 ;;
        *) echo "gpu_check.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
case $DEVICE in cpu|cuda) ;; *) echo "gpu_check.sh: --device $DEVICE: expected cpu or cuda" >&2; exit 2 ;; esac
for name in ${STEPS//,/ }; do
    case $name in build|tests|roi_inlay|speed) ;;
        *) echo "gpu_check.sh: --steps $STEPS: $name is not one of build, tests, roi_inlay, speed" >&2; exit 2 ;;
    esac
done
for config in "$BASELINE" "$REFINE" "$BANET"; do
    [ -f "$config" ] || { echo "gpu_check.sh: config $config is not a file" >&2; exit 2; }
done
PY=${PYTHON:-python3}
WORK=${WORK:-/tmp/mmrefine-gpu-check}
cd "$(dirname "$0")/../.."
mkdir -p "$OUT" "$WORK"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
SUMMARY=$OUT/summary.md
echo "| step | exit status | seconds |" > "$SUMMARY"
echo "|---|---|---|" >> "$SUMMARY"
FAILED=0

wanted() { [[ ,$STEPS, == *,$1,* ]]; }

step() {  # step NAME LOG COMMAND...: run, log, record the status
    local name=$1 log=$2 start=$SECONDS status
    shift 2
    echo "== $name" >&2
    "$@" > "$OUT/$log" 2>&1
    status=$?
    tail -5 "$OUT/$log" >&2
    echo "| $name | $status | $((SECONDS - start)) |" >> "$SUMMARY"
    [ $status -eq 0 ] || FAILED=1
    return $status
}

cuda_op_runs() {
    "$PY" - <<'EOF'
import torch
from mmrefine.ops.roi_inlay import RoIInlayFunction
feats = torch.ones(1, 1, 2, 2, device='cuda')
rois = torch.tensor([[0., 0, 0, 4, 4]], device='cuda')
assert RoIInlayFunction.apply(feats, rois, (1, 4, 4), 1.0, True).sum() == 16
EOF
}

build_op() {
    local arch
    arch=$("$PY" -c 'import torch; print("%d.%d" % torch.cuda.get_device_capability())') || return 1
    "$PY" -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, torch.cuda.get_device_name(0))'
    if cuda_op_runs 2>/dev/null; then
        echo "mmrefine._ext already runs on CUDA: not rebuilt"
        return 0
    fi
    FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST=$arch MAX_JOBS=$(nproc) \
        "$PY" setup.py build_ext --inplace && cuda_op_runs
}

speed() {
    local data=$WORK/coco_shaped size="800 1333" images=10 warmup=2 \
        train_iters=5 options=()
    if [ $QUICK -eq 1 ]; then
        data=$WORK/coco_shaped_quick size="128 192" images=1 warmup=0 train_iters=1
        # COCO's pipelines resize to 800 x 1333: keep the toy size instead
        options=("train_dataloader.dataset.pipeline.2.scale=(192,128)"
                 "test_dataloader.dataset.pipeline.1.scale=(192,128)")
    fi
    [ -f "$data/annotations/panoptic_val2017.json" ] ||
        "$PY" tools/dataset_converters/create_shapes_panoptic.py "$data" \
            --num-train 8 --num-val 8 --img-size $size --min-instances 4 \
            --max-instances 10 || return 1
    "$PY" tools/analysis_tools/benchmark_speed.py "$BASELINE" "$REFINE" "$BANET" \
        --device "$DEVICE" --num-images $images --warmup $warmup --train \
        --train-iters $train_iters --train-warmup $warmup --work-dir "$WORK/speed" \
        --cfg-options train_dataloader.dataset.type=ShapesPanopticDataset \
        "train_dataloader.dataset.data_root=$data/" \
        train_dataloader.dataset.generator=None \
        test_dataloader.dataset.type=ShapesPanopticDataset \
        "test_dataloader.dataset.data_root=$data/" \
        test_dataloader.dataset.generator=None "${options[@]}" &&
        cp "$WORK/speed/benchmark_speed.json" "$OUT/speed.json"
}

if [ "$DEVICE" = cuda ] && wanted build; then
    step "build mmrefine's op with CUDA" build.log build_op || {
        echo "the op does not build or run on CUDA: stopping" >&2; exit 1; }
fi
if wanted tests; then
    step "CUDA test set (pytest -m cuda)" cuda_tests.log \
        "$PY" -m pytest tests -m cuda -q -p no:cacheprovider
fi
BENCH=(--devices "$DEVICE")
[ $QUICK -eq 1 ] && BENCH+=(--quick --settings 10/8/40 20/16/40 --channels 8 --copy-bytes 1048576)
wanted roi_inlay || BENCH+=(--check-only)
if wanted roi_inlay || wanted speed; then
    if step "RoIInlay benchmark" roi_inlay.md \
            "$PY" tools/analysis_tools/benchmark_roi_inlay.py "${BENCH[@]}"; then
        wanted speed && step "COCO-scale throughput" speed.txt speed
    elif wanted speed; then
        echo "| COCO-scale throughput | not run: the RoIInlay float64 check or benchmark failed | 0 |" >> "$SUMMARY"
    fi
fi
cat "$SUMMARY" >&2
exit $FAILED
