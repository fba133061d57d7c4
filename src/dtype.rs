use crate::ffi;
use cudarc::driver::{DeviceRepr, ValidAsZeroBits};
use half::{bf16, f16};

/// A storage format the kernels accept.
///
/// ```
/// use gelu_cuda::{DType, GeluFloat};
/// assert_eq!(<half::f16 as GeluFloat>::DTYPE, DType::F16);
/// assert_eq!(DType::BF16.to_string(), "bf16");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum DType {
    /// IEEE binary32.
    F32,
    /// IEEE binary16.
    F16,
    /// bfloat16: binary32's range with 8 significant bits.
    BF16,
}

impl DType {
    /// Every dtype, in declaration order.
    ///
    /// ```
    /// assert_eq!(gelu_cuda::DType::ALL.map(|d| d.name()), ["f32", "f16", "bf16"]);
    /// ```
    pub const ALL: [DType; 3] = [Self::F32, Self::F16, Self::BF16];

    /// Lower-case name, as used in kernel names.
    ///
    /// ```
    /// assert_eq!(gelu_cuda::DType::F16.name(), "f16");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::BF16 => "bf16",
        }
    }

    /// Significand bits, the implicit leading bit included.
    ///
    /// ```
    /// assert_eq!(gelu_cuda::DType::BF16.precision(), 8);
    /// ```
    pub fn precision(self) -> u32 {
        match self {
            Self::F32 => 24,
            Self::F16 => 11,
            Self::BF16 => 8,
        }
    }

    /// Binary exponent of the smallest normal number.
    ///
    /// ```
    /// use gelu_cuda::DType;
    /// assert_eq!(DType::F16.min_exponent(), -14);
    /// assert_eq!(DType::BF16.min_exponent(), DType::F32.min_exponent()); // -126: bf16 has f32's range
    /// ```
    pub fn min_exponent(self) -> i32 {
        match self {
            Self::F32 | Self::BF16 => -126,
            Self::F16 => -14,
        }
    }

    /// Largest finite value.
    ///
    /// ```
    /// use gelu_cuda::DType;
    /// assert_eq!(DType::F16.max_finite(), 65504.0);
    /// assert_eq!(DType::F32.max_finite(), f32::MAX as f64);
    /// ```
    pub fn max_finite(self) -> f64 {
        match self {
            Self::F32 => f32::MAX as f64,
            Self::F16 => f16::MAX.to_f64(),
            Self::BF16 => bf16::MAX.to_f64(),
        }
    }

    pub(crate) fn abi(self) -> ffi::gelu_dtype {
        match self {
            Self::F32 => ffi::gelu_dtype::GELU_DTYPE_F32,
            Self::F16 => ffi::gelu_dtype::GELU_DTYPE_F16,
            Self::BF16 => ffi::gelu_dtype::GELU_DTYPE_BF16,
        }
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for half::f16 {}
    impl Sealed for half::bf16 {}
}

/// The element types the kernels accept: `f32`, [`half::f16`] and [`half::bf16`].
///
/// Sealed: the kernels exist for exactly these three.
///
/// ```
/// use gelu_cuda::{DType, GeluFloat};
/// assert_eq!(<half::bf16 as GeluFloat>::DTYPE, DType::BF16);
/// assert_eq!(half::f16::from_f64_rounded(1.0 / 3.0).to_f64(), half::f16::from_f64(1.0 / 3.0).to_f64());
/// ```
pub trait GeluFloat:
    sealed::Sealed + DeviceRepr + ValidAsZeroBits + Copy + PartialEq + Send + Sync + 'static
{
    /// The storage format.
    const DTYPE: DType;
    /// Exact widening to f64.
    fn to_f64(self) -> f64;
    /// Nearest value, ties to even (directly from f64, no double rounding).
    fn from_f64_rounded(v: f64) -> Self;
    /// The raw bits, widened.
    fn to_bits_u32(self) -> u32;
    /// The value with these raw bits (the low 16 of them for fp16/bf16).
    fn from_bits_u32(bits: u32) -> Self;
}

impl GeluFloat for f32 {
    const DTYPE: DType = DType::F32;
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn from_f64_rounded(v: f64) -> Self {
        v as f32
    }
    fn to_bits_u32(self) -> u32 {
        self.to_bits()
    }
    fn from_bits_u32(bits: u32) -> Self {
        f32::from_bits(bits)
    }
}

impl GeluFloat for f16 {
    const DTYPE: DType = DType::F16;
    fn to_f64(self) -> f64 {
        f16::to_f64(self)
    }
    fn from_f64_rounded(v: f64) -> Self {
        f16::from_f64(crate::reference::round_to(DType::F16, v))
    }
    fn to_bits_u32(self) -> u32 {
        self.to_bits() as u32
    }
    fn from_bits_u32(bits: u32) -> Self {
        f16::from_bits(bits as u16)
    }
}

impl GeluFloat for bf16 {
    const DTYPE: DType = DType::BF16;
    fn to_f64(self) -> f64 {
        bf16::to_f64(self)
    }
    fn from_f64_rounded(v: f64) -> Self {
        bf16::from_f64(crate::reference::round_to(DType::BF16, v))
    }
    fn to_bits_u32(self) -> u32 {
        self.to_bits() as u32
    }
    fn from_bits_u32(bits: u32) -> Self {
        bf16::from_bits(bits as u16)
    }
}
