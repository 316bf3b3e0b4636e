// RoI geometry of RoIInlay, shared by the CPU and CUDA kernels so that both
// (and the PyTorch reference in mmrefine/ops/roi_inlay.py, which repeats these
// formulas operation by operation) decide coverage and weights identically.
//
// Coordinates are in the index space of the target map: pixel p (a row or a
// column index) sits at coordinate p, exactly as mmcv's RoIAlign sees its input.
// Along one axis an RoI [c1, c2] (image coordinates) becomes
//   start = c1 * spatial_scale - offset,  end = c2 * spatial_scale - offset,
// offset = 0.5 when aligned (pixel centres at +0.5 in image coordinates), else 0
// and the length is then raised to at least 1 (mmcv's legacy behaviour).
// Pixel p is inside the RoI iff start <= p < end (half-open, so RoIs that share
// an edge never both claim a pixel). The m sampling points of RoIAlign with
// sampling_ratio=1 sit at start + (i + 0.5) * bin, bin = (end - start) / m, so
// the lattice coordinate of pixel p is t = (p - start) / bin - 0.5, clamped to
// [0, m - 1] (pixels beyond the outermost points take the boundary value).
#ifndef MMREFINE_ROI_INLAY_GEOMETRY_H
#define MMREFINE_ROI_INLAY_GEOMETRY_H

#include <math.h>

#ifdef __CUDACC__
#define MMREFINE_HOST_DEVICE __host__ __device__ __forceinline__
#else
#define MMREFINE_HOST_DEVICE inline
#endif

namespace mmrefine {

// One axis of one RoI.
template <typename T>
struct RoIInlayAxis {
  int begin;   // first pixel inside the RoI (clipped to the map)
  int end;     // one past the last pixel inside the RoI (clipped to the map)
  int points;  // number of sampling points m along this axis
  T start;     // RoI start in index space
  T bin;       // distance between two sampling points
};

// Bilinear taps of one pixel along one axis: value = w_low * v[low] +
// w_high * v[low + 1]; at the last point w_high == 0.
template <typename T>
struct RoIInlayTap {
  int low;
  T w_low;
  T w_high;
};

MMREFINE_HOST_DEVICE float roi_inlay_ceil(float v) { return ceilf(v); }
MMREFINE_HOST_DEVICE double roi_inlay_ceil(double v) { return ceil(v); }

// Products rounded on their own: nvcc would otherwise fuse c * scale - offset
// into one FMA and disagree with the CPU on pixels exactly on an RoI edge.
MMREFINE_HOST_DEVICE float roi_inlay_mul(float a, float b) {
#ifdef __CUDA_ARCH__
  return __fmul_rn(a, b);
#else
  return a * b;
#endif
}
MMREFINE_HOST_DEVICE double roi_inlay_mul(double a, double b) {
#ifdef __CUDA_ARCH__
  return __dmul_rn(a, b);
#else
  return a * b;
#endif
}

template <typename T>
MMREFINE_HOST_DEVICE bool roi_inlay_isfinite(T v) {
  return v - v == T(0);  // false for inf and NaN
}

template <typename T>
MMREFINE_HOST_DEVICE RoIInlayAxis<T> roi_inlay_axis(T c1, T c2,
                                                    T spatial_scale,
                                                    bool aligned, int points,
                                                    int size) {
  const T offset = aligned ? T(0.5) : T(0);
  RoIInlayAxis<T> axis;
  axis.points = points;
  axis.start = roi_inlay_mul(c1, spatial_scale) - offset;
  T end = roi_inlay_mul(c2, spatial_scale) - offset;
  T length = end - axis.start;
  if (!aligned && !(length >= T(1))) {
    length = T(1);
    end = axis.start + T(1);
  }
  axis.bin = length / T(points);
  axis.begin = 0;
  axis.end = 0;
  if (roi_inlay_isfinite(axis.start) && roi_inlay_isfinite(end)) {
    // Clamp before converting so that far-away RoIs cannot overflow int.
    T lo = roi_inlay_ceil(axis.start), hi = roi_inlay_ceil(end);
    lo = lo < T(0) ? T(0) : (lo > T(size) ? T(size) : lo);
    hi = hi < T(0) ? T(0) : (hi > T(size) ? T(size) : hi);
    axis.begin = static_cast<int>(lo);
    axis.end = hi > lo ? static_cast<int>(hi) : axis.begin;
  }
  return axis;
}

// Lattice coordinate t of pixel p, clamped to [0, points - 1]. Only valid for
// begin <= p < end (then bin > 0).
template <typename T>
MMREFINE_HOST_DEVICE T roi_inlay_lattice(const RoIInlayAxis<T>& axis, int p) {
  const T t = (T(p) - axis.start) / axis.bin - T(0.5);
  const T last = T(axis.points - 1);
  const T above = t > T(0) ? t : T(0);
  return above < last ? above : last;
}

// The taps of lattice coordinate t (t is non-decreasing in p, and so is low).
template <typename T>
MMREFINE_HOST_DEVICE RoIInlayTap<T> roi_inlay_tap(T t) {
  RoIInlayTap<T> tap;
  tap.low = static_cast<int>(t);
  tap.w_high = t - T(tap.low);
  tap.w_low = T(1) - tap.w_high;
  return tap;
}

template <typename T>
MMREFINE_HOST_DEVICE RoIInlayTap<T> roi_inlay_tap(const RoIInlayAxis<T>& axis,
                                                  int p) {
  return roi_inlay_tap(roi_inlay_lattice(axis, p));
}

// The image an RoI belongs to, or -1 when its index is not in [0, num_imgs).
template <typename T>
MMREFINE_HOST_DEVICE int roi_inlay_batch_index(T value, int num_imgs) {
  return value >= T(0) && value < T(num_imgs) ? static_cast<int>(value) : -1;
}

}  // namespace mmrefine

#endif  // MMREFINE_ROI_INLAY_GEOMETRY_H
