// The C ABI of the host library: the kernel name table, the choice between a
// row-structured op's two kernels, and the dispatch between the generic and the FMA
// compilation of gelu_host.cpp.
#include "gelu_host_variants.h"

#define GELU_STRINGIFY_(x) #x
#define GELU_STRINGIFY(x) GELU_STRINGIFY_(x)

using gelu_host::approx_of;
using gelu_host::dtype_of;

extern "C" const char* gelu_kernel_name(gelu_op op, gelu_approx approx, gelu_dtype dtype) {
#define GELU_ROWS_NAME(approx_, dtype_, name, OP, body, bounds) \
    if (op == OP) return GELU_STRINGIFY(GELU_KERNEL_NAME(name, approx_, dtype_));
#define GELU_NAME_ROW(approx_, A, dtype_, T)                                                  \
    if (approx == approx_of(gelu::Approx::A) && dtype == dtype_of<T>()) {                      \
        if (op == GELU_OP_FORWARD) return GELU_STRINGIFY(GELU_KERNEL_NAME(forward, approx_, dtype_)); \
        if (op == GELU_OP_BACKWARD) return GELU_STRINGIFY(GELU_KERNEL_NAME(backward, approx_, dtype_)); \
        GELU_ROWS_OPS(GELU_ROWS_NAME, approx_, A, dtype_, T)                                    \
    }
    GELU_VARIANTS(GELU_NAME_ROW)
#undef GELU_NAME_ROW
#undef GELU_ROWS_NAME
    const bool known_approx = approx == GELU_APPROX_EXACT || approx == GELU_APPROX_TANH || approx == GELU_APPROX_SIGMOID;
#define GELU_REDUCE_NAME_CASE(dtype_, T) \
    if (op == GELU_OP_DBIAS_REDUCE && known_approx && dtype == dtype_of<T>()) return GELU_STRINGIFY(GELU_REDUCE_NAME(dtype_));
    GELU_DTYPES(GELU_REDUCE_NAME_CASE)
#undef GELU_REDUCE_NAME_CASE
#define GELU_SURVEY_NAME_CASE(approx_, A)                                                    \
    if (approx == approx_of(gelu::Approx::A) && dtype == GELU_DTYPE_F32) {                   \
        if (op == GELU_OP_SURVEY_FORWARD) return GELU_STRINGIFY(GELU_SURVEY_NAME(forward, approx_));   \
        if (op == GELU_OP_SURVEY_BACKWARD) return GELU_STRINGIFY(GELU_SURVEY_NAME(backward, approx_)); \
    }
    GELU_APPROXES(GELU_SURVEY_NAME_CASE)
#undef GELU_SURVEY_NAME_CASE
    return nullptr;
}

extern "C" gelu_op gelu_rows_kernel(gelu_op op, gelu_dtype dtype, const gelu_rows_args* args) {
    const gelu_op flat = op == GELU_OP_BIAS_FORWARD     ? GELU_OP_BIAS_FORWARD_FLAT
                         : op == GELU_OP_GEGLU_FORWARD  ? GELU_OP_GEGLU_FORWARD_FLAT
                         : op == GELU_OP_GEGLU_BACKWARD ? GELU_OP_GEGLU_BACKWARD_FLAT
                                                        : op;
    if (flat == op || args == nullptr) return op;
    bool rows_in_vectors = false;
#define GELU_FITS_CASE(dtype_, T) \
    if (dtype == dtype_of<T>()) rows_in_vectors = gelu::RowsOperands<T, 3, 2>(*args).rows_in_vectors(GELU_VECTOR_BYTES);
    GELU_DTYPES(GELU_FITS_CASE)
#undef GELU_FITS_CASE
    return rows_in_vectors ? op : flat;
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

// The FMA compilation, unless the launch asks for the generic one.
bool use_fma(const gelu_host_launch& launch) { return !launch.portable && cpu_has_fma(); }

}  // namespace

extern "C" gelu_status gelu_host_forward(gelu_approx approx, gelu_dtype dtype, const void* x,
                                         void* y, uint64_t n, gelu_host_launch launch) {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    if (use_fma(launch)) return gelu_host_forward_fma(approx, dtype, x, y, n, launch);
#endif
    return gelu_host_forward_generic(approx, dtype, x, y, n, launch);
}

extern "C" gelu_status gelu_host_backward(gelu_approx approx, gelu_dtype dtype, const void* x,
                                          const void* dy, void* dx, uint64_t n,
                                          gelu_host_launch launch) {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    if (use_fma(launch)) return gelu_host_backward_fma(approx, dtype, x, dy, dx, n, launch);
#endif
    return gelu_host_backward_generic(approx, dtype, x, dy, dx, n, launch);
}

extern "C" gelu_status gelu_host_rows(gelu_op op, gelu_approx approx, gelu_dtype dtype,
                                      const gelu_rows_args* args, gelu_host_launch launch) {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    if (use_fma(launch)) return gelu_host_rows_fma(op, approx, dtype, args, launch);
#endif
    return gelu_host_rows_generic(op, approx, dtype, args, launch);
}

extern "C" gelu_status gelu_host_survey(gelu_op op, gelu_approx approx, const gelu_survey_args* args,
                                        gelu_host_launch launch) {
#if defined(GELU_HOST_HAS_FMA_VARIANT)
    if (use_fma(launch)) return gelu_host_survey_fma(op, approx, args, launch);
#endif
    return gelu_host_survey_generic(op, approx, args, launch);
}
