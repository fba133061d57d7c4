// The fused training ops, as functors for the pointwise engine plus the two stages
// of the bias gradient. All arithmetic in f32 (the GELU functors of gelu_math.cuh),
// each output rounded once to the storage type.
#pragma once

#include "gelu_math.cuh"
#include "pointwise.cuh"

namespace gelu {

// y = GELU(s) with s = x + b formed in f32; optionally pre = s (rounded to T: the
// value bias_backward differentiates at).
template <class G>
struct BiasForwardOp {
    static constexpr int NIN = 2, NOUT = 2;
    static GELU_HD void apply(const float (&in)[2], float (&out)[2]) {
        const float s = in[0] + in[1];
        out[0] = G::forward(s);
        out[1] = s;
    }
};

// out = GELU(a) g, with GELU(a) as a factor (G::value), not a stored result.
template <class G>
struct GegluForwardOp {
    static constexpr int NIN = 2, NOUT = 1;
    static GELU_HD void apply(const float (&in)[2], float (&out)[1]) { out[0] = G::value(in[0]) * in[1]; }
};

// da = (dout g) GELU'(a), dg = dout GELU(a).
template <class G>
struct GegluBackwardOp {
    static constexpr int NIN = 3, NOUT = 2;
    static GELU_HD void apply(const float (&in)[3], float (&out)[2]) {
        out[0] = G::backward(in[0], in[2] * in[1]);
        out[1] = G::value(in[0]) * in[2];
    }
};

// Bias gradient, stage 1: dx = dy GELU'(pre), written out, and for each chunk of
// chunk_rows rows the column sums of dx in f32, rows added in order. FROM_INPUT:
// pre is formed here, as BiasForwardOp forms and stores it (x + b in f32, rounded to
// T), from x in in[0] and the bias in in[2], which repeats every in_stride[2]
// columns of a row read as several. A thread owns
// one (chunk, column vector); the chunking depends only on the shape, so the sums,
// and the order they are formed in, are the same on every run and every device.
// Where a width is not a multiple of 8 the caller passes 2, 4 or 8 rows as one
// (plan_bias_backward), so that the rows are whole vectors, and the rows left over
// in a launch of their own.
// 16-byte vectors on every architecture: a thread holds a column sum per element,
// and 32-byte vectors would double them and halve the work items.
template <class T, class G, bool FROM_INPUT>
GELU_HD void dbias_partial(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    constexpr int BYTES = GELU_VECTOR_BYTES;
    constexpr uint64_t W = Vec<T, BYTES>::WIDTH;
    const T* pre = static_cast<const T*>(a.in[0]);
    const T* dy = static_cast<const T*>(a.in[1]);
    const T* bias = static_cast<const T*>(a.in[2]);
    const uint64_t period = a.in_stride[2];
    T* dx = static_cast<T*>(a.out[0]);
    const bool vec = a.cols % W == 0 && vector_aligned(pre, BYTES) && vector_aligned(dy, BYTES) &&
                     vector_aligned(dx, BYTES);
    const uint64_t step = vec ? W : 1;
    const uint64_t per_row = a.cols / step;
    if (per_row == 0 || (FROM_INPUT && period == 0)) return;
    const uint64_t chunks = (a.rows + a.chunk_rows - 1) / a.chunk_rows;
    RowWalk at(tid, nthreads, per_row);
    for (uint64_t i = tid; i < chunks * per_row; i += nthreads, at.next()) {
        const uint64_t chunk = at.row;
        const uint64_t col = at.item * step;
        const uint64_t r_end = a.rows < (chunk + 1) * a.chunk_rows ? a.rows : (chunk + 1) * a.chunk_rows;
        float acc[W];
#pragma unroll
        for (uint64_t e = 0; e < W; ++e) acc[e] = 0.0f;
        // The bias of this item's columns, the same in every row of its chunk (kept
        // in the storage type: as floats, the extra registers spilled).
        Vec<T, BYTES> b{};
        if (FROM_INPUT) {
            uint64_t c = col;
            while (c >= period) c -= period;  // a row holds at most 8 periods
#pragma unroll
            for (uint64_t e = 0; e < W; ++e) {
                if (e < step) b.v[e] = bias[c];
                if (++c == period) c = 0;
            }
        }
        // The point GELU' is taken at: the stored pre-activation, or x + b rounded to
        // T, the value bias_forward would have stored.
        auto point = [&](T v, uint64_t e) {
            return Storage<T>::load(FROM_INPUT ? to_storage<T>(Storage<T>::load(v) + Storage<T>::load(b.v[e])) : v);
        };
#pragma unroll 2
        for (uint64_t r = chunk * a.chunk_rows; r < r_end; ++r) {
            const uint64_t at = r * a.cols + col;
            if (vec) {
                const Vec<T, BYTES> p = load_vec<BYTES>(pre + at);
                const Vec<T, BYTES> d = load_vec<BYTES>(dy + at);
                float g[W];
#pragma unroll
                for (uint64_t e = 0; e < W; ++e) {
                    g[e] = G::backward(point(p.v[e], e), Storage<T>::load(d.v[e]));
                    acc[e] += g[e];
                }
                Vec<T, BYTES> out;
#pragma unroll
                for (uint64_t e = 0; e < W; e += 2) Storage<T>::store_pair(&out.v[e], g[e], g[e + 1]);
                store_vec(dx + at, out);
            } else {
                const float g = G::backward(point(pre[at], 0), Storage<T>::load(dy[at]));
                acc[0] += g;
                dx[at] = to_storage<T>(g);
            }
        }
        // Unrolled with constant indices: a run-time index would put acc in local memory.
#pragma unroll
        for (uint64_t e = 0; e < W; ++e)
            if (e < step) a.partial[chunk * a.cols + col + e] = acc[e];
    }
}

// Bias gradient, stages 2 and 3: out[c] = sum over k < rows of partial[k * cols + c],
// in k order. Run once over the partial sums viewed as [partials / groups, groups *
// cols] (giving the group sums, in f32) and once over the group sums and the leftover
// rows' sum (giving db); see plan_bias_backward. Unrolled so that a thread's loads are
// all in flight before the first add; the adds keep their order.
template <class T>
GELU_HD void dbias_reduce(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    T* db = static_cast<T*>(a.out[0]);
    for (uint64_t c = tid; c < a.cols; c += nthreads) {
        float s = 0.0f;
#pragma unroll 8
        for (uint64_t k = 0; k < a.rows; ++k) s += a.partial[k * a.cols + c];
        db[c] = to_storage<T>(s);
    }
}

}  // namespace gelu
