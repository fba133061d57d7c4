// The one pointwise engine: {out_0[i], ...} = Op::apply({in_0[i], ..., in_{N-1}[i]}),
// all in f32, each output rounded once to the storage type.
//
// Both engines run one grid-stride loop of 16-byte vectors (vector_loop), each
// thread prefetching its next vector into L2 while it computes this one; they
// differ only in how a work item finds its operands (a Walk):
//
// pointwise() walks flat arrays. Alignment is handled once: when every pointer sits
// at the same offset within 16 bytes, a scalar head brings them to a 16-byte
// boundary, the vector body follows, and a scalar tail ends it; otherwise (views at
// different offsets) every element goes through the scalar path.
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

template <class T, int N>
struct Args {
    const T* in[N];
    T* out;
    uint64_t n;
};

// Asks L2 to fetch the 32-byte sector holding p (no register written, so nothing
// for the compiler to delay); nothing on the host.
GELU_HD void prefetch_l2(const void* p) {
#if defined(__CUDA_ARCH__)
    asm volatile("prefetch.global.L2 [%0];" ::"l"(p));
#else
    (void)p;
#endif
}

// Every vector access of the engine goes through these two.
template <class T>
GELU_HD Vec<T> load_vec(const T* p) {
    return *reinterpret_cast<const Vec<T>*>(p);
}

template <class T>
GELU_HD void store_vec(T* p, const Vec<T>& v) {
    *reinterpret_cast<Vec<T>*>(p) = v;
}

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

// The vector loop both engines share: work items tid, tid + nthreads, ... below
// `items`, one vector of each operand per item, located by a Walk (which holds the
// current item's position; advance() moves it on by nthreads items). Before its
// loads, a thread asks L2 to prefetch its next item's inputs, so that the memory
// latency it waits out is L2's, not DRAM's: ptxas schedules the loads themselves
// just before the math that uses them, whatever order the source gives.
template <class T, class Op, class Walk>
GELU_HD void vector_loop(Walk w, uint64_t items, uint64_t tid, uint64_t nthreads) {
    constexpr int NI = Op::NIN, NO = Op::NOUT;
    for (uint64_t i = tid; i < items; i += nthreads) {
        const Walk here = w;
        w.advance();
        if (i + nthreads < items) w.prefetch();
        Vec<T> cur[NI], res[NO];
        here.load(cur);
        apply_vector<T, Op>(cur, res);
        here.store(res);
    }
}

// Flat arrays from a common 16-byte boundary: item v is elements [v W, v W + W).
template <class T, int NI>
struct FlatWalk {
    const T* in[NI];
    T* out;
    uint64_t at, step;  // element offset of the current item; nthreads W
    GELU_HD void load(Vec<T> (&v)[NI]) const {
#pragma unroll
        for (int j = 0; j < NI; ++j) v[j] = load_vec(in[j] + at);
    }
    GELU_HD void store(const Vec<T> (&v)[1]) const { store_vec(out + at, v[0]); }
    GELU_HD void prefetch() const {
#pragma unroll
        for (int j = 0; j < NI; ++j) prefetch_l2(in[j] + at);
    }
    GELU_HD void advance() { at += step; }
};

// Flat arrays; Op has one output.
template <class T, class Op, int N>
GELU_HD void pointwise(const Args<T, N>& a, uint64_t tid, uint64_t nthreads) {
    static_assert(Op::NIN == N && Op::NOUT == 1, "pointwise() maps N inputs to one output");
    constexpr uint64_t W = Vec<T>::WIDTH;
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
    FlatWalk<T, N> w;
#pragma unroll
    for (int j = 0; j < N; ++j) w.in[j] = a.in[j] + head;
    w.out = a.out + head;
    w.at = tid * W;
    w.step = nthreads * W;
    vector_loop<T, Op>(w, nvec, tid, nthreads);

    for (uint64_t i = head + nvec * W + tid; i < a.n; i += nthreads) scalar(i);
}

// Position (row r, column c) of a grid-stride walk over rows of per_row items,
// kept up to date by addition: no division inside the loop.
struct RowCursor {
    uint64_t per_row, r, c, dr, dc;
    static GELU_HD RowCursor start(uint64_t per_row, uint64_t tid, uint64_t nthreads) {
        return {per_row, tid / per_row, tid % per_row, nthreads / per_row, nthreads % per_row};
    }
    GELU_HD void advance() {
        c += dc;
        const bool wrap = c >= per_row;
        c -= wrap ? per_row : 0;
        r += dr + wrap;
    }
};

// Matrix operands with their own row strides, every row of every operand on a
// 16-byte boundary: the item at `at` is column vector at.c of row at.r. A null
// output is skipped.
template <class T, int NI, int NO>
struct RowsWalk {
    const T* in[NI];
    T* out[NO];
    uint64_t in_stride[NI], out_stride[NO];
    RowCursor at;
    GELU_HD void load(Vec<T> (&v)[NI]) const {
        constexpr uint64_t W = Vec<T>::WIDTH;
#pragma unroll
        for (int j = 0; j < NI; ++j) v[j] = load_vec(in[j] + at.r * in_stride[j] + at.c * W);
    }
    GELU_HD void store(const Vec<T> (&v)[NO]) const {
        constexpr uint64_t W = Vec<T>::WIDTH;
#pragma unroll
        for (int k = 0; k < NO; ++k)
            if (out[k]) store_vec(out[k] + at.r * out_stride[k] + at.c * W, v[k]);
    }
    GELU_HD void prefetch() const {
        constexpr uint64_t W = Vec<T>::WIDTH;
#pragma unroll
        for (int j = 0; j < NI; ++j) prefetch_l2(in[j] + at.r * in_stride[j] + at.c * W);
    }
    GELU_HD void advance() { at.advance(); }
};

// Matrix operands with their own row strides (see gelu_rows_args): vectors when
// every row of every operand starts on a 16-byte boundary, scalars otherwise.
template <class T, class Op>
GELU_HD void pointwise_rows(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    constexpr int NI = Op::NIN, NO = Op::NOUT;
    constexpr uint64_t W = Vec<T>::WIDTH;
    RowsWalk<T, NI, NO> w;
    bool vec = a.cols % W == 0;
#pragma unroll
    for (int j = 0; j < NI; ++j) {
        w.in[j] = static_cast<const T*>(a.in[j]);
        w.in_stride[j] = a.in_stride[j];
        vec = vec && vector_aligned<T>(w.in[j]) && a.in_stride[j] % W == 0;
    }
#pragma unroll
    for (int k = 0; k < NO; ++k) {
        w.out[k] = static_cast<T*>(a.out[k]);
        w.out_stride[k] = a.out_stride[k];
        vec = vec && vector_aligned<T>(w.out[k]) && a.out_stride[k] % W == 0;
    }
    const uint64_t per_row = vec ? a.cols / W : a.cols;
    if (per_row == 0) return;
    w.at = RowCursor::start(per_row, tid, nthreads);
    if (vec) {
        vector_loop<T, Op>(w, a.rows * per_row, tid, nthreads);
        return;
    }
    for (uint64_t i = tid; i < a.rows * per_row; i += nthreads) {
        const T* ip[NI];
        T* op[NO];
#pragma unroll
        for (int j = 0; j < NI; ++j) ip[j] = w.in[j] + w.at.r * w.in_stride[j] + w.at.c;
#pragma unroll
        for (int k = 0; k < NO; ++k) op[k] = w.out[k] ? w.out[k] + w.at.r * w.out_stride[k] + w.at.c : nullptr;
        apply_scalar<T, Op>(ip, op);
        w.advance();
    }
}

}  // namespace gelu
