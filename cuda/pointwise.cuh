// The one pointwise engine: {out_0[i], ...} = Op::apply({in_0[i], ..., in_{N-1}[i]}),
// all in f32, each output rounded once to the storage type.
//
// pointwise() walks flat arrays: each thread runs a grid-stride loop of vectors,
// GELU_UNROLL x 16 bytes per input loaded before any is used, so several loads are
// in flight.
// Alignment is handled once: when every pointer sits at the same offset within a
// vector, a scalar head brings them to a vector boundary, the vector body follows,
// and a scalar tail ends it; otherwise (views at different offsets) every element
// goes through the scalar path.
//
// pointwise_rows() walks matrices whose operands each have their own row stride (a
// bias repeats one row, GeGLU's halves sit side by side in one buffer): vectors
// when every row of every operand starts on a vector boundary, scalars otherwise.
//
// Vectors are 16 bytes, or for fp32 32 where the target has 32-byte accesses
// (sm_100 and newer) and the operands' alignment allows: each engine takes the width
// as a template parameter, and its wide form hands over to its 16-byte form where
// the operands do not fit.
//
// Indices are 64-bit throughout. Both are written against an explicit (thread,
// thread count) pair so that the host build can run them as a loop over the grid.
#pragma once

#include "gelu_abi.h"
#include "gelu_platform.cuh"

