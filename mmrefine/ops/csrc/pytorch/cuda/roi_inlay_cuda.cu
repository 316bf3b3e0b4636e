// RoIInlay CUDA launchers (kernels in common/cuda/roi_inlay_cuda_kernel.cuh).
#include <c10/core/ScalarType.h>

#include "pytorch_cuda_helper.hpp"
#include "cuda/roi_inlay_cuda_kernel.cuh"

namespace {

// What depends on the RoIs only, on the device (see the kernel header).
struct RoIInlayCudaPlan {
  at::Tensor entries;    // (K) RoIInlayEntry, as bytes
  at::Tensor lattice_y;  // (K, H) lattice coordinate of each covered row
  at::Tensor lattice_x;  // (K, W) ... and column
  at::Tensor first_y;    // (K, mh + 1) rows by lower tap (backward only)
  at::Tensor first_x;    // (K, mw + 1) columns by lower tap (backward only)
  at::Tensor tile_rois;  // (B, tiles_y, tiles_x, words) bit sets
  int words;
};

template <typename scalar_t>
RoIInlayCudaPlan make_plan(const at::Tensor& rois, int roi_height,
                           int roi_width, int num_imgs, int height, int width,
                           double spatial_scale, bool aligned,
                           bool with_first, cudaStream_t stream) {
  using acc_t = at::opmath_type<scalar_t>;
  using Entry = mmrefine::RoIInlayEntry<acc_t>;
  const int num_rois = rois.size(0);
  const int tiles_x = (width + mmrefine::kTileWidth - 1) / mmrefine::kTileWidth;
  const int tiles_y =
      (height + mmrefine::kTileHeight - 1) / mmrefine::kTileHeight;
  const at::TensorOptions acc_options =
      rois.options().dtype(c10::CppTypeToScalarType<acc_t>::value);
  RoIInlayCudaPlan plan;
  plan.words = (num_rois + mmrefine::kRoIsPerWord - 1) / mmrefine::kRoIsPerWord;
  plan.entries = at::empty(
      {num_rois * static_cast<int64_t>(sizeof(Entry))},
                           rois.options().dtype(at::kByte));
  plan.lattice_y = at::empty({num_rois, height}, acc_options);
  plan.lattice_x = at::empty({num_rois, width}, acc_options);
  plan.tile_rois = at::empty({num_imgs, tiles_y, tiles_x, plan.words},
                             rois.options().dtype(at::kInt));
  if (with_first) {
    plan.first_y = at::empty({num_rois, roi_height + 1},
                             rois.options().dtype(at::kInt));
    plan.first_x = at::empty({num_rois, roi_width + 1},
                             rois.options().dtype(at::kInt));
  }
  Entry* entries = reinterpret_cast<Entry*>(plan.entries.data_ptr());

  mmrefine::roi_inlay_entries_cuda_kernel<scalar_t>
      <<<GET_BLOCKS(num_rois), THREADS_PER_BLOCK, 0, stream>>>(
          rois.data_ptr<scalar_t>(), entries, num_rois, roi_height, roi_width,
          num_imgs, height, width, static_cast<acc_t>(spatial_scale), aligned);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  mmrefine::roi_inlay_lattice_cuda_kernel<acc_t>
      <<<GET_BLOCKS(static_cast<int64_t>(num_rois) * (height + width)),
         THREADS_PER_BLOCK, 0, stream>>>(
          entries, plan.lattice_y.data_ptr<acc_t>(),
          plan.lattice_x.data_ptr<acc_t>(),
          with_first ? plan.first_y.data_ptr<int>() : nullptr,
          with_first ? plan.first_x.data_ptr<int>() : nullptr, num_rois,
          roi_height, roi_width, height, width);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  mmrefine::roi_inlay_tile_rois_cuda_kernel<acc_t>
      <<<GET_BLOCKS(plan.tile_rois.numel()), THREADS_PER_BLOCK, 0, stream>>>(
          entries,
          reinterpret_cast<unsigned int*>(plan.tile_rois.data_ptr<int>()),
          num_rois, num_imgs, tiles_y, tiles_x, plan.words);
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return plan;
}

}  // namespace

