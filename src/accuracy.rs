//! Error statistics of computed results against the [`reference`](mod@crate::reference):
//! the figures the accuracy tests assert on and the accuracy table prints.
//!
//! ```
//! use gelu_cuda::{accuracy::ErrorStats, host, reference, Approximation, DType};
//! let x: Vec<f32> = (-400..400).map(|i| i as f32 / 40.0).collect();
//! let mut y = vec![f32::NAN; x.len()];
//! host::forward(Approximation::Tanh, &x, &mut y)?;
//! let mut stats = ErrorStats::new(DType::F32);
//! for (&xi, &yi) in x.iter().zip(&y) {
//!     let exact = reference::forward(Approximation::Tanh, xi as f64);
//!     stats.record(xi as f64, yi as f64, exact, exact);
//! }
//! // A NaN counts as wrong in kind, not in max_ulp.
//! assert!(stats.max_ulp <= 2.0 && stats.wrong_kind == 0 && stats.count == 800);
//! # Ok::<(), gelu_cuda::GeluError>(())
//! ```

use crate::reference::{round_checked, ulp_error, ulp_of, RELATIVE_ERROR_BOUND};
use crate::{ffi, Approximation, DType, GeluError, GeluFloat};

/// Accumulated error of a set of results.
///
/// ```
/// use gelu_cuda::{accuracy::ErrorStats, reference, Approximation::Exact, DType, GeluFloat};
/// let mut s = ErrorStats::new(DType::BF16);
/// for x in [-3.0, -0.5, 0.5, 3.0] {
///     let exact = reference::forward(Exact, x);
///     let rounded = half::bf16::from_f64_rounded(exact).to_f64(); // correctly rounded
///     s.record(x, rounded, exact, exact);
/// }
/// assert_eq!((s.count, s.not_correctly_rounded, s.wrong_kind), (4, 0, 0));
/// assert!(s.max_ulp <= 0.5);
/// ```
#[derive(Clone, Debug)]
pub struct ErrorStats {
    /// The format the results are in.
    pub dtype: DType,
    /// Results recorded.
    pub count: u64,
    /// Results that are NaN or infinite where the exact value is not, or finite
    /// (or another NaN/infinity) where it is not: wrong in kind, not in degree.
    pub wrong_kind: u64,
    /// Largest error in ulps (of the dtype, at the judging scale) over the rest.
    pub max_ulp: f64,
    /// The input where `max_ulp` occurred.
    pub worst_input: f64,
    /// Results that differ from the correctly rounded value.
    pub not_correctly_rounded: u64,
    /// Results whose correct rounding the f64 reference cannot decide (exact value
    /// within its error bound of a rounding boundary); not counted above.
    pub undecidable: u64,
    /// Sum of absolute errors, for the mean.
    pub sum_abs_error: f64,
    /// Sum of relative errors over results with a nonzero exact value.
    pub sum_rel_error: f64,
    /// Results with a nonzero exact value.
    pub rel_count: u64,
}

impl ErrorStats {
    /// Empty statistics for results in `dtype`.
    ///
    /// ```
    /// use gelu_cuda::{accuracy::ErrorStats, DType};
    /// let s = ErrorStats::new(DType::F32);
    /// assert_eq!((s.count, s.max_ulp), (0, 0.0));
    /// ```
    pub fn new(dtype: DType) -> Self {
        Self {
            dtype,
            count: 0,
            max_ulp: 0.0,
            worst_input: f64::NAN,
            wrong_kind: 0,
            not_correctly_rounded: 0,
            undecidable: 0,
            sum_abs_error: 0.0,
            sum_rel_error: 0.0,
            rel_count: 0,
        }
    }

