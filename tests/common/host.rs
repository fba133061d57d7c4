//! The host path as a [`Runner`].

use super::{Aligned, Call, Job, Runner};
use gelu_cuda::host::HostRunner;
use gelu_cuda::GeluFloat;

pub struct Host(pub HostRunner, pub &'static str);

impl Default for Host {
    fn default() -> Self {
        Self(HostRunner::new(), "host")
    }
}

impl Runner for Host {
    fn name(&self) -> String {
        self.1.to_string()
    }
    fn run<T: GeluFloat>(&self, j: &Job<'_, T>) -> Vec<T> {
        let (xa, dya) = (Aligned::new(j.x), Aligned::new(j.dy));
        let mut out = Aligned::new(j.out);
        let o = &mut out[j.oo..j.oo + j.n];
        let x = &xa[j.xo..j.xo + j.n];
        match j.call {
            Call::Forward => self.0.forward(j.approx, x, o).expect("equal lengths"),
            Call::ForwardInplace => self.0.forward_inplace(j.approx, o).expect("infallible"),
            Call::Backward => self
                .0
                .backward(j.approx, x, &dya[j.dyo..j.dyo + j.n], o)
                .expect("equal lengths"),
            Call::BackwardInplace => self
                .0
                .backward_inplace(j.approx, x, o)
                .expect("equal lengths"),
        }
        out.to_vec()
    }
}
