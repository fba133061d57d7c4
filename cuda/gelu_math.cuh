// The GELU math as small functors, shared by every kernel and by the host build.
//
//   exact    GELU(x) = x Phi(x)                  GELU'(x) = Phi(x) + x phi(x)
//   tanh     GELU(x) = x sigma(v), v = x (A + B x^2), the 0.5 x (1 + tanh u) form
//   sigmoid  GELU(x) = x sigma(v), v = 1.702 x
//
// Gelu<approx, T>::forward(x) and ::backward(x, dy) work in f32 for results stored as
// T. For float, the accurate flavour: IEEE additions, multiplications and fused
// multiply-adds only (the forward's last, scaling step rounded upwards), so the GPU
// and the host produce the same bits.
// For __half and __nv_bfloat16, the fast flavour: shorter polynomials and the special
// function unit, accurate to about 2^-20, far below half an fp16/bf16 ulp.
//
// No formula here subtracts two nearly equal quantities:
// - the tails are written as e^(-z^2/2) (or e^-|v|) times a smooth factor, with the
//   exponent carried in two floats so its rounding does not grow with z;
// - x Phi(x) for x >= 0 is x - z Q(z), Q = 1 - Phi small or the subtraction benign;
// - the derivative's root near x = -0.752 is factored out: (x - x0) P(x).
#pragma once

#include <type_traits>

#include "gelu_coefficients.cuh"
#include "gelu_platform.cuh"

