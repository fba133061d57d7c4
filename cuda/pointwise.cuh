// The one pointwise engine: out[i] = Op::apply({in_0[i], ..., in_{N-1}[i]}) for i < n.
//
// Each thread walks a grid-stride loop of 16-byte vectors, GELU_UNROLL of them loaded
// before any is used, so several loads are in flight. Alignment is handled once:
// when every pointer sits at the same offset within 16 bytes, a scalar head brings
// them to a 16-byte boundary, the vector body follows, and a scalar tail ends it;
// otherwise (views at different offsets) every element goes through the scalar
// path. Indices are 64-bit throughout. The function is written against an explicit
// (thread, thread count) pair so the host build can run it as a loop over the grid.
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

template <class T, class Op, int N>
GELU_HD void apply_scalar(const Args<T, N>& a, uint64_t i) {
    float f[N];
#pragma unroll
    for (int j = 0; j < N; ++j) f[j] = Storage<T>::load(a.in[j][i]);
    a.out[i] = to_storage<T>(Op::apply(f));
}

template <class T, class Op, int N>
GELU_HD void apply_vector(const Vec<T> (&src)[N], Vec<T>& dst) {
    constexpr int W = Vec<T>::WIDTH;
    float r[W];
#pragma unroll
    for (int e = 0; e < W; ++e) {
        float f[N];
#pragma unroll
        for (int j = 0; j < N; ++j) f[j] = Storage<T>::load(src[j].v[e]);
        r[e] = Op::apply(f);
    }
#pragma unroll
    for (int e = 0; e < W; e += 2) Storage<T>::store_pair(&dst.v[e], r[e], r[e + 1]);
}

template <class T, class Op, int N>
GELU_HD void pointwise(const Args<T, N>& a, uint64_t tid, uint64_t nthreads) {
    constexpr uint64_t W = Vec<T>::WIDTH;
    constexpr int U = GELU_UNROLL;
    const uintptr_t offset = reinterpret_cast<uintptr_t>(a.out) % GELU_VECTOR_BYTES;
    bool aligned = offset % sizeof(T) == 0;
#pragma unroll
    for (int j = 0; j < N; ++j)
        aligned = aligned && reinterpret_cast<uintptr_t>(a.in[j]) % GELU_VECTOR_BYTES == offset;
    if (!aligned) {
        for (uint64_t i = tid; i < a.n; i += nthreads) apply_scalar<T, Op, N>(a, i);
        return;
    }
    uint64_t head = (GELU_VECTOR_BYTES - offset) % GELU_VECTOR_BYTES / sizeof(T);
    head = head < a.n ? head : a.n;
    for (uint64_t i = tid; i < head; i += nthreads) apply_scalar<T, Op, N>(a, i);

    const uint64_t nvec = (a.n - head) / W;
    const Vec<T>* in[N];
#pragma unroll
    for (int j = 0; j < N; ++j) in[j] = reinterpret_cast<const Vec<T>*>(a.in[j] + head);
    Vec<T>* out = reinterpret_cast<Vec<T>*>(a.out + head);

    uint64_t v = tid;
    for (; v + (U - 1) * nthreads < nvec; v += U * nthreads) {
        Vec<T> buf[U][N];
#pragma unroll
        for (int u = 0; u < U; ++u)
#pragma unroll
            for (int j = 0; j < N; ++j) buf[u][j] = in[j][v + u * nthreads];
#pragma unroll
        for (int u = 0; u < U; ++u) {
            Vec<T> res;
            apply_vector<T, Op, N>(buf[u], res);
            out[v + u * nthreads] = res;
        }
    }
    for (; v < nvec; v += nthreads) {
        Vec<T> buf[N];
#pragma unroll
        for (int j = 0; j < N; ++j) buf[j] = in[j][v];
        Vec<T> res;
        apply_vector<T, Op, N>(buf, res);
        out[v] = res;
    }

    for (uint64_t i = head + nvec * W + tid; i < a.n; i += nthreads) apply_scalar<T, Op, N>(a, i);
}

}  // namespace gelu
