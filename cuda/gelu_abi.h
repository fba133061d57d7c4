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
/* Bytes each thread loads per input per vector access: 16 (LDG.128) ... */
#define GELU_VECTOR_BYTES 16
/* ... or, for fp32 on devices of compute capability GELU_WIDE_VECTOR_ARCH / 10 and
 * newer, 32 (LDG.256) where every operand's alignment allows it: 8 elements per
 * access, as fp16/bf16 have from 16 bytes. */
#define GELU_WIDE_VECTOR_BYTES 32
#define GELU_WIDE_VECTOR_ARCH 100
/* 16-byte vectors' worth each thread of the flat kernels keeps in flight per input
 * per loop iteration (as many 16-byte vectors, or half as many 32-byte ones). */
#define GELU_UNROLL 2

typedef enum gelu_op {
    GELU_OP_FORWARD = 0,       /* y = GELU(x) */
    GELU_OP_BACKWARD = 1,      /* dx = dy GELU'(x) */
    GELU_OP_BIAS_FORWARD = 2,  /* y = GELU(x + b), optionally pre = x + b */
    GELU_OP_BIAS_BACKWARD = 3, /* dx = dy GELU'(pre), and per-chunk column sums of dx */
    GELU_OP_DBIAS_REDUCE = 4,  /* db = the sum of those chunk sums (approx ignored) */
    GELU_OP_GEGLU_FORWARD = 5, /* out = GELU(a) g */
    GELU_OP_GEGLU_BACKWARD = 6, /* da = dout g GELU'(a), dg = dout GELU(a) */
    /* The same as ops 2, 5 and 6, in kernels for operands whose rows do not all hold
     * whole 16-byte vectors (see gelu_rows_kernel): their rows walked as one flat
     * array, in kernels of their own so that the extra registers of that walk do not
     * cost the usual shapes occupancy. */
    GELU_OP_BIAS_FORWARD_FLAT = 7,
    GELU_OP_GEGLU_FORWARD_FLAT = 8,
    GELU_OP_GEGLU_BACKWARD_FLAT = 9,
    GELU_OP_BIAS_BACKWARD_INPUT = 10, /* as op 3, with pre formed from x and b as op 2 forms it */
    GELU_OP_SURVEY_FORWARD = 11, /* fp32 only: error statistics of the forward ... */
    GELU_OP_SURVEY_BACKWARD = 12 /* ... and of the backward (dy = 1), see gelu_survey_args */
} gelu_op;

typedef enum gelu_approx {
    GELU_APPROX_EXACT = 0,
    GELU_APPROX_TANH = 1,
    GELU_APPROX_SIGMOID = 2
} gelu_approx;

typedef enum gelu_dtype { GELU_DTYPE_F32 = 0, GELU_DTYPE_F16 = 1, GELU_DTYPE_BF16 = 2 } gelu_dtype;

typedef enum gelu_status { GELU_STATUS_OK = 0, GELU_STATUS_INVALID_ARGUMENT = 1 } gelu_status;

/* An emulated launch: the grid has `threads` threads in all (blocks times threads per
 * block); this call runs those with global index in [first, last). Disjoint ranges may
 * run concurrently. The fp16/bf16 kernels use the GPU's approximate 2^x and 1/x; the
 * host computes them exactly when sfu_error is 0, and otherwise moves each result by
 * the relative amount sfu_error, up or down as a hash of the argument decides, to
 * model the approximations' error. With wide_vectors nonzero the engine runs as on
 * devices of compute capability GELU_WIDE_VECTOR_ARCH / 10 and newer. With portable
 * nonzero the kernels' generic compilation runs where the CPU would take the one
 * built for its fused multiply-add instructions (same results, slower). */
typedef struct gelu_host_launch {
    uint64_t threads;
    uint64_t first;
    uint64_t last;
    float sfu_error;
    uint32_t wide_vectors;
    uint32_t portable;
} gelu_host_launch;

