//! Error statistics of computed results against the [`reference`](crate::reference):
//! the figures the accuracy tests assert on and the accuracy table prints.
//!
//! ```
//! use gelu_cuda::{accuracy::ErrorStats, host, reference, Approximation, DType};
//! let x: Vec<f32> = (-400..400).map(|i| i as f32 / 40.0).collect();
//! let mut y = vec![0.0f32; x.len()];
//! host::forward(Approximation::Tanh, &x, &mut y)?;
//! let mut stats = ErrorStats::new(DType::F32);
//! for (&xi, &yi) in x.iter().zip(&y) {
//!     let exact = reference::forward(Approximation::Tanh, xi as f64);
//!     stats.record(xi as f64, yi as f64, exact, exact);
//! }
//! assert!(stats.max_ulp <= 2.0);
//! # Ok::<(), gelu_cuda::GeluError>(())
//! ```

use crate::reference::{round_checked, ulp_error, ulp_of, RELATIVE_ERROR_BOUND};
use crate::{Approximation, DType};

/// Accumulated error of a set of results.
#[derive(Clone, Debug)]
pub struct ErrorStats {
    /// The format the results are in.
    pub dtype: DType,
    /// Results recorded.
    pub count: u64,
    /// Largest error in ulps (of the dtype, at the judging scale).
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
    pub fn new(dtype: DType) -> Self {
        Self {
            dtype,
            count: 0,
            max_ulp: 0.0,
            worst_input: f64::NAN,
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
    pub fn record(&mut self, input: f64, computed: f64, exact: f64, scale: f64) {
        self.count += 1;
        let err = if exact.is_finite() && computed.is_finite() {
            (computed - exact).abs() / ulp_of(self.dtype, scale.abs().max(exact.abs()))
        } else {
            ulp_error(self.dtype, computed, exact)
        };
        if err > self.max_ulp || (self.count == 1 && err == self.max_ulp) {
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

    /// Merges another set's statistics into this one.
    pub fn merge(&mut self, other: &ErrorStats) {
        if other.max_ulp > self.max_ulp || self.count == 0 {
            self.max_ulp = other.max_ulp;
            self.worst_input = other.worst_input;
        }
        self.count += other.count;
        self.not_correctly_rounded += other.not_correctly_rounded;
        self.undecidable += other.undecidable;
        self.sum_abs_error += other.sum_abs_error;
        self.sum_rel_error += other.sum_rel_error;
        self.rel_count += other.rel_count;
    }

    /// Mean absolute error.
    pub fn mean_abs_error(&self) -> f64 {
        self.sum_abs_error / self.count.max(1) as f64
    }

    /// Mean relative error over results with a nonzero exact value.
    pub fn mean_rel_error(&self) -> f64 {
        self.sum_rel_error / self.rel_count.max(1) as f64
    }
}

/// Half-width of the window around the derivative's root (x = -0.752) in which a
/// backward result is judged against the size of the derivative's summands rather
/// than against its own, tiny, value.
pub const ROOT_WINDOW: f64 = 0.125;

/// The magnitude whose ulp is the unit of error for `dy * GELU'(x)`: the exact
/// value, or within [`ROOT_WINDOW`] of the derivative's root, `|dy|` times the
/// larger of the derivative's two summands.
pub fn judging_scale(approx: Approximation, x: f64, dy: f64) -> f64 {
    let exact = crate::reference::backward(approx, x, dy);
    if (x - derivative_root(approx)).abs() < ROOT_WINDOW {
        let [a, b] = crate::reference::derivative_summands(approx, x);
        (dy * a.abs().max(b.abs())).abs().max(exact.abs())
    } else {
        exact.abs()
    }
}

/// Where GELU'(x) = 0, to f64 precision.
pub fn derivative_root(approx: Approximation) -> f64 {
    match approx {
        Approximation::Exact => -0.751_791_524_693_564_5,
        Approximation::Tanh => -0.752_461_422_071_016_3,
        Approximation::Sigmoid => -0.751_154_255_441_288_9,
    }
}
