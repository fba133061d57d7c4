// Kernel bodies and the table that instantiates every (operation, approximation,
// dtype). gelu_kernels.cu turns each row into its __global__ entry points;
// gelu_host.cpp and gelu_host_dispatch.cpp turn the same rows into the host
// dispatch and the name table.
#pragma once

#include "gelu_fused.cuh"
#include "gelu_survey.cuh"
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

// X(dtype name, storage type): the approximation-independent kernels.
#define GELU_DTYPES(X)  \
    X(f32, float)       \
    X(f16, __half)      \
    X(bf16, __nv_bfloat16)

// X(approx name, gelu::Approx member): the fp32 accuracy surveys, one per direction.
#define GELU_APPROXES(X) \
    X(exact, Exact)      \
    X(tanh, Tanh)        \
    X(sigmoid, Sigmoid)

// Kernel names: gelu_<op>_<approx>_<dtype>, gelu_dbias_reduce_<dtype>, and
// gelu_survey_<forward|backward>_<approx>.
#define GELU_KERNEL_NAME(op, approx, dtype) gelu_##op##_##approx##_##dtype
#define GELU_REDUCE_NAME(dtype) gelu_dbias_reduce_##dtype
#define GELU_SURVEY_NAME(direction, approx) gelu_survey_##direction##_##approx

// The launch bounds of the bias backward from the input (see GELU_ROWS_OPS).
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 900
#define GELU_BIAS_INPUT_BOUNDS (GELU_BLOCK_THREADS, 2)
#else
#define GELU_BIAS_INPUT_BOUNDS (GELU_BLOCK_THREADS)
#endif

// The row-structured ops of one row of GELU_VARIANTS:
// X(approx name, dtype name, op name, ABI op, (body), (launch bounds)), the body a
// template taking (const gelu_rows_args&, thread, thread count). The pointwise ones
// come in two kernels (GELU_ROWS_WALKS). The bias backward from the input asks for
// two resident blocks before sm_90, as the flat kernels do (below): left to itself,
// ptxas kept some of that code at 64 registers and spilled; from sm_90 on, the
// request only raised the registers (to 96: two blocks where three or four fit).
#define GELU_ROWS_OPS(X, approx, A, dtype, T)                                                  \
    GELU_ROWS_WALKS(X, approx, A, dtype, T, bias_forward, GELU_OP_BIAS_FORWARD, gelu::BiasForwardOp) \
    X(approx, dtype, bias_backward, GELU_OP_BIAS_BACKWARD,                                     \
      (gelu::dbias_partial<T, gelu::Gelu<gelu::Approx::A, T>, false>), (GELU_BLOCK_THREADS)) \
    X(approx, dtype, bias_backward_input, GELU_OP_BIAS_BACKWARD_INPUT,                         \
      (gelu::dbias_partial<T, gelu::Gelu<gelu::Approx::A, T>, true>), GELU_BIAS_INPUT_BOUNDS)  \
    GELU_ROWS_WALKS(X, approx, A, dtype, T, geglu_forward, GELU_OP_GEGLU_FORWARD, gelu::GegluForwardOp) \
    GELU_ROWS_WALKS(X, approx, A, dtype, T, geglu_backward, GELU_OP_GEGLU_BACKWARD, gelu::GegluBackwardOp)

// A pointwise row-structured op's two kernels: row by row in whole vectors
// (gelu_<name>_...), and the rows as one flat array (gelu_<name>_flat_...). The flat
// ones ask ptxas for two resident blocks (at most 128 registers): left to itself it
// kept sm_75's code at 64 and spilled a few bytes in some.
#define GELU_ROWS_WALKS(X, approx, A, dtype, T, name, OP, OpT)                                  \
    X(approx, dtype, name, OP, (gelu::pointwise_rows<T, OpT<gelu::Gelu<gelu::Approx::A, T>>>),  \
      (GELU_BLOCK_THREADS))                                                                    \
    X(approx, dtype, name##_flat, OP##_FLAT,                                                   \
      (gelu::pointwise_rows_flat<T, OpT<gelu::Gelu<gelu::Approx::A, T>>>), (GELU_BLOCK_THREADS, 2))

#define GELU_UNPAREN(...) __VA_ARGS__

namespace gelu {

template <class G>
struct ForwardOp {
    static constexpr int NIN = 1, NOUT = 1;
    static GELU_HD void apply(const float (&in)[1], float (&out)[1]) { out[0] = G::forward(in[0]); }
};

template <class G>
struct BackwardOp {
    static constexpr int NIN = 2, NOUT = 1;
    static GELU_HD void apply(const float (&in)[2], float (&out)[1]) { out[0] = G::backward(in[0], in[1]); }
};

template <class T, Approx A>
GELU_HD void forward_body(const T* x, T* y, uint64_t n, uint64_t tid, uint64_t nthreads) {
    pointwise<T, ForwardOp<Gelu<A, T>>, 1>({{x}, y, n}, tid, nthreads);
}

template <class T, Approx A>
GELU_HD void backward_body(const T* x, const T* dy, T* dx, uint64_t n, uint64_t tid,
                           uint64_t nthreads) {
    pointwise<T, BackwardOp<Gelu<A, T>>, 2>({{x, dy}, dx, n}, tid, nthreads);
}

}  // namespace gelu
