// The host build: the kernel bodies of gelu_kernels.cuh run as a loop over the
// threads of an emulated grid. Every kernel is free of shared memory and barriers,
// so running the threads one after another is exactly what the GPU computes.
#include "gelu_abi.h"
#include "gelu_kernels.cuh"

namespace {

#define GELU_STRINGIFY_(x) #x
#define GELU_STRINGIFY(x) GELU_STRINGIFY_(x)

template <class Body>
void emulate(const gelu_host_launch& launch, Body body) {
    for (uint64_t t = launch.first; t < launch.last; ++t) body(t, launch.threads);
}

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

bool valid(const gelu_host_launch& l) { return l.threads > 0 && l.first <= l.last && l.last <= l.threads; }

}  // namespace

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

extern "C" gelu_status gelu_host_forward(gelu_approx approx, gelu_dtype dtype, const void* x,
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

extern "C" gelu_status gelu_host_backward(gelu_approx approx, gelu_dtype dtype, const void* x,
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
