// Private to the host build: what the two compilations of gelu_host.cpp (generic,
// and with the CPU's FMA instructions) and the dispatch in gelu_host_dispatch.cpp
// share. Not part of the ABI.
#pragma once

#include "gelu_abi.h"
#include "gelu_kernels.cuh"

#if defined(GELU_HOST_FMA)
#define GELU_HOST_VARIANT(name) name##_fma
#else
#define GELU_HOST_VARIANT(name) name##_generic
#endif

// The FMA compilation exists on x86-64 only; elsewhere fmaf is an instruction anyway
// or the generic build is all there is.
#if defined(__x86_64__) && defined(__GNUC__)
#define GELU_HOST_HAS_FMA_VARIANT 1
#endif

extern "C" {
#define GELU_HOST_DECLARE(suffix)                                                                \
    gelu_status gelu_host_forward_##suffix(gelu_approx, gelu_dtype, const void*, void*, uint64_t, \
                                           gelu_host_launch);                                    \
    gelu_status gelu_host_backward_##suffix(gelu_approx, gelu_dtype, const void*, const void*,   \
                                            void*, uint64_t, gelu_host_launch);                  \
    gelu_status gelu_host_rows_##suffix(gelu_op, gelu_approx, gelu_dtype, const gelu_rows_args*, \
                                        gelu_host_launch);                                       \
    gelu_status gelu_host_survey_##suffix(gelu_op, gelu_approx, const gelu_survey_args*,         \
                                          gelu_host_launch);
GELU_HOST_DECLARE(generic)
#if defined(GELU_HOST_HAS_FMA_VARIANT)
GELU_HOST_DECLARE(fma)
#endif
#undef GELU_HOST_DECLARE
}

namespace gelu_host {

template <class T>
constexpr gelu_dtype dtype_of();
template <>
constexpr gelu_dtype dtype_of<float>() { return GELU_DTYPE_F32; }
template <>
constexpr gelu_dtype dtype_of<__half>() { return GELU_DTYPE_F16; }
template <>
constexpr gelu_dtype dtype_of<__nv_bfloat16>() { return GELU_DTYPE_BF16; }

constexpr gelu_approx approx_of(gelu::Approx a) {
    return a == gelu::Approx::Exact  ? GELU_APPROX_EXACT
           : a == gelu::Approx::Tanh ? GELU_APPROX_TANH
                                     : GELU_APPROX_SIGMOID;
}

}  // namespace gelu_host
