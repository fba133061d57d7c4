//! What both benches share: the skip rule.

use std::sync::Arc;

use gelu_cuda::cudarc::driver::CudaContext;

/// The first GPU, or `None` after saying that `bench` skipped. With
/// `GELU_REQUIRE_GPU=1` (the GPU bundle's runner sets it) a missing GPU is a
/// failure, as in the GPU tests.
pub fn gpu_or_skip(bench: &str) -> Option<Arc<CudaContext>> {
    match gelu_cuda::cuda_context(0) {
        Ok(ctx) => Some(ctx),
        Err(e) => {
            if std::env::var("GELU_REQUIRE_GPU").is_ok_and(|v| v == "1") {
                eprintln!("{bench}: GELU_REQUIRE_GPU=1 but no GPU ({e})");
                std::process::exit(1);
            }
            eprintln!("{bench}: skipped, no GPU ({e})");
            None
        }
    }
}
