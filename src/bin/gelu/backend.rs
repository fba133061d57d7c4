//! Where the kernels run: the GPU, or the host path.

use std::sync::Arc;

use gelu_cuda::cudarc::driver::{CudaContext, CudaStream};
use gelu_cuda::{host, Approximation, GeluFloat};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
    /// The host path (the same kernel sources on the CPU).
    Cpu,
    /// The first CUDA GPU.
    Cuda,
}

pub enum Backend {
    Host,
    Gpu {
        ctx: Arc<CudaContext>,
        stream: Arc<CudaStream>,
    },
}

impl Backend {
    /// The requested device; without a request, the GPU when there is one.
    pub fn open(device: Option<DeviceArg>) -> Result<Self, String> {
        match device {
            Some(DeviceArg::Cpu) => Ok(Backend::Host),
            Some(DeviceArg::Cuda) => Self::gpu().map_err(|e| format!("--device cuda: {e}")),
            None => Ok(Self::gpu().unwrap_or(Backend::Host)),
        }
    }

    fn gpu() -> Result<Self, String> {
        let ctx = gelu_cuda::cuda_context(0).map_err(|e| e.to_string())?;
        let stream = ctx.new_stream().map_err(|e| e.to_string())?;
        Ok(Backend::Gpu { ctx, stream })
    }

    pub fn describe(&self) -> String {
        match self {
            Backend::Host => "the host path (CPU)".to_string(),
            Backend::Gpu { ctx, .. } => ctx.name().unwrap_or_else(|_| "a CUDA GPU".to_string()),
        }
    }

    /// GELU(x), or dy GELU'(x) when `dy` is given.
    pub fn run<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        dy: Option<&[T]>,
    ) -> Result<Vec<T>, String> {
        let err = |e: gelu_cuda::GeluError| e.to_string();
        match self {
            Backend::Host => {
                let mut out = dy.unwrap_or(x).to_vec();
                match dy {
                    None => host::forward_inplace(approx, &mut out).map_err(err)?,
                    Some(_) => host::backward_inplace(approx, x, &mut out).map_err(err)?,
                }
                Ok(out)
            }
            Backend::Gpu { stream, .. } => {
                if x.is_empty() {
                    return Ok(Vec::new());
                }
                let drv = |e: gelu_cuda::cudarc::driver::DriverError| e.to_string();
                let xd = stream.clone_htod(x).map_err(drv)?;
                let mut out = stream.clone_htod(dy.unwrap_or(x)).map_err(drv)?;
                match dy {
                    None => gelu_cuda::forward_inplace(stream, approx, &mut out).map_err(err)?,
                    Some(_) => {
                        gelu_cuda::backward_inplace(stream, approx, &xd, &mut out).map_err(err)?
                    }
                }
                stream.clone_dtoh(&out).map_err(drv)
            }
        }
    }
}