void roi_inlay_forward_cuda(const at::Tensor& roi_feats,
                            const at::Tensor& rois, at::Tensor& output,
                            double spatial_scale, bool aligned) {
  CHECK_CUDA_INPUT(roi_feats);
  CHECK_CUDA_INPUT(rois);
  CHECK_CUDA_INPUT(output);
  const c10::cuda::CUDAGuard device_guard(roi_feats.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream();

  const int channels = roi_feats.size(1);
  const int roi_height = roi_feats.size(2), roi_width = roi_feats.size(3);
  const int num_imgs = output.size(0);
  const int height = output.size(2), width = output.size(3);
  const int64_t num_blocks =
      static_cast<int64_t>(num_imgs) *
      ((channels + mmrefine::kForwardChannels - 1) /
       mmrefine::kForwardChannels) *
      ((height + mmrefine::kTileHeight - 1) / mmrefine::kTileHeight) *
      ((width + mmrefine::kTileWidth - 1) / mmrefine::kTileWidth);

  AT_DISPATCH_FLOATING_TYPES_AND_HALF(
      roi_feats.scalar_type(), "roi_inlay_forward_cuda", [&] {
        using acc_t = at::opmath_type<scalar_t>;
        const RoIInlayCudaPlan plan = make_plan<scalar_t>(
            rois, roi_height, roi_width, num_imgs, height, width,
            spatial_scale, aligned, /*with_first=*/false, stream);
        // One block per tile and slice of channels; the grid-stride loop
        // covers the rest.
        mmrefine::roi_inlay_forward_cuda_kernel<scalar_t>
            <<<GET_BLOCKS(num_blocks * THREADS_PER_BLOCK), THREADS_PER_BLOCK,
               0, stream>>>(
                roi_feats.data_ptr<scalar_t>(),
                reinterpret_cast<const mmrefine::RoIInlayEntry<acc_t>*>(
                    plan.entries.data_ptr()),
                plan.lattice_y.data_ptr<acc_t>(),
                plan.lattice_x.data_ptr<acc_t>(),
                reinterpret_cast<const unsigned int*>(
                    plan.tile_rois.data_ptr<int>()),
                output.data_ptr<scalar_t>(), channels, roi_height, roi_width,
                num_imgs, height, width, plan.words);
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
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
  TORCH_CHECK(roi_height <= mmrefine::kBackwardMaxPoints,
              "roi_inlay on CUDA: the backward supports RoI features of at "
              "most ", mmrefine::kBackwardMaxPoints, " rows, got ", roi_height);
  // A block holds up to kBackwardMaxPoints lattice points: roi_height rows of
  // chunk_width.
  const int chunk_width = std::max(
      1, std::min(roi_width, mmrefine::kBackwardMaxPoints / roi_height));
  const int64_t num_blocks = static_cast<int64_t>(num_rois) * channels *
                             ((roi_width + chunk_width - 1) / chunk_width);

  AT_DISPATCH_FLOATING_TYPES_AND_HALF(
      grad_output.scalar_type(), "roi_inlay_backward_cuda", [&] {
        using acc_t = at::opmath_type<scalar_t>;
        const RoIInlayCudaPlan plan = make_plan<scalar_t>(
            rois, roi_height, roi_width, num_imgs, height, width,
            spatial_scale, aligned, /*with_first=*/true, stream);
        const auto* entries =
            reinterpret_cast<const mmrefine::RoIInlayEntry<acc_t>*>(
                plan.entries.data_ptr());
        at::Tensor inv_count = at::empty(
            {num_imgs, height, width},
            grad_output.options().dtype(
                c10::CppTypeToScalarType<acc_t>::value));
        mmrefine::roi_inlay_inv_count_cuda_kernel<acc_t>
            <<<GET_BLOCKS(inv_count.numel()), THREADS_PER_BLOCK, 0, stream>>>(
                entries,
                reinterpret_cast<const unsigned int*>(
                    plan.tile_rois.data_ptr<int>()),
                inv_count.data_ptr<acc_t>(), num_imgs, height, width,
                plan.words);
        C10_CUDA_KERNEL_LAUNCH_CHECK();
        // Two (roi_height, strip_width) arrays of acc_t in shared memory.
        const int strip_width = std::min<int64_t>(
            mmrefine::kMaxStripWidth,
            mmrefine::kBackwardSharedBytes / (2 * roi_height * sizeof(acc_t)));
        const size_t shared_bytes =
            2 * roi_height * strip_width * sizeof(acc_t);
        mmrefine::roi_inlay_backward_cuda_kernel<scalar_t>
            <<<GET_BLOCKS(num_blocks * THREADS_PER_BLOCK), THREADS_PER_BLOCK,
               shared_bytes, stream>>>(
                grad_output.data_ptr<scalar_t>(), entries,
                plan.lattice_y.data_ptr<acc_t>(),
                plan.lattice_x.data_ptr<acc_t>(),
                plan.first_y.data_ptr<int>(), plan.first_x.data_ptr<int>(),
                inv_count.data_ptr<acc_t>(),
                grad_roi_feats.data_ptr<scalar_t>(), num_rois, channels,
                roi_height, roi_width, height, width, chunk_width,
                strip_width);
        C10_CUDA_KERNEL_LAUNCH_CHECK();
      });
}