    /// Records one result. `scale` is the magnitude whose ulp is the unit of error:
    /// `exact` itself, or for a derivative near its root the size of its summands
    /// (see [`judging_scale`]).
    ///
    /// ```
    /// use gelu_cuda::{accuracy::ErrorStats, DType};
    /// let mut s = ErrorStats::new(DType::F16);
    /// s.record(1.0, 1.0 + 2f64.powi(-10), 1.0, 1.0); // one fp16 ulp off
    /// s.record(2.0, f64::NAN, 2.0, 2.0); // NaN where 2 is exact
    /// assert_eq!((s.max_ulp, s.wrong_kind, s.not_correctly_rounded), (1.0, 1, 2));
    /// ```
    pub fn record(&mut self, input: f64, computed: f64, exact: f64, scale: f64) {
        self.count += 1;
        let err = if exact.is_finite() && computed.is_finite() {
            (computed - exact).abs() / ulp_of(self.dtype, scale.abs().max(exact.abs()))
        } else {
            ulp_error(self.dtype, computed, exact)
        };
        if err.is_infinite() {
            self.wrong_kind += 1;
        } else if err > self.max_ulp || self.no_worst_yet() {
            self.max_ulp = err;
            self.worst_input = input;
        }
        match round_checked(self.dtype, exact, RELATIVE_ERROR_BOUND) {
            None => self.undecidable += 1,
            Some(r) => {
                let same = (r.is_nan() && computed.is_nan()) || r == computed;
                if !same {
                    self.not_correctly_rounded += 1;
                }
            }
        }
        if exact.is_finite() && computed.is_finite() {
            self.sum_abs_error += (computed - exact).abs();
            if exact != 0.0 {
                self.sum_rel_error += ((computed - exact) / exact).abs();
                self.rel_count += 1;
            }
        }
    }

    /// Nothing worse than 0 ulp recorded yet: the next result sets the worst input,
    /// even at 0 ulp. (A NaN worst input alone does not say so: a caller may label
    /// a result with a NaN input.)
    fn no_worst_yet(&self) -> bool {
        self.worst_input.is_nan() && self.max_ulp == 0.0
    }

    /// Merges another set's statistics into this one (of the same dtype: another's
    /// ulps are merged as they are).
    ///
    /// ```
    /// use gelu_cuda::{accuracy::ErrorStats, DType};
    /// let (mut a, mut b) = (ErrorStats::new(DType::F32), ErrorStats::new(DType::F32));
    /// a.record(1.0, 1.0, 1.0, 1.0);
    /// b.record(2.0, 2.0 + 2f64.powi(-22), 2.0, 2.0);
    /// a.merge(&b);
    /// assert_eq!((a.count, a.max_ulp, a.worst_input), (2, 1.0, 2.0));
    /// ```
    pub fn merge(&mut self, other: &ErrorStats) {
        if other.max_ulp > self.max_ulp || self.no_worst_yet() {
            self.max_ulp = other.max_ulp;
            self.worst_input = other.worst_input;
        }
        self.count += other.count;
        self.wrong_kind += other.wrong_kind;
        self.not_correctly_rounded += other.not_correctly_rounded;
        self.undecidable += other.undecidable;
        self.sum_abs_error += other.sum_abs_error;
        self.sum_rel_error += other.sum_rel_error;
        self.rel_count += other.rel_count;
    }

    /// Mean absolute error.
    ///
    /// ```
    /// use gelu_cuda::{accuracy::ErrorStats, DType};
    /// let mut s = ErrorStats::new(DType::F32);
    /// s.record(1.0, 1.5, 1.0, 1.0);
    /// s.record(2.0, 2.0, 2.0, 2.0);
    /// assert_eq!(s.mean_abs_error(), 0.25);
    /// ```
    pub fn mean_abs_error(&self) -> f64 {
        self.sum_abs_error / self.count.max(1) as f64
    }

    /// Mean relative error over results with a nonzero exact value.
    ///
    /// ```
    /// use gelu_cuda::{accuracy::ErrorStats, DType};
    /// let mut s = ErrorStats::new(DType::F32);
    /// s.record(1.0, 1.5, 1.0, 1.0); // 50% off
    /// s.record(0.0, 0.0, 0.0, 0.0); // exact zero: not counted
    /// assert_eq!(s.mean_rel_error(), 0.5);
    /// ```
    pub fn mean_rel_error(&self) -> f64 {
        self.sum_rel_error / self.rel_count.max(1) as f64
    }
}

