//! Device timing for benchmarks: CUDA events around batches of launches, over
//! windows of a pool larger than the L2 so that consecutive launches miss it (the
//! L2 is 50 MB on an H100, 60 MB on an H200).
//!
//! ```no_run
//! # fn main() -> Result<(), gelu_cuda::GeluError> {
//! use gelu_cuda::timing;
//! let ctx = gelu_cuda::cuda_context(0)?;
//! let stream = ctx.new_stream()?;
//! let n = 1 << 20;
//! let pool = timing::Pool::new(n, 4)?;
//! let x = timing::random_buffer::<f32>(&stream, pool.len(), 1)?;
//! let mut y = stream.alloc_zeros::<f32>(pool.len())?;
//! let ms = timing::time_ms(&stream, 100, |i| {
//!     let w = pool.window(i);
//!     gelu_cuda::forward(&stream, gelu_cuda::Approximation::Exact, &x.slice(w.clone()), &mut y.slice_mut(w))
//!         .expect("launch");
//! })?;
//! println!("{:.1} GB/s", 2.0 * 4.0 * n as f64 / (ms * 1e-3 / 100.0) / 1e9);
//! # Ok(()) }
//! ```

use std::ops::Range;
use std::sync::Arc;

use cudarc::driver::sys::CUevent_flags;
use cudarc::driver::{CudaSlice, CudaStream};

use crate::error::{check_alloc_bytes, check_alloc_len};
use crate::{GeluError, GeluFloat};

/// Bytes a pool spans at least.
///
/// ```
/// // Four times the L2 of an H200 (60 MB): a window is cold when its turn comes.
/// assert!(gelu_cuda::timing::POOL_BYTES >= 4 * 60_000_000);
/// ```
pub const POOL_BYTES: usize = 256 << 20;

/// Windows of `n` elements spread over at least [`POOL_BYTES`] (or one window, where
/// a window alone is larger), each starting on a 16-byte boundary.
///
/// ```
/// let pool = gelu_cuda::timing::Pool::new(1000, 2)?; // 1000 fp16 elements a window
/// let (a, b) = (pool.window(0), pool.window(1));
/// assert_eq!((a.len(), b.start % 8), (1000, 0)); // 16-byte aligned starts
/// assert!(pool.window(u64::MAX).end <= pool.len());
/// # Ok::<(), gelu_cuda::GeluError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Pool {
    n: usize,
    stride: usize,
    windows: usize,
}

impl Pool {
    /// Windows of `n` elements of `elem_bytes` bytes (at least 1); a pool too large
    /// for any device is [`GeluError::TooLarge`].
    ///
    /// ```
    /// let pool = gelu_cuda::timing::Pool::new(3 << 20, 4)?;
    /// assert!(pool.len() * 4 >= gelu_cuda::timing::POOL_BYTES);
    /// assert!(gelu_cuda::timing::Pool::new(usize::MAX, 4).is_err());
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn new(n: usize, elem_bytes: usize) -> Result<Self, GeluError> {
        let elem_bytes = elem_bytes.max(1);
        let stride = n
            .checked_next_multiple_of(256)
            .ok_or(GeluError::TooLarge { len: n })?
            .max(256);
        let windows = POOL_BYTES
            .div_ceil(elem_bytes.saturating_mul(stride))
            .max(1);
        check_alloc_bytes(stride.saturating_mul(windows), elem_bytes)?;
        Ok(Self { n, stride, windows })
    }

    /// Elements to allocate.
    ///
    /// ```
    /// let pool = gelu_cuda::timing::Pool::new(1 << 20, 4)?;
    /// assert!(pool.len() >= 1 << 20);
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.stride * self.windows
    }

    /// Whether the pool is empty (never: it always holds one window).
    ///
    /// ```
    /// assert!(!gelu_cuda::timing::Pool::new(0, 4)?.is_empty());
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The `i`th window, cycling.
    ///
    /// ```
    /// let pool = gelu_cuda::timing::Pool::new(1 << 24, 4)?; // 64 MiB a window
    /// assert_eq!(pool.window(0), pool.window(pool.len() as u64 / (1 << 24))); // it cycles
    /// # Ok::<(), gelu_cuda::GeluError>(())
    /// ```
    pub fn window(&self, i: u64) -> Range<usize> {
        let start = (i as usize % self.windows) * self.stride;
        start..start + self.n
    }
}

