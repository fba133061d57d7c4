/* The C ABI between the Rust crate and the host build of the kernel sources.
 * src/ffi.rs is generated from this file by bindgen (tests/bindings.rs checks it). */
#ifndef GELU_ABI_H
#define GELU_ABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Threads per block of every kernel. */
#define GELU_BLOCK_THREADS 256
/* Bytes each thread loads per input per vector access. */
#define GELU_VECTOR_BYTES 16
/* Vectors each thread keeps in flight per loop iteration. */
#define GELU_UNROLL 2

typedef enum gelu_op { GELU_OP_FORWARD = 0, GELU_OP_BACKWARD = 1 } gelu_op;

typedef enum gelu_approx {
    GELU_APPROX_EXACT = 0,
    GELU_APPROX_TANH = 1,
    GELU_APPROX_SIGMOID = 2
} gelu_approx;

typedef enum gelu_dtype { GELU_DTYPE_F32 = 0, GELU_DTYPE_F16 = 1, GELU_DTYPE_BF16 = 2 } gelu_dtype;

typedef enum gelu_status { GELU_STATUS_OK = 0, GELU_STATUS_INVALID_ARGUMENT = 1 } gelu_status;

/* An emulated launch: the grid has `threads` threads in all (blocks times threads per
 * block); this call runs those with global index in [first, last). Disjoint ranges may
 * run concurrently. */
typedef struct gelu_host_launch {
    uint64_t threads;
    uint64_t first;
    uint64_t last;
} gelu_host_launch;

/* Name of the device kernel for (op, approx, dtype), or NULL if out of range. */
const char* gelu_kernel_name(gelu_op op, gelu_approx approx, gelu_dtype dtype);

/* y[i] = GELU(x[i]) for i < n. y may equal x. */
gelu_status gelu_host_forward(gelu_approx approx, gelu_dtype dtype, const void* x, void* y,
                              uint64_t n, gelu_host_launch launch);

/* dx[i] = dy[i] * GELU'(x[i]) for i < n. dx may equal dy or x. */
gelu_status gelu_host_backward(gelu_approx approx, gelu_dtype dtype, const void* x,
                               const void* dy, void* dx, uint64_t n, gelu_host_launch launch);

#ifdef __cplusplus
}
#endif

#endif /* GELU_ABI_H */