/// Half-width of the window around the derivative's root (x = -0.752) in which a
/// backward result is judged against no less than [`ROOT_SUMMAND_SHARE`] of the
/// derivative's summands rather than against its own, tiny, value alone.
///
/// ```
/// use gelu_cuda::accuracy::{derivative_root, judging_scale, ROOT_WINDOW};
/// use gelu_cuda::{reference, Approximation::Exact};
/// let x = derivative_root(Exact) + 1e-6; // inside, near the root: judged against more
/// assert!(judging_scale(Exact, x, 1.0) > 100.0 * reference::derivative(Exact, x).abs());
/// let far = derivative_root(Exact) - 2.0 * ROOT_WINDOW; // outside: against itself
/// assert_eq!(judging_scale(Exact, far, 1.0), reference::derivative(Exact, far).abs());
/// ```
pub const ROOT_WINDOW: f64 = 0.125;

/// The share of the summands that bounds the unit of error near the root: the
/// reference's own error there is at most 2^-40 of the summands (`reference`), a
/// sixteenth of an fp32 ulp of this share. The fp32 kernels stay within their
/// bound of the result itself down to that level (2.30 ulp at most, dy = 1).
///
/// ```
/// use gelu_cuda::accuracy::{derivative_root, judging_scale, ROOT_SUMMAND_SHARE};
/// use gelu_cuda::{reference, Approximation::Tanh};
/// let r = derivative_root(Tanh); // GELU'(r) = 0: the unit is the summands' share
/// let [a, b] = reference::derivative_summands(Tanh, r);
/// assert_eq!(judging_scale(Tanh, r, 1.0), a.abs().max(b.abs()) * ROOT_SUMMAND_SHARE);
/// ```
pub const ROOT_SUMMAND_SHARE: f64 = 1.0 / 4096.0;

/// The magnitude whose ulp is the unit of error for `dy * GELU'(x)`: the exact
/// value, or within [`ROOT_WINDOW`] of the derivative's root, the larger of it and
/// `|dy|` times [`ROOT_SUMMAND_SHARE`] of the larger of the derivative's two
/// summands.
///
/// ```
/// use gelu_cuda::{accuracy::judging_scale, reference, Approximation::Exact};
/// assert_eq!(judging_scale(Exact, -2.0, 1.0), reference::backward(Exact, -2.0, 1.0).abs());
/// // At the root the result is 0, and the unit is set by the summands (about 0.23).
/// let s = judging_scale(Exact, -0.751_791_524_693_564_5, 1.0);
/// assert!(s > 0.22 / 4096.0 && s < 0.24 / 4096.0);
/// ```
pub fn judging_scale(approx: Approximation, x: f64, dy: f64) -> f64 {
    let exact = crate::reference::backward(approx, x, dy);
    if (x - derivative_root(approx)).abs() < ROOT_WINDOW {
        let [a, b] = crate::reference::derivative_summands(approx, x);
        (dy * a.abs().max(b.abs()) * ROOT_SUMMAND_SHARE)
            .abs()
            .max(exact.abs())
    } else {
        exact.abs()
    }
}

/// Where the kernels saturate: beyond this |x| every forward result is 0 or x, and
/// the backward takes GELU' as exactly 0 or 1, which is exact for |dy| <= 2^24
/// (the true product rounds to the same). For larger |dy| the backward's bound
/// holds short of it; beyond it the result is dy (x > 0) or a zero (x < 0), which
/// [`check_result`] accepts there.
///
/// ```
/// use gelu_cuda::{accuracy::saturation, Approximation};
/// assert_eq!(saturation(Approximation::Exact), 16.0);
/// ```
pub fn saturation(approx: Approximation) -> f64 {
    match approx {
        Approximation::Exact => 16.0,
        Approximation::Tanh => 11.5,
        Approximation::Sigmoid => 75.0,
    }
}

/// |dy| up to which the saturation's GELU' of exactly 0 or 1 is exact: 2^24.
const DY_EXACT_SATURATION: f64 = 16_777_216.0;

/// Where GELU'(x) = 0, to f64 precision.
///
/// ```
/// use gelu_cuda::{accuracy::derivative_root, reference, Approximation};
/// for a in Approximation::ALL {
///     let r = derivative_root(a); // GELU's minimum, near -0.75
///     assert!(reference::derivative(a, r - 1e-9) < 0.0 && reference::derivative(a, r + 1e-9) > 0.0);
/// }
/// ```
pub fn derivative_root(approx: Approximation) -> f64 {
    match approx {
        Approximation::Exact => -0.751_791_524_693_564_5,
        Approximation::Tanh => -0.752_461_422_071_016_3,
        Approximation::Sigmoid => -0.751_154_255_441_288_9,
    }
}