/// Deterministic values in [-6, 6], never zeros, for inputs to time on.
///
/// ```
/// let v = gelu_cuda::timing::random_values::<f32>(1000, 7);
/// assert!(v.iter().all(|&x| x != 0.0 && x.abs() <= 6.0));
/// assert_eq!(v, gelu_cuda::timing::random_values::<f32>(1000, 7));
/// ```
pub fn random_values<T: GeluFloat>(len: usize, seed: u64) -> Vec<T> {
    let mut state = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let v = (state >> 11) as f64 / (1u64 << 53) as f64 * 12.0 - 6.0;
            T::from_f64_rounded(if v == 0.0 { 0.5 } else { v })
        })
        .collect()
}

/// Values drawn on the host for [`random_buffer`]; the rest of the buffer repeats them.
///
/// ```
/// // 4 Mi values: 16 MB of fp32, far more than a warp's cache lines can reuse.
/// assert_eq!(gelu_cuda::timing::RANDOM_BLOCK, 1 << 22);
/// ```
pub const RANDOM_BLOCK: usize = 1 << 22;

/// A device buffer of `len` (at least 1) values from [`random_values`]: one block of
/// [`RANDOM_BLOCK`] values drawn on the host, repeated on the device by doubling
/// copies, so that gigabytes fill in milliseconds. Repeats do not help the cache,
/// which keys on addresses, not contents.
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let stream = gelu_cuda::cuda_context(0)?.default_stream();
/// let x = gelu_cuda::timing::random_buffer::<f32>(&stream, 1 << 28, 1)?;
/// assert_eq!(x.len(), 1 << 28);
/// # Ok(()) }
/// ```
pub fn random_buffer<T: GeluFloat>(
    stream: &Arc<CudaStream>,
    len: usize,
    seed: u64,
) -> Result<CudaSlice<T>, GeluError> {
    check_alloc_len::<T>(len)?;
    let block = len.clamp(1, RANDOM_BLOCK);
    // SAFETY: every element is written below before the buffer is returned.
    let mut buf = unsafe { stream.alloc::<T>(len.max(1)) }?;
    stream.memcpy_htod(
        &random_values::<T>(block, seed),
        &mut buf.slice_mut(0..block),
    )?;
    let mut filled = block;
    while filled < len {
        let k = filled.min(len - filled);
        let (done, mut rest) = buf.split_at_mut(filled);
        stream.memcpy_dtod(&done.slice(0..k), &mut rest.slice_mut(0..k))?;
        filled += k;
    }
    Ok(buf)
}

/// Milliseconds of device time `iters` calls of `launch(i)` take on `stream`,
/// between two CUDA events (the host waits for the second).
///
/// ```no_run
/// # fn main() -> Result<(), gelu_cuda::GeluError> {
/// let stream = gelu_cuda::cuda_context(0)?.new_stream()?;
/// let x = gelu_cuda::timing::random_buffer::<f32>(&stream, 1 << 24, 1)?;
/// let mut y = stream.alloc_zeros::<f32>(1 << 24)?;
/// let ms = gelu_cuda::timing::time_ms(&stream, 10, |_| {
///     gelu_cuda::forward(&stream, gelu_cuda::Approximation::Tanh, &x, &mut y).expect("launch");
/// })?;
/// println!("{:.3} ms a launch", ms / 10.0);
/// # Ok(()) }
/// ```
pub fn time_ms(
    stream: &Arc<CudaStream>,
    iters: u64,
    mut launch: impl FnMut(u64),
) -> Result<f64, GeluError> {
    let ctx = stream.context();
    let start = ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))?;
    let end = ctx.new_event(Some(CUevent_flags::CU_EVENT_DEFAULT))?;
    start.record(stream)?;
    for i in 0..iters {
        launch(i);
    }
    end.record(stream)?;
    end.synchronize()?;
    Ok(start.elapsed_ms(&end)? as f64)
}

/// The median of `samples` (which it sorts).
///
/// ```
/// assert_eq!(gelu_cuda::timing::median(&mut [3.0, 1.0, 2.0]), 2.0);
/// ```
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let n = samples.len();
    if n == 0 {
        f64::NAN
    } else if n % 2 == 1 {
        samples[n / 2]
    } else {
        (samples[n / 2 - 1] + samples[n / 2]) / 2.0
    }
}
