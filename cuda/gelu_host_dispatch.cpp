// The C ABI of the host library: the kernel name table and the dispatch between the
// generic and the FMA compilation of gelu_host.cpp.
#include "gelu_host_variants.h"

#define GELU_STRINGIFY_(x) #x
#define GELU_STRINGIFY(x) GELU_STRINGIFY_(x)

using gelu_host::approx_of;
using gelu_host::dtype_of;

extern "C" const char* gelu_kernel_name(gelu_op op, gelu_approx approx, gelu_dtype dtype) {
#define GELU_NAME_CASE(approx_, A, dtype_, T)                                                \
    if (approx == approx_of(gelu::Approx::A) && dtype == dtype_of<T>())                              \
        return op == GELU_OP_FORWARD    ? GELU_STRINGIFY(GELU_FORWARD_NAME(approx_, dtype_))   \
               : op == GELU_OP_BACKWARD ? GELU_STRINGIFY(GELU_BACKWARD_NAME(approx_, dtype_)) \
                                        : nullptr;
    GELU_VARIANTS(GELU_NAME_CASE)
#undef GELU_NAME_CASE
    return nullptr;
}

namespace {

bool cpu_has_fma() {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    static const bool has = __builtin_cpu_supports("fma") && __builtin_cpu_supports("avx2");
    return has;
#else
    return false;
#endif
}

}  // namespace

extern "C" gelu_status gelu_host_forward(gelu_approx approx, gelu_dtype dtype, const void* x,
                                         void* y, uint64_t n, gelu_host_launch launch) {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    if (cpu_has_fma()) return gelu_host_forward_fma(approx, dtype, x, y, n, launch);
#endif
    return gelu_host_forward_generic(approx, dtype, x, y, n, launch);
}

extern "C" gelu_status gelu_host_backward(gelu_approx approx, gelu_dtype dtype, const void* x,
                                          const void* dy, void* dx, uint64_t n,
                                          gelu_host_launch launch) {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    if (cpu_has_fma()) return gelu_host_backward_fma(approx, dtype, x, dy, dx, n, launch);
#endif
    return gelu_host_backward_generic(approx, dtype, x, dy, dx, n, launch);
}