/// The formulas most frameworks evaluate, replayed in f32 on the host (PyTorch's
/// `gelu` and `gelu_backward` for fp32, and for fp16/bf16 after upcasting): the
/// comparison the accuracy table shows beside each of this crate's rows.
///
/// ```
/// use gelu_cuda::{accuracy::usual_formula, Approximation};
/// // 0.5 x (1 + erf(x / sqrt 2)) cancels to 0 in the negative tail...
/// assert_eq!(usual_formula::forward(Approximation::Exact, -6.0), 0.0);
/// // ... and gives NaN at -inf.
/// assert!(usual_formula::forward(Approximation::Exact, f32::NEG_INFINITY).is_nan());
/// ```
pub mod usual_formula {
    use crate::Approximation;

    const SQRT1_2: f32 = std::f32::consts::FRAC_1_SQRT_2;
    const BETA: f32 = 0.797_884_6; // sqrt(2/pi)
    const KAPPA: f32 = 0.044715;

    /// `0.5 x (1 + erf(x/sqrt 2))`, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`,
    /// or `x / (1 + exp(-1.702 x))`, in f32.
    ///
    /// ```
    /// use gelu_cuda::{accuracy::usual_formula, Approximation::Tanh};
    /// assert_eq!(usual_formula::forward(Tanh, -10.0), 0.0); // the exact value is about -1.2e-37
    /// ```
    pub fn forward(approx: Approximation, x: f32) -> f32 {
        match approx {
            Approximation::Exact => 0.5 * x * (1.0 + libm::erff(x * SQRT1_2)),
            Approximation::Tanh => 0.5 * x * (1.0 + libm::tanhf(BETA * (x + KAPPA * x * x * x))),
            Approximation::Sigmoid => x / (1.0 + libm::expf(-1.702 * x)),
        }
    }

    /// `dy` times the derivative of [`forward`]'s formula, written as PyTorch writes it.
    ///
    /// ```
    /// use gelu_cuda::{accuracy::usual_formula, Approximation::Tanh};
    /// // x^2 overflows f32 in the tanh form's derivative: 0 times infinity, NaN where GELU' is 0.
    /// assert!(usual_formula::backward(Tanh, -1e20, 1.0).is_nan());
    /// ```
    pub fn backward(approx: Approximation, x: f32, dy: f32) -> f32 {
        match approx {
            Approximation::Exact => {
                let cdf = 0.5 * (1.0 + libm::erff(x * SQRT1_2));
                let pdf = libm::expf(-0.5 * x * x) * 0.398_942_3;
                dy * (cdf + x * pdf)
            }
            Approximation::Tanh => {
                let inner = BETA * (x + KAPPA * x * x * x);
                let t = libm::tanhf(inner);
                let left_derivative = 0.5 * (1.0 + t);
                let right_derivative = 0.5 * x * (1.0 - t * t) * BETA * (1.0 + 3.0 * KAPPA * x * x);
                dy * (left_derivative + right_derivative)
            }
            Approximation::Sigmoid => {
                let s = 1.0 / (1.0 + libm::expf(-1.702 * x));
                dy * (s + x * 1.702 * s * (1.0 - s))
            }
        }
    }
}

/// A value to fill outputs with before a run, so that an element the kernel did not
/// write shows: a NaN whose bit pattern no kernel produces (fp16/bf16 results carry
/// the canonical NaN, fp32 arithmetic quiet ones; this one is signalling in fp32),
/// unless an input holds it and a kernel passes it through.
///
/// ```
/// use gelu_cuda::{accuracy::poison, host, Approximation};
/// let x = [1.0f32, -2.0];
/// let mut y = [poison::<f32>(); 2];
/// host::forward(Approximation::Exact, &x, &mut y)?;
/// assert!(y.iter().all(|v| v.to_bits() != poison::<f32>().to_bits()));
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
pub fn poison<T: GeluFloat>() -> T {
    T::from_bits_u32(match T::DTYPE {
        DType::F32 => 0x7fa5_a5a5,
        _ => 0x7fa5,
    })
}

