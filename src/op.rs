use std::ffi::CStr;

use crate::{ffi, Approximation, DType};

/// The operations the kernels implement, for naming and profiling.
///
/// ```
/// use gelu_cuda::{Approximation, DType, Op};
/// assert_eq!(Op::Forward.kernel_name(Approximation::Exact, DType::BF16), "gelu_forward_exact_bf16");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum Op {
    /// `y = GELU(x)`.
    Forward,
    /// `dx = dy GELU'(x)`.
    Backward,
    /// `y = GELU(x + b)` and the pre-activation ([`crate::bias_gelu_forward_aux`]).
    BiasForward,
    /// `y = GELU(x + b)` alone ([`crate::bias_gelu_forward`]: the forward of a
    /// training step whose backward starts from the input).
    BiasForwardNoPre,
    /// `dx = dy GELU'(pre)` and the bias gradient.
    BiasBackward,
    /// The same with `pre` formed from `x` and the bias.
    BiasBackwardInput,
    /// `out = GELU(a) g`.
    GegluForward,
    /// `da`, `dg` of GeGLU.
    GegluBackward,
}

impl Op {
    /// Every op.
    ///
    /// ```
    /// assert!(gelu_cuda::Op::ALL.contains(&gelu_cuda::Op::GegluBackward));
    /// ```
    pub const ALL: [Op; 8] = [
        Self::Forward,
        Self::Backward,
        Self::BiasForward,
        Self::BiasForwardNoPre,
        Self::BiasBackward,
        Self::BiasBackwardInput,
        Self::GegluForward,
        Self::GegluBackward,
    ];

    /// Lower-case name with dashes, as the `gelu` command spells it.
    ///
    /// ```
    /// assert_eq!(gelu_cuda::Op::BiasBackward.name(), "bias-backward");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Backward => "backward",
            Self::BiasForward => "bias-forward",
            Self::BiasForwardNoPre => "bias-forward-no-pre",
            Self::BiasBackward => "bias-backward",
            Self::BiasBackwardInput => "bias-backward-input",
            Self::GegluForward => "geglu-forward",
            Self::GegluBackward => "geglu-backward",
        }
    }

    pub(crate) fn abi(self) -> ffi::gelu_op {
        match self {
            Self::Forward => ffi::gelu_op::GELU_OP_FORWARD,
            Self::Backward => ffi::gelu_op::GELU_OP_BACKWARD,
            Self::BiasForward | Self::BiasForwardNoPre => ffi::gelu_op::GELU_OP_BIAS_FORWARD,
            Self::BiasBackward => ffi::gelu_op::GELU_OP_BIAS_BACKWARD,
            Self::BiasBackwardInput => ffi::gelu_op::GELU_OP_BIAS_BACKWARD_INPUT,
            Self::GegluForward => ffi::gelu_op::GELU_OP_GEGLU_FORWARD,
            Self::GegluBackward => ffi::gelu_op::GELU_OP_GEGLU_BACKWARD,
        }
    }

    /// The name of the CUDA kernel that runs this op on whole 16-byte rows, as
    /// Nsight shows it: `gelu_<op>_<approx>_<dtype>`. Rows that are not whole
    /// vectors (widths that are not a multiple of 8, or 4 in fp32, or views at odd
    /// offsets) run the bias forward and GeGLU ops in `gelu_<op>_flat_<approx>_<dtype>`
    /// instead; the bias backward is this kernel (its first stage) and then
    /// `gelu_dbias_reduce_*` (a filter on `gelu_` sees them all), the one from the
    /// input `gelu_bias_backward_input_*` and the same reductions.
    ///
    /// ```
    /// use gelu_cuda::{Approximation, DType, Op};
    /// assert_eq!(Op::Forward.kernel_name(Approximation::Tanh, DType::BF16), "gelu_forward_tanh_bf16");
    /// ```
    pub fn kernel_name(self, approx: Approximation, dtype: DType) -> &'static str {
        // SAFETY: every (op, approx, dtype) of these enums is in the table, whose
        // names are NUL-terminated string literals.
        let name = unsafe { ffi::gelu_kernel_name(self.abi(), approx.abi(), dtype.abi()) };
        assert!(
            !name.is_null(),
            "kernel table lacks {self:?} {approx} {dtype}"
        );
        unsafe { CStr::from_ptr(name) }
            .to_str()
            .expect("ASCII name")
    }

    /// Elements moved per output element, counting every read and write the op
    /// must do: the bias forward writes `y` and the pre-activation (or `y` alone), the
    /// bias backward reads `pre` (or `x`) and `dy`, GeGLU reads two inputs per output;
    /// the bias vector and the partial sums are negligible.
    ///
    /// ```
    /// use gelu_cuda::Op;
    /// assert_eq!(Op::Forward.elements_moved(), 2); // read x, write y
    /// assert_eq!(Op::GegluBackward.elements_moved(), 5); // a, g, dout in; da, dg out
    /// ```
    pub fn elements_moved(self) -> usize {
        match self {
            Self::Forward | Self::BiasForwardNoPre => 2,
            Self::Backward
            | Self::BiasForward
            | Self::BiasBackward
            | Self::BiasBackwardInput
            | Self::GegluForward => 3,
            Self::GegluBackward => 5,
        }
    }
}

impl std::fmt::Display for Op {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
