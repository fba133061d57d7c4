// The accuracy survey of the fp32 kernels: each thread runs the accurate functors
// (or the usual formula) on a range of fp32 bit patterns, evaluates the f64
// reference beside them, and accumulates error statistics. The reference follows
// src/reference.rs step for step (compensated erfc argument, exact squares), with
// the platform's double erfc/exp (CUDA's on the GPU, libm's on the host).
#pragma once

#include "gelu_abi.h"
#include "gelu_math.cuh"

namespace gelu {
namespace survey {

GELU_HD bool is_nan(double v) { return v != v; }
GELU_HD bool is_inf(double v) { return v == v && v - v != v - v; }
GELU_HD bool is_finite(double v) { return v - v == v - v; }

constexpr double FRAC_1_SQRT_2 = 0.7071067811865476;
constexpr double FRAC_1_SQRT_2_LO = -4.833646656726457e-17;
constexpr double FRAC_1_SQRT_2PI = 0.3989422804014327;
constexpr double FRAC_1_SQRT_PI = 0.5641895835477563;
constexpr double SQRT_2 = 1.4142135623730951;
constexpr double TANH_A = 1.5957691216057308;
constexpr double TANH_B = TANH_A * 0.044715;
constexpr double SIGMOID_K = 1.702;
constexpr double ROOT_WINDOW = 0.125;  // accuracy::ROOT_WINDOW
constexpr double ROOT_SUMMAND_SHARE = 1.0 / 4096.0;  // accuracy::ROOT_SUMMAND_SHARE

GELU_HD double gauss_exp(double x) {
    if (fabs(x) > 40.0) return 0.0;
    const double s = x * x;
    const double s_lo = fma(x, x, -s);
    return exp(-0.5 * s) * (1.0 - 0.5 * s_lo);
}

GELU_HD double upper_tail(double z) {
    const double t = z * FRAC_1_SQRT_2;
    const double dt = fma(z, FRAC_1_SQRT_2, -t) + z * FRAC_1_SQRT_2_LO;
    return 0.5 * erfc(t) - dt * FRAC_1_SQRT_PI * gauss_exp(t * SQRT_2);
}

GELU_HD double big_phi(double x) { return x < 0.0 ? upper_tail(-x) : 1.0 - upper_tail(x); }

struct Pair {
    double a, b;
};

GELU_HD Pair logistic_v(Approx approx, double x) {
    if (approx == Approx::Tanh) return {x * fma(TANH_B, x * x, TANH_A), fma(3.0 * TANH_B, x * x, TANH_A)};
    return {SIGMOID_K * x, SIGMOID_K};
}

GELU_HD Pair sigmoid_pair(double v) {
    const double w = exp(-fabs(v));
    const double big = 1.0 / (1.0 + w), small = w / (1.0 + w);
    return v >= 0.0 ? Pair{big, small} : Pair{small, big};
}

GELU_HD double forward(Approx approx, double x) {
    if (x != x) return x;
    if (is_inf(x)) return x > 0.0 ? x : -0.0;
    if (approx == Approx::Exact) return x * big_phi(x);
    return x * sigmoid_pair(logistic_v(approx, x).a).a;
}

GELU_HD Pair summands(Approx approx, double x) {
    if (fabs(x) > 1e15) return {x > 0.0 ? 1.0 : 0.0, 0.0};
    if (approx == Approx::Exact) return {big_phi(x), x * FRAC_1_SQRT_2PI * gauss_exp(x)};
    const Pair v = logistic_v(approx, x);
    const Pair s = sigmoid_pair(v.a);
    return {s.a, x * v.b * s.a * s.b};
}

// The fit's roots of GELU', in two floats (accuracy::derivative_root in Rust).
GELU_HD double root(Approx approx) {
    return approx == Approx::Exact  ? double(GRAD_ROOT_EXACT_HI) + double(GRAD_ROOT_EXACT_LO)
           : approx == Approx::Tanh ? double(GRAD_ROOT_TANH_HI) + double(GRAD_ROOT_TANH_LO)
                                    : double(GRAD_ROOT_SIGMOID_HI) + double(GRAD_ROOT_SIGMOID_LO);
}

// Spacing of binary32 at |v| (the subnormal spacing below the normal range).
GELU_HD double ulp_f32(double v) {
    int e = 0;
    const double a = fabs(v);
    if (a == 0.0 || is_inf(a)) return ldexp(1.0, -149);
    frexp(a, &e);  // a = m 2^e, m in [0.5, 1)
    return ldexp(1.0, (e - 1 > -126 ? e - 1 : -126) - 23);
}

// The usual formulas, in f32, as accuracy::usual_formula writes them.
GELU_HD float usual_forward(Approx approx, float x) {
    if (approx == Approx::Exact) return 0.5f * x * (1.0f + erff(x * 0.70710678f));
    if (approx == Approx::Tanh) return 0.5f * x * (1.0f + tanhf(0.7978846f * (x + 0.044715f * x * x * x)));
    return x / (1.0f + expf(-1.702f * x));
}

GELU_HD float usual_backward(Approx approx, float x) {
    if (approx == Approx::Exact) {
        const float cdf = 0.5f * (1.0f + erff(x * 0.70710678f));
        return cdf + x * (expf(-0.5f * x * x) * 0.3989423f);
    }
    if (approx == Approx::Tanh) {
        const float t = tanhf(0.7978846f * (x + 0.044715f * x * x * x));
        return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * 0.7978846f * (1.0f + 3.0f * 0.044715f * x * x);
    }
    const float s = 1.0f / (1.0f + expf(-1.702f * x));
    return s + x * 1.702f * s * (1.0f - s);
}

GELU_HD void record(gelu_survey_stats& st, double input, double got, double exact, double scale) {
    st.count += 1;
    double err;
    if (is_finite(exact) && is_finite(got)) {
        err = fabs(got - exact) / ulp_f32(fmax(fabs(scale), fabs(exact)));
    } else if (is_nan(got) || is_nan(exact)) {
        err = is_nan(got) && is_nan(exact) ? 0.0 : HUGE_VAL;
    } else {
        err = got == exact ? 0.0 : HUGE_VAL;
    }
    if (is_inf(err)) {
        st.wrong_kind += 1;
    } else if (err > st.max_ulp || is_nan(st.worst_input)) {
        st.max_ulp = err;
        st.worst_input = input;
    }
    // Correct rounding, undecidable within 2^-40 of a rounding boundary.
    bool decidable = true;
    if (is_finite(exact) && exact != 0.0) {
        const double s = ulp_f32(exact);
        const double m = fabs(exact) / s;
        decidable = fabs(m - floor(m) - 0.5) * s > fabs(exact) * 9.094947017729282e-13;
    }
    if (!decidable) {
        st.undecidable += 1;
    } else {
        const float r = float(exact);
        const bool same = (is_nan(exact) && is_nan(got)) || double(r) == got;
        if (!same) st.not_correctly_rounded += 1;
    }
    if (is_finite(exact) && is_finite(got)) {
        st.sum_abs_error += fabs(got - exact);
        if (exact != 0.0) {
            st.sum_rel_error += fabs((got - exact) / exact);
            st.rel_count += 1;
        }
    }
}

template <Approx A, bool backward>
GELU_HD void run(const gelu_survey_args& a, uint64_t tid, uint64_t nthreads) {
    gelu_survey_stats st = {0.0, 0.0, 0.0, 0.0, 0, 0, 0, 0, 0};
    st.worst_input = nan("");  // no worst input yet
    for (uint64_t i = tid; i < a.count; i += nthreads) {
        const float x = bits_to_float(uint32_t(a.begin + i));
        const double xv = x;
        float got;
        double exact, scale;
        if (backward) {
            got = a.usual ? usual_backward(A, x) : Gelu<A, float>::backward(x, 1.0f);
            const Pair p = summands(A, xv);
            exact = xv != xv ? xv : p.a + p.b;
            scale = fabs(xv - root(A)) < ROOT_WINDOW
                        ? fmax(fmax(fabs(p.a), fabs(p.b)) * ROOT_SUMMAND_SHARE, fabs(exact))
                        : fabs(exact);
        } else {
            got = a.usual ? usual_forward(A, x) : Gelu<A, float>::forward(x);
            exact = forward(A, xv);
            scale = fabs(exact);
        }
        // The usual formula's f32 result is what a framework returns for fp32.
        record(st, xv, got, exact, scale);
    }
    a.stats[tid] = st;
}

}  // namespace survey
}  // namespace gelu
