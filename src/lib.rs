//! # gelu-cuda
//!
//! Hand-written CUDA kernels for the GELU activation, forward and backward, in
//! `f32`, [`half::f16`] and [`half::bf16`], for three approximations
//! ([`Approximation::Exact`], [`Approximation::Tanh`], [`Approximation::Sigmoid`]).
//!
//! - **Fast**: one pointwise engine with 16-byte vector loads and stores (32-byte
//!   for fp32 on sm_100 and newer) and 64-bit indexing, flat or row by row, any
//!   length and any start offset, launched on your stream with no
//!   synchronisation, allocation or module load per call.
//! - **Accurate**: fp16 and bf16 results within 0.625 ulp for every input (0.50
//!   measured, nearly all correctly rounded); fp32 within 2 ulp forward and 3.5
//!   backward everywhere, including the negative tail where the usual
//!   `0.5 x (1 + erf(x/sqrt 2))` returns 0 or NaN ([`accuracy::stated_bound`]).
//! - **Fused for training**: bias + GELU with the pre-activation saved
//!   ([`bias_gelu_forward_aux`]), dGELU with a deterministic bias gradient
//!   ([`bias_gelu_backward`]), GeGLU forward and backward ([`geglu_forward`]);
//!   the backward passes also in place ([`bias_gelu_backward_inplace`]: `dx` over
//!   `dy`).
//! - **Checkable without a GPU**: [`host`] runs the same kernel sources on the CPU,
//!   [`reference`](mod@reference) gives an f64 reference and ULP helpers, and
//!   [`accuracy`] the error statistics and the bounds this crate states.
//!
//! ```no_run
//! use gelu_cuda::Approximation;
//! # fn main() -> Result<(), gelu_cuda::GeluError> {
//! let ctx = gelu_cuda::cuda_context(0)?;
//! let stream = ctx.default_stream();
//! let x = stream.clone_htod(&vec![half::bf16::from_f32(0.5); 1 << 20])?;
//! let mut y = stream.alloc_zeros::<half::bf16>(1 << 20)?;
//! gelu_cuda::forward(&stream, Approximation::Exact, &x, &mut y)?;
//!
//! let dy = stream.clone_htod(&vec![half::bf16::ONE; 1 << 20])?;
//! let mut dx = stream.alloc_zeros::<half::bf16>(1 << 20)?;
//! gelu_cuda::backward(&stream, Approximation::Exact, &x, &dy, &mut dx)?;
//! # Ok(())
//! # }
//! ```
//!
//! Every op that can fail returns a [`GeluError`], never a panic on user input:
//! operands of the wrong length or shape, a buffer of another context, a view that
//! starts between elements, no driver or device, a failed load or launch. Empty inputs launch nothing (but for the
//! bias backward on zero rows, which sets its bias gradient to zeros).
//!
//! Without a GPU, the same kernels on host slices:
//!
//! ```
//! use gelu_cuda::{host, reference, Approximation, DType};
//! let x: Vec<f32> = (0..1000).map(|i| i as f32 / 50.0 - 15.0).collect();
//! let mut y = vec![0.0f32; x.len()];
//! host::forward(Approximation::Exact, &x, &mut y)?;
//! for (&xi, &yi) in x.iter().zip(&y) {
//!     let exact = reference::forward(Approximation::Exact, xi as f64);
//!     assert!(reference::ulp_error(DType::F32, yi as f64, exact) <= 2.0);
//! }
//! # Ok::<(), gelu_cuda::GeluError>(())
//! ```

#![warn(missing_docs)]

pub mod accuracy;
mod approx;
mod buffer;
mod device;
mod dtype;
mod error;
#[allow(clippy::all)]
mod ffi;
pub mod fused;
pub mod host;
pub mod nvtx;
mod op;
pub mod reference;
pub mod timing;

pub use approx::{Approximation, UnknownApproximation};
pub use buffer::{DeviceBuffer, DeviceBufferMut};
pub use device::{
    backward, backward_inplace, cuda_context, driver_available, fatbin, forward, forward_inplace,
    kernel_loads, load_kernels,
};
pub use dtype::{DType, GeluFloat};
pub use error::GeluError;
pub use fused::{
    bias_gelu_backward, bias_gelu_backward_from_input, bias_gelu_backward_from_input_inplace,
    bias_gelu_backward_inplace, bias_gelu_backward_order, bias_gelu_backward_workspace,
    bias_gelu_backward_workspace_len, bias_gelu_forward, bias_gelu_forward_aux,
    bias_gelu_forward_inplace, geglu_backward, geglu_backward_inplace, geglu_backward_split,
    geglu_backward_split_inplace, geglu_forward, geglu_forward_split, BiasGradientOrder,
};
pub use op::Op;

pub use cudarc;
pub use half;