namespace gelu {

enum class Approx { Exact, Tanh, Sigmoid };

constexpr float LOG2E = 1.44269504f;
constexpr float ROUND_MAGIC = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer

struct DoubleFloat {
    float hi, lo;
};

// a + b and its rounding error, exact where |a| >= |b| (Fast2Sum), or where the sum
// itself is exact; the callers say which holds.
GELU_HD DoubleFloat fast_two_sum(float a, float b) {
    const float s = a + b;
    return {s, b - (s - a)};
}

// e^(hi + lo) = 2^k (1 + em1 + em1_lo), for -130 <= hi <= 0 and |lo| small against
// 1; em1_lo is the last addition's rounding error, for the one caller that needs e^x
// to more than f32's precision. The callers clamp their inputs with fminf/fmaxf,
// which drop a NaN, so hi is always in range and never NaN.
struct ExpParts {
    float em1, em1_lo;
    int k;
};

GELU_HD ExpParts exp_parts(float hi, float lo) {
    // Adding 1.5 * 2^23 rounds hi/ln2 to an integer k, which then sits in the low
    // bits of t: no float-to-int conversion needed.
    const float t = fmaf(hi, LOG2E, ROUND_MAGIC);
    const float kf = t - ROUND_MAGIC;
    const int k = float_to_bits(t) - float_to_bits(ROUND_MAGIC);
    const float r = fmaf(kf, -LN2_HI, hi);   // exact: both terms are multiples of 2^-25
    const float r_lo = fmaf(kf, -LN2_LO, lo);
    // e^(r + r_lo) - 1 = r + r^2 q(r) + r_lo e^r + O(r_lo^2); r_lo can reach 2^-16
    // (the tanh form's argument), so e^r is not replaced by 1 + r.
    const float rr = r * r;
    const float q = expm1_q(r);
    const float er = fmaf(rr, q, r) + 1.0f;
    const float tail = fmaf(rr, q, r_lo * er);
    const DoubleFloat em1 = fast_two_sum(r, tail);  // |r| >= |tail|
    return {em1.hi, em1.lo, k};
}

// 1/d for 1 <= d <= 32 (where the callers need it), within 0.5002 ulp, from
// fused multiply-adds only; a division would add a branch to its slow path. A seed
// from the bits (within 5.1%), then two Newton steps of the third order (5.1% ->
// 2^-12.9 -> about half an ulp).
GELU_HD float reciprocal(float d) {
    float y = bits_to_float(0x7ef311c3u - uint32_t(float_to_bits(d)));
    for (int step = 0; step < 2; ++step) {
        const float e = fmaf(-d, y, 1.0f);
        y = fmaf(y, fmaf(e, e, e), y);
    }
    return y;
}

// Near 0, GELU(x) = x/2 + c x^2 + O(x^4), c > 0 for every approximation. When x/2
// is exactly halfway between two representable results, the sign of c x^2 decides
// the rounding, and a plain f32 evaluation loses it. The accurate flavour (f32
// output) meets this where x/2 is subnormal by rounding its last, scaling step up.
// The fast flavour's f32 result is rounded again to fp16/bf16: below |x| = 2^-12
// the x^2 term is under half an fp16/bf16 ulp, so x/2 plus a positive correction of
// a few f32 ulps (at least the smallest subnormal) rounds exactly as GELU(x) does.
constexpr float TINY_HALF = 2.44140625e-04f;  // 2^-12

GELU_HD float finish_forward_half(float x, float y) {
    const float ax = fabsf(x);
    const float tiny = fmaf(x, 0.5f, fmaf(ax, 9.53674316e-07f, 1.40129846e-45f));  // used for x != 0
    return (ax < TINY_HALF && ax > 0.0f) ? tiny : y;
}

// GeGLU multiplies GELU(a) by g before the one rounding, where that shortcut (exact
// only once rounded to fp16/bf16 itself) would cost up to a quarter of an ulp:
// there the fast flavour gives GELU(x) = x (1/2 + c x) below 2^-12, to 2^-36
// relative, with c = GELU''(0)/2.
constexpr float INV_SQRT_2PI = 0.5f * TWO_INV_SQRT_2PI_HI;  // c of the exact and tanh forms

GELU_HD float small_x_value(float x, float c, float y) {
    return fabsf(x) < TINY_HALF ? x * fmaf(x, c, 0.5f) : y;
}

// ---------------------------------------------------------------------------
// exact: z = |x|, Q(z) = 1 - Phi(z) = e^(-z^2/2) M(z), M(z) = R(z)/sqrt(2 pi) with R
// the Mills ratio, and GELU'(x) = 1 + e^(-z^2/2) D(z) (x >= 0) or -e^(-z^2/2) D(z)
// (x < 0), D(z) = (z - R(z))/sqrt(2 pi). The fitted factors are polynomials in a
// rational variable of z (gelu_coefficients.cuh says which). Beyond z = TAIL_ZMAX
// (16) every result is 0 or x, the backward's for any |dy| <= 2^24 too, so z is
// clamped there (which keeps infinities out of the arithmetic).
struct TailPoint {
    float zc;  // min(|x|, TAIL_ZMAX)
    float u;   // (TAIL_C1 z + TAIL_C0) / (z + TAIL_K), in [-1, 1]
};

GELU_HD TailPoint tail_point(float x) {
    const float zc = fminf(fabsf(x), TAIL_ZMAX);
    return {zc, fmaf(TAIL_C1, zc, TAIL_C0) * reciprocal(zc + TAIL_K)};
}

template <Approx A, class T>
struct Gelu;

// dy times a tail factor m 2^k, k <= 0, scaled by 2^k last (scale2): for
// |dy| >= 2^63 the product dy m could overflow although the result does not, so
// such a dy is shifted down by 2^63, and the shift undone by scale2's last factor
// (2^-1 in place of 2^-64), after its first product, dy 2^-63 m 2^(k + 64), which
// stays below 2^127 (|dy| < 2^128 and m 2^k, a part of GELU', below 1/4). Such a
// result is normal (|GELU'| > 2^-185 short of the clamps), so the last factor
// rounds only once. Undoing the shift in k instead overflowed that first product
// for |dy| beyond about 2^67.
struct ShiftedGrad {
    float dy;
    float down;  // scale2's last factor
};

GELU_HD ShiftedGrad shift_gradient(float dy) {
    const bool big = fabsf(dy) >= 9.22337204e18f;  // 2^63
    return {big ? dy * 1.08420217e-19f : dy, big ? 0.5f : TWO_POW_MINUS_64};
}

// Beyond the clamp GELU' is 0 (x < 0) or 1 (x > 0) to far below f32's range, while
// the clamped evaluation is only that small: there the backward is exactly dy times
// 0 or 1, whatever dy. A NaN x fails both tests and keeps `dx`.
GELU_HD float saturate_backward(float x, float dy, float dx, float clamp) {
    return x < -clamp ? dy * -0.0f : (x > clamp ? dy : dx);
}

// e^(-z^2/2) with z^2 carried exactly.
GELU_HD ExpParts gauss_parts(float zc) {
    const float s = zc * zc;
    return exp_parts(-0.5f * s, -0.5f * fmaf(zc, zc, -s));
}

template <>
struct Gelu<Approx::Exact, float> {
    // |x| < CENTRAL: x Phi(x) with 2 Phi(x) = 1 + x (2/sqrt(2 pi) + x^2 P(x^2)).
    // Elsewhere z Q(z) = e^(-z^2/2) S(z), S fitted on [CENTRAL, 15]; then
    // GELU(x) = -z Q(z) for x < 0 and x - z Q(z) for x > 0.
    static GELU_HD float forward(float x) {
        // GELU(x) = (x + x^2 t)/2, t = 2/sqrt(2 pi) + s P(s): the halving is exact
        // except where x/2 is subnormal, and there, rounded up, it also rounds
        // correctly (GELU(x) > x/2 for x != 0) without a tiny-x path.
        const float s = x * x;
        const float t = TWO_INV_SQRT_2PI_HI + fmaf(s, central_accurate(s), TWO_INV_SQRT_2PI_LO);
        // x + x^2 t has the sign of x; copysignf keeps it for x = -0 too.
        const float central = scale_down_round_up(copysignf(fmaf(x, x * t, x), x), 0.5f);

        const float zc = fminf(fmaxf(fabsf(x), CENTRAL), 15.0f);
        // z - ZM is exact for z in [ZM/2, 2 ZM] (Sterbenz), where the result is
        // largest in ulps (x < 0 near the minimum). As (C1 z + C0) / (z + K), even
        // correctly rounded, S's argument cost up to an ulp of the result there
        // (2.39 at most); now the tail stays within 1.83 with two fewer operations.
        const float u = (zc - FWD_TAIL_ZM) * reciprocal(zc + FWD_TAIL_K);
        const float sz = zq_accurate(u);
        const ExpParts e = gauss_parts(zc);
        const float zq = scale2(fmaf(sz, e.em1, sz), e.k);
        const float tail = x < 0.0f ? -zq : x - zq;
        return fabsf(x) >= CENTRAL ? tail : central;  // a NaN takes the central side
    }
    // The forward is accurate everywhere: GeGLU's factor GELU(a) needs nothing else.
    static GELU_HD float value(float x) { return forward(x); }
    // dy e^(-z^2/2) D(z): the product dy D(z) is carried in two floats so that
    // only the final multiply-add rounds.
    static GELU_HD float backward(float x, float dy) {
        const TailPoint p = tail_point(x);
        const ExpParts e = gauss_parts(p.zc);
        // z - z0 and D = (z - z0) P(u) in two floats. Fast2Sum is exact here: the
        // tail is only used for z >= 0.375, where z - z0_hi is exact (Sterbenz)
        // or |z| >= |z0_hi|.
        const DoubleFloat dz = fast_two_sum(p.zc, GRAD_ROOT_EXACT_HI);
        const float dz_lo = dz.lo + GRAD_ROOT_EXACT_LO;
        const float f = grad_tail_accurate(p.u);
        const float d = dz.hi * f;
        const float d_lo = fmaf(dz.hi, f, -d) + dz_lo * f;
        const ShiftedGrad g = shift_gradient(dy);
        const float b = d * g.dy;
        const float b_lo = fmaf(d, g.dy, -b) + d_lo * g.dy;
        const float ed = scale2(b + fmaf(b, e.em1, fmaf(b_lo, e.em1, b_lo)), e.k, g.down);
        const float tail = x < 0.0f ? -ed : dy + ed;
        // Near 0 the tail's relative error is worth several ulp of a result just
        // under 1/2; there GELU'(x) = 1/2 + x (2/sqrt(2 pi) + x^2 P(x^2)).
        const float s = x * x;
        const float t = TWO_INV_SQRT_2PI_HI + fmaf(s, central_grad_accurate(s), TWO_INV_SQRT_2PI_LO);
        const float central = dy * fmaf(x, t, 0.5f);
        const float dx = x <= CENTRAL_GRAD_LO || x >= CENTRAL ? tail : central;  // a NaN x: central
        return saturate_backward(x, dy, dx, TAIL_ZMAX);
    }
};

// Fast flavour: z = min(|x|, 15) (a NaN passes through), r = 1/(z + K) on the
// special function unit, u = r S + O. The fitted tails carry a factor 2^-64 that
// cancels the 2^64 in e^(-z^2/2) 2^64, which keeps that exponential normal (the
// unit flushes subnormals) for every z <= TAIL_ZMAX.
// dy a b where a b carries a factor 2^-64 in one and 2^64 in the other: multiplied
// in the order that neither overflows for large |dy| nor underflows for small.
GELU_HD float scaled_product(float dy, float a, float b) {
    return fabsf(dy) >= 1.0f ? (dy * a) * b : dy * (a * b);
}

struct FastTail {
    float zc, u, gauss;  // gauss = e^(-z^2/2) 2^64
};

GELU_HD FastTail fast_tail(float x) {
    const float ax = fabsf(x);
    const float zc = ax > TAIL_ZMAX ? TAIL_ZMAX : ax;
    const float r = approx_rcp(zc + TAIL_K);
    return {zc, fmaf(r, FAST_R_SCALE, FAST_R_OFFSET), approx_exp2(fmaf(zc * zc, -0.5f * LOG2E, 64.0f))};
}

template <class T>
struct Gelu<Approx::Exact, T> {
    static GELU_HD float general(float x) {
        const FastTail t = fast_tail(x);
        const float zq = t.zc * mills_fast(t.u) * t.gauss;  // z Q(z)
        return x < 0.0f ? -zq : x - zq;
    }
    static GELU_HD float forward(float x) { return finish_forward_half(x, general(x)); }
    static GELU_HD float value(float x) { return small_x_value(x, INV_SQRT_2PI, general(x)); }
    static GELU_HD float backward(float x, float dy) {
        const FastTail t = fast_tail(x);
        const float d = ((t.zc + GRAD_ROOT_EXACT_HI) + GRAD_ROOT_EXACT_LO) * grad_tail_fast(t.u);
        const float ed = scaled_product(dy, d, t.gauss);  // dy e^(-z^2/2) D(z)
        return saturate_backward(x, dy, x < 0.0f ? -ed : dy + ed, TAIL_ZMAX);
    }
};

// ---------------------------------------------------------------------------
// tanh and sigmoid: GELU(x) = x sigma(v). With w = e^-|v| in (0, 1]:
//   sigma(|v|) = 1/(1 + w),  sigma(-|v|) = w/(1 + w),
//   GELU'(x) = sigma(v) (1 + x v' (1 - sigma(v))).
// Near the derivative's root the bracket cancels, so there the derivative is a
// fitted (x - x0) P(u). Beyond |x| = CLAMP every result is 0 or x, the backward's
// for any |dy| <= 2^24 too, so x is clamped there, which keeps infinities out of
// the arithmetic and e^-|v| within exp_parts' range.
// The tanh form's v = x (A + B x^2) in two floats.
GELU_HD DoubleFloat tanh_v(float x) {
    const float s = x * x;
    const float s_lo = fmaf(x, x, -s);
    const float q = TANH_B_HI * s;
    const float q_lo = fmaf(TANH_B_HI, s, -q) + fmaf(TANH_B_HI, s_lo, TANH_B_LO * s);
    const DoubleFloat p = fast_two_sum(fmaxf(TANH_A_HI, q), fminf(TANH_A_HI, q));  // both >= 0
    const float p_lo = p.lo + (q_lo + TANH_A_LO);
    const float v = x * p.hi;
    return {v, fmaf(x, p.hi, -v) + x * p_lo};
}

struct TanhForm {
    static constexpr float CLAMP = 11.5f;  // |v(11.5)| = 126.9
    static constexpr float SMALL_X_C = 0.25f * TANH_A_HI;
    static constexpr float ROOT_HI = GRAD_ROOT_TANH_HI;
    static constexpr float ROOT_LO = GRAD_ROOT_TANH_LO;
    static constexpr float ROOT_SCALE = ROOT_TANH_SCALE;
    static constexpr float ROOT_OFFSET = ROOT_TANH_OFFSET;
    static GELU_HD DoubleFloat v(float xc) { return tanh_v(xc); }
    // x v' = x (A + 3 B x^2) = 3 v - 2 A x, from v in two floats: 3 v and 2 A x are
    // products whose errors one fused multiply-add each gives exactly, and their
    // difference is Fast2Sum's (3 v / (2 A x) >= 3/2), exact itself for |x| <= 2.7
    // (Sterbenz), where the backward's bracket cancels. Half the cost of a second v.
    static GELU_HD DoubleFloat xdv(float xc, DoubleFloat v) {
        const float t = 3.0f * v.hi;
        const float a = (2.0f * TANH_A_HI) * xc;
        const float a_lo = fmaf(2.0f * TANH_A_LO, xc, fmaf(2.0f * TANH_A_HI, xc, -a));
        const DoubleFloat d = fast_two_sum(t, -a);
        return {d.hi, d.lo + fmaf(3.0f, v.lo, fmaf(3.0f, v.hi, -t) - a_lo)};
    }
    // xdv's high part is not xdv rounded (its low part can be several of its ulps).
    static GELU_HD float rounded(DoubleFloat xdv) { return xdv.hi + xdv.lo; }
    static GELU_HD float v_fast(float xc) { return xc * fmaf(TANH_B_HI, xc * xc, TANH_A_HI); }
    static GELU_HD float dv(float xc) { return fmaf(TANH_3B, xc * xc, TANH_A_HI); }
    static GELU_HD float root_poly(float u, bool fast) {
        return fast ? grad_root_tanh_fast(u) : grad_root_tanh_accurate(u);
    }
};

struct SigmoidForm {
    static constexpr float CLAMP = 75.0f;  // |v(75)| = 127.7
    static constexpr float SMALL_X_C = 0.25f * SIGMOID_K_HI;
    static constexpr float ROOT_HI = GRAD_ROOT_SIGMOID_HI;
    static constexpr float ROOT_LO = GRAD_ROOT_SIGMOID_LO;
    static constexpr float ROOT_SCALE = ROOT_SIGMOID_SCALE;
    static constexpr float ROOT_OFFSET = ROOT_SIGMOID_OFFSET;
    static GELU_HD DoubleFloat v(float xc) {
        const float v = SIGMOID_K_HI * xc;
        return {v, fmaf(SIGMOID_K_HI, xc, -v) + SIGMOID_K_LO * xc};
    }
    static GELU_HD DoubleFloat xdv(float, DoubleFloat v) { return v; }
    static GELU_HD float rounded(DoubleFloat v) { return v.hi; }  // v.hi is K xc rounded
    static GELU_HD float v_fast(float xc) { return SIGMOID_K_HI * xc; }
    static GELU_HD float dv(float) { return SIGMOID_K_HI; }
    static GELU_HD float root_poly(float u, bool fast) {
        return fast ? grad_root_sigmoid_fast(u) : grad_root_sigmoid_accurate(u);
    }
};

// Accurate flavour: w = e^-|v| = 2^k (1 + em1), and 1 + w.
struct Logistic {
    float xc;         // x clamped to [-CLAMP, CLAMP]
    DoubleFloat v;    // v(xc)
    float w;          // e^-|v|
    float w_lo;       // w + w_lo = 2^k (1 + em1 + em1_lo): e^-|v| to about 2^-32
    DoubleFloat den;  // 1 + w, exactly
    float em1;
    int k;
};

template <class F>
GELU_HD Logistic logistic(float x) {
    const float xc = fminf(fmaxf(x, -F::CLAMP), F::CLAMP);
    const DoubleFloat v = F::v(xc);
    // -|v| in two floats: lo takes the sign change that hi does (one bit operation).
    const float lo = bits_to_float(uint32_t(float_to_bits(v.lo)) ^ (~uint32_t(float_to_bits(v.hi)) & 0x80000000u));
    const ExpParts e = exp_parts(-fabsf(v.hi), lo);
    const DoubleFloat s = fast_two_sum(1.0f, e.em1);  // |em1| < 1/2
    const float w = scale2(s.hi, e.k);
    return {xc, v, w, scale2(s.lo + e.em1_lo, e.k), fast_two_sum(1.0f, w), e.em1, e.k};
}

// Near the derivative's root: dy (x - x0) P(u), x - x0_hi exact inside the window.
// The accurate flavour carries the products in two floats and rounds once.
template <class F, bool fast>
GELU_HD float logistic_grad_root(float x, float dy) {
    const float d = x - F::ROOT_HI;
    const float p = F::root_poly(fmaf(d, F::ROOT_SCALE, F::ROOT_OFFSET), fast);
    if (fast) return dy * ((d - F::ROOT_LO) * p);
    const float a = d * p;
    const float a_lo = fmaf(d, p, -a) - F::ROOT_LO * p;
    const float b = a * dy;
    return b + fmaf(a, dy, -b) + a_lo * dy;
}

// Near the root the fast flavour's general form errs by a few 2^-24 in absolute
// terms (the special function unit's error, and for bf16 also the rounding of the
// exponential's offset argument, below). An fp16 input can lie within 2^-12 of the
// root, where that is more than half an ulp of the result: fp16 takes the root
// polynomial for |x - x0| <= 2^-7, on a branch that most warps skip. The exhaustive
// tests with the unit's error modelled on the host (HostRunner::sfu_error): at most
// 0.507 ulp (dy = 1: 0.502; 0.527 with a window of 2^-9, 0.96 without one). Every
// bf16 input lies at least 2^-10 from the roots, where a few 2^-24 is at most an
// eighth of a bf16 ulp: no branch. (The accurate flavour's window is below.)
constexpr float FAST_ROOT_HALF_WIDTH = 0.0078125f;

template <class T>
constexpr bool FAST_ROOT_BRANCH = std::is_same<T, __half>::value;

// Fast flavour: x is clamped below only (a NaN passes through; above, w = e^-|v|
// reaches 0 by itself). bf16 results reach down to 2^-133, where e^-|v| can lie
// below f32's normal range (which the unit flushes), so for bf16 w is carried as
// w 2^64; fp16's smallest result, 2^-24, needs no such scale, and without the offset
// the exponential's argument keeps its precision.
template <class F, class T>
struct LogisticGelu {
    static constexpr bool SCALED = !std::is_same<T, __half>::value;
    static constexpr float SCALE_LOG2 = SCALED ? 64.0f : 0.0f;
    static constexpr float UP = SCALED ? TWO_POW_64 : 1.0f;
    static constexpr float DOWN = SCALED ? TWO_POW_MINUS_64 : 1.0f;

