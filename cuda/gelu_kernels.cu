// Device entry points: two kernels per row of GELU_VARIANTS.
#include "gelu_kernels.cuh"

#define GELU_GLOBAL_THREAD (uint64_t(blockIdx.x) * blockDim.x + threadIdx.x)
#define GELU_GRID_THREADS (uint64_t(gridDim.x) * blockDim.x)

#define GELU_DEFINE_KERNELS(approx, A, dtype, T)                                               \
    extern "C" __global__ void __launch_bounds__(GELU_BLOCK_THREADS)                           \
        GELU_FORWARD_NAME(approx, dtype)(const T* x, T* y, uint64_t n) {                      \
        gelu::forward_body<T, gelu::Approx::A>(x, y, n, GELU_GLOBAL_THREAD, GELU_GRID_THREADS); \
    }                                                                                          \
    extern "C" __global__ void __launch_bounds__(GELU_BLOCK_THREADS)                           \
        GELU_BACKWARD_NAME(approx, dtype)(const T* x, const T* dy, T* dx, uint64_t n) {       \
        gelu::backward_body<T, gelu::Approx::A>(x, dy, dx, n, GELU_GLOBAL_THREAD,              \
                                                GELU_GRID_THREADS);                            \
    }

GELU_VARIANTS(GELU_DEFINE_KERNELS)