namespace gelu {

template <class T>
struct Storage;

template <>
struct Storage<float> {
    static GELU_HD float load(float v) { return v; }
    static GELU_HD void store_pair(float* dst, float a, float b) {
        dst[0] = a;
        dst[1] = b;
    }
};

template <>
struct Storage<__half> {
    static GELU_HD float load(__half v) { return __half2float(v); }
    static GELU_HD void store_pair(__half* dst, float a, float b) {
        const __half2 p = __floats2half2_rn(a, b);
        dst[0] = p.x;
        dst[1] = p.y;
    }
};

template <>
struct Storage<__nv_bfloat16> {
    static GELU_HD float load(__nv_bfloat16 v) { return __bfloat162float(v); }
    static GELU_HD void store_pair(__nv_bfloat16* dst, float a, float b) {
        const __nv_bfloat162 p = __floats2bfloat162_rn(a, b);
        dst[0] = p.x;
        dst[1] = p.y;
    }
};

template <class T>
GELU_HD T to_storage(float f);
template <>
GELU_HD float to_storage<float>(float f) { return f; }
template <>
GELU_HD __half to_storage<__half>(float f) { return __float2half_rn(f); }
template <>
GELU_HD __nv_bfloat16 to_storage<__nv_bfloat16>(float f) { return __float2bfloat16_rn(f); }

template <class T, int BYTES>
struct alignas(BYTES) Vec {
    static constexpr int WIDTH = BYTES / sizeof(T);
    T v[WIDTH];
};

// Every vector access of the engines goes through these two.
template <int BYTES, class T>
GELU_HD Vec<T, BYTES> load_vec(const T* p) {
    return *reinterpret_cast<const Vec<T, BYTES>*>(p);
}

template <class T, int BYTES>
GELU_HD void store_vec(T* p, const Vec<T, BYTES>& v) {
    *reinterpret_cast<Vec<T, BYTES>*>(p) = v;
}

template <int B>
struct VectorBytes {
    static constexpr int value = B;
};

// The one place that picks the vector width: run(VectorBytes<32>{}) for fp32 where
// the target has 32-byte accesses, else run(VectorBytes<16>{}), so that an access
// moves 8 elements of any dtype where it can. On the GPU wide_vectors() is a
// constant: sm_90 and older compile only the 16-byte path.
template <class T, class Run>
GELU_HD void with_vector_bytes(Run run) {
    if (sizeof(T) == 4 && wide_vectors())
        run(VectorBytes<GELU_WIDE_VECTOR_BYTES>{});
    else
        run(VectorBytes<GELU_VECTOR_BYTES>{});
}

template <class T, int N>
struct Args {
    const T* in[N];
    T* out;
    uint64_t n;
};

// Op::apply(in, out) on one element; a null output pointer is skipped (optional
// outputs).
template <class T, class Op>
GELU_HD void apply_scalar(const T* const (&in)[Op::NIN], T* const (&out)[Op::NOUT]) {
    float f[Op::NIN];
    float r[Op::NOUT];
#pragma unroll
    for (int j = 0; j < Op::NIN; ++j) f[j] = Storage<T>::load(*in[j]);
    Op::apply(f, r);
#pragma unroll
    for (int k = 0; k < Op::NOUT; ++k)
        if (out[k]) *out[k] = to_storage<T>(r[k]);
}

// Op::apply on each element of a vector.
template <class Op, class T, int BYTES>
GELU_HD void apply_vector(const Vec<T, BYTES> (&src)[Op::NIN], Vec<T, BYTES> (&dst)[Op::NOUT]) {
    constexpr int W = Vec<T, BYTES>::WIDTH;
    float r[Op::NOUT][W];
#pragma unroll
    for (int e = 0; e < W; ++e) {
        float f[Op::NIN];
        float o[Op::NOUT];
#pragma unroll
        for (int j = 0; j < Op::NIN; ++j) f[j] = Storage<T>::load(src[j].v[e]);
        Op::apply(f, o);
#pragma unroll
        for (int k = 0; k < Op::NOUT; ++k) r[k][e] = o[k];
    }
#pragma unroll
    for (int k = 0; k < Op::NOUT; ++k)
#pragma unroll
        for (int e = 0; e < W; e += 2) Storage<T>::store_pair(&dst[k].v[e], r[k][e], r[k][e + 1]);
}

GELU_HD bool vector_aligned(const void* p, uint64_t bytes) {
    return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

// Whether every operand sits at the same offset within `bytes`, a whole number of
// elements past a boundary, so that one scalar head aligns them all.
template <class T, int N>
GELU_HD bool same_offset(const Args<T, N>& a, uint64_t bytes) {
    const uintptr_t offset = reinterpret_cast<uintptr_t>(a.out) % bytes;
    bool same = offset % sizeof(T) == 0;
#pragma unroll
    for (int j = 0; j < N; ++j) same = same && reinterpret_cast<uintptr_t>(a.in[j]) % bytes == offset;
    return same;
}

// Flat arrays in BYTES-byte vectors; Op has one output.
template <class T, class Op, int N, int BYTES>
GELU_HD void pointwise_vectors(const Args<T, N>& a, uint64_t tid, uint64_t nthreads) {
    constexpr uint64_t W = Vec<T, BYTES>::WIDTH;
    // The same bytes in flight per thread at either width: wide vectors halve the
    // memory instructions, not the registers the loads hold.
    constexpr int U = GELU_UNROLL * GELU_VECTOR_BYTES / BYTES;
    auto scalar = [&](uint64_t i) {
        const T* in[N];
#pragma unroll
        for (int j = 0; j < N; ++j) in[j] = a.in[j] + i;
        T* const out[1] = {a.out + i};
        apply_scalar<T, Op>(in, out);
    };
    if (!same_offset(a, BYTES)) {
        if constexpr (BYTES == GELU_WIDE_VECTOR_BYTES)
            pointwise_vectors<T, Op, N, GELU_VECTOR_BYTES>(a, tid, nthreads);
        else
            for (uint64_t i = tid; i < a.n; i += nthreads) scalar(i);
        return;
    }
    const uintptr_t offset = reinterpret_cast<uintptr_t>(a.out) % BYTES;
    uint64_t head = (BYTES - offset) % BYTES / sizeof(T);
    head = head < a.n ? head : a.n;
    for (uint64_t i = tid; i < head; i += nthreads) scalar(i);

    const uint64_t nvec = (a.n - head) / W;
    const T* in[N];
#pragma unroll
    for (int j = 0; j < N; ++j) in[j] = a.in[j] + head;
    T* out = a.out + head;

    uint64_t v = tid;
    for (; v + (U - 1) * nthreads < nvec; v += U * nthreads) {
        Vec<T, BYTES> buf[U][N];
#pragma unroll
        for (int u = 0; u < U; ++u)
#pragma unroll
            for (int j = 0; j < N; ++j) buf[u][j] = load_vec<BYTES>(in[j] + (v + u * nthreads) * W);
#pragma unroll
        for (int u = 0; u < U; ++u) {
            Vec<T, BYTES> res[1];
            apply_vector<Op>(buf[u], res);
            store_vec(out + (v + u * nthreads) * W, res[0]);
        }
    }
    for (; v < nvec; v += nthreads) {
        Vec<T, BYTES> buf[N];
#pragma unroll
        for (int j = 0; j < N; ++j) buf[j] = load_vec<BYTES>(in[j] + v * W);
        Vec<T, BYTES> res[1];
        apply_vector<Op>(buf, res);
        store_vec(out + v * W, res[0]);
    }

    for (uint64_t i = head + nvec * W + tid; i < a.n; i += nthreads) scalar(i);
}

// Flat arrays; Op has one output.
template <class T, class Op, int N>
GELU_HD void pointwise(const Args<T, N>& a, uint64_t tid, uint64_t nthreads) {
    static_assert(Op::NIN == N && Op::NOUT == 1, "pointwise() maps N inputs to one output");
    with_vector_bytes<T>([&](auto bytes) { pointwise_vectors<T, Op, N, decltype(bytes)::value>(a, tid, nthreads); });
}

// Where a grid-stride walk over work items laid out as rows of per_row stands: (row,
// item within the row), advanced by addition, so that no loop runs a 64-bit division
// (a called subroutine whose register saves spilled in one sm_100 kernel).
struct RowWalk {
    uint64_t row, item;
    uint64_t per_row, drow, ditem;
    GELU_HD RowWalk(uint64_t tid, uint64_t nthreads, uint64_t per_row)
        : row(tid / per_row), item(tid % per_row), per_row(per_row), drow(nthreads / per_row),
          ditem(nthreads % per_row) {}
    GELU_HD void next() {
        item += ditem;
        row += drow;
        if (item >= per_row) {
            item -= per_row;
            ++row;
        }
    }
};

// Matrix operands with their own row strides (see gelu_rows_args), in BYTES-byte
// vectors when every row of every operand starts on a vector boundary and holds
// whole vectors (a null optional output always fits).
template <class T, class Op, int BYTES>
GELU_HD void pointwise_rows_vectors(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    constexpr int NI = Op::NIN, NO = Op::NOUT;
    constexpr uint64_t W = Vec<T, BYTES>::WIDTH;
    const T* in[NI];
    T* out[NO];
    bool vec = a.cols % W == 0;
#pragma unroll
    for (int j = 0; j < NI; ++j) {
        in[j] = static_cast<const T*>(a.in[j]);
        vec = vec && vector_aligned(in[j], BYTES) && a.in_stride[j] % W == 0;
    }
#pragma unroll
    for (int k = 0; k < NO; ++k) {
        out[k] = static_cast<T*>(a.out[k]);
        vec = vec && vector_aligned(out[k], BYTES) && a.out_stride[k] % W == 0;
    }
    if constexpr (BYTES == GELU_WIDE_VECTOR_BYTES)
        if (!vec) return pointwise_rows_vectors<T, Op, GELU_VECTOR_BYTES>(a, tid, nthreads);
    const uint64_t step = vec ? W : 1;
    const uint64_t per_row = a.cols / step;
    if (per_row == 0) return;
    const uint64_t total = a.rows * per_row;
    RowWalk at(tid, nthreads, per_row);
    for (uint64_t i = tid; i < total; i += nthreads, at.next()) {
        const uint64_t r = at.row, col = at.item * step;
        if (vec) {
            Vec<T, BYTES> src[NI], dst[NO];
#pragma unroll
            for (int j = 0; j < NI; ++j)
                src[j] = load_vec<BYTES>(in[j] + r * a.in_stride[j] + col);
            apply_vector<Op>(src, dst);
#pragma unroll
            for (int k = 0; k < NO; ++k)
                if (out[k]) store_vec(out[k] + r * a.out_stride[k] + col, dst[k]);
        } else {
            const T* ip[NI];
            T* op[NO];
#pragma unroll
            for (int j = 0; j < NI; ++j) ip[j] = in[j] + r * a.in_stride[j] + col;
#pragma unroll
            for (int k = 0; k < NO; ++k) op[k] = out[k] ? out[k] + r * a.out_stride[k] + col : nullptr;
            apply_scalar<T, Op>(ip, op);
        }
    }
}

template <class T, class Op>
GELU_HD void pointwise_rows(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    with_vector_bytes<T>([&](auto bytes) { pointwise_rows_vectors<T, Op, decltype(bytes)::value>(a, tid, nthreads); });
}

}  // namespace gelu
