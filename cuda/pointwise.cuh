// The one pointwise engine: {out_0[i], ...} = Op::apply({in_0[i], ..., in_{N-1}[i]}),
// all in f32, each output rounded once to the storage type.
//
// pointwise() walks flat arrays: each thread runs a grid-stride loop of 16-byte
// vectors, GELU_UNROLL of them loaded before any is used, so several loads are in
// flight. Alignment is handled once: when every pointer sits at the same offset
// within 16 bytes, a scalar head brings them to a 16-byte boundary, the vector body
// follows, and a scalar tail ends it; otherwise (views at different offsets) every
// element goes through the scalar path.
//
// pointwise_rows() walks matrices whose operands each have their own row stride (a
// bias repeats one row, GeGLU's halves sit side by side in one buffer): vectors
// when every row of every operand starts on a 16-byte boundary, scalars otherwise.
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

template <class T>
struct alignas(GELU_VECTOR_BYTES) Vec {
    static constexpr int WIDTH = GELU_VECTOR_BYTES / sizeof(T);
    T v[WIDTH];
};

// Every vector access of the engines goes through these two.
template <class T>
GELU_HD Vec<T> load_vec(const T* p) {
    return *reinterpret_cast<const Vec<T>*>(p);
}

template <class T>
GELU_HD void store_vec(T* p, const Vec<T>& v) {
    *reinterpret_cast<Vec<T>*>(p) = v;
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
template <class T, class Op>
GELU_HD void apply_vector(const Vec<T> (&src)[Op::NIN], Vec<T> (&dst)[Op::NOUT]) {
    constexpr int W = Vec<T>::WIDTH;
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

template <class T>
GELU_HD bool vector_aligned(const void* p) {
    return reinterpret_cast<uintptr_t>(p) % GELU_VECTOR_BYTES == 0;
}

// Flat arrays; Op has one output.
template <class T, class Op, int N>
GELU_HD void pointwise(const Args<T, N>& a, uint64_t tid, uint64_t nthreads) {
    static_assert(Op::NIN == N && Op::NOUT == 1, "pointwise() maps N inputs to one output");
    constexpr uint64_t W = Vec<T>::WIDTH;
    constexpr int U = GELU_UNROLL;
    const uintptr_t offset = reinterpret_cast<uintptr_t>(a.out) % GELU_VECTOR_BYTES;
    bool aligned = offset % sizeof(T) == 0;
#pragma unroll
    for (int j = 0; j < N; ++j)
        aligned = aligned && reinterpret_cast<uintptr_t>(a.in[j]) % GELU_VECTOR_BYTES == offset;
    auto scalar = [&](uint64_t i) {
        const T* in[N];
#pragma unroll
        for (int j = 0; j < N; ++j) in[j] = a.in[j] + i;
        T* const out[1] = {a.out + i};
        apply_scalar<T, Op>(in, out);
    };
    if (!aligned) {
        for (uint64_t i = tid; i < a.n; i += nthreads) scalar(i);
        return;
    }
    uint64_t head = (GELU_VECTOR_BYTES - offset) % GELU_VECTOR_BYTES / sizeof(T);
    head = head < a.n ? head : a.n;
    for (uint64_t i = tid; i < head; i += nthreads) scalar(i);

    const uint64_t nvec = (a.n - head) / W;
    const T* in[N];
#pragma unroll
    for (int j = 0; j < N; ++j) in[j] = a.in[j] + head;
    T* out = a.out + head;

    uint64_t v = tid;
    for (; v + (U - 1) * nthreads < nvec; v += U * nthreads) {
        Vec<T> buf[U][N];
#pragma unroll
        for (int u = 0; u < U; ++u)
#pragma unroll
            for (int j = 0; j < N; ++j) buf[u][j] = load_vec(in[j] + (v + u * nthreads) * W);
#pragma unroll
        for (int u = 0; u < U; ++u) {
            Vec<T> res[1];
            apply_vector<T, Op>(buf[u], res);
            store_vec(out + (v + u * nthreads) * W, res[0]);
        }
    }
    for (; v < nvec; v += nthreads) {
        Vec<T> buf[N];
#pragma unroll
        for (int j = 0; j < N; ++j) buf[j] = load_vec(in[j] + v * W);
        Vec<T> res[1];
        apply_vector<T, Op>(buf, res);
        store_vec(out + v * W, res[0]);
    }

    for (uint64_t i = head + nvec * W + tid; i < a.n; i += nthreads) scalar(i);
}

// Matrix operands with their own row strides (see gelu_rows_args). The walk keeps
// (row, column) up to date by addition: no division inside the loop.
template <class T, class Op>
GELU_HD void pointwise_rows(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    constexpr int NI = Op::NIN, NO = Op::NOUT;
    constexpr uint64_t W = Vec<T>::WIDTH;
    const T* in[NI];
    T* out[NO];
    bool vec = a.cols % W == 0;
#pragma unroll
    for (int j = 0; j < NI; ++j) {
        in[j] = static_cast<const T*>(a.in[j]);
        vec = vec && vector_aligned<T>(in[j]) && a.in_stride[j] % W == 0;
    }
#pragma unroll
    for (int k = 0; k < NO; ++k) {
        out[k] = static_cast<T*>(a.out[k]);
        vec = vec && vector_aligned<T>(out[k]) && a.out_stride[k] % W == 0;
    }
    const uint64_t step = vec ? W : 1;
    const uint64_t per_row = a.cols / step;
    if (per_row == 0) return;
    const uint64_t total = a.rows * per_row;
    uint64_t r = tid / per_row, c = tid % per_row;
    const uint64_t dr = nthreads / per_row, dc = nthreads % per_row;
    for (uint64_t i = tid; i < total; i += nthreads) {
        const uint64_t col = c * step;
        if (vec) {
            Vec<T> src[NI], dst[NO];
#pragma unroll
            for (int j = 0; j < NI; ++j)
                src[j] = load_vec(in[j] + r * a.in_stride[j] + col);
            apply_vector<T, Op>(src, dst);
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
        c += dc;
        r += dr;
        if (c >= per_row) {
            c -= per_row;
            ++r;
        }
    }
}

}  // namespace gelu
