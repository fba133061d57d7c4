// The host build: the kernel bodies of gelu_kernels.cuh run as a loop over the
// threads of an emulated grid. Every kernel is free of shared memory and barriers,
// so running the threads one after another is exactly what the GPU computes.
//
// This file is compiled twice (see gelu_host_dispatch.cpp): as is, and with the
// CPU's fused multiply-add enabled, where each fmaf is one instruction instead of a
// libm call; fma is exactly rounded either way, so both compute the same bits.
#include "gelu_host_variants.h"

#if defined(__x86_64__)
#include <xmmintrin.h>
#else
#include <cfenv>
#endif

namespace {

using gelu_host::approx_of;
using gelu_host::dtype_of;

// The GPU's floating-point rules for the length of a launch, whatever the calling
// thread has set (threads inherit it; a process linked with -ffast-math starts with
// flush-to-zero on): round to nearest even, subnormal inputs and results kept, and
// no trap (the kernels meet inf * 0 where dy is infinite).
class GpuFloatRules {
#if defined(__x86_64__)
    const unsigned saved_ = _mm_getcsr();

public:
    // MXCSR: flush-to-zero (bit 15), the rounding mode (bits 13-14) and
    // denormals-are-zero (bit 6) cleared, every exception masked (bits 7-12).
    GpuFloatRules() { _mm_setcsr((saved_ & ~0xE040u) | 0x1F80u); }
    ~GpuFloatRules() { _mm_setcsr(saved_); }
#else
    std::fenv_t saved_;

public:
    GpuFloatRules() {
        std::fegetenv(&saved_);
        std::fesetenv(FE_DFL_ENV);
    }
    ~GpuFloatRules() { std::fesetenv(&saved_); }
#endif
    GpuFloatRules(const GpuFloatRules&) = delete;
    GpuFloatRules& operator=(const GpuFloatRules&) = delete;
};

template <class Body>
void emulate(const gelu_host_launch& launch, Body body) {
    const GpuFloatRules rules;
    gelu::host_sfu_error = launch.sfu_error;
    gelu::host_wide_vectors = launch.wide_vectors != 0;
    for (uint64_t t = launch.first; t < launch.last; ++t) body(t, launch.threads);
}

bool valid(const gelu_host_launch& l) { return l.threads > 0 && l.first <= l.last && l.last <= l.threads; }

}  // namespace

extern "C" gelu_status GELU_HOST_VARIANT(gelu_host_forward)(gelu_approx approx, gelu_dtype dtype, const void* x,
                                         void* y, uint64_t n, gelu_host_launch launch) {
    if (!valid(launch)) return GELU_STATUS_INVALID_ARGUMENT;
#define GELU_FORWARD_CASE(approx_, A, dtype_, T)                                            \
    if (approx == approx_of(gelu::Approx::A) && dtype == dtype_of<T>()) {                           \
        emulate(launch, [&](uint64_t t, uint64_t threads) {                                   \
            gelu::forward_body<T, gelu::Approx::A>(static_cast<const T*>(x), static_cast<T*>(y), \
                                                   n, t, threads);                            \
        });                                                                                   \
        return GELU_STATUS_OK;                                                                \
    }
    GELU_VARIANTS(GELU_FORWARD_CASE)
#undef GELU_FORWARD_CASE
    return GELU_STATUS_INVALID_ARGUMENT;
}

extern "C" gelu_status GELU_HOST_VARIANT(gelu_host_rows)(gelu_op op, gelu_approx approx,
                                                         gelu_dtype dtype,
                                                         const gelu_rows_args* args,
                                                         gelu_host_launch launch) {
    if (!valid(launch) || args == nullptr) return GELU_STATUS_INVALID_ARGUMENT;
#define GELU_ROWS_CASE(approx_, dtype_, name, OP, body, bounds)                        \
    if (op == OP) {                                                                    \
        emulate(launch, [&](uint64_t t, uint64_t threads) { GELU_UNPAREN body(*args, t, threads); }); \
        return GELU_STATUS_OK;                                                         \
    }
#define GELU_ROWS_ROW(approx_, A, dtype_, T)                                          \
    if (approx == approx_of(gelu::Approx::A) && dtype == dtype_of<T>()) {              \
        GELU_ROWS_OPS(GELU_ROWS_CASE, approx_, A, dtype_, T)                            \
    }
    GELU_VARIANTS(GELU_ROWS_ROW)
#undef GELU_ROWS_ROW
#undef GELU_ROWS_CASE
#define GELU_REDUCE_CASE(dtype_, T)                                                    \
    if (op == GELU_OP_DBIAS_REDUCE && dtype == dtype_of<T>()) {                         \
        emulate(launch, [&](uint64_t t, uint64_t threads) { gelu::dbias_reduce<T>(*args, t, threads); }); \
        return GELU_STATUS_OK;                                                         \
    }
    GELU_DTYPES(GELU_REDUCE_CASE)
#undef GELU_REDUCE_CASE
    return GELU_STATUS_INVALID_ARGUMENT;
}

extern "C" gelu_status GELU_HOST_VARIANT(gelu_host_survey)(gelu_op op, gelu_approx approx,
                                                           const gelu_survey_args* args,
                                                           gelu_host_launch launch) {
    if (!valid(launch) || args == nullptr) return GELU_STATUS_INVALID_ARGUMENT;
#define GELU_SURVEY_CASE(approx_, A)                                                            \
    if (approx == approx_of(gelu::Approx::A) && op == GELU_OP_SURVEY_FORWARD) {                  \
        emulate(launch, [&](uint64_t t, uint64_t n) { gelu::survey::run<gelu::Approx::A, false>(*args, t, n); }); \
        return GELU_STATUS_OK;                                                                  \
    }                                                                                           \
    if (approx == approx_of(gelu::Approx::A) && op == GELU_OP_SURVEY_BACKWARD) {                 \
        emulate(launch, [&](uint64_t t, uint64_t n) { gelu::survey::run<gelu::Approx::A, true>(*args, t, n); }); \
        return GELU_STATUS_OK;                                                                  \
    }
    GELU_APPROXES(GELU_SURVEY_CASE)
#undef GELU_SURVEY_CASE
    return GELU_STATUS_INVALID_ARGUMENT;
}

extern "C" gelu_status GELU_HOST_VARIANT(gelu_host_backward)(gelu_approx approx, gelu_dtype dtype, const void* x,
                                          const void* dy, void* dx, uint64_t n,
                                          gelu_host_launch launch) {
    if (!valid(launch)) return GELU_STATUS_INVALID_ARGUMENT;
#define GELU_BACKWARD_CASE(approx_, A, dtype_, T)                                              \
    if (approx == approx_of(gelu::Approx::A) && dtype == dtype_of<T>()) {                              \
        emulate(launch, [&](uint64_t t, uint64_t threads) {                                      \
            gelu::backward_body<T, gelu::Approx::A>(static_cast<const T*>(x),                    \
                                                    static_cast<const T*>(dy), static_cast<T*>(dx), \
                                                    n, t, threads);                              \
        });                                                                                      \
        return GELU_STATUS_OK;                                                                   \
    }
    GELU_VARIANTS(GELU_BACKWARD_CASE)
#undef GELU_BACKWARD_CASE
    return GELU_STATUS_INVALID_ARGUMENT;
}
