// Grid-stride loop and launch-size helpers, as in mmcv's common_cuda_helper.hpp.
#ifndef MMREFINE_COMMON_CUDA_HELPER_HPP
#define MMREFINE_COMMON_CUDA_HELPER_HPP

#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#define CUDA_1D_KERNEL_LOOP(i, n)                                    \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); \
       i += (int64_t)blockDim.x * gridDim.x)

#define THREADS_PER_BLOCK 256

// Enough blocks to fill the device several times over; the kernels loop over
// the rest with grid-stride loops.
inline int GET_BLOCKS(const int64_t work_items,
                      const int threads = THREADS_PER_BLOCK) {
  const int64_t max_blocks = 4096;
  const int64_t blocks = (work_items + threads - 1) / threads;
  return static_cast<int>(std::max<int64_t>(1, std::min(blocks, max_blocks)));
}

#endif  // MMREFINE_COMMON_CUDA_HELPER_HPP
