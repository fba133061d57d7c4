// What differs between the GPU and the host build of the kernel sources, kept in
// one place: function qualifiers, bit casts, the vector width, and the two
// special-function-unit approximations the fp16/bf16 kernels use.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "gelu_abi.h"

#if defined(__CUDACC__)
#define GELU_HD __host__ __device__ __forceinline__
#else
#include <cmath>
#include <cstring>
#define GELU_HD inline
#endif

namespace gelu {

GELU_HD float bits_to_float(uint32_t bits) {
#if defined(__CUDA_ARCH__)
    return __uint_as_float(bits);
#else
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
#endif
}

// 2^n for n in [-126, 127], built exactly from its bits.
GELU_HD float pow2i(int n) { return bits_to_float(uint32_t(n + 127) << 23); }

GELU_HD int float_to_bits(float f) {
#if defined(__CUDA_ARCH__)
    return __float_as_int(f);
#else
    int b;
    std::memcpy(&b, &f, sizeof b);
    return b;
#endif
}

constexpr float TWO_POW_64 = 1.8446744e19f;       // 2^64
constexpr float TWO_POW_MINUS_64 = 5.42101086e-20f;  // 2^-64

// m * 2^k * (down / 2^-64) with a single rounding, also when the result is
// subnormal: the first product stays normal (exact), only the second can round.
// -190 <= k <= 63, and m 2^(k + 64) below 2^128.
GELU_HD float scale2(float m, int k, float down = TWO_POW_MINUS_64) { return m * pow2i(k + 64) * down; }

// m * down rounded towards +infinity, down a power of two <= 1: one rounding, which
// happens only where the result is subnormal. The host has no per-operation
// rounding mode; it rounds to nearest and steps up where scaling back (exactly, by
// 1/down) shows that it went down.
GELU_HD float scale_down_round_up(float m, float down) {
#if defined(__CUDA_ARCH__)
    return __fmul_ru(m, down);
#else
    const float p = m * down;
    return p * (1.0f / down) < m ? std::nextafter(p, INFINITY) : p;
#endif
}

// Polynomial c0 + c1 t + c2 t^2 + ... by Horner's rule with fused multiply-adds.
GELU_HD float horner(float, float c0) { return c0; }
template <class... Rest>
GELU_HD float horner(float t, float c0, Rest... rest) {
    return fmaf(horner(t, rest...), t, c0);
}

#if !defined(__CUDA_ARCH__)
// Whether the engine uses 32-byte vectors, set by the host entry points for the OS
// thread that runs a launch (gelu_host_launch's wide_vectors).
inline thread_local bool host_wide_vectors = false;
#endif

// Whether this target has 32-byte vector accesses (LDG.256 and STG.256): fixed per
// architecture on the GPU, so that older architectures compile no wide path at all;
// chosen per launch on the host, which runs either.
GELU_HD bool wide_vectors() {
#if defined(__CUDA_ARCH__)
    return __CUDA_ARCH__ >= GELU_WIDE_VECTOR_ARCH * 10;
#else
    return host_wide_vectors;
#endif
}

#if !defined(__CUDA_ARCH__)
// The host's model of the special function unit's error (gelu_host_launch's
// sfu_error), set by the host entry points for the OS thread that runs a launch.
inline thread_local float host_sfu_error = 0.0f;

// r moved by host_sfu_error relative to it, up or down by one bit of a hash of the
// argument a (salted per function, so that 2^a and 1/a err independently).
inline float host_sfu_model(float r, float a, uint32_t salt) {
    const uint32_t h = (uint32_t(float_to_bits(a)) ^ salt) * 2654435761u;
    return r * (1.0f + ((h >> 31) != 0 ? host_sfu_error : -host_sfu_error));
}
#endif

// 2^a and 1/a on the special function unit (relative error about 2^-22). Only the
// fp16/bf16 kernels use them: their results are rounded to 8 or 11 bits, and the
// MUFU saves the issue slots a polynomial would cost. The host build uses the
// correctly rounded libm equivalents, moved by the error model above when it is
// set. Subnormal results flush to zero (the callers scale so that the results
// they need stay normal).
GELU_HD float approx_exp2(float a) {
#if defined(__CUDA_ARCH__)
    float r;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(a));
    return r;
#else
    const float r = host_sfu_model(std::exp2(a), a, 0x2e5bf271u);
    return std::fabs(r) < 1.17549435e-38f ? 0.0f : r;
#endif
}

GELU_HD float approx_rcp(float a) {
#if defined(__CUDA_ARCH__)
    float r;
    asm("rcp.approx.ftz.f32 %0, %1;" : "=f"(r) : "f"(a));
    return r;
#else
    return host_sfu_model(1.0f / a, a, 0x9e3779b9u);
#endif
}

}  // namespace gelu