    struct Parts {
        float xc, ws, sp;  // ws = e^-|v| 2^SCALE_LOG2, sp = sigma(|v|) = 1/(1 + w)
    };
    static GELU_HD Parts parts(float x) {
        const float xc = x < -F::CLAMP ? -F::CLAMP : x;
        const float ws = approx_exp2(fmaf(-fabsf(F::v_fast(xc)), LOG2E, SCALE_LOG2));
        return {xc, ws, approx_rcp(fmaf(ws, DOWN, 1.0f))};
    }
    static GELU_HD float general(float x) {
        const Parts p = parts(x);
        return x >= 0.0f ? x * p.sp : (p.xc * DOWN) * p.ws * p.sp;
    }
    static GELU_HD float forward(float x) { return finish_forward_half(x, general(x)); }
    static GELU_HD float value(float x) { return small_x_value(x, F::SMALL_X_C, general(x)); }
    // GELU'(x) = sigma(v) (1 + x v' (1 - sigma(v))): sigma(v) = sigma(|v|) and
    // 1 - sigma(v) = w sigma(|v|) for x >= 0, the other way round for x < 0. One
    // formula for both signs, sigma(v) carried times 2^SCALE_LOG2.
    static GELU_HD float backward(float x, float dy) {
        if (FAST_ROOT_BRANCH<T> && fabsf(x - F::ROOT_HI) <= FAST_ROOT_HALF_WIDTH) {
            return logistic_grad_root<F, true>(x, dy);
        }
        const Parts p = parts(x);
        const bool neg = x < 0.0f;
        const float xb = fminf(p.xc, F::CLAMP);
        const float xdv = xb * F::dv(xb);
        const float sigma_up = (neg ? p.ws : UP) * p.sp;
        const float sigma_c = (neg ? 1.0f : p.ws * DOWN) * p.sp;
        const float dx = scaled_product(dy, DOWN, sigma_up * fmaf(xdv, sigma_c, 1.0f));
        // Above CLAMP, w underflows to 0 and dx is dy exactly; below, the clamped
        // evaluation would leave dy times a tiny nonzero derivative.
        return x < -F::CLAMP ? dy * -0.0f : dx;
    }
};

// The accurate flavour carries sigma(|v|) = 1/(1 + w) in two floats, and applies
// w = 2^k (1 + em1) last, so a subnormal w loses nothing. For x < 0 the backward's
// bracket 1 + x v' sigma(|v|) cancels towards the derivative's root x0, so there
// x v' is carried in two floats and sigma(|v|) is that of w + w_lo: the bracket's
// absolute error is about 2^-34, a quarter of the result's ulp at |x - x0| = 2^-8.
// Nearer the root (|x - x0| <= 2^-8, where a warp rarely has an element) the root
// polynomial takes over, on a branch.
constexpr float ACCURATE_ROOT_HALF_WIDTH = 0.00390625f;

struct SigmaPlus {
    float hi, lo;  // hi + lo = 1/(1 + w + w_lo) to about 2^-45
};

// 1/(1 + w), or with_w_lo 1/(1 + w + w_lo) (the forward does not cancel: w is enough).
template <bool with_w_lo>
GELU_HD SigmaPlus sigma_plus(const Logistic& l) {
    const float d_lo = with_w_lo ? l.den.lo + l.w_lo : l.den.lo;
    const float sp = reciprocal(l.den.hi);
    return {sp, sp * (fmaf(-sp, l.den.hi, 1.0f) - sp * d_lo)};
}

template <class F>
struct LogisticGelu<F, float> {
    static GELU_HD float forward(float x) {
        const Logistic l = logistic<F>(x);
        const SigmaPlus sp = sigma_plus<false>(l);
        // GELU(x) = m sigma(|v|), m = x (x >= 0) or x w (x < 0), w = 2^k (1 + em1),
        // with m carried times 2^64, exactly. The product rounds once in the normal
        // range and the scaling back only where the result is subnormal (upwards:
        // see above). Beyond CLAMP, and for a NaN, the result is x.
        const float m = x < 0.0f ? fmaf(l.xc, l.em1, l.xc) * pow2i(l.k + 64) : l.xc * TWO_POW_64;
        const float y = scale_down_round_up(fmaf(m, sp.hi, m * sp.lo), TWO_POW_MINUS_64);
        return x <= F::CLAMP ? y : x;
    }
    static GELU_HD float value(float x) { return forward(x); }  // accurate everywhere
    static GELU_HD float backward(float x, float dy) {
        if (fabsf(x - F::ROOT_HI) <= ACCURATE_ROOT_HALF_WIDTH) return logistic_grad_root<F, false>(x, dy);
        const Logistic l = logistic<F>(x);
        const SigmaPlus sp = sigma_plus<true>(l);
        const DoubleFloat xdv = F::xdv(l.xc, l.v);
        float dx;
        if (x >= 0.0f) {
            dx = dy * (sp.hi + fmaf(F::rounded(xdv) * sp.hi, l.w * sp.hi, sp.lo));
        } else {
            const float p = xdv.hi * sp.hi;
            const float p_lo = fmaf(xdv.hi, sp.hi, -p) + fmaf(xdv.hi, sp.lo, xdv.lo * sp.hi);
            // Exact by Fast2Sum's condition where |p| <= 1, and below -1/2 because 1 + p
            // itself is exact (p is negative for x < 0, or tiny for a subnormal x).
            const DoubleFloat i = fast_two_sum(1.0f, p);
            const float i_lo = i.lo + p_lo;
            const ShiftedGrad g = shift_gradient(dy);
            const float t = fmaf(sp.hi, i.hi, fmaf(sp.hi, i_lo, sp.lo * i.hi)) * g.dy;
            dx = scale2(fmaf(t, l.em1, t), l.k, g.down);  // dy w sigma(|v|) (1 + x v' sigma(|v|))
        }
        dx = saturate_backward(x, dy, dx, F::CLAMP);
        return x != x ? x + dy : dx;
    }
};

template <class T>
struct Gelu<Approx::Tanh, T> : LogisticGelu<TanhForm, T> {};
template <class T>
struct Gelu<Approx::Sigmoid, T> : LogisticGelu<SigmoidForm, T> {};

}  // namespace gelu