/// The error bound this crate states, in ulps of `dtype` (see the README): fp16 and
/// bf16 results within 0.625 ulp: rounded once from an f32 value good to about
/// 2^-20, a few thousandths of their ulp, but near the derivative's root, where the
/// backward's absolute error of a few 2^-24 is up to an eighth of an ulp of the
/// small result (measured about 0.51 with the GPU's approximate 2^x and 1/x
/// modelled, 0.513 the most seen, 0.526 for GeGLU's da); fp32 forward within 2
/// (measured over every fp32 input: at most 1.92), backward within 3.5, judged
/// near the derivative's root against no less than a share of its summands
/// ([`judging_scale`]). The backward's bound holds for |dy| <= 2^24, and for any
/// finite dy short of the [`saturation`]; with dy = 1 the measured maximum over
/// every fp32 input is 2.30 ulp, and a dy that puts the result just under a power
/// of two reads the same relative error as up to twice as many ulps (searched: up
/// to 2.64).
///
/// ```
/// use gelu_cuda::{accuracy::stated_bound, Approximation, DType};
/// assert_eq!(stated_bound(DType::BF16, Approximation::Exact, true), 0.625);
/// ```
pub fn stated_bound(dtype: DType, approx: Approximation, backward: bool) -> f64 {
    match (dtype, approx, backward) {
        (DType::F32, _, false) => 2.0,
        (DType::F32, _, true) => 3.5,
        _ => 0.625,
    }
}

/// Checks one kernel result against the reference and [`stated_bound`]: `x` and
/// `dy` (backward) as the kernel saw them, `got` its result. NaN must meet NaN; an
/// infinite `dy` must give the exact value's infinity, or NaN (the kernels'
/// intermediate products can meet inf * 0 or inf - inf), never a finite value or
/// the other infinity; a `dy` beyond 2^24 in
/// magnitude at an `x` beyond the [`saturation`] must give `dy` (x > 0) or a zero.
///
/// ```
/// use gelu_cuda::{accuracy::check_result, Approximation, DType};
/// assert!(check_result(DType::F32, Approximation::Exact, -1.0, None, -0.158_655_25).is_ok());
/// assert!(check_result(DType::F32, Approximation::Exact, -1.0, None, -0.16).is_err());
/// let inf = f64::INFINITY;
/// assert!(check_result(DType::F32, Approximation::Exact, 1.0, Some(inf), inf).is_ok());
/// assert!(check_result(DType::F32, Approximation::Exact, 1.0, Some(inf), 42.0).is_err());
/// assert!(check_result(DType::F32, Approximation::Exact, -1.0, Some(inf), inf).is_err());
/// ```
pub fn check_result(
    dtype: DType,
    approx: Approximation,
    x: f64,
    dy: Option<f64>,
    got: f64,
) -> Result<(), String> {
    let (exact, scale) = match dy {
        None => {
            let e = crate::reference::forward(approx, x);
            (e, e)
        }
        Some(d) => {
            let e = crate::reference::backward(approx, x, d);
            let s = if dtype == DType::F32 {
                judging_scale(approx, x, d)
            } else {
                e
            };
            (e, s)
        }
    };
    let what = || {
        format!(
            "{approx} {dtype} {} at x = {x:e}",
            if dy.is_some() { "backward" } else { "forward" }
        )
    };
    // dy infinite: the exact value is an infinity, or NaN where GELU' is 0 in f64.
    // The kernels' intermediate products can meet inf * 0 or inf - inf (fp32 at many
    // x, fp16/bf16 exact at small x >= 0), so NaN passes; an infinity must be
    // the exact one (README, special values).
    if dy.is_some_and(|d| d.is_infinite()) {
        let same_infinity = got.is_infinite() && (exact.is_nan() || got == exact);
        return if got.is_nan() || same_infinity {
            Ok(())
        } else {
            Err(format!("{}: {got:e} for an infinite dy", what()))
        };
    }
    if let Some(d) = dy.filter(|d| d.abs() > DY_EXACT_SATURATION && x.abs() > saturation(approx)) {
        let want = if x > 0.0 { d } else { 0.0 };
        return if got == want {
            Ok(())
        } else {
            Err(format!(
                "{}: {got:e} beyond the saturation, dy = {d:e}",
                what()
            ))
        };
    }
    if exact.is_nan() || got.is_nan() {
        return if exact.is_nan() && got.is_nan() {
            Ok(())
        } else {
            Err(format!("{}: {got:e}, exact {exact:e}", what()))
        };
    }
    // An infinity is right where the exact value rounds to it in `dtype` (overflow).
    if exact.is_infinite() || got.is_infinite() {
        let rounded = crate::reference::round_to(dtype, exact);
        return if rounded == got {
            Ok(())
        } else {
            Err(format!("{}: {got:e}, exact {exact:e}", what()))
        };
    }
    let err = (got - exact).abs() / ulp_of(dtype, scale.abs().max(exact.abs()));
    let bound = stated_bound(dtype, approx, dy.is_some());
    if err <= bound {
        Ok(())
    } else {
        Err(format!(
            "{}: {got:e}, exact {exact:e}: {err:.3} ulp (bound {bound})",
            what()
        ))
    }
}

