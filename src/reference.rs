//! An f64 reference for every operation and approximation, and the ULP arithmetic
//! the tests use, public so that users can run their own checks.
//!
//! The reference avoids the cancellations the usual formulas suffer: the erfc
//! argument `|x|/sqrt 2` and the square in `exp(-x^2/2)` carry their rounding error
//! as a correction term, and the logistic forms use `e^-|v|`. Its relative error is
//! below [`RELATIVE_ERROR_BOUND`] for the forward values and for the derivative away
//! from its root; near the root (x = -0.752) the derivative's error is bounded
//! relative to its two summands, see [`derivative_summands`].
//! `tests/reference.rs` checks it against 50-digit mpmath values.
//!
//! ```
//! use gelu_cuda::{reference, Approximation, DType};
//! let y = reference::forward(Approximation::Exact, -6.0);
//! assert!((y / -5.919_525_870e-9 - 1.0).abs() < 1e-9);
//! // The usual formula 0.5 x (1 + erf(x/sqrt 2)) in f32 returns 0 here: 2^24 ulp
//! // off at most (a zero in place of a tiny result), and here nearly that.
//! assert!(reference::ulp_error(DType::F32, 0.0, y) > 1e7);
//! ```

use crate::{Approximation, DType};

/// Bound on the relative error of [`forward`] and of [`derivative`] away from its root.
///
/// ```
/// use gelu_cuda::reference::RELATIVE_ERROR_BOUND;
/// // Far below half an fp32 ulp (2^-24): rounding the reference is rarely in doubt.
/// assert!(RELATIVE_ERROR_BOUND < 2f64.powi(-35));
/// ```
pub const RELATIVE_ERROR_BOUND: f64 = 1.0 / (1u64 << 40) as f64;

const FRAC_1_SQRT_2_LO: f64 = -4.833646656726457e-17;
const FRAC_1_SQRT_2PI: f64 = 0.3989422804014327;
const FRAC_1_SQRT_PI: f64 = 0.5641895835477563;
const TANH_A: f64 = 1.5957691216057308; // 2 sqrt(2/pi): v = 2u = x (A + B x^2)
const TANH_B: f64 = TANH_A * 0.044715;
const SIGMOID_K: f64 = 1.702;

/// `1 - Phi(z) = erfc(z/sqrt 2)/2` for z >= 0, with the rounding of `z/sqrt 2`
/// corrected to first order (it would otherwise cost up to 2 z^2 ulp).
fn upper_tail(z: f64) -> f64 {
    let t = z * std::f64::consts::FRAC_1_SQRT_2;
    let dt = z.mul_add(std::f64::consts::FRAC_1_SQRT_2, -t) + z * FRAC_1_SQRT_2_LO;
    0.5 * libm::erfc(t) - dt * FRAC_1_SQRT_PI * gauss_exp(t * std::f64::consts::SQRT_2)
}

/// `exp(-x^2/2)` with the square carried exactly.
fn gauss_exp(x: f64) -> f64 {
    if x.abs() > 40.0 {
        return 0.0; // e^-800 is below f64's range; this also keeps x^2 finite
    }
    let s = x * x;
    let s_lo = x.mul_add(x, -s);
    (-0.5 * s).exp() * (1.0 - 0.5 * s_lo)
}

fn phi(x: f64) -> f64 {
    FRAC_1_SQRT_2PI * gauss_exp(x)
}

fn big_phi(x: f64) -> f64 {
    if x < 0.0 {
        upper_tail(-x)
    } else {
        1.0 - upper_tail(x)
    }
}

/// v and dv/dx of the logistic forms: GELU(x) = x sigma(v(x)).
fn logistic_v(approx: Approximation, x: f64) -> (f64, f64) {
    match approx {
        Approximation::Tanh => (
            x * TANH_B.mul_add(x * x, TANH_A),
            (3.0 * TANH_B).mul_add(x * x, TANH_A),
        ),
        _ => (SIGMOID_K * x, SIGMOID_K),
    }
}

/// (sigma(v), 1 - sigma(v)), each without cancellation.
fn sigmoid_pair(v: f64) -> (f64, f64) {
    let w = (-v.abs()).exp();
    let (big, small) = (1.0 / (1.0 + w), w / (1.0 + w));
    if v >= 0.0 {
        (big, small)
    } else {
        (small, big)
    }
}

/// GELU(x) under the given approximation.
///
/// ```
/// use gelu_cuda::{reference, Approximation};
/// assert_eq!(reference::forward(Approximation::Exact, 0.0), 0.0);
/// // Deep in the tail the value is tiny, not 0: x Phi(x) at -10 is about -7.6e-23.
/// let y = reference::forward(Approximation::Exact, -10.0);
/// assert!(y < 0.0 && y > -1e-22);
/// ```
pub fn forward(approx: Approximation, x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    match approx {
        _ if x.is_infinite() => {
            if x > 0.0 {
                x
            } else {
                -0.0
            }
        }
        Approximation::Exact => x * big_phi(x),
        _ => x * sigmoid_pair(logistic_v(approx, x).0).0,
    }
}

