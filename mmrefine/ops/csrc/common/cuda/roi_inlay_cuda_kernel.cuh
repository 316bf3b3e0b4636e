// RoIInlay CUDA kernels. Geometry (coverage, taps) comes from
// roi_inlay_geometry.h, shared with the CPU implementation.
//
// Forward: a gather, one thread per output pixel and kChannelsPerThread
// channels, so no atomics and a deterministic result. A block covers a tile of
// kTileWidth x kTileHeight pixels of one image; it first compacts, in order,
// the RoIs of its image that intersect the tile into shared memory (in chunks
// of THREADS_PER_BLOCK RoIs), then every thread sums the RoIs covering its
// pixel and divides by their number.
//
// Backward: also a gather, one thread per RoI sampling point (k, c, i, j): it
// sums the output gradient (divided by the pixel's coverage) over the pixels
// whose value used that point. The coverage map is computed first by
// roi_inlay_inv_count_cuda_kernel.
#ifndef MMREFINE_ROI_INLAY_CUDA_KERNEL_CUH
#define MMREFINE_ROI_INLAY_CUDA_KERNEL_CUH

#include <ATen/OpMathType.h>

#include "cuda/common_cuda_helper.hpp"
#include "roi_inlay_geometry.h"

namespace mmrefine {

constexpr int kTileWidth = 32;
constexpr int kTileHeight = THREADS_PER_BLOCK / kTileWidth;
constexpr int kChannelsPerThread = 4;
constexpr int kWarpSize = 32;

template <typename T>
struct RoIInlayEntry {
  int roi;
  RoIInlayAxis<T> y;
  RoIInlayAxis<T> x;
};

template <typename T, typename scalar_t>
__device__ __forceinline__ RoIInlayEntry<T> roi_inlay_entry(
    const scalar_t* roi, int k, T spatial_scale, bool aligned, int roi_height,
    int roi_width, int height, int width) {
  RoIInlayEntry<T> entry;
  entry.roi = k;
  entry.x = roi_inlay_axis<T>(static_cast<T>(roi[1]), static_cast<T>(roi[3]),
                              spatial_scale, aligned, roi_width, width);
  entry.y = roi_inlay_axis<T>(static_cast<T>(roi[2]), static_cast<T>(roi[4]),
                              spatial_scale, aligned, roi_height, height);
  return entry;
}

template <typename T>
__device__ __forceinline__ bool roi_inlay_covers(const RoIInlayEntry<T>& entry,
                                                 int y, int x) {
  return y >= entry.y.begin && y < entry.y.end && x >= entry.x.begin &&
         x < entry.x.end;
}

template <typename scalar_t>
__global__ void roi_inlay_forward_cuda_kernel(
    const scalar_t* __restrict__ roi_feats, const scalar_t* __restrict__ rois,
    scalar_t* __restrict__ output, const int num_rois, const int channels,
    const int roi_height, const int roi_width, const int num_imgs,
    const int height, const int width,
    const at::opmath_type<scalar_t> spatial_scale, const bool aligned) {
  using acc_t = at::opmath_type<scalar_t>;
  __shared__ RoIInlayEntry<acc_t> entries[THREADS_PER_BLOCK];
  __shared__ int warp_counts[THREADS_PER_BLOCK / kWarpSize];

  const int tiles_x = (width + kTileWidth - 1) / kTileWidth;
  const int tiles_y = (height + kTileHeight - 1) / kTileHeight;
  const int channel_groups =
      (channels + kChannelsPerThread - 1) / kChannelsPerThread;
  const int64_t num_tiles =
      static_cast<int64_t>(num_imgs) * channel_groups * tiles_y * tiles_x;
  const int64_t roi_plane = static_cast<int64_t>(roi_height) * roi_width;
  const int lane = threadIdx.x % kWarpSize, warp = threadIdx.x / kWarpSize;

  for (int64_t tile = blockIdx.x; tile < num_tiles; tile += gridDim.x) {
    const int tile_x = tile % tiles_x;
    const int tile_y = (tile / tiles_x) % tiles_y;
    const int group = (tile / tiles_x / tiles_y) % channel_groups;
    const int b = tile / tiles_x / tiles_y / channel_groups;
    const int x0 = tile_x * kTileWidth, y0 = tile_y * kTileHeight;
    const int x = x0 + threadIdx.x % kTileWidth;
    const int y = y0 + threadIdx.x / kTileWidth;
    const bool in_map = x < width && y < height;

    acc_t sum[kChannelsPerThread];
#pragma unroll
    for (int n = 0; n < kChannelsPerThread; ++n) sum[n] = acc_t(0);
    int count = 0;

    for (int chunk = 0; chunk < num_rois; chunk += THREADS_PER_BLOCK) {
      // Keep the RoIs of image b that intersect the tile, in RoI order.
      const int k = chunk + threadIdx.x;
      RoIInlayEntry<acc_t> entry;
      bool keep = false;
      if (k < num_rois) {
        const scalar_t* roi = rois + static_cast<int64_t>(k) * 5;
        if (roi_inlay_batch_index(static_cast<acc_t>(roi[0]), num_imgs) == b) {
          entry = roi_inlay_entry<acc_t>(roi, k, spatial_scale, aligned,
                                         roi_height, roi_width, height, width);
          keep = max(y0, entry.y.begin) < min(y0 + kTileHeight, entry.y.end) &&
                 max(x0, entry.x.begin) < min(x0 + kTileWidth, entry.x.end);
        }
      }
      const unsigned ballot = __ballot_sync(0xffffffffu, keep);
      if (lane == 0) warp_counts[warp] = __popc(ballot);
      __syncthreads();
      int offset = 0, num_entries = 0;
#pragma unroll
      for (int w = 0; w < THREADS_PER_BLOCK / kWarpSize; ++w) {
        offset += w < warp ? warp_counts[w] : 0;
        num_entries += warp_counts[w];
      }
      if (keep) entries[offset + __popc(ballot & ((1u << lane) - 1u))] = entry;
      __syncthreads();

      if (in_map) {
        for (int e = 0; e < num_entries; ++e) {
          const RoIInlayEntry<acc_t>& covering = entries[e];
          if (!roi_inlay_covers(covering, y, x)) continue;
          ++count;
          const RoIInlayTap<acc_t> tap_y = roi_inlay_tap(covering.y, y);
          const RoIInlayTap<acc_t> tap_x = roi_inlay_tap(covering.x, x);
          const int row_high = min(tap_y.low + 1, roi_height - 1);
          const int col_high = min(tap_x.low + 1, roi_width - 1);
          const scalar_t* plane = roi_feats + (static_cast<int64_t>(covering.roi) *
                                                   channels +
                                               group * kChannelsPerThread) *
                                                  roi_plane;
          const int64_t low_low = tap_y.low * roi_width + tap_x.low;
          const int64_t low_high = tap_y.low * roi_width + col_high;
          const int64_t high_low = row_high * roi_width + tap_x.low;
          const int64_t high_high = row_high * roi_width + col_high;
#pragma unroll
          for (int n = 0; n < kChannelsPerThread; ++n) {
            if (group * kChannelsPerThread + n >= channels) break;
            const scalar_t* v = plane + n * roi_plane;
            const acc_t u_low = tap_x.w_low * static_cast<acc_t>(v[low_low]) +
                                tap_x.w_high * static_cast<acc_t>(v[low_high]);
            const acc_t u_high =
                tap_x.w_low * static_cast<acc_t>(v[high_low]) +
                tap_x.w_high * static_cast<acc_t>(v[high_high]);
            sum[n] += tap_y.w_low * u_low + tap_y.w_high * u_high;
          }
        }
      }
      __syncthreads();  // entries is refilled by the next chunk
    }

    if (in_map) {
      const acc_t inv_count = count > 0 ? acc_t(1) / acc_t(count) : acc_t(0);
#pragma unroll
      for (int n = 0; n < kChannelsPerThread; ++n) {
        const int c = group * kChannelsPerThread + n;
        if (c >= channels) break;
        output[((static_cast<int64_t>(b) * channels + c) * height + y) * width +
               x] = static_cast<scalar_t>(sum[n] * inv_count);
      }
    }
  }
}

// inv_count[b, y, x] = 1 / (number of RoIs covering the pixel), 0 if none.
template <typename scalar_t>
__global__ void roi_inlay_inv_count_cuda_kernel(
    const scalar_t* __restrict__ rois,
    at::opmath_type<scalar_t>* __restrict__ inv_count, const int num_rois,
    const int roi_height, const int roi_width, const int num_imgs,
    const int height, const int width,
    const at::opmath_type<scalar_t> spatial_scale, const bool aligned) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t num_pixels = static_cast<int64_t>(num_imgs) * height * width;
  CUDA_1D_KERNEL_LOOP(index, num_pixels) {
    const int x = index % width;
    const int y = (index / width) % height;
    const int b = index / width / height;
    int count = 0;
    for (int k = 0; k < num_rois; ++k) {
      const scalar_t* roi = rois + static_cast<int64_t>(k) * 5;
      if (roi_inlay_batch_index(static_cast<acc_t>(roi[0]), num_imgs) != b) {
        continue;
      }
      const RoIInlayEntry<acc_t> entry = roi_inlay_entry<acc_t>(
          roi, k, spatial_scale, aligned, roi_height, roi_width, height, width);
      count += roi_inlay_covers(entry, y, x);
    }
    inv_count[index] = count > 0 ? acc_t(1) / acc_t(count) : acc_t(0);
  }
}