/// Where [`survey_f32`] runs.
///
/// ```
/// use gelu_cuda::accuracy::{survey_f32, SurveyOn};
/// use gelu_cuda::Approximation::Sigmoid;
/// // The 256 fp32 values from 0x3f800000 (1.0) up, on the host.
/// let s = survey_f32(SurveyOn::Host, Sigmoid, true, false, 0x3f80_0000..0x3f80_0100)?;
/// assert!(s.count == 256 && s.max_ulp <= 3.5);
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub enum SurveyOn<'a> {
    /// The host path, on every core.
    Host,
    /// A GPU: the kernels and the f64 reference both run on the device.
    Device(&'a std::sync::Arc<cudarc::driver::CudaStream>),
}

/// Error statistics of the fp32 kernels (or, with `usual`, of the usual formula in
/// f32) over the fp32 bit patterns in `inputs`, forward or backward (dy = 1),
/// against the f64 reference evaluated beside each result. `0..1 << 32` is every
/// fp32 input: seconds on a GPU, minutes on a small CPU (about 4 per approximation
/// and direction on two cores). On a GPU the call waits for `stream` (a validation
/// tool, not a hot path). Inputs that are not a range within
/// `0..1 << 32` are [`GeluError::SurveyRange`].
///
/// ```
/// use gelu_cuda::accuracy::{survey_f32, SurveyOn};
/// use gelu_cuda::Approximation;
/// // The 2^16 fp32 values just below 1.0.
/// let stats = survey_f32(SurveyOn::Host, Approximation::Exact, false, false, 0x3f7f_0000..0x3f80_0000)?;
/// assert!(stats.max_ulp <= 2.0 && stats.wrong_kind == 0 && stats.count == 1 << 16);
/// assert!(survey_f32(SurveyOn::Host, Approximation::Exact, false, false, 0..1 << 33).is_err());
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
pub fn survey_f32(
    on: SurveyOn<'_>,
    approx: Approximation,
    backward: bool,
    usual: bool,
    inputs: std::ops::Range<u64>,
) -> Result<ErrorStats, GeluError> {
    let op = if backward {
        ffi::gelu_op::GELU_OP_SURVEY_BACKWARD
    } else {
        ffi::gelu_op::GELU_OP_SURVEY_FORWARD
    };
    if inputs.start > inputs.end || inputs.end > 1 << 32 {
        return Err(GeluError::SurveyRange {
            start: inputs.start,
            end: inputs.end,
        });
    }
    let count = inputs.end - inputs.start;
    let parts = match on {
        SurveyOn::Host => {
            crate::host::HostRunner::new().survey_f32(op, approx, inputs.start, count, usual)
        }
        SurveyOn::Device(stream) => {
            crate::device::survey_f32(stream, op, approx, inputs.start, count, usual)?
        }
    };
    let mut stats = ErrorStats::new(DType::F32);
    for p in &parts {
        stats.merge(&ErrorStats {
            dtype: DType::F32,
            count: p.count,
            wrong_kind: p.wrong_kind,
            max_ulp: p.max_ulp,
            worst_input: p.worst_input,
            not_correctly_rounded: p.not_correctly_rounded,
            undecidable: p.undecidable,
            sum_abs_error: p.sum_abs_error,
            sum_rel_error: p.sum_rel_error,
            rel_count: p.rel_count,
        });
    }
    Ok(stats)
}
