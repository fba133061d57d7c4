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
// bias repeats one row, GeGLU's halves sit side by side in one buffer), row by row
// in vectors where every row of every operand starts on a vector boundary.
// pointwise_rows_flat() serves the other shapes and views (it is the same ops' second
// kernel, see gelu_rows_kernel): the rows as one flat array, with the flat engine's
// head, body and tail, and the operands that do not line up with that (a bias row,
// halves of a wider row) accessed element by element.
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

GELU_HD bool vector_aligned(const void* p, uint64_t bytes) {
    return reinterpret_cast<uintptr_t>(p) % bytes == 0;
}

// A vector access must be aligned to its size: on the GPU a misaligned one faults.
// The host build, where it would not, stops instead, so that the host tests catch
// what would fault on a device.
template <int BYTES>
GELU_HD void check_vector_aligned(const void* p) {
#if !defined(__CUDA_ARCH__)
    if (!vector_aligned(p, BYTES)) {
        std::fprintf(stderr, "gelu: misaligned %d-byte vector access at %p\n", BYTES, p);
        std::abort();
    }
#endif
}

// Every vector access of the engines goes through these two.
template <int BYTES, class T>
GELU_HD Vec<T, BYTES> load_vec(const T* p) {
    check_vector_aligned<BYTES>(p);
    return *reinterpret_cast<const Vec<T, BYTES>*>(p);
}

