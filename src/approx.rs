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

/// The names [`Approximation`]'s `FromStr` takes, each with the approximation it
/// means: ours, PyTorch's `approximate` argument, and Hugging Face's `hidden_act`
/// names for these three formulas.
const NAMES: [(&str, Approximation); 10] = [
    ("exact", Approximation::Exact),
    ("none", Approximation::Exact),
    ("gelu", Approximation::Exact),
    ("tanh", Approximation::Tanh),
    ("gelu_new", Approximation::Tanh),
    ("gelu_fast", Approximation::Tanh),
    ("gelu_pytorch_tanh", Approximation::Tanh),
    ("gelu_accurate", Approximation::Tanh),
    ("sigmoid", Approximation::Sigmoid),
    ("quick_gelu", Approximation::Sigmoid),
];

/// Parses an approximation by name, ignoring ASCII case: ours (`exact`, `tanh`,
/// `sigmoid`), PyTorch's `F.gelu(approximate=...)` values (`none`, `tanh`), and
/// the `hidden_act` names of Hugging Face model configurations that denote these
/// formulas (`gelu`; `gelu_new`, `gelu_fast`, `gelu_pytorch_tanh` and
/// `gelu_accurate`, which all compute the tanh form; `quick_gelu`). Activations that
/// are not one of the three (a clipped `gelu_10`, say) are an error.
///
/// ```
/// use gelu_cuda::Approximation;
/// for approx in Approximation::ALL {
///     assert_eq!(approx.name().parse(), Ok(approx));
/// }
/// assert_eq!("none".parse(), Ok(Approximation::Exact));
/// assert_eq!("gelu_pytorch_tanh".parse(), Ok(Approximation::Tanh));
/// assert_eq!("Quick_GELU".parse(), Ok(Approximation::Sigmoid));
/// let err = "gelu_10".parse::<Approximation>().unwrap_err();
/// assert_eq!(err.name(), "gelu_10");
/// ```
impl std::str::FromStr for Approximation {
    type Err = UnknownApproximation;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|&(_, approx)| approx)
            .ok_or_else(|| UnknownApproximation { name: s.to_owned() })
    }
}

/// A name that is none of [`Approximation`]'s (see its `FromStr`).
///
/// ```
/// let err = "erf2".parse::<gelu_cuda::Approximation>().unwrap_err();
/// assert!(err.to_string().starts_with("unknown GELU approximation `erf2`"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownApproximation {
    name: String,
}

impl UnknownApproximation {
    /// The name given.
    ///
    /// ```
    /// assert_eq!("x".parse::<gelu_cuda::Approximation>().unwrap_err().name(), "x");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for UnknownApproximation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "unknown GELU approximation `{}` (known: ", self.name)?;
        for (i, (name, _)) in NAMES.iter().enumerate() {
            write!(f, "{}{name}", if i == 0 { "" } else { ", " })?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for UnknownApproximation {}

impl std::fmt::Display for Approximation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
