use crate::ffi;

/// Which GELU formula a kernel computes.
///
/// ```
/// use gelu_cuda::Approximation;
/// assert_eq!(Approximation::ALL.len(), 3);
/// assert_eq!(Approximation::Tanh.name(), "tanh");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Approximation {
    /// `x * Phi(x)`, Phi the standard normal CDF (PyTorch `approximate="none"`).
    Exact,
    /// `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (PyTorch `approximate="tanh"`).
    Tanh,
    /// `x * sigmoid(1.702 x)`, the "quick GELU" of CLIP and others.
    Sigmoid,
}

impl Approximation {
    /// Every approximation, in declaration order.
    ///
    /// ```
    /// assert_eq!(gelu_cuda::Approximation::ALL.len(), 3);
    /// ```
    pub const ALL: [Approximation; 3] = [Self::Exact, Self::Tanh, Self::Sigmoid];

    /// Lower-case name, as used in kernel names.
    ///
    /// ```
    /// assert_eq!(gelu_cuda::Approximation::Sigmoid.name(), "sigmoid");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Tanh => "tanh",
            Self::Sigmoid => "sigmoid",
        }
    }

    pub(crate) fn abi(self) -> ffi::gelu_approx {
        match self {
            Self::Exact => ffi::gelu_approx::GELU_APPROX_EXACT,
            Self::Tanh => ffi::gelu_approx::GELU_APPROX_TANH,
            Self::Sigmoid => ffi::gelu_approx::GELU_APPROX_SIGMOID,
        }
    }
}

impl std::fmt::Display for Approximation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
