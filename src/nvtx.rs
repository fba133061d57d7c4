//! NVTX ranges, for Nsight Systems (`nsys profile`) and Nsight Compute
//! (`ncu --nvtx`). With the `nvtx` feature they call NVTX3 (header-only, compiled
//! into the host library; without a profiler attached each call returns at once);
//! without it they do nothing.
//!
//! ```
//! let _range = gelu_cuda::nvtx::Range::new(c"my training step");
//! // ... launches to see grouped under the range ...
//! ```

use std::ffi::CStr;

/// Whether this build emits NVTX ranges (the `nvtx` feature).
///
/// ```
/// if !gelu_cuda::nvtx::ENABLED {
///     eprintln!("built without the nvtx feature: ranges are no-ops");
/// }
/// ```
pub const ENABLED: bool = cfg!(feature = "nvtx");

/// An NVTX range, open from `new` until dropped. NVTX ranges nest per thread, so a
/// range is neither `Send` nor `Sync`: it closes on the thread that opened it.
///
/// ```compile_fail
/// let range = gelu_cuda::nvtx::Range::new(c"step");
/// std::thread::spawn(move || drop(range));
/// ```
#[must_use = "the range closes when this value is dropped"]
pub struct Range(std::marker::PhantomData<*const ()>);

impl Range {
    /// Opens a range named `name` on the calling thread.
    ///
    /// ```
    /// {
    ///     let _step = gelu_cuda::nvtx::Range::new(c"step 12");
    ///     // ... the step's launches ...
    /// } // closed here
    /// ```
    pub fn new(name: &CStr) -> Self {
        #[cfg(feature = "nvtx")]
        // SAFETY: a NUL-terminated string that outlives the call.
        unsafe {
            crate::ffi::gelu_nvtx_push(name.as_ptr())
        };
        #[cfg(not(feature = "nvtx"))]
        let _ = name;
        Range(std::marker::PhantomData)
    }
}

impl Drop for Range {
    fn drop(&mut self) {
        #[cfg(feature = "nvtx")]
        // SAFETY: closes the range this value opened on this thread.
        unsafe {
            crate::ffi::gelu_nvtx_pop()
        };
    }
}
