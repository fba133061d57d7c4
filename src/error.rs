use cudarc::driver::DriverError;

/// Everything that can go wrong in a call, as a value: no call panics on user input.
///
/// ```
/// use gelu_cuda::{host, Approximation, GeluError};
/// let mut y = [0.0f32; 3];
/// match host::forward(Approximation::Exact, &[1.0f32, 2.0], &mut y) {
///     Err(GeluError::LengthMismatch { operand, expected, actual }) => {
///         assert_eq!((operand, expected, actual), ("y", 2, 3));
///     }
///     other => panic!("expected a length mismatch, got {other:?}"),
/// }
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum GeluError {
    /// Two buffers that must have the same length do not.
    LengthMismatch {
        /// The operand whose length is wrong, by its parameter's name (`"y"`,
        /// `"dy"`, `"dx"`, `"pre"`, `"g"`, `"out"`, `"dout"`, `"da"`, `"dg"`,
        /// `"bias"`, `"dbias"`).
        operand: &'static str,
        /// The length it must have: that of the op's first input, for GeGLU's
        /// halves and their gradients `rows * cols / 2`, for a bias and its
        /// gradient `cols`.
        expected: usize,
        /// Its length.
        actual: usize,
    },
    /// A buffer's length is not a whole number of rows of `cols` elements, or
    /// `cols` is 0.
    NotAMatrix {
        /// The operand.
        operand: &'static str,
        /// Its length.
        len: usize,
        /// The row length given.
        cols: usize,
    },
    /// GeGLU splits the last dimension into two halves: it must be even.
    OddLastDimension {
        /// The last dimension given.
        cols: usize,
    },
    /// The bias-gradient workspace is smaller than
    /// [`bias_gelu_backward_workspace_len`](crate::bias_gelu_backward_workspace_len) asks.
    WorkspaceTooSmall {
        /// Elements needed.
        required: usize,
        /// Elements given.
        actual: usize,
    },
    /// A buffer of `len` elements asked for is larger than any device can hold (its
    /// size in bytes would pass `isize::MAX`).
    TooLarge {
        /// Elements asked for.
        len: usize,
    },
    /// An fp32 survey's inputs are not a range within the 2^32 bit patterns.
    SurveyRange {
        /// The range's start.
        start: u64,
        /// The range's end.
        end: u64,
    },
    /// A buffer's device address is not a multiple of its element's size. Only a
    /// view made with cudarc's `unsafe` `transmute` can be so; a kernel reading it
    /// would fault and leave the whole context unusable, so the call refuses it.
    Misaligned {
        /// The operand.
        operand: &'static str,
        /// Its device address.
        address: u64,
        /// The alignment its element type needs, in bytes.
        align: usize,
    },
    /// A buffer belongs to a different CUDA context than the stream.
    ContextMismatch {
        /// The operand that belongs elsewhere.
        operand: &'static str,
    },
    /// No CUDA driver library (`libcuda`) could be loaded on this machine.
    NoDriver,
    /// The driver is there but reports no CUDA device (at the ordinal asked for).
    NoDevice,
    /// The kernels could not be loaded into the context (for example a GPU older
    /// than sm_75, or a driver too old for the embedded code).
    ModuleLoad(DriverError),
    /// Any other CUDA driver error.
    Driver(DriverError),
}

impl std::fmt::Display for GeluError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::LengthMismatch {
                operand,
                expected,
                actual,
            } => write!(
                f,
                "length mismatch: `{operand}` has {actual} elements, expected {expected}"
            ),
            Self::NotAMatrix { operand, len, cols } => write!(
                f,
                "`{operand}` has {len} elements, not a whole number of rows of {cols}"
            ),
            Self::OddLastDimension { cols } => write!(
                f,
                "GeGLU needs an even last dimension to split in halves, got {cols}"
            ),
            Self::WorkspaceTooSmall { required, actual } => write!(
                f,
                "the dbias workspace holds {actual} floats, {required} are needed"
            ),
            Self::TooLarge { len } => write!(
                f,
                "a buffer of {len} elements is larger than any device can hold"
            ),
            Self::SurveyRange { start, end } => write!(
                f,
                "fp32 survey inputs {start}..{end} are not a range within 0..2^32"
            ),
            Self::Misaligned {
                operand,
                address,
                align,
            } => write!(
                f,
                "`{operand}` starts at {address:#x}, not a multiple of its elements' {align} bytes"
            ),
            Self::ContextMismatch { operand } => write!(
                f,
                "`{operand}` belongs to a different CUDA context than the stream"
            ),
            Self::NoDriver => f.write_str("no CUDA driver library (libcuda) found"),
            Self::NoDevice => f.write_str("the CUDA driver reports no device"),
            Self::ModuleLoad(e) => write!(f, "could not load the GELU kernels: {e}"),
            Self::Driver(e) => write!(f, "CUDA driver error: {e}"),
        }
    }
}

impl std::error::Error for GeluError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::ModuleLoad(e) | Self::Driver(e) => Some(e),
            _ => None,
        }
    }
}

impl GeluError {
    /// Whether there is no GPU to run on ([`GeluError::NoDriver`], or
    /// [`GeluError::NoDevice`]: none at the ordinal asked for): the one case where
    /// falling back to the host path is the right answer. Any other error, a GPU
    /// that is there but fails, is a fault to report.
    ///
    /// ```
    /// use gelu_cuda::GeluError;
    ///
    /// match gelu_cuda::cuda_context(0) {
    ///     Ok(_) => println!("on the GPU"),
    ///     Err(e) if e.is_no_gpu() => println!("no GPU here: the host path"),
    ///     Err(e) => panic!("the GPU failed: {e}"),
    /// }
    /// assert!(GeluError::NoDevice.is_no_gpu());
    /// assert!(!GeluError::TooLarge { len: 1 }.is_no_gpu());
    /// ```
    pub fn is_no_gpu(&self) -> bool {
        matches!(self, Self::NoDriver | Self::NoDevice)
    }
}

impl From<DriverError> for GeluError {
    fn from(e: DriverError) -> Self {
        Self::Driver(e)
    }
}

pub(crate) fn check_len(
    operand: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), GeluError> {
    if expected == actual {
        Ok(())
    } else {
        Err(GeluError::LengthMismatch {
            operand,
            expected,
            actual,
        })
    }
}

/// A device buffer of `len` elements of `elem_bytes` bytes must have a size in
/// bytes that an `isize` counts (cudarc multiplies unchecked).
pub(crate) fn check_alloc_bytes(len: usize, elem_bytes: usize) -> Result<(), GeluError> {
    if len > isize::MAX as usize / elem_bytes.max(1) {
        Err(GeluError::TooLarge { len })
    } else {
        Ok(())
    }
}

/// [`check_alloc_bytes`] for elements of `T`.
pub(crate) fn check_alloc_len<T>(len: usize) -> Result<(), GeluError> {
    check_alloc_bytes(len, std::mem::size_of::<T>())
}

/// The number of rows of a `len`-element buffer of rows of `cols`.
pub(crate) fn matrix_rows(
    operand: &'static str,
    len: usize,
    cols: usize,
) -> Result<usize, GeluError> {
    if cols == 0 || !len.is_multiple_of(cols) {
        Err(GeluError::NotAMatrix { operand, len, cols })
    } else {
        Ok(len / cols)
    }
}
