//! A CUDA device as a [`Runner`], and the skip rule of the GPU tests.

use std::sync::Arc;

use super::{Call, Job, Runner};
use gelu_cuda::cudarc::driver::{CudaContext, CudaStream};
use gelu_cuda::GeluFloat;

pub struct Device {
    pub ctx: Arc<CudaContext>,
    pub stream: Arc<CudaStream>,
}

/// The first GPU, or `None` after printing that the test skipped. With
/// `GELU_REQUIRE_GPU=1` a missing GPU fails the test instead; a GPU that is there
/// but fails to open fails it always.
pub fn device(test: &str) -> Option<Device> {
    match gelu_cuda::cuda_context(0) {
        Ok(ctx) => {
            let stream = ctx.new_stream().expect("create a stream");
            Some(Device { ctx, stream })
        }
        Err(e) if !e.is_no_gpu() => panic!("{test}: the GPU failed to open: {e}"),
        Err(e) => {
            let required = std::env::var("GELU_REQUIRE_GPU").is_ok_and(|v| v == "1");
            assert!(!required, "{test}: GELU_REQUIRE_GPU=1 but no GPU: {e}");
            // Written past the test harness's capture so that it shows in every run,
            // as one write so that parallel tests' lines do not interleave.
            use std::io::Write;
            let line = format!("{test}: skipped, no GPU ({e})\n");
            let _ = std::io::stderr().lock().write_all(line.as_bytes());
            None
        }
    }
}

impl Runner for Device {
    fn name(&self) -> String {
        format!("gpu {}", self.ctx.name().unwrap_or_default())
    }
    fn run<T: GeluFloat>(&self, j: &Job<'_, T>) -> Vec<T> {
        let s = &self.stream;
        // A zero-length device allocation is an error in the driver; keep one element.
        let upload = |v: &[T]| {
            s.clone_htod(if v.is_empty() {
                &j.out[..1.min(j.out.len())]
            } else {
                v
            })
        };
        let x = upload(j.x).expect("upload x");
        let dy = upload(j.dy).expect("upload dy");
        let mut out = s.clone_htod(j.out).expect("upload out");
        let xv = x.slice(j.xo..j.xo + j.n);
        {
            let mut ov = out.slice_mut(j.oo..j.oo + j.n);
            match j.call {
                Call::Forward => gelu_cuda::forward(s, j.approx, &xv, &mut ov),
                Call::ForwardInplace => gelu_cuda::forward_inplace(s, j.approx, &mut ov),
                Call::Backward => {
                    gelu_cuda::backward(s, j.approx, &xv, &dy.slice(j.dyo..j.dyo + j.n), &mut ov)
                }
                Call::BackwardInplace => gelu_cuda::backward_inplace(s, j.approx, &xv, &mut ov),
            }
            .expect("launch");
        }
        s.clone_dtoh(&out).expect("download")
    }
}
