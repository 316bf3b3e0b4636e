// RoIInlay on the CPU.
//
// The interpolation is separable, and its taps along x and y depend only on
// the RoI: they are computed once per RoI (RoIInlayPlan). The output is then
// produced with at::parallel_for over its rows (image, channel, y), taken
// plane by plane: for each RoI covering some of a thread's rows, the RoI's
// lattice rows are interpolated along x (U, mh x nx values, computed from the
// transposed patch so that the loop over lattice rows vectorises) and then
// every output row is a two-row blend of U, a loop over contiguous pixels that
// vectorises. Rows are owned by one thread each: no atomics. The
// average over overlapping RoIs multiplies by a precomputed 1 / coverage map
// only where two or more RoIs meet.
//
// Backward: at::parallel_for over (channel, RoI), each owning one gradient
// plane: the transpose of the same two steps, a reduction of the output rows
// into mh x nx sums (vectorised over pixels) and then of the columns into the
// lattice (vectorised over lattice rows).
#include <ATen/OpMathType.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <type_traits>
#include <vector>

#include "pytorch_cpp_helper.hpp"
#include "roi_inlay_geometry.h"

#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#pragma message( \
    "mmrefine: compiled without -fopenmp, at::parallel_for will run serially")
#endif

namespace {

using mmrefine::RoIInlayAxis;
using mmrefine::RoIInlayTap;

template <typename acc_t>
struct RoIGeometry {
  int batch;  // -1: the RoI covers no pixel
  RoIInlayAxis<acc_t> y;
  RoIInlayAxis<acc_t> x;
  int64_t y_taps_offset;  // into RoIInlayPlan::y_taps, one per covered row
  int64_t x_taps_offset;  // into RoIInlayPlan::x_taps, one per covered column
};

// Everything that depends on the RoIs only, not on the channel.
template <typename acc_t>
struct RoIInlayPlan {
  std::vector<RoIGeometry<acc_t>> rois;
  std::vector<RoIInlayTap<acc_t>> y_taps;
  std::vector<RoIInlayTap<acc_t>> x_taps;
  std::vector<int> rois_by_image;       // RoI indices grouped by image ...
  std::vector<int64_t> image_offsets;   // ... image b: [offsets[b], offsets[b + 1])
  std::vector<acc_t> inv_count;         // (B, H, W): 1 / #RoIs covering, or 0
  std::vector<int> overlap_begin;       // (B, H): columns of a row covered ...
  std::vector<int> overlap_end;         // ... by two or more RoIs lie in [begin, end)
};

template <typename scalar_t, typename acc_t>
RoIInlayPlan<acc_t> make_plan(const at::Tensor& rois, int64_t num_imgs,
                              int height, int width, int roi_height,
                              int roi_width, acc_t spatial_scale,
                              bool aligned) {
  const int64_t num_rois = rois.size(0);
  const scalar_t* rois_data = rois.data_ptr<scalar_t>();
  RoIInlayPlan<acc_t> plan;
  plan.rois.resize(num_rois);
  plan.image_offsets.assign(num_imgs + 1, 0);
  int64_t num_y_taps = 0, num_x_taps = 0;
  for (int64_t k = 0; k < num_rois; ++k) {
    const scalar_t* roi = rois_data + k * 5;
    RoIGeometry<acc_t>& geometry = plan.rois[k];
    geometry.batch = mmrefine::roi_inlay_batch_index(
        static_cast<acc_t>(roi[0]), static_cast<int>(num_imgs));
    geometry.x = mmrefine::roi_inlay_axis<acc_t>(roi[1], roi[3], spatial_scale,
                                                 aligned, roi_width, width);
    geometry.y = mmrefine::roi_inlay_axis<acc_t>(roi[2], roi[4], spatial_scale,
                                                 aligned, roi_height, height);
    if (geometry.x.begin == geometry.x.end ||
        geometry.y.begin == geometry.y.end) {
      geometry.batch = -1;
    }
    geometry.y_taps_offset = num_y_taps;
    geometry.x_taps_offset = num_x_taps;
    if (geometry.batch >= 0) {
      num_y_taps += geometry.y.end - geometry.y.begin;
      num_x_taps += geometry.x.end - geometry.x.begin;
      ++plan.image_offsets[geometry.batch + 1];
    }
  }
  for (int64_t b = 0; b < num_imgs; ++b) {
    plan.image_offsets[b + 1] += plan.image_offsets[b];
  }
  plan.rois_by_image.resize(plan.image_offsets[num_imgs]);
  plan.y_taps.resize(num_y_taps);
  plan.x_taps.resize(num_x_taps);
  std::vector<int64_t> next(plan.image_offsets.begin(),
                            plan.image_offsets.end() - 1);
  for (int64_t k = 0; k < num_rois; ++k) {
    const RoIGeometry<acc_t>& geometry = plan.rois[k];
    if (geometry.batch < 0) continue;
    plan.rois_by_image[next[geometry.batch]++] = static_cast<int>(k);
    for (int y = geometry.y.begin; y < geometry.y.end; ++y) {
      plan.y_taps[geometry.y_taps_offset + y - geometry.y.begin] =
          mmrefine::roi_inlay_tap(geometry.y, y);
    }
    const int num_cols = geometry.x.end - geometry.x.begin;
    RoIInlayTap<acc_t>* x_taps = plan.x_taps.data() + geometry.x_taps_offset;
    for (int x = 0; x < num_cols; ++x) {
      x_taps[x] = mmrefine::roi_inlay_tap(geometry.x, geometry.x.begin + x);
    }
  }

  // Coverage, one row at a time.
  plan.inv_count.assign(num_imgs * height * width, acc_t(0));
  plan.overlap_begin.assign(num_imgs * height, 0);
  plan.overlap_end.assign(num_imgs * height, 0);
  at::parallel_for(0, num_imgs * height, 16, [&](int64_t begin, int64_t end) {
    std::vector<int> count(width);
    for (int64_t row = begin; row < end; ++row) {
      const int64_t b = row / height;
      const int y = static_cast<int>(row % height);
      std::fill(count.begin(), count.end(), 0);
      for (int64_t n = plan.image_offsets[b]; n < plan.image_offsets[b + 1];
           ++n) {
        const RoIGeometry<acc_t>& geometry = plan.rois[plan.rois_by_image[n]];
        if (y < geometry.y.begin || y >= geometry.y.end) continue;
        for (int x = geometry.x.begin; x < geometry.x.end; ++x) ++count[x];
      }
      acc_t* inv_count = plan.inv_count.data() + row * width;
      int overlap_begin = width, overlap_end = 0;
      for (int x = 0; x < width; ++x) {
        if (count[x] == 0) continue;
        inv_count[x] = acc_t(1) / acc_t(count[x]);
        if (count[x] > 1) {
          overlap_begin = std::min(overlap_begin, x);
          overlap_end = x + 1;
        }
      }
      plan.overlap_begin[row] = overlap_begin;
      plan.overlap_end[row] = std::max(overlap_end, overlap_begin);
    }
  });
  return plan;
}

// Lattice rows [i_first, i_last] of patch (roi_height x roi_width) interpolated
// at the RoI's columns into u (rows of num_cols values). All rows at once,
// through the transposed patch: for a column both taps are then contiguous
// runs of lattice rows. transposed holds (roi_width + 1) * roi_height values.
template <typename scalar_t, typename acc_t>
void interpolate_columns(const scalar_t* patch, const RoIInlayTap<acc_t>* taps,
                         int num_cols, int roi_height, int roi_width,
                         int i_first, int i_last,
                         acc_t* __restrict__ transposed, acc_t* __restrict__ u) {
  const int num_rows = i_last - i_first + 1;
  for (int i = 0; i < num_rows; ++i) {
    const scalar_t* row = patch + static_cast<int64_t>(i_first + i) * roi_width;
    for (int j = 0; j < roi_width; ++j) {
      transposed[j * num_rows + i] = static_cast<acc_t>(row[j]);
    }
  }
  // Taps past the last point read this copy with weight 0.
  std::copy(transposed + (roi_width - 1) * num_rows,
            transposed + roi_width * num_rows, transposed + roi_width * num_rows);
  for (int x = 0; x < num_cols; ++x) {
    const RoIInlayTap<acc_t> tap = taps[x];
    const acc_t* __restrict__ low = transposed + tap.low * num_rows;
    const acc_t* __restrict__ high = low + num_rows;
    for (int i = 0; i < num_rows; ++i) {
      u[static_cast<int64_t>(i) * num_cols + x] =
          tap.w_low * low[i] + tap.w_high * high[i];
    }
  }
}

// Rows [y0, y1) of output plane (b, c), accumulated in acc, which points at
// the plane (the output itself when scalar_t == acc_t). u holds
// roi_height * width values, transposed (roi_width + 1) * roi_height.
template <typename scalar_t, typename acc_t>
void inlay_plane_rows(const RoIInlayPlan<acc_t>& plan, const scalar_t* feats,
                      int64_t channels, int roi_height, int roi_width,
                      int height, int width, int64_t b, int64_t c, int y0,
                      int y1, acc_t* acc, acc_t* u, acc_t* transposed) {
  const int64_t roi_plane = static_cast<int64_t>(roi_height) * roi_width;
  std::fill(acc + static_cast<int64_t>(y0) * width,
            acc + static_cast<int64_t>(y1) * width, acc_t(0));
  for (int64_t n = plan.image_offsets[b]; n < plan.image_offsets[b + 1]; ++n) {
    const int64_t k = plan.rois_by_image[n];
    const RoIGeometry<acc_t>& geometry = plan.rois[k];
    const int ya = std::max(y0, geometry.y.begin);
    const int yb = std::min(y1, geometry.y.end);
    if (ya >= yb) continue;
    const RoIInlayTap<acc_t>* y_taps =
        plan.y_taps.data() + geometry.y_taps_offset;
    const RoIInlayTap<acc_t>* x_taps =
        plan.x_taps.data() + geometry.x_taps_offset;
    const int num_cols = geometry.x.end - geometry.x.begin;
    // The lattice rows these output rows blend, interpolated along x ...
    const int i_first = y_taps[ya - geometry.y.begin].low;
    const int i_last =
        std::min(y_taps[yb - 1 - geometry.y.begin].low + 1, roi_height - 1);
    interpolate_columns(feats + (k * channels + c) * roi_plane, x_taps,
                        num_cols, roi_height, roi_width, i_first, i_last,
                        transposed, u);
    // ... and each output row is a blend of two of them.
    for (int y = ya; y < yb; ++y) {
      const RoIInlayTap<acc_t> tap = y_taps[y - geometry.y.begin];
      const acc_t* __restrict__ u_low =
          u + static_cast<int64_t>(tap.low - i_first) * num_cols;
      const acc_t* __restrict__ u_high =
          tap.low + 1 < roi_height ? u_low + num_cols : u_low;
      acc_t* __restrict__ dst =
          acc + static_cast<int64_t>(y) * width + geometry.x.begin;
      const acc_t w_low = tap.w_low, w_high = tap.w_high;
      for (int x = 0; x < num_cols; ++x) {
        dst[x] += w_low * u_low[x] + w_high * u_high[x];
      }
    }
  }
  // Average where RoIs overlap (elsewhere the coverage is 0 or 1).
  for (int y = y0; y < y1; ++y) {
    const int64_t row = b * height + y;
    acc_t* __restrict__ dst = acc + static_cast<int64_t>(y) * width;
    const acc_t* __restrict__ inv_count = plan.inv_count.data() + row * width;
    for (int x = plan.overlap_begin[row]; x < plan.overlap_end[row]; ++x) {
      dst[x] *= inv_count[x];
    }
  }
}

template <typename scalar_t>
void roi_inlay_forward_cpu_kernel(const at::Tensor& roi_feats,
                                  const at::Tensor& rois, at::Tensor& output,
                                  double spatial_scale, bool aligned) {
  using acc_t = at::opmath_type<scalar_t>;
  constexpr bool kAccumulateInOutput = std::is_same<scalar_t, acc_t>::value;
  const int64_t channels = roi_feats.size(1);
  const int roi_height = roi_feats.size(2), roi_width = roi_feats.size(3);
  const int64_t num_imgs = output.size(0);
  const int height = output.size(2), width = output.size(3);
  const RoIInlayPlan<acc_t> plan = make_plan<scalar_t, acc_t>(
      rois, num_imgs, height, width, roi_height, roi_width,
      static_cast<acc_t>(spatial_scale), aligned);
  const scalar_t* feats = roi_feats.data_ptr<scalar_t>();
  scalar_t* out = output.data_ptr<scalar_t>();
  const int64_t plane_size = static_cast<int64_t>(height) * width;

  // Output rows (b, c, y); a thread's range is handled plane by plane.
  at::parallel_for(0, num_imgs * channels * height, height,
                   [&](int64_t begin, int64_t end) {
    std::vector<acc_t> u(static_cast<int64_t>(roi_height) * width);
    std::vector<acc_t> transposed((roi_width + 1) * roi_height);
    std::vector<acc_t> buffer(kAccumulateInOutput ? 0 : plane_size);
    for (int64_t row = begin; row < end;) {
      const int64_t plane = row / height;
      const int y0 = static_cast<int>(row % height);
      const int y1 = static_cast<int>(std::min<int64_t>(height, y0 + end - row));
      scalar_t* out_plane = out + plane * plane_size;
      acc_t* acc = kAccumulateInOutput ? reinterpret_cast<acc_t*>(out_plane)
                                       : buffer.data();
      inlay_plane_rows(plan, feats, channels, roi_height, roi_width, height,
                       width, plane / channels, plane % channels, y0, y1, acc,
                       u.data(), transposed.data());
      if (!kAccumulateInOutput) {
        std::transform(acc + static_cast<int64_t>(y0) * width,
                       acc + static_cast<int64_t>(y1) * width,
                       out_plane + static_cast<int64_t>(y0) * width,
                       [](acc_t v) { return static_cast<scalar_t>(v); });
      }
      row += y1 - y0;
    }
  });
}

// Gradient of roi_feats[k, c]. sums holds roi_height * width values, lattice
// (roi_width + 1) * roi_height.
template <typename scalar_t, typename acc_t>
void inlay_backward_plane(const RoIInlayPlan<acc_t>& plan,
                          const scalar_t* grad_output, int64_t channels,
                          int roi_height, int roi_width, int height, int width,
                          int64_t k, int64_t c, acc_t* sums, acc_t* lattice,
                          scalar_t* grad_roi_feats) {
  const int64_t roi_plane = static_cast<int64_t>(roi_height) * roi_width;
  scalar_t* grad = grad_roi_feats + (k * channels + c) * roi_plane;
  const RoIGeometry<acc_t>& geometry = plan.rois[k];
  if (geometry.batch < 0) {
    std::fill(grad, grad + roi_plane, scalar_t(0));
    return;
  }
  const int num_cols = geometry.x.end - geometry.x.begin;
  std::fill(sums, sums + roi_height * num_cols, acc_t(0));
  // Rows of the (averaged) output gradient summed into the lattice rows ...
  const int64_t image_row = static_cast<int64_t>(geometry.batch) * height;
  const scalar_t* grad_plane =
      grad_output + (geometry.batch * channels + c) * height * width;
  const RoIInlayTap<acc_t>* y_taps = plan.y_taps.data() + geometry.y_taps_offset;
  for (int y = geometry.y.begin; y < geometry.y.end; ++y) {
    const RoIInlayTap<acc_t> tap = y_taps[y - geometry.y.begin];
    const scalar_t* __restrict__ src =
        grad_plane + static_cast<int64_t>(y) * width + geometry.x.begin;
    const acc_t* __restrict__ inv_count = plan.inv_count.data() +
                                          (image_row + y) * width +
                                          geometry.x.begin;
    acc_t* __restrict__ sum_low = sums + tap.low * num_cols;
    const acc_t w_low = tap.w_low, w_high = tap.w_high;
    if (tap.low + 1 < roi_height) {
      acc_t* __restrict__ sum_high = sum_low + num_cols;
      for (int x = 0; x < num_cols; ++x) {
        const acc_t value = static_cast<acc_t>(src[x]) * inv_count[x];
        sum_low[x] += w_low * value;
        sum_high[x] += w_high * value;
      }
    } else {  // the last lattice row: w_high == 0
      for (int x = 0; x < num_cols; ++x) {
        sum_low[x] += w_low * static_cast<acc_t>(src[x]) * inv_count[x];
      }
    }
  }
  // ... and along x to the sampling points, all lattice rows at once:
  // columns innermost in sums, rows innermost in lattice (the transpose of the
  // gradient, with a padding row for the weight-0 taps past the last point).
  std::fill(lattice, lattice + (roi_width + 1) * roi_height, acc_t(0));
  const RoIInlayTap<acc_t>* x_taps = plan.x_taps.data() + geometry.x_taps_offset;
  for (int x = 0; x < num_cols; ++x) {
    const RoIInlayTap<acc_t> tap = x_taps[x];
    acc_t* __restrict__ point_low = lattice + tap.low * roi_height;
    acc_t* __restrict__ point_high = point_low + roi_height;
    const acc_t* __restrict__ column = sums + x;
    for (int i = 0; i < roi_height; ++i) {
      const acc_t value = column[static_cast<int64_t>(i) * num_cols];
      point_low[i] += tap.w_low * value;
      point_high[i] += tap.w_high * value;
    }
  }
  for (int i = 0; i < roi_height; ++i) {
    for (int j = 0; j < roi_width; ++j) {
      grad[static_cast<int64_t>(i) * roi_width + j] =
          static_cast<scalar_t>(lattice[j * roi_height + i]);
    }
  }
}

template <typename scalar_t>
void roi_inlay_backward_cpu_kernel(const at::Tensor& grad_output,
                                   const at::Tensor& rois,
                                   at::Tensor& grad_roi_feats,
                                   double spatial_scale, bool aligned) {
  using acc_t = at::opmath_type<scalar_t>;
  const int64_t num_rois = grad_roi_feats.size(0);
  const int64_t channels = grad_roi_feats.size(1);
  const int roi_height = grad_roi_feats.size(2);
  const int roi_width = grad_roi_feats.size(3);
  const int64_t num_imgs = grad_output.size(0);
  const int height = grad_output.size(2), width = grad_output.size(3);
  const RoIInlayPlan<acc_t> plan = make_plan<scalar_t, acc_t>(
      rois, num_imgs, height, width, roi_height, roi_width,
      static_cast<acc_t>(spatial_scale), aligned);
  const scalar_t* grad = grad_output.data_ptr<scalar_t>();
  scalar_t* grad_feats = grad_roi_feats.data_ptr<scalar_t>();

  // Items (c, k), channel-major, so that consecutive items read the same
  // output-gradient plane while it is in cache.
  at::parallel_for(0, channels * num_rois, 1, [&](int64_t begin, int64_t end) {
    std::vector<acc_t> sums(static_cast<int64_t>(roi_height) * width);
    std::vector<acc_t> lattice((roi_width + 1) * roi_height);
    for (int64_t item = begin; item < end; ++item) {
      inlay_backward_plane(plan, grad, channels, roi_height, roi_width, height,
                           width, item % num_rois, item / num_rois,
                           sums.data(), lattice.data(), grad_feats);
    }
  });
}

}  // namespace

void roi_inlay_forward_cpu(const at::Tensor& roi_feats, const at::Tensor& rois,
                           at::Tensor& output, double spatial_scale,
                           bool aligned) {
  AT_DISPATCH_FLOATING_TYPES_AND_HALF(
      roi_feats.scalar_type(), "roi_inlay_forward_cpu", [&] {
        roi_inlay_forward_cpu_kernel<scalar_t>(roi_feats, rois, output,
                                               spatial_scale, aligned);
      });
}

void roi_inlay_backward_cpu(const at::Tensor& grad_output,
                            const at::Tensor& rois, at::Tensor& grad_roi_feats,
                            double spatial_scale, bool aligned) {
  AT_DISPATCH_FLOATING_TYPES_AND_HALF(
      grad_output.scalar_type(), "roi_inlay_backward_cpu", [&] {
        roi_inlay_backward_cpu_kernel<scalar_t>(grad_output, rois,
                                                grad_roi_feats, spatial_scale,
                                                aligned);
      });
}