template <class T, int BYTES>
GELU_HD void store_vec(T* p, const Vec<T, BYTES>& v) {
    check_vector_aligned<BYTES>(p);
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
// item within the row) of item first, then of first + step, first + 2 step, ...;
// advanced by addition, so that no loop runs a 64-bit division (a called subroutine
// whose register saves spilled in one sm_100 kernel).
struct RowWalk {
    uint64_t row, item;
    uint64_t per_row, drow, ditem;
    GELU_HD RowWalk(uint64_t first, uint64_t step, uint64_t per_row)
        : row(first / per_row), item(first % per_row), per_row(per_row), drow(step / per_row),
          ditem(step % per_row) {}
    // Moves every position `items` further on.
    GELU_HD void skip(uint64_t items) {
        for (item += items; item >= per_row; item -= per_row) ++row;
    }
    GELU_HD void next() {
        item += ditem;
        row += drow;
        if (item >= per_row) {
            item -= per_row;
            ++row;
        }
    }
};

// The operands of a row-structured op (gelu_rows_args): element (r, c) of input j
// at in[j] + r in_stride[j] + c, of output k likewise; a null output is skipped.
template <class T, int NI, int NO>
struct RowsOperands {
    const T* in[NI];
    T* out[NO];
    uint64_t in_stride[NI], out_stride[NO];
    uint64_t rows, cols;

    GELU_HD explicit RowsOperands(const gelu_rows_args& a) : rows(a.rows), cols(a.cols) {
#pragma unroll
        for (int j = 0; j < NI; ++j) {
            in[j] = static_cast<const T*>(a.in[j]);
            in_stride[j] = a.in_stride[j];
        }
#pragma unroll
        for (int k = 0; k < NO; ++k) {
            out[k] = static_cast<T*>(a.out[k]);
            out_stride[k] = a.out_stride[k];
        }
    }

    // Every row of every operand starts on a `bytes` boundary and holds whole vectors
    // (a null operand, with stride 0, always does).
    GELU_HD bool rows_in_vectors(uint64_t bytes) const {
        const uint64_t w = bytes / sizeof(T);
        bool fits = cols % w == 0;
#pragma unroll
        for (int j = 0; j < NI; ++j) fits = fits && vector_aligned(in[j], bytes) && in_stride[j] % w == 0;
#pragma unroll
        for (int k = 0; k < NO; ++k) fits = fits && vector_aligned(out[k], bytes) && out_stride[k] % w == 0;
        return fits;
    }

    // Rows stored back to back (or only one): a flat array.
    GELU_HD bool dense(uint64_t stride) const { return rows == 1 || stride == cols; }

    // Whether an operand moves in vectors in the flat walk: a flat array sitting
    // `anchor` bytes past a `bytes` boundary.
    GELU_HD bool lines_up(const void* p, uint64_t stride, uint64_t bytes, uintptr_t anchor) const {
        return p && dense(stride) && reinterpret_cast<uintptr_t>(p) % bytes == anchor;
    }

    // The flat walk's alignment: the offset within `bytes` of the first flat operand
    // (outputs first) where that is a whole number of elements, else 0.
    GELU_HD uintptr_t flat_anchor(uint64_t bytes) const {
        const void* first = nullptr;
#pragma unroll
        for (int k = NO - 1; k >= 0; --k)
            if (out[k] && dense(out_stride[k])) first = out[k];
        if (!first) {
#pragma unroll
            for (int j = NI - 1; j >= 0; --j)
                if (dense(in_stride[j])) first = in[j];
        }
        const uintptr_t anchor = reinterpret_cast<uintptr_t>(first) % bytes;
        return anchor % sizeof(T) == 0 ? anchor : 0;
    }

    // Op::apply on element (r, c).
    template <class Op>
    GELU_HD void apply_at(uint64_t r, uint64_t c) const {
        const T* ip[NI];
        T* op[NO];
#pragma unroll
        for (int j = 0; j < NI; ++j) ip[j] = in[j] + r * in_stride[j] + c;
#pragma unroll
        for (int k = 0; k < NO; ++k) op[k] = out[k] ? out[k] + r * out_stride[k] + c : nullptr;
        apply_scalar<T, Op>(ip, op);
    }
};

// Row by row: each thread takes whole vectors of a row (vec) or single elements.
template <class T, class Op, int BYTES>
GELU_HD void pointwise_rows_walk(const RowsOperands<T, Op::NIN, Op::NOUT>& m, bool vec, uint64_t tid,
                                 uint64_t nthreads) {
    constexpr int NI = Op::NIN, NO = Op::NOUT;
    constexpr uint64_t W = Vec<T, BYTES>::WIDTH;
    const uint64_t step = vec ? W : 1;
    const uint64_t per_row = m.cols / step;
    if (per_row == 0) return;
    const uint64_t total = m.rows * per_row;
    RowWalk at(tid, nthreads, per_row);
    for (uint64_t i = tid; i < total; i += nthreads, at.next()) {
        const uint64_t r = at.row, col = at.item * step;
        if (!vec) {
            m.template apply_at<Op>(r, col);
            continue;
        }
        Vec<T, BYTES> src[NI], dst[NO];
#pragma unroll
        for (int j = 0; j < NI; ++j) src[j] = load_vec<BYTES>(m.in[j] + r * m.in_stride[j] + col);
        apply_vector<Op>(src, dst);
#pragma unroll
        for (int k = 0; k < NO; ++k)
            if (m.out[k]) store_vec(m.out[k] + r * m.out_stride[k] + col, dst[k]);
    }
}

// As one flat array of rows x cols elements, the way pointwise() walks: a scalar
// head and tail around a body of vectors aligned for the anchor operand (see
// flat_anchor). The operands that line up with it move in vectors, the others (a
// bias row, GeGLU's halves of a wider row, a view at another offset) element by
// element, each vector's position kept by a RowWalk. One vector per operand in
// flight per thread, not GELU_UNROLL: the element-wise operands take a register per
// element, and two vectors' worth spill in GeGLU's backward.
template <class T, class Op, int BYTES>
GELU_HD void pointwise_flat_walk(const RowsOperands<T, Op::NIN, Op::NOUT>& m, uint64_t tid,
                                 uint64_t nthreads) {
    constexpr int NI = Op::NIN, NO = Op::NOUT;
    constexpr uint64_t W = Vec<T, BYTES>::WIDTH;
    const uint64_t n = m.rows * m.cols;
    if (n == 0) return;
    // The walk's divisions are calls; made first, they find no other value to save
    // (which spilled on sm_120), and the head is added once it is known.
    RowWalk at(tid * W, nthreads * W, m.cols);
    const uintptr_t anchor = m.flat_anchor(BYTES);
    bool vec_in[NI], vec_out[NO];
#pragma unroll
    for (int j = 0; j < NI; ++j) vec_in[j] = m.lines_up(m.in[j], m.in_stride[j], BYTES, anchor);
#pragma unroll
    for (int k = 0; k < NO; ++k) vec_out[k] = m.lines_up(m.out[k], m.out_stride[k], BYTES, anchor);
    uint64_t head = (BYTES - anchor) % BYTES / sizeof(T);
    head = head < n ? head : n;
    const uint64_t nvec = (n - head) / W, tail = head + nvec * W;

    // Head and tail, one loop: each element lies within W of an end of the array, so
    // its row is found from that end, a row at a time.
    for (uint64_t k = tid; k < head + (n - tail); k += nthreads) {
        const uint64_t i = k < head ? k : tail + (k - head);
        uint64_t r = 0, c = i;
        if (i >= W) {
            uint64_t back = n - i;
            for (r = m.rows - 1; back > m.cols; --r) back -= m.cols;
            c = m.cols - back;
        }
        for (; c >= m.cols; ++r) c -= m.cols;
        m.template apply_at<Op>(r, c);
    }

    at.skip(head);
    for (uint64_t i = head + tid * W; i < tail; i += nthreads * W, at.next()) {
        // Bit e: element e is the last of its row, so element e + 1 starts the next
        // (the pointers move only between elements: none runs past its operand).
        uint32_t row_end = 0;
        uint64_t c = at.item;
#pragma unroll
        for (int e = 0; e < int(W); ++e) {
            if (++c == m.cols) {
                row_end |= 1u << e;
                c = 0;
            }
        }
        // visit(e, element e) for the vector's elements in an operand of row stride
        // `stride`, element by element.
        auto each_element = [&](auto* base, uint64_t stride, auto visit) {
            auto* p = base + at.row * stride + at.item;
            const int64_t jump = int64_t(stride) - int64_t(m.cols);
#pragma unroll
            for (int e = 0; e < int(W); ++e) {
                if (e > 0) p += row_end >> (e - 1) & 1 ? jump + 1 : 1;
                visit(e, p);
            }
        };
        Vec<T, BYTES> src[NI], dst[NO];
#pragma unroll
        for (int j = 0; j < NI; ++j) {
            if (vec_in[j])
                src[j] = load_vec<BYTES>(m.in[j] + i);
            else
                each_element(m.in[j], m.in_stride[j], [&](int e, const T* p) { src[j].v[e] = *p; });
        }
        apply_vector<Op>(src, dst);
#pragma unroll
        for (int k = 0; k < NO; ++k) {
            if (!m.out[k]) continue;
            if (vec_out[k])
                store_vec(m.out[k] + i, dst[k]);
            else
                each_element(m.out[k], m.out_stride[k], [&](int e, T* p) { *p = dst[k].v[e]; });
        }
    }
}

// The row kernel: every row of every operand in whole BYTES-byte vectors (for the
// wide form: else in 16-byte ones), else element by element; gelu_rows_kernel sends
// only operands that fit 16-byte vectors here.
template <class T, class Op, int BYTES>
GELU_HD void pointwise_rows_vectors(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    const RowsOperands<T, Op::NIN, Op::NOUT> m(a);
    const bool vec = m.rows_in_vectors(BYTES);
    if constexpr (BYTES == GELU_WIDE_VECTOR_BYTES)
        if (!vec) return pointwise_rows_vectors<T, Op, GELU_VECTOR_BYTES>(a, tid, nthreads);
    pointwise_rows_walk<T, Op, BYTES>(m, vec, tid, nthreads);
}

template <class T, class Op>
GELU_HD void pointwise_rows(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    with_vector_bytes<T>([&](auto bytes) { pointwise_rows_vectors<T, Op, decltype(bytes)::value>(a, tid, nthreads); });
}

// The flat kernel: 16-byte vectors on every architecture (a fallback, for which the
// fp32 kernels of sm_100 and newer do not double their code).
template <class T, class Op>
GELU_HD void pointwise_rows_flat(const gelu_rows_args& a, uint64_t tid, uint64_t nthreads) {
    pointwise_flat_walk<T, Op, GELU_VECTOR_BYTES>(RowsOperands<T, Op::NIN, Op::NOUT>(a), tid, nthreads);
}

}  // namespace gelu
