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
            Some(DeviceArg::Cuda) => gelu_cuda::cuda_context(0)
                .map_err(|e| e.to_string())
                .and_then(Self::gpu)
                .map_err(|e| format!("--device cuda: {e}")),
            // The host path where there is no GPU; a GPU that fails to open is
            // reported, not passed over.
            None => match gelu_cuda::cuda_context(0) {
                Err(e) if e.is_no_gpu() => Ok(Backend::Host),
                opened => opened
                    .map_err(|e| e.to_string())
                    .and_then(Self::gpu)
                    .map_err(|e| {
                        format!("the GPU failed ({e}); --device cpu runs on the host path")
                    }),
            },
        }
    }

    fn gpu(ctx: Arc<CudaContext>) -> Result<Self, String> {
        let stream = ctx.new_stream().map_err(|e| e.to_string())?;
        Ok(Backend::Gpu { ctx, stream })
    }

    pub fn describe(&self) -> String {
        match self {
            Backend::Host => "the host path (CPU)".to_string(),
            Backend::Gpu { ctx, .. } => ctx.name().unwrap_or_else(|_| "a CUDA GPU".to_string()),
        }
    }

    /// GELU(x), or dy GELU'(x) when `dy` is given, into an output poisoned first: an
    /// element the kernel leaves unwritten is an error, not a result that could pass
    /// (an input's own value is a right answer for many inputs).
    pub fn run<T: GeluFloat>(
        &self,
        approx: Approximation,
        x: &[T],
        dy: Option<&[T]>,
    ) -> Result<Vec<T>, String> {
        let poison = gelu_cuda::accuracy::poison::<T>();
        let err = |e: gelu_cuda::GeluError| e.to_string();
        let out = match self {
            Backend::Host => {
                let mut out = vec![poison; x.len()];
                match dy {
                    None => host::forward(approx, x, &mut out),
                    Some(dy) => host::backward(approx, x, dy, &mut out),
                }
                .map_err(err)?;
                out
            }
            Backend::Gpu { stream, .. } => {
                if x.is_empty() {
                    return Ok(Vec::new());
                }
                let drv = |e: gelu_cuda::cudarc::driver::DriverError| e.to_string();
                let xd = stream.clone_htod(x).map_err(drv)?;
                let mut out = stream.clone_htod(&vec![poison; x.len()]).map_err(drv)?;
                match dy {
                    None => gelu_cuda::forward(stream, approx, &xd, &mut out).map_err(err)?,
                    Some(dy) => {
                        let dyd = stream.clone_htod(dy).map_err(drv)?;
                        gelu_cuda::backward(stream, approx, &xd, &dyd, &mut out).map_err(err)?
                    }
                }
                stream.clone_dtoh(&out).map_err(drv)?
            }
        };
        let p = poison.to_bits_u32();
        let holds = |v: &[T], i: usize| v[i].to_bits_u32() == p;
        match (0..out.len())
            .find(|&i| holds(&out, i) && !holds(x, i) && !dy.is_some_and(|d| holds(d, i)))
        {
            Some(i) => Err(format!(
                "the kernel left element {i} of {} unwritten",
                out.len()
            )),
            None => Ok(out),
        }
    }
}
