// Kernel bodies and the table that instantiates every (operation, approximation,
// dtype). gelu_kernels.cu turns each row into two __global__ entry points;
// gelu_host.cpp turns the same rows into the host dispatch and the name table.
#pragma once

#include <type_traits>

#include "gelu_math.cuh"
#include "pointwise.cuh"

// X(approx name, gelu::Approx member, dtype name, storage type)
#define GELU_VARIANTS(X)                              \
    X(exact, Exact, f32, float)                       \
    X(exact, Exact, f16, __half)                      \
    X(exact, Exact, bf16, __nv_bfloat16)              \
    X(tanh, Tanh, f32, float)                         \
    X(tanh, Tanh, f16, __half)                        \
    X(tanh, Tanh, bf16, __nv_bfloat16)                \
    X(sigmoid, Sigmoid, f32, float)                   \
    X(sigmoid, Sigmoid, f16, __half)                  \
    X(sigmoid, Sigmoid, bf16, __nv_bfloat16)

#define GELU_FORWARD_NAME(approx, dtype) gelu_forward_##approx##_##dtype
#define GELU_BACKWARD_NAME(approx, dtype) gelu_backward_##approx##_##dtype

namespace gelu {

// fp32 storage gets the accurate flavour, fp16/bf16 the fast one (gelu_math.cuh).
template <class T>
constexpr bool fast_math_for = !std::is_same<T, float>::value;

template <class T, Approx A>
struct ForwardOp {
    static GELU_HD float apply(const float (&v)[1]) { return Gelu<A, fast_math_for<T>>::forward(v[0]); }
};

template <class T, Approx A>
struct BackwardOp {
    static GELU_HD float apply(const float (&v)[2]) {
        return Gelu<A, fast_math_for<T>>::backward(v[0], v[1]);
    }
};

template <class T, Approx A>
GELU_HD void forward_body(const T* x, T* y, uint64_t n, uint64_t tid, uint64_t nthreads) {
    pointwise<T, ForwardOp<T, A>, 1>({{x}, y, n}, tid, nthreads);
}

template <class T, Approx A>
GELU_HD void backward_body(const T* x, const T* dy, T* dx, uint64_t n, uint64_t tid,
                           uint64_t nthreads) {
    pointwise<T, BackwardOp<T, A>, 2>({{x, dy}, dx, n}, tid, nthreads);
}

}  // namespace gelu
