// RoIInlay CUDA launchers (kernels in common/cuda/roi_inlay_cuda_kernel.cuh).
#include "pytorch_cuda_helper.hpp"
#include "cuda/roi_inlay_cuda_kernel.cuh"

void roi_inlay_forward_cuda(const at::Tensor& roi_feats,
                            const at::Tensor& rois, at::Tensor& output,
                            double spatial_scale, bool aligned) {
  CHECK_CUDA_INPUT(roi_feats);
  CHECK_CUDA_INPUT(rois);
  CHECK_CUDA_INPUT(output);
  const c10::cuda::CUDAGuard device_guard(roi_feats.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();

  const int num_rois = roi_feats.size(0), channels = roi_feats.size(1);
  const int roi_height = roi_feats.size(2), roi_width = roi_feats.size(3);
  const int num_imgs = output.size(0);
  const int height = output.size(2), width = output.size(3);
  const int64_t num_tiles =
      static_cast<int64_t>(num_imgs) *
      ((channels + mmrefine::kChannelsPerThread - 1) /
       mmrefine::kChannelsPerThread) *
      ((height + mmrefine::kTileHeight - 1) / mmrefine::kTileHeight) *
      ((width + mmrefine::kTileWidth - 1) / mmrefine::kTileWidth);
  // One block per tile, the grid-stride loop covers the rest.
  const int blocks = GET_BLOCKS(num_tiles * THREADS_PER_BLOCK);

  AT_DISPATCH_FLOATING_TYPES_AND_HALF(
      roi_feats.scalar_type(), "roi_inlay_forward_cuda", [&] {
        using acc_t = at::opmath_type<scalar_t>;
        mmrefine::roi_inlay_forward_cuda_kernel<scalar_t>
            <<<blocks, THREADS_PER_BLOCK, 0, stream>>>(
                roi_feats.data_ptr<scalar_t>(), rois.data_ptr<scalar_t>(),
                output.data_ptr<scalar_t>(), num_rois, channels, roi_height,
                roi_width, num_imgs, height, width,
                static_cast<acc_t>(spatial_scale), aligned);
      });
  C10_CUDA_KERNEL_LAUNCH_CHECK();
}

void roi_inlay_backward_cuda(const at::Tensor& grad_output,
                             const at::Tensor& rois,
                             at::Tensor& grad_roi_feats, double spatial_scale,
                             bool aligned) {
  CHECK_CUDA_INPUT(grad_output);
  CHECK_CUDA_INPUT(rois);
  CHECK_CUDA_INPUT(grad_roi_feats);
  const c10::cuda::CUDAGuard device_guard(grad_output.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();

  const int num_rois = grad_roi_feats.size(0);
  const int channels = grad_roi_feats.size(1);
  const int roi_height = grad_roi_feats.size(2);
  const int roi_width = grad_roi_feats.size(3);
  const int num_imgs = grad_output.size(0);
  const int height = grad_output.size(2), width = grad_output.size(3);
  const at::ScalarType acc_type = grad_output.scalar_type() == at::kHalf
                                      ? at::kFloat
                                      : grad_output.scalar_type();
  at::Tensor inv_count = at::empty({num_imgs, height, width},
                                   grad_output.options().dtype(acc_type));

  AT_DISPATCH_FLOATING_TYPES_AND_HALF(
      grad_output.scalar_type(), "roi_inlay_backward_cuda", [&] {
        using acc_t = at::opmath_type<scalar_t>;
        mmrefine::roi_inlay_inv_count_cuda_kernel<scalar_t>
            <<<GET_BLOCKS(inv_count.numel()), THREADS_PER_BLOCK, 0, stream>>>(
                rois.data_ptr<scalar_t>(), inv_count.data_ptr<acc_t>(),
                num_rois, roi_height, roi_width, num_imgs, height, width,
                static_cast<acc_t>(spatial_scale), aligned);
        C10_CUDA_KERNEL_LAUNCH_CHECK();
        mmrefine::roi_inlay_backward_cuda_kernel<scalar_t>
            <<<GET_BLOCKS(grad_roi_feats.numel()), THREADS_PER_BLOCK, 0,
               stream>>>(grad_output.data_ptr<scalar_t>(),
                         rois.data_ptr<scalar_t>(), inv_count.data_ptr<acc_t>(),
                         grad_roi_feats.data_ptr<scalar_t>(), num_rois,
                         channels, roi_height, roi_width, num_imgs, height,
                         width, static_cast<acc_t>(spatial_scale), aligned);
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
}
