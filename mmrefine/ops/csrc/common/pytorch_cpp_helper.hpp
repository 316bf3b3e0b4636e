// Argument checks shared by the C++ entry points (mmcv's pytorch_cpp_helper.hpp
// in miniature). They raise c10::Error, which Python sees as RuntimeError.
#ifndef MMREFINE_PYTORCH_CPP_HELPER_HPP
#define MMREFINE_PYTORCH_CPP_HELPER_HPP

#include <ATen/ATen.h>

#define CHECK_CUDA(x) \
  TORCH_CHECK((x).device().is_cuda(), #x " must be a CUDA tensor")
#define CHECK_CPU(x) \
  TORCH_CHECK((x).device().is_cpu(), #x " must be a CPU tensor")
#define CHECK_CONTIGUOUS(x) \
  TORCH_CHECK((x).is_contiguous(), #x " must be contiguous")
#define CHECK_CUDA_INPUT(x) \
  CHECK_CUDA(x);            \
  CHECK_CONTIGUOUS(x)
#define CHECK_CPU_INPUT(x) \
  CHECK_CPU(x);            \
  CHECK_CONTIGUOUS(x)

#endif  // MMREFINE_PYTORCH_CPP_HELPER_HPP
