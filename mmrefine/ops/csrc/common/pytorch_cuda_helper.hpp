// Includes and launch helpers for the CUDA sources. Only c10's CUDA headers
// are used (no cuBLAS/cuSPARSE headers needed to build the ops).
#ifndef MMREFINE_PYTORCH_CUDA_HELPER_HPP
#define MMREFINE_PYTORCH_CUDA_HELPER_HPP

#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/OpMathType.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>

#include "cuda/common_cuda_helper.hpp"
#include "pytorch_cpp_helper.hpp"

#endif  // MMREFINE_PYTORCH_CUDA_HELPER_HPP
