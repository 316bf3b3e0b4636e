// RoIInlay CUDA kernels. Geometry (coverage, taps) comes from
// roi_inlay_geometry.h, shared with the CPU implementation. No atomics: the
// forward and the backward are deterministic.
//
// Everything that depends on the RoIs only is computed once per call, before
// the kernels that touch the features (the "plan"):
// - roi_inlay_entries_cuda_kernel: each RoI's image and pixel ranges;
// - roi_inlay_lattice_cuda_kernel: the lattice coordinate t of every pixel row
//   and column an RoI covers (its taps, without a division per pixel later)
//   and, for the backward, which pixel rows (columns) have their lower tap on
//   lattice row (column) r: first[r] <= p < first[r + 1];
// - roi_inlay_tile_rois_cuda_kernel: for every tile of kTileWidth x
//   kTileHeight pixels of an image, a bit set of the RoIs that intersect it.
//
// Forward: a gather, one thread per output pixel and kForwardChannels
// channels. A block is one tile; its threads walk the tile's bit set in RoI
// order, sum the RoIs covering their pixel and divide by their number.
//
// Backward: the transpose of the separable interpolation, one block per
// (RoI, channel, chunk of lattice columns). For a strip of pixel columns it
// first sums the pixel rows (output gradient / coverage, the coverage from
// roi_inlay_inv_count_cuda_kernel) into the lattice rows (shared memory),
// then every thread sums the strip's columns into its lattice points
// (registers), strip after strip.
#ifndef MMREFINE_ROI_INLAY_CUDA_KERNEL_CUH
#define MMREFINE_ROI_INLAY_CUDA_KERNEL_CUH

#include <ATen/OpMathType.h>

#include "cuda/common_cuda_helper.hpp"
#include "roi_inlay_geometry.h"

