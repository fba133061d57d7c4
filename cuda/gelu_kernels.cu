// Device entry points: every kernel of the tables in gelu_kernels.cuh.
#include "gelu_kernels.cuh"

#define GELU_GLOBAL_THREAD (uint64_t(blockIdx.x) * blockDim.x + threadIdx.x)
#define GELU_GRID_THREADS (uint64_t(gridDim.x) * blockDim.x)
#define GELU_KERNEL extern "C" __global__ void __launch_bounds__(GELU_BLOCK_THREADS)

#define GELU_DEFINE_ROWS(approx, dtype, name, OP, body, bounds)                                \
    extern "C" __global__ void __launch_bounds__ bounds GELU_KERNEL_NAME(name, approx, dtype)( \
        const gelu_rows_args a) {                                                              \
        GELU_UNPAREN body(a, GELU_GLOBAL_THREAD, GELU_GRID_THREADS);                           \
    }

#define GELU_DEFINE_KERNELS(approx, A, dtype, T)                                               \
    GELU_KERNEL GELU_KERNEL_NAME(forward, approx, dtype)(const T* x, T* y, uint64_t n) {       \
        gelu::forward_body<T, gelu::Approx::A>(x, y, n, GELU_GLOBAL_THREAD, GELU_GRID_THREADS); \
    }                                                                                          \
    GELU_KERNEL GELU_KERNEL_NAME(backward, approx, dtype)(const T* x, const T* dy, T* dx,      \
                                                          uint64_t n) {                        \
        gelu::backward_body<T, gelu::Approx::A>(x, dy, dx, n, GELU_GLOBAL_THREAD,              \
                                                GELU_GRID_THREADS);                            \
    }                                                                                          \
    GELU_ROWS_OPS(GELU_DEFINE_ROWS, approx, A, dtype, T)

#define GELU_DEFINE_REDUCE(dtype, T)                                                           \
    GELU_KERNEL GELU_REDUCE_NAME(dtype)(const gelu_rows_args a) {                              \
        gelu::dbias_reduce<T>(a, GELU_GLOBAL_THREAD, GELU_GRID_THREADS);                       \
    }

GELU_VARIANTS(GELU_DEFINE_KERNELS)
GELU_DTYPES(GELU_DEFINE_REDUCE)

#define GELU_DEFINE_SURVEYS(approx, A)                                                         \
    GELU_KERNEL GELU_SURVEY_NAME(forward, approx)(const gelu_survey_args a) {                  \
        gelu::survey::run<gelu::Approx::A, false>(a, GELU_GLOBAL_THREAD, GELU_GRID_THREADS);   \
    }                                                                                          \
    GELU_KERNEL GELU_SURVEY_NAME(backward, approx)(const gelu_survey_args a) {                 \
        gelu::survey::run<gelu::Approx::A, true>(a, GELU_GLOBAL_THREAD, GELU_GRID_THREADS);    \
    }

GELU_APPROXES(GELU_DEFINE_SURVEYS)