/// The two summands whose sum is GELU'(x): `Phi(x)` and `x phi(x)` (exact), or
/// `sigma(v)` and `x v' sigma(v) (1 - sigma(v))` (tanh, sigmoid). Near the root of
/// GELU' they cancel, and an error is judged against their size.
///
/// ```
/// use gelu_cuda::{reference, Approximation::Exact};
/// let [phi_cdf, x_pdf] = reference::derivative_summands(Exact, -0.75);
/// assert!(phi_cdf > 0.2 && x_pdf < -0.2); // nearly cancelling
/// assert!((phi_cdf + x_pdf).abs() < 1e-3);
/// ```
pub fn derivative_summands(approx: Approximation, x: f64) -> [f64; 2] {
    if x.abs() > 1e15 {
        // Saturated (and x v' would overflow): GELU' is 1 or 0 to f64 precision.
        return [if x > 0.0 { 1.0 } else { 0.0 }, 0.0];
    }
    match approx {
        Approximation::Exact => [big_phi(x), x * phi(x)],
        _ => {
            let (v, dv) = logistic_v(approx, x);
            let (s, one_minus_s) = sigmoid_pair(v);
            [s, x * dv * s * one_minus_s]
        }
    }
}

/// GELU'(x) under the given approximation.
///
/// ```
/// use gelu_cuda::{reference, Approximation::Sigmoid};
/// assert_eq!(reference::derivative(Sigmoid, 0.0), 0.5);
/// assert!(reference::derivative(Sigmoid, -2.0) < 0.0);
/// ```
pub fn derivative(approx: Approximation, x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    let [a, b] = derivative_summands(approx, x);
    a + b
}

/// `dy * GELU'(x)`, the backward of one element.
///
/// ```
/// use gelu_cuda::{reference, Approximation::Tanh};
/// assert_eq!(reference::backward(Tanh, 0.0, 3.0), 1.5);
/// ```
pub fn backward(approx: Approximation, x: f64, dy: f64) -> f64 {
    dy * derivative(approx, x)
}

/// Spacing of `dtype` at `|value|`: its unit in the last place, the subnormal
/// spacing below the normal range.
///
/// ```
/// use gelu_cuda::{reference::ulp_of, DType};
/// assert_eq!(ulp_of(DType::BF16, 1.5), 1.0 / 128.0);
/// assert_eq!(ulp_of(DType::F16, 0.0), 2f64.powi(-24));
/// ```
pub fn ulp_of(dtype: DType, value: f64) -> f64 {
    let a = value.abs();
    let exp = if a == 0.0 || !a.is_finite() {
        dtype.min_exponent()
    } else {
        exponent_of(a).max(dtype.min_exponent())
    };
    2f64.powi(exp - (dtype.precision() as i32 - 1))
}

/// floor(log2(a)) for finite positive a, exactly.
fn exponent_of(a: f64) -> i32 {
    let bits = a.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // f64 subnormal: far below any dtype's range, only its order matters.
        -1075 + (64 - (bits & ((1 << 52) - 1)).leading_zeros() as i32)
    } else {
        biased - 1023
    }
}

/// `value` rounded to the nearest `dtype` number, ties to even, overflowing to
/// infinity as IEEE rounding does; the result is returned as f64 (exactly).
///
/// ```
/// use gelu_cuda::{reference::round_to, DType};
/// assert_eq!(round_to(DType::BF16, 1.0 + 1.0 / 256.0), 1.0); // tie, to even
/// assert_eq!(round_to(DType::F16, 65520.0), f64::INFINITY);
/// ```
pub fn round_to(dtype: DType, value: f64) -> f64 {
    if !value.is_finite() || value == 0.0 {
        return value;
    }
    let s = ulp_of(dtype, value);
    let q = (value.abs() / s).round_ties_even() * s;
    let q = if q > dtype.max_finite() {
        f64::INFINITY
    } else {
        q
    };
    q.copysign(value)
}

/// Like [`round_to`], but `None` when `value` lies within `relative_error * |value|`
/// of a rounding boundary, where an error that small could change the result.
///
/// ```
/// use gelu_cuda::{reference::round_checked, DType};
/// assert_eq!(round_checked(DType::BF16, 1.0 + 1e-9, 1e-12), Some(1.0));
/// // Within 1e-12 of a tie between two bf16 values: undecidable.
/// assert_eq!(round_checked(DType::BF16, 1.0 + 1.0 / 256.0, 1e-12), None);
/// // Past the largest finite value the one boundary is where rounding overflows.
/// assert_eq!(round_checked(DType::F16, 65568.0, 1e-12), Some(f64::INFINITY));
/// assert_eq!(round_checked(DType::F16, 65520.0, 1e-12), None);
/// ```
pub fn round_checked(dtype: DType, value: f64, relative_error: f64) -> Option<f64> {
    if value.is_finite() && value != 0.0 {
        let max = dtype.max_finite();
        let to_boundary = if value.abs() > max {
            (value.abs() - (max + ulp_of(dtype, max) / 2.0)).abs()
        } else {
            let s = ulp_of(dtype, value);
            let m = value.abs() / s;
            (m - m.floor() - 0.5).abs() * s
        };
        if to_boundary <= value.abs() * relative_error {
            return None;
        }
    }
    Some(round_to(dtype, value))
}

/// Error of `computed` against the exact `exact`, in units of the `dtype` spacing at
/// `exact`. Equal infinities and NaN against NaN count as 0; any other disagreement
/// in kind (a NaN, an infinity) counts as infinite.
///
/// ```
/// use gelu_cuda::{reference::ulp_error, DType};
/// assert_eq!(ulp_error(DType::F16, 1.0 + 2f64.powi(-10), 1.0), 1.0);
/// ```
pub fn ulp_error(dtype: DType, computed: f64, exact: f64) -> f64 {
    if computed.is_nan() || exact.is_nan() {
        return if computed.is_nan() && exact.is_nan() {
            0.0
        } else {
            f64::INFINITY
        };
    }
    if computed.is_infinite() || exact.is_infinite() {
        return if computed == exact {
            0.0
        } else {
            f64::INFINITY
        };
    }
    (computed - exact).abs() / ulp_of(dtype, exact)
}