namespace mmrefine {

constexpr int kTileWidth = 32;  // one warp per tile row: uniform y taps
constexpr int kTileHeight = THREADS_PER_BLOCK / kTileWidth;
constexpr int kRoIsPerWord = 32;
// Channels per forward thread: a tile's RoIs (bit set, geometry, taps) are
// read once for this many channels, whose sums stay in registers.
constexpr int kForwardChannels = 16;
// Lattice points per backward thread (registers): a block covers up to
// kBackwardMaxPoints points of an RoI.
constexpr int kBackwardPoints = 4;
constexpr int kBackwardMaxPoints = kBackwardPoints * THREADS_PER_BLOCK;
// Pixel columns per backward strip, within the shared memory a block may use
// without opting in.
constexpr int kMaxStripWidth = 128;
constexpr int kBackwardSharedBytes = 48 * 1024;

template <typename T>
struct RoIInlayEntry {
  int batch;  // -1: the RoI covers no pixel
  RoIInlayAxis<T> y;
  RoIInlayAxis<T> x;
};

template <typename T>
__device__ __forceinline__ bool roi_inlay_covers(const RoIInlayEntry<T>& entry,
                                                 int y, int x) {
  return y >= entry.y.begin && y < entry.y.end && x >= entry.x.begin &&
         x < entry.x.end;
}

template <typename scalar_t>
__global__ void roi_inlay_entries_cuda_kernel(
    const scalar_t* __restrict__ rois,
    RoIInlayEntry<at::opmath_type<scalar_t>>* __restrict__ entries,
    const int num_rois, const int roi_height, const int roi_width,
    const int num_imgs, const int height, const int width,
    const at::opmath_type<scalar_t> spatial_scale, const bool aligned) {
  using acc_t = at::opmath_type<scalar_t>;
  CUDA_1D_KERNEL_LOOP(k, num_rois) {
    const scalar_t* roi = rois + k * 5;
    RoIInlayEntry<acc_t> entry;
    entry.batch = roi_inlay_batch_index(static_cast<acc_t>(roi[0]), num_imgs);
    entry.x = roi_inlay_axis<acc_t>(static_cast<acc_t>(roi[1]),
                                    static_cast<acc_t>(roi[3]), spatial_scale,
                                    aligned, roi_width, width);
    entry.y = roi_inlay_axis<acc_t>(static_cast<acc_t>(roi[2]),
                                    static_cast<acc_t>(roi[4]), spatial_scale,
                                    aligned, roi_height, height);
    if (entry.x.begin == entry.x.end || entry.y.begin == entry.y.end) {
      entry.batch = -1;
    }
    entries[k] = entry;
  }
}

// Index (k, p) with p in [0, height + width): row p, or column p - height.
// lattice_y: (K, H), lattice_x: (K, W), written where the RoI covers the
// pixel. first_y: (K, mh + 1), first_x: (K, mw + 1), or null (the forward).
template <typename T>
__global__ void roi_inlay_lattice_cuda_kernel(
    const RoIInlayEntry<T>* __restrict__ entries, T* __restrict__ lattice_y,
    T* __restrict__ lattice_x, int* __restrict__ first_y,
    int* __restrict__ first_x, const int num_rois, const int roi_height,
    const int roi_width, const int height, const int width) {
  const int64_t num_items = static_cast<int64_t>(num_rois) * (height + width);
  CUDA_1D_KERNEL_LOOP(index, num_items) {
    const int k = index / (height + width);
    const int p0 = index % (height + width);
    const RoIInlayEntry<T>& entry = entries[k];
    const bool is_row = p0 < height;
    const RoIInlayAxis<T>& axis = is_row ? entry.y : entry.x;
    const int p = is_row ? p0 : p0 - height;
    if (entry.batch < 0 || p < axis.begin || p >= axis.end) continue;
    const int size = is_row ? height : width;
    const T t = roi_inlay_lattice(axis, p);
    (is_row ? lattice_y : lattice_x)[static_cast<int64_t>(k) * size + p] = t;
    int* first = is_row ? first_y : first_x;
    if (first == nullptr) continue;
    // Pixel p is the first whose lower tap is r, for r in (low(p - 1), low(p)];
    // the last pixel also ends the lattice lines after its own.
    const int points = axis.points;
    first += static_cast<int64_t>(k) * (points + 1);
    const int low = static_cast<int>(t);
    const int previous =
        p > axis.begin ? static_cast<int>(roi_inlay_lattice(axis, p - 1)) : -1;
    for (int r = previous + 1; r <= low; ++r) first[r] = p;
    if (p == axis.end - 1) {
      for (int r = low + 1; r <= points; ++r) first[r] = axis.end;
    }
  }
}

// tile_rois: (B, tiles_y, tiles_x, words), bit k % 32 of word k / 32 set when
// RoI k belongs to the image and intersects the tile.
template <typename T>
__global__ void roi_inlay_tile_rois_cuda_kernel(
    const RoIInlayEntry<T>* __restrict__ entries,
    unsigned int* __restrict__ tile_rois, const int num_rois,
    const int num_imgs, const int tiles_y, const int tiles_x,
    const int words) {
  const int64_t num_items =
      static_cast<int64_t>(num_imgs) * tiles_y * tiles_x * words;
  CUDA_1D_KERNEL_LOOP(index, num_items) {
    const int word = index % words;
    const int64_t tile = index / words;
    const int x0 = (tile % tiles_x) * kTileWidth;
    const int y0 = ((tile / tiles_x) % tiles_y) * kTileHeight;
    const int b = tile / tiles_x / tiles_y;
    unsigned int bits = 0u;
    for (int lane = 0; lane < kRoIsPerWord; ++lane) {
      const int k = word * kRoIsPerWord + lane;
      if (k >= num_rois) break;
      const RoIInlayEntry<T>& entry = entries[k];
      if (entry.batch == b &&
          max(y0, entry.y.begin) < min(y0 + kTileHeight, entry.y.end) &&
          max(x0, entry.x.begin) < min(x0 + kTileWidth, entry.x.end)) {
        bits |= 1u << lane;
      }
    }
    tile_rois[index] = bits;
  }
}

template <typename scalar_t>
__global__ void roi_inlay_forward_cuda_kernel(
    const scalar_t* __restrict__ roi_feats,
    const RoIInlayEntry<at::opmath_type<scalar_t>>* __restrict__ entries,
    const at::opmath_type<scalar_t>* __restrict__ lattice_y,
    const at::opmath_type<scalar_t>* __restrict__ lattice_x,
    const unsigned int* __restrict__ tile_rois, scalar_t* __restrict__ output,
    const int channels, const int roi_height, const int roi_width,
    const int num_imgs, const int height, const int width, const int words) {
  using acc_t = at::opmath_type<scalar_t>;
  const int tiles_x = (width + kTileWidth - 1) / kTileWidth;
  const int tiles_y = (height + kTileHeight - 1) / kTileHeight;
  const int slices = (channels + kForwardChannels - 1) / kForwardChannels;
  const int64_t num_blocks =
      static_cast<int64_t>(num_imgs) * slices * tiles_y * tiles_x;
  const int64_t roi_plane = static_cast<int64_t>(roi_height) * roi_width;

  for (int64_t block = blockIdx.x; block < num_blocks; block += gridDim.x) {
    const int64_t tile =  // (b, tile_y, tile_x)
        block / (static_cast<int64_t>(tiles_y) * tiles_x * slices) * tiles_y *
            tiles_x +
        block % (static_cast<int64_t>(tiles_y) * tiles_x);
    const int slice = (block / tiles_x / tiles_y) % slices;
    const int b = tile / tiles_x / tiles_y;
    const int x = (tile % tiles_x) * kTileWidth + threadIdx.x % kTileWidth;
    const int y = ((tile / tiles_x) % tiles_y) * kTileHeight +
                  threadIdx.x / kTileWidth;
    if (x >= width || y >= height) continue;  // no barrier in this kernel
    const int c0 = slice * kForwardChannels;

    acc_t sum[kForwardChannels];
#pragma unroll
    for (int n = 0; n < kForwardChannels; ++n) sum[n] = acc_t(0);
    int count = 0;
    const unsigned int* bit_set = tile_rois + tile * words;
    for (int word = 0; word < words; ++word) {
      for (unsigned int bits = bit_set[word]; bits != 0u; bits &= bits - 1u) {
        const int k =
            word * kRoIsPerWord + __ffs(static_cast<int>(bits)) - 1;
        const RoIInlayEntry<acc_t> entry = entries[k];
        if (!roi_inlay_covers(entry, y, x)) continue;
        ++count;
        const RoIInlayTap<acc_t> tap_y =
            roi_inlay_tap(lattice_y[static_cast<int64_t>(k) * height + y]);
        const RoIInlayTap<acc_t> tap_x =
            roi_inlay_tap(lattice_x[static_cast<int64_t>(k) * width + x]);
        const int row_high = min(tap_y.low + 1, roi_height - 1);
        const int col_high = min(tap_x.low + 1, roi_width - 1);
        const int64_t low_low = tap_y.low * roi_width + tap_x.low;
        const int64_t low_high = tap_y.low * roi_width + col_high;
        const int64_t high_low = row_high * roi_width + tap_x.low;
        const int64_t high_high = row_high * roi_width + col_high;
        const scalar_t* plane =
            roi_feats + (static_cast<int64_t>(k) * channels + c0) * roi_plane;
#pragma unroll
        for (int n = 0; n < kForwardChannels; ++n) {
          if (c0 + n >= channels) break;
          const scalar_t* v = plane + n * roi_plane;
          const acc_t u_low = tap_x.w_low * static_cast<acc_t>(v[low_low]) +
                              tap_x.w_high * static_cast<acc_t>(v[low_high]);
          const acc_t u_high = tap_x.w_low * static_cast<acc_t>(v[high_low]) +
                               tap_x.w_high * static_cast<acc_t>(v[high_high]);
          sum[n] += tap_y.w_low * u_low + tap_y.w_high * u_high;
        }
      }
    }

    const acc_t inv_count = count > 0 ? acc_t(1) / acc_t(count) : acc_t(0);
    scalar_t* out = output + ((static_cast<int64_t>(b) * channels + c0) *
                                  height + y) * width + x;
#pragma unroll
    for (int n = 0; n < kForwardChannels; ++n) {
      if (c0 + n >= channels) break;
      out[n * static_cast<int64_t>(height) * width] =
          static_cast<scalar_t>(sum[n] * inv_count);
    }
  }
}

// inv_count[b, y, x] = 1 / (number of RoIs covering the pixel), 0 if none.
template <typename T>
__global__ void roi_inlay_inv_count_cuda_kernel(
    const RoIInlayEntry<T>* __restrict__ entries,
    const unsigned int* __restrict__ tile_rois, T* __restrict__ inv_count,
    const int num_imgs, const int height, const int width, const int words) {
  const int tiles_x = (width + kTileWidth - 1) / kTileWidth;
  const int tiles_y = (height + kTileHeight - 1) / kTileHeight;
  const int64_t num_pixels = static_cast<int64_t>(num_imgs) * height * width;
  CUDA_1D_KERNEL_LOOP(index, num_pixels) {
    const int x = index % width;
    const int y = (index / width) % height;
    const int b = index / width / height;
    const unsigned int* bit_set =
        tile_rois +
        ((static_cast<int64_t>(b) * tiles_y + y / kTileHeight) * tiles_x +
         x / kTileWidth) * words;
    int count = 0;
    for (int word = 0; word < words; ++word) {
      for (unsigned int bits = bit_set[word]; bits != 0u; bits &= bits - 1u) {
        const int k =
            word * kRoIsPerWord + __ffs(static_cast<int>(bits)) - 1;
        count += roi_inlay_covers(entries[k], y, x);
      }
    }
    inv_count[index] = count > 0 ? T(1) / T(count) : T(0);
  }
}

// Block per (k, c, chunk of chunk_width lattice columns). Shared memory: two
// (roi_height, strip_width) arrays, the rows of a strip of pixel columns
// summed into the lattice rows with the lower and with the upper tap weight.
template <typename scalar_t>
__global__ void roi_inlay_backward_cuda_kernel(
    const scalar_t* __restrict__ grad_output,
    const RoIInlayEntry<at::opmath_type<scalar_t>>* __restrict__ entries,
    const at::opmath_type<scalar_t>* __restrict__ lattice_y,
    const at::opmath_type<scalar_t>* __restrict__ lattice_x,
    const int* __restrict__ first_y, const int* __restrict__ first_x,
    const at::opmath_type<scalar_t>* __restrict__ inv_count,
    scalar_t* __restrict__ grad_roi_feats, const int num_rois,
    const int channels, const int roi_height, const int roi_width,
    const int height, const int width, const int chunk_width,
    const int strip_width) {
  using acc_t = at::opmath_type<scalar_t>;
  extern __shared__ __align__(sizeof(double)) unsigned char shared_bytes[];
  acc_t* low_sums = reinterpret_cast<acc_t*>(shared_bytes);
  acc_t* high_sums = low_sums + roi_height * strip_width;

  const int chunks = (roi_width + chunk_width - 1) / chunk_width;
  const int64_t num_blocks =
      static_cast<int64_t>(num_rois) * channels * chunks;
  for (int64_t block = blockIdx.x; block < num_blocks; block += gridDim.x) {
    const int chunk = block % chunks;
    const int c = (block / chunks) % channels;
    const int k = block / chunks / channels;
    const int j0 = chunk * chunk_width;
    const int num_cols = min(chunk_width, roi_width - j0);
    const int num_points = roi_height * num_cols;
    const RoIInlayEntry<acc_t> entry = entries[k];  // the same in the block

    acc_t point_sum[kBackwardPoints];
#pragma unroll
    for (int n = 0; n < kBackwardPoints; ++n) point_sum[n] = acc_t(0);
    if (entry.batch >= 0) {
      const int* rows_from =
          first_y + static_cast<int64_t>(k) * (roi_height + 1);
      const int* cols_from =
          first_x + static_cast<int64_t>(k) * (roi_width + 1);
      const acc_t* t_y = lattice_y + static_cast<int64_t>(k) * height;
      const acc_t* t_x = lattice_x + static_cast<int64_t>(k) * width;
      const int64_t map_size = static_cast<int64_t>(height) * width;
      const scalar_t* grad_plane =
          grad_output + (static_cast<int64_t>(entry.batch) * channels + c) *
                            map_size;
      const acc_t* inv_plane = inv_count + entry.batch * map_size;
      // Pixel columns whose lower tap is in [j0 - 1, j0 + num_cols - 1]: the
      // columns that feed this chunk's points.
      const int x_first = cols_from[max(j0 - 1, 0)];
      const int x_last = cols_from[j0 + num_cols];
      for (int x0 = x_first; x0 < x_last; x0 += strip_width) {
        const int strip = min(strip_width, x_last - x0);
        for (int item = threadIdx.x; item < roi_height * strip;
             item += blockDim.x) {
          const int r = item / strip;
          const int64_t x = x0 + item % strip;
          acc_t low_sum = acc_t(0), high_sum = acc_t(0);
          for (int y = rows_from[r]; y < rows_from[r + 1]; ++y) {
            const RoIInlayTap<acc_t> tap = roi_inlay_tap(t_y[y]);
            const int64_t pixel = static_cast<int64_t>(y) * width + x;
            const acc_t value =
                static_cast<acc_t>(grad_plane[pixel]) * inv_plane[pixel];
            low_sum += tap.w_low * value;
            high_sum += tap.w_high * value;
          }
          low_sums[item] = low_sum;
          high_sums[item] = high_sum;
        }
        __syncthreads();
#pragma unroll
        for (int n = 0; n < kBackwardPoints; ++n) {
          const int point = threadIdx.x + n * blockDim.x;
          if (point >= num_points) break;
          const int i = point / num_cols;
          const int j = j0 + point % num_cols;
          // Lattice row i gets the lower weight of the pixel rows whose lower
          // tap is i and the upper weight of those whose lower tap is i - 1.
          const acc_t* low_row = low_sums + i * strip;
          const acc_t* high_row = i > 0 ? high_sums + (i - 1) * strip : nullptr;
          acc_t sum = acc_t(0);
          const int low_end = min(cols_from[j + 1], x0 + strip);
          for (int x = max(cols_from[j], x0); x < low_end; ++x) {
            const acc_t row_sum = low_row[x - x0] +
                                  (high_row ? high_row[x - x0] : acc_t(0));
            sum += roi_inlay_tap(t_x[x]).w_low * row_sum;
          }
          if (j > 0) {
            const int high_end = min(cols_from[j], x0 + strip);
            for (int x = max(cols_from[j - 1], x0); x < high_end; ++x) {
              const acc_t row_sum = low_row[x - x0] +
                                    (high_row ? high_row[x - x0] : acc_t(0));
              sum += roi_inlay_tap(t_x[x]).w_high * row_sum;
            }
          }
          point_sum[n] += sum;
        }
        __syncthreads();  // the sums are refilled by the next strip
      }
    }
#pragma unroll
    for (int n = 0; n < kBackwardPoints; ++n) {
      const int point = threadIdx.x + n * blockDim.x;
      if (point >= num_points) break;
      grad_roi_feats[((static_cast<int64_t>(k) * channels + c) * roi_height +
                      point / num_cols) * roi_width + j0 + point % num_cols] =
          static_cast<scalar_t>(point_sum[n]);
    }
  }
}

}  // namespace mmrefine

#endif  // MMREFINE_ROI_INLAY_CUDA_KERNEL_CUH
