//! What both benches share: the skip rule.

use std::sync::Arc;

use gelu_cuda::cudarc::driver::CudaContext;

/// The first GPU, or `None` after saying that `bench` skipped. With
/// `GELU_REQUIRE_GPU=1` (the GPU bundle's runner sets it) a missing GPU is a
/// failure, as in the GPU tests; a GPU that fails to open is one always.
pub fn gpu_or_skip(bench: &str) -> Option<Arc<CudaContext>> {
    match gelu_cuda::cuda_context(0) {
        Ok(ctx) => Some(ctx),
        Err(e) if !e.is_no_gpu() => {
            eprintln!("{bench}: the GPU failed to open: {e}");
            std::process::exit(1);
        }
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