/* Operands of the row-structured kernels (every op but FORWARD and BACKWARD, which
 * take (x, y, n) and (x, dy, dx, n)). Each operand is a matrix of `rows` rows and
 * `cols` columns; row r of an operand starts stride * r elements after its base, so
 * a stride of 0 repeats one row (a bias). The roles, by op:
 *   BIAS_FORWARD    in {x, b}         out {y, pre or NULL}
 *   BIAS_BACKWARD   in {pre, dy}      out {dx}    partial[chunk * cols + c], chunk_rows
 *   BIAS_BACKWARD_INPUT  in {x, dy, b}  the same; b repeats every in_stride[2] columns
 *                   (the caller reads several rows as one; see plan_bias_backward)
 *   DBIAS_REDUCE    partial           out {sums}  sums[c] = sum over k < rows of partial[k * cols + c]
 *   GEGLU_FORWARD   in {a, g}         out {out}
 *   GEGLU_BACKWARD  in {a, g, dout}   out {da, dg} */
typedef struct gelu_rows_args {
    const void* in[3];
    uint64_t in_stride[3];
    void* out[2];
    uint64_t out_stride[2];
    float* partial;
    uint64_t rows;
    uint64_t cols;
    uint64_t chunk_rows;
} gelu_rows_args;

/* Error statistics of fp32 results over a range of inputs, against an f64
 * reference evaluated beside them (on the GPU or the host): the inputs are the bit
 * patterns begin .. begin + count - 1. Each thread of the grid writes its own
 * entry of `stats` (as many as the grid has threads), to be merged by the caller.
 * With `usual` set, the statistics are those of the usual formula in f32. */
typedef struct gelu_survey_stats {
    double max_ulp;
    double worst_input;
    double sum_abs_error;
    double sum_rel_error;
    uint64_t count;
    uint64_t not_correctly_rounded;
    uint64_t undecidable;
    uint64_t wrong_kind;
    uint64_t rel_count;
} gelu_survey_stats;

typedef struct gelu_survey_args {
    uint64_t begin;
    uint64_t count;
    uint32_t usual;
    gelu_survey_stats* stats;
} gelu_survey_args;

/* Name of the device kernel for (op, approx, dtype), or NULL if out of range. */
const char* gelu_kernel_name(gelu_op op, gelu_approx approx, gelu_dtype dtype);

/* The kernel to launch for a row-structured op on these operands: op itself where
 * every row of every operand starts on a 16-byte boundary and holds whole 16-byte
 * vectors, else its _FLAT form (ops without one are returned as they are). */
gelu_op gelu_rows_kernel(gelu_op op, gelu_dtype dtype, const gelu_rows_args* args);

/* y[i] = GELU(x[i]) for i < n. y may equal x. */
gelu_status gelu_host_forward(gelu_approx approx, gelu_dtype dtype, const void* x, void* y,
                              uint64_t n, gelu_host_launch launch);

/* dx[i] = dy[i] * GELU'(x[i]) for i < n. dx may equal dy or x. */
gelu_status gelu_host_backward(gelu_approx approx, gelu_dtype dtype, const void* x,
                               const void* dy, void* dx, uint64_t n, gelu_host_launch launch);

/* A row-structured op (see gelu_rows_args). */
gelu_status gelu_host_rows(gelu_op op, gelu_approx approx, gelu_dtype dtype,
                           const gelu_rows_args* args, gelu_host_launch launch);

/* A survey (GELU_OP_SURVEY_FORWARD or _BACKWARD) on the host. */
gelu_status gelu_host_survey(gelu_op op, gelu_approx approx, const gelu_survey_args* args,
                             gelu_host_launch launch);

/* NVTX ranges (NVTX3, header-only): present only in builds with the `nvtx` feature. */
void gelu_nvtx_push(const char* name);
void gelu_nvtx_pop(void);

#ifdef __cplusplus
}
#endif

#endif /* GELU_ABI_H */
