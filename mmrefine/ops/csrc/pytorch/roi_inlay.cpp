// RoIInlay entry points: argument checks, then the CPU or CUDA implementation
// chosen by the device of the tensors. Values (finite RoIs, batch indices in
// range) are validated once in Python; the kernels never index out of bounds
// whatever the values (an RoI with an invalid batch index or a non-finite
// coordinate covers nothing).
#include "pytorch_cpp_helper.hpp"

void roi_inlay_forward_cpu(const at::Tensor& roi_feats, const at::Tensor& rois,
                           at::Tensor& output, double spatial_scale,
                           bool aligned);
void roi_inlay_backward_cpu(const at::Tensor& grad_output,
                            const at::Tensor& rois, at::Tensor& grad_roi_feats,
                            double spatial_scale, bool aligned);
#ifdef MMREFINE_WITH_CUDA
void roi_inlay_forward_cuda(const at::Tensor& roi_feats,
                            const at::Tensor& rois, at::Tensor& output,
                            double spatial_scale, bool aligned);
void roi_inlay_backward_cuda(const at::Tensor& grad_output,
                             const at::Tensor& rois,
                             at::Tensor& grad_roi_feats, double spatial_scale,
                             bool aligned);
#endif

namespace {

// roi_feats: (K, C, mh, mw); rois: (K, 5); feature_map: (B, C, H, W).
void check_roi_inlay_args(const at::Tensor& roi_feats, const at::Tensor& rois,
                          const at::Tensor& feature_map) {
  TORCH_CHECK(roi_feats.dim() == 4 && roi_feats.size(2) > 0 &&
                  roi_feats.size(3) > 0,
              "roi_feats must be (K, C, mh, mw) with mh, mw > 0, got ",
              roi_feats.sizes());
  TORCH_CHECK(rois.dim() == 2 && rois.size(1) == 5 &&
                  rois.size(0) == roi_feats.size(0),
              "rois must be (K, 5) with K = roi_feats.size(0) = ",
              roi_feats.size(0), ", got ", rois.sizes());
  TORCH_CHECK(feature_map.dim() == 4 && feature_map.size(1) == roi_feats.size(1),
              "the feature map must be (B, C, H, W) with C = ",
              roi_feats.size(1), ", got ", feature_map.sizes());
  TORCH_CHECK(rois.scalar_type() == roi_feats.scalar_type() &&
                  feature_map.scalar_type() == roi_feats.scalar_type(),
              "rois and the feature map must have the dtype of roi_feats (",
              roi_feats.scalar_type(), "), got ", rois.scalar_type(), " and ",
              feature_map.scalar_type());
  TORCH_CHECK(rois.device() == roi_feats.device() &&
                  feature_map.device() == roi_feats.device(),
              "rois and the feature map must be on the device of roi_feats (",
              roi_feats.device(), "), got ", rois.device(), " and ",
              feature_map.device());
  CHECK_CONTIGUOUS(roi_feats);
  CHECK_CONTIGUOUS(rois);
  CHECK_CONTIGUOUS(feature_map);
}

}  // namespace

void roi_inlay_forward(at::Tensor roi_feats, at::Tensor rois, at::Tensor output,
                       double spatial_scale, bool aligned) {
  check_roi_inlay_args(roi_feats, rois, output);
  if (output.numel() == 0) return;
  if (roi_feats.is_cuda()) {
#ifdef MMREFINE_WITH_CUDA
    roi_inlay_forward_cuda(roi_feats, rois, output, spatial_scale, aligned);
#else
    TORCH_CHECK(false,
                "mmrefine._ext was built without CUDA; rebuild it with "
                "FORCE_CUDA=1 pip install --no-build-isolation -e .");
#endif
  } else {
    CHECK_CPU(roi_feats);
    roi_inlay_forward_cpu(roi_feats, rois, output, spatial_scale, aligned);
  }
}

void roi_inlay_backward(at::Tensor grad_output, at::Tensor rois,
                        at::Tensor grad_roi_feats, double spatial_scale,
                        bool aligned) {
  check_roi_inlay_args(grad_roi_feats, rois, grad_output);
  if (grad_roi_feats.numel() == 0) return;
  if (grad_output.is_cuda()) {
#ifdef MMREFINE_WITH_CUDA
    roi_inlay_backward_cuda(grad_output, rois, grad_roi_feats, spatial_scale,
                            aligned);
#else
    TORCH_CHECK(false,
                "mmrefine._ext was built without CUDA; rebuild it with "
                "FORCE_CUDA=1 pip install --no-build-isolation -e .");
#endif
  } else {
    CHECK_CPU(grad_output);
    roi_inlay_backward_cpu(grad_output, rois, grad_roi_feats, spatial_scale,
                           aligned);
  }
}