// The pixels [first, last) of an axis whose value uses sampling point i (a
// superset: roi_inlay_point_weight is 0 for the others).
template <typename T>
__device__ __forceinline__ void roi_inlay_point_support(
    const RoIInlayAxis<T>& axis, int i, int* first, int* last) {
  *first = axis.begin;
  *last = axis.end;
  if (i > 0) {
    const T lo = axis.start + (T(i) - T(0.5)) * axis.bin;
    if (lo > T(axis.begin)) {
      *first = lo < T(axis.end) ? static_cast<int>(floor(lo)) : axis.end;
    }
  }
  if (i < axis.points - 1) {
    const T hi = axis.start + (T(i) + T(1.5)) * axis.bin;
    if (hi < T(axis.end - 1)) {
      *last = hi > T(axis.begin) ? static_cast<int>(floor(hi)) + 2 : axis.begin;
    }
  }
}

template <typename scalar_t>
__global__ void roi_inlay_backward_cuda_kernel(
    const scalar_t* __restrict__ grad_output, const scalar_t* __restrict__ rois,
    const at::opmath_type<scalar_t>* __restrict__ inv_count,
    scalar_t* __restrict__ grad_roi_feats, const int num_rois,
    const int channels, const int roi_height, const int roi_width,
    const int num_imgs, const int height, const int width,
    const at::opmath_type<scalar_t> spatial_scale, const bool aligned) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t num_points =
      static_cast<int64_t>(num_rois) * channels * roi_height * roi_width;
  CUDA_1D_KERNEL_LOOP(index, num_points) {
    const int j = index % roi_width;
    const int i = (index / roi_width) % roi_height;
    const int c = (index / roi_width / roi_height) % channels;
    const int k = index / roi_width / roi_height / channels;
    const scalar_t* roi = rois + static_cast<int64_t>(k) * 5;
    const int b = roi_inlay_batch_index(static_cast<acc_t>(roi[0]), num_imgs);
    acc_t sum = acc_t(0);
    if (b >= 0) {
      const RoIInlayEntry<acc_t> entry = roi_inlay_entry<acc_t>(
          roi, k, spatial_scale, aligned, roi_height, roi_width, height, width);
      int y_first, y_last, x_first, x_last;
      roi_inlay_point_support(entry.y, i, &y_first, &y_last);
      roi_inlay_point_support(entry.x, j, &x_first, &x_last);
      const scalar_t* grad_plane =
          grad_output + (static_cast<int64_t>(b) * channels + c) * height * width;
      const acc_t* inv_plane =
          inv_count + static_cast<int64_t>(b) * height * width;
      for (int y = y_first; y < y_last; ++y) {
        const acc_t w_y = roi_inlay_point_weight(entry.y, y, i);
        if (w_y == acc_t(0)) continue;
        const int64_t row = static_cast<int64_t>(y) * width;
        acc_t row_sum = acc_t(0);
        for (int x = x_first; x < x_last; ++x) {
          row_sum += roi_inlay_point_weight(entry.x, x, j) *
                     static_cast<acc_t>(grad_plane[row + x]) *
                     inv_plane[row + x];
        }
        sum += w_y * row_sum;
      }
    }
    grad_roi_feats[index] = static_cast<scalar_t>(sum);
  }
}

}  // namespace mmrefine

#endif  // MMREFINE_ROI_INLAY_CUDA_KERNEL_CUH
