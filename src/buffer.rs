//! The device buffers the API accepts: cudarc's own, and no others (see
//! [`DeviceBuffer`] for why).

#[cfg(doc)]
use cudarc::driver::DeviceSlice;
use cudarc::driver::{CudaSlice, CudaView, CudaViewMut, DevicePtr, DevicePtrMut};

mod sealed {
    pub trait Sealed {}
}

/// A device buffer the kernels may read: a [`CudaSlice`], [`CudaView`] or
/// [`CudaViewMut`] of `T`.
///
/// Sealed: a launch trusts a buffer's length and context (the kernel reads and writes
/// as many elements as [`DeviceSlice::len`] says), and cudarc's `DevicePtr` and
/// `DeviceSlice` are safe traits that any type may implement with any length, so a
/// bound on them would let safe code send a kernel past the end of an allocation.
/// cudarc's own buffers keep their lengths and streams themselves.
///
/// ```
/// use gelu_cuda::cudarc::driver::{CudaSlice, CudaView};
/// use gelu_cuda::DeviceBuffer;
/// fn readable<B: DeviceBuffer<f32>>() {}
/// readable::<CudaSlice<f32>>();
/// readable::<CudaView<'static, f32>>();
/// ```
///
/// A type of one's own that implements cudarc's traits, here with a length larger
/// than its allocation, is not accepted:
///
/// ```compile_fail
/// use gelu_cuda::cudarc::driver::{CudaSlice, CudaStream, DevicePtr, DeviceSlice, SyncOnDrop};
/// struct Longer(CudaSlice<f32>);
/// impl DeviceSlice<f32> for Longer {
///     fn len(&self) -> usize { 1 << 30 }
///     fn stream(&self) -> &std::sync::Arc<CudaStream> { self.0.stream() }
/// }
/// impl DevicePtr<f32> for Longer {
///     fn device_ptr<'a>(&'a self, s: &'a CudaStream) -> (u64, SyncOnDrop<'a>) { self.0.device_ptr(s) }
/// }
/// fn f(s: &std::sync::Arc<CudaStream>, x: Longer, y: &mut CudaSlice<f32>) {
///     let _ = gelu_cuda::forward(s, gelu_cuda::Approximation::Exact, &x, y);
/// }
/// ```
pub trait DeviceBuffer<T>: DevicePtr<T> + sealed::Sealed {}

/// A device buffer the kernels may write: a [`CudaSlice`] or [`CudaViewMut`] of `T`.
/// Sealed, as [`DeviceBuffer`] is.
///
/// ```
/// use gelu_cuda::cudarc::driver::{CudaSlice, CudaViewMut};
/// use gelu_cuda::DeviceBufferMut;
/// fn writable<B: DeviceBufferMut<half::bf16>>() {}
/// writable::<CudaSlice<half::bf16>>();
/// writable::<CudaViewMut<'static, half::bf16>>();
/// ```
pub trait DeviceBufferMut<T>: DevicePtrMut<T> + sealed::Sealed {}

impl<T> sealed::Sealed for CudaSlice<T> {}
impl<T> sealed::Sealed for CudaView<'_, T> {}
impl<T> sealed::Sealed for CudaViewMut<'_, T> {}

impl<T> DeviceBuffer<T> for CudaSlice<T> {}
impl<T> DeviceBuffer<T> for CudaView<'_, T> {}
impl<T> DeviceBuffer<T> for CudaViewMut<'_, T> {}

impl<T> DeviceBufferMut<T> for CudaSlice<T> {}
impl<T> DeviceBufferMut<T> for CudaViewMut<'_, T> {}
