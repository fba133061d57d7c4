//! Checks of the fused ops, shared by the host and GPU tests.

use gelu_cuda::accuracy::{judging_scale, ErrorStats};
use gelu_cuda::host::HostRunner;
use gelu_cuda::{reference, Approximation, DType, GeluFloat};

use super::device::Device;
use super::{f32_bound, is_poison, poison, report, Aligned, Rng};

/// Where operands sit in their buffers: `off` elements of poison before each.
pub type Buf<T> = Vec<T>;

/// Runs the fused ops. Every operand is placed `off` elements into a buffer that is
/// otherwise poison, and every output comes back whole, padding included.
pub trait FusedRunner {
    fn name(&self) -> String;
    fn bias_forward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        b: &[T],
        aux: bool,
        off: usize,
    ) -> (Buf<T>, Buf<T>);
    fn bias_backward<T: GeluFloat>(
        &self,
        a: Approximation,
        pre: &[T],
        dy: &[T],
        cols: usize,
        off: usize,
    ) -> (Buf<T>, Buf<T>);
    fn geglu_forward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        cols: usize,
        off: usize,
    ) -> Buf<T>;
    fn geglu_forward_split<T: GeluFloat>(
        &self,
        a: Approximation,
        av: &[T],
        g: &[T],
        off: usize,
    ) -> Buf<T>;
    fn geglu_backward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        dout: &[T],
        cols: usize,
        off: usize,
    ) -> Buf<T>;
    fn geglu_backward_split<T: GeluFloat>(
        &self,
        a: Approximation,
        av: &[T],
        g: &[T],
        dout: &[T],
        off: usize,
    ) -> (Buf<T>, Buf<T>);
}

pub fn placed<T: GeluFloat>(v: &[T], off: usize) -> Vec<T> {
    let mut b = vec![poison::<T>(); off];
    b.extend_from_slice(v);
    b
}

pub fn blank<T: GeluFloat>(len: usize, off: usize) -> Vec<T> {
    vec![poison::<T>(); len + off]
}

/// [`placed`] and [`blank`] starting on a 64-byte boundary, as device buffers do (the
/// host path's alignment, and so its choice of vector width, is then the GPU's).
fn placed_aligned<T: GeluFloat>(v: &[T], off: usize) -> Aligned<T> {
    Aligned::new(&placed(v, off))
}

fn blank_aligned<T: GeluFloat>(len: usize, off: usize) -> Aligned<T> {
    Aligned::new(&blank::<T>(len, off))
}

/// The output region of a returned buffer; the padding must still be poison.
pub fn region<T: GeluFloat>(buf: &[T], off: usize, what: &str) -> Vec<T> {
    assert!(
        buf[..off].iter().all(|v| is_poison(*v)),
        "{what}: padding before the output was written"
    );
    let out = buf[off..].to_vec();
    assert!(
        out.iter().all(|v| !is_poison(*v)),
        "{what}: an output element was not written"
    );
    out
}

impl FusedRunner for super::host::Host {
    fn name(&self) -> String {
        super::Runner::name(self)
    }
    fn bias_forward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        b: &[T],
        aux: bool,
        off: usize,
    ) -> (Buf<T>, Buf<T>) {
        let (xb, bb) = (placed_aligned(x, off), placed_aligned(b, off));
        let (mut y, mut pre) = (
            blank_aligned::<T>(x.len(), off),
            blank_aligned::<T>(x.len(), off),
        );
        let r: &HostRunner = &self.0;
        if aux {
            r.bias_gelu_forward_aux(a, &xb[off..], &bb[off..], &mut y[off..], &mut pre[off..])
                .unwrap();
        } else {
            r.bias_gelu_forward(a, &xb[off..], &bb[off..], &mut y[off..])
                .unwrap();
        }
        (y.to_vec(), pre.to_vec())
    }
    fn bias_backward<T: GeluFloat>(
        &self,
        a: Approximation,
        pre: &[T],
        dy: &[T],
        cols: usize,
        off: usize,
    ) -> (Buf<T>, Buf<T>) {
        let (pb, db_) = (placed_aligned(pre, off), placed_aligned(dy, off));
        let (mut dx, mut db) = (
            blank_aligned::<T>(pre.len(), off),
            blank_aligned::<T>(cols, off),
        );
        self.0
            .bias_gelu_backward(a, &pb[off..], &db_[off..], &mut dx[off..], &mut db[off..])
            .unwrap();
        (dx.to_vec(), db.to_vec())
    }
    fn geglu_forward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        cols: usize,
        off: usize,
    ) -> Buf<T> {
        let xb = placed_aligned(x, off);
        let mut out = blank_aligned::<T>(x.len() / 2, off);
        self.0
            .geglu_forward(a, &xb[off..], &mut out[off..], cols)
            .unwrap();
        out.to_vec()
    }
    fn geglu_forward_split<T: GeluFloat>(
        &self,
        a: Approximation,
        av: &[T],
        g: &[T],
        off: usize,
    ) -> Buf<T> {
        let (ab, gb) = (placed_aligned(av, off), placed_aligned(g, off));
        let mut out = blank_aligned::<T>(av.len(), off);
        self.0
            .geglu_forward_split(a, &ab[off..], &gb[off..], &mut out[off..])
            .unwrap();
        out.to_vec()
    }
    fn geglu_backward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        dout: &[T],
        cols: usize,
        off: usize,
    ) -> Buf<T> {
        let (xb, db) = (placed_aligned(x, off), placed_aligned(dout, off));
        let mut dx = blank_aligned::<T>(x.len(), off);
        self.0
            .geglu_backward(a, &xb[off..], &db[off..], &mut dx[off..], cols)
            .unwrap();
        dx.to_vec()
    }
    fn geglu_backward_split<T: GeluFloat>(
        &self,
        a: Approximation,
        av: &[T],
        g: &[T],
        dout: &[T],
        off: usize,
    ) -> (Buf<T>, Buf<T>) {
        let (ab, gb, db) = (
            placed_aligned(av, off),
            placed_aligned(g, off),
            placed_aligned(dout, off),
        );
        let (mut da, mut dg) = (
            blank_aligned::<T>(av.len(), off),
            blank_aligned::<T>(av.len(), off),
        );
        self.0
            .geglu_backward_split(
                a,
                &ab[off..],
                &gb[off..],
                &db[off..],
                &mut da[off..],
                &mut dg[off..],
            )
            .unwrap();
        (da.to_vec(), dg.to_vec())
    }
}

impl FusedRunner for Device {
    fn name(&self) -> String {
        super::Runner::name(self)
    }
    fn bias_forward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        b: &[T],
        aux: bool,
        off: usize,
    ) -> (Buf<T>, Buf<T>) {
        let s = &self.stream;
        let xd = s.clone_htod(&placed(x, off)).unwrap();
        let bd = s.clone_htod(&placed(b, off)).unwrap();
        let mut y = s.clone_htod(&blank::<T>(x.len(), off)).unwrap();
        let mut pre = s.clone_htod(&blank::<T>(x.len(), off)).unwrap();
        {
            let (xv, bv) = (xd.slice(off..), bd.slice(off..));
            let mut yv = y.slice_mut(off..);
            if aux {
                gelu_cuda::bias_gelu_forward_aux(
                    s,
                    a,
                    &xv,
                    &bv,
                    &mut yv,
                    &mut pre.slice_mut(off..),
                )
                .unwrap();
            } else {
                gelu_cuda::bias_gelu_forward(s, a, &xv, &bv, &mut yv).unwrap();
            }
        }
        (s.clone_dtoh(&y).unwrap(), s.clone_dtoh(&pre).unwrap())
    }
    fn bias_backward<T: GeluFloat>(
        &self,
        a: Approximation,
        pre: &[T],
        dy: &[T],
        cols: usize,
        off: usize,
    ) -> (Buf<T>, Buf<T>) {
        let s = &self.stream;
        let pd = s.clone_htod(&placed(pre, off)).unwrap();
        let dyd = s.clone_htod(&placed(dy, off)).unwrap();
        let mut dx = s.clone_htod(&blank::<T>(pre.len(), off)).unwrap();
        let mut db = s.clone_htod(&blank::<T>(cols, off)).unwrap();
        let mut ws = gelu_cuda::bias_gelu_backward_workspace(s, pre.len() / cols, cols).unwrap();
        gelu_cuda::bias_gelu_backward(
            s,
            a,
            &pd.slice(off..),
            &dyd.slice(off..),
            &mut dx.slice_mut(off..),
            &mut db.slice_mut(off..),
            &mut ws,
        )
        .unwrap();
        (s.clone_dtoh(&dx).unwrap(), s.clone_dtoh(&db).unwrap())
    }
    fn geglu_forward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        cols: usize,
        off: usize,
    ) -> Buf<T> {
        let s = &self.stream;
        let xd = s.clone_htod(&placed(x, off)).unwrap();
        let mut out = s.clone_htod(&blank::<T>(x.len() / 2, off)).unwrap();
        gelu_cuda::geglu_forward(s, a, &xd.slice(off..), &mut out.slice_mut(off..), cols).unwrap();
        s.clone_dtoh(&out).unwrap()
    }
    fn geglu_forward_split<T: GeluFloat>(
        &self,
        a: Approximation,
        av: &[T],
        g: &[T],
        off: usize,
    ) -> Buf<T> {
        let s = &self.stream;
        let ad = s.clone_htod(&placed(av, off)).unwrap();
        let gd = s.clone_htod(&placed(g, off)).unwrap();
        let mut out = s.clone_htod(&blank::<T>(av.len(), off)).unwrap();
        gelu_cuda::geglu_forward_split(
            s,
            a,
            &ad.slice(off..),
            &gd.slice(off..),
            &mut out.slice_mut(off..),
        )
        .unwrap();
        s.clone_dtoh(&out).unwrap()
    }
    fn geglu_backward<T: GeluFloat>(
        &self,
        a: Approximation,
        x: &[T],
        dout: &[T],
        cols: usize,
        off: usize,
    ) -> Buf<T> {
        let s = &self.stream;
        let xd = s.clone_htod(&placed(x, off)).unwrap();
        let dd = s.clone_htod(&placed(dout, off)).unwrap();
        let mut dx = s.clone_htod(&blank::<T>(x.len(), off)).unwrap();
        gelu_cuda::geglu_backward(
            s,
            a,
            &xd.slice(off..),
            &dd.slice(off..),
            &mut dx.slice_mut(off..),
            cols,
        )
        .unwrap();
        s.clone_dtoh(&dx).unwrap()
    }
    fn geglu_backward_split<T: GeluFloat>(
        &self,
        a: Approximation,
        av: &[T],
        g: &[T],
        dout: &[T],
        off: usize,
    ) -> (Buf<T>, Buf<T>) {
        let s = &self.stream;
        let ad = s.clone_htod(&placed(av, off)).unwrap();
        let gd = s.clone_htod(&placed(g, off)).unwrap();
        let dd = s.clone_htod(&placed(dout, off)).unwrap();
        let mut da = s.clone_htod(&blank::<T>(av.len(), off)).unwrap();
        let mut dg = s.clone_htod(&blank::<T>(av.len(), off)).unwrap();
        gelu_cuda::geglu_backward_split(
            s,
            a,
            &ad.slice(off..),
            &gd.slice(off..),
            &dd.slice(off..),
            &mut da.slice_mut(off..),
            &mut dg.slice_mut(off..),
        )
        .unwrap();
        (s.clone_dtoh(&da).unwrap(), s.clone_dtoh(&dg).unwrap())
    }
}

/// Shapes (rows, cols): a single column, columns not a multiple of any vector
/// width, a single row, and large ones.
pub const SHAPES: [(usize, usize); 9] = [
    (1, 1),
    (3, 1),
    (1, 7),
    (5, 13),
    (17, 64),
    (64, 100),
    (33, 1032),
    (300, 8),
    (512, 2048),
];

fn draw<T: GeluFloat>(rng: &mut Rng, n: usize, lo: f64, hi: f64) -> Vec<T> {
    (0..n)
        .map(|_| T::from_f64_rounded(lo + (hi - lo) * rng.unit()))
        .collect()
}

/// Half types: every result within 1 ulp. fp32: the stated GELU bound, or for a
/// product of a GELU result with another factor (GeGLU) twice it plus one: the
/// factor's relative error carries over, and the product's ulp can be half the
/// factor's (plus the product's own rounding, and for da the rounding of dout g).
fn bound<T: GeluFloat>(approx: Approximation, backward: bool, product: bool) -> f64 {
    match (T::DTYPE, product) {
        (DType::F32, false) => f32_bound(approx, backward),
        (DType::F32, true) => 2.0 * f32_bound(approx, backward) + if backward { 2.0 } else { 1.0 },
        _ => 1.0,
    }
}

fn assert_within(label: &str, s: &ErrorStats, bound: f64) {
    report(label, s);
    assert!(
        s.max_ulp <= bound,
        "{label}: {} ulp at {} (bound {bound})",
        s.max_ulp,
        s.worst_input
    );
}

/// bias + GELU forward: y = GELU(s), s = x + b in f32, and pre = s rounded to T.
pub fn check_bias_forward<T: GeluFloat, R: FusedRunner>(r: &R, seed: u64) {
    let mut rng = Rng::new(seed);
    for approx in Approximation::ALL {
        let mut stats = ErrorStats::new(T::DTYPE);
        for (rows, cols) in SHAPES {
            let x: Vec<T> = draw(&mut rng, rows * cols, -9.0, 5.0);
            let b: Vec<T> = draw(&mut rng, cols, -2.0, 2.0);
            for off in [0, 1] {
                let what = format!(
                    "{} bias_forward {approx} {:?} {rows}x{cols} offset {off}",
                    r.name(),
                    T::DTYPE
                );
                let (yb, preb) = r.bias_forward(approx, &x, &b, true, off);
                let (y, pre) = (region(&yb, off, &what), region(&preb, off, &what));
                let (y_plain, _) = r.bias_forward(approx, &x, &b, false, off);
                assert!(
                    region(&y_plain, off, &what)
                        .iter()
                        .zip(&y)
                        .all(|(a, b)| a.to_bits_u32() == b.to_bits_u32()),
                    "{what}: y differs with and without the pre-activation output"
                );
                for i in 0..x.len() {
                    let s = (x[i].to_f64() as f32 + b[i % cols].to_f64() as f32) as f64;
                    let want_pre = T::from_f64_rounded(s);
                    assert!(
                        pre[i].to_bits_u32() == want_pre.to_bits_u32(),
                        "{what}: pre[{i}] is not x + b"
                    );
                    let e = reference::forward(approx, s);
                    stats.record(s, y[i].to_f64(), e, e);
                }
            }
        }
        let label = format!("{} bias_forward {approx} {:?}", r.name(), T::DTYPE);
        assert_within(&label, &stats, bound::<T>(approx, false, false));
    }
}

/// dx = dy GELU'(pre) and db = Σ_rows dx: dx within the backward bound, db within
/// its stated bound of the f64 sum, and db bit-identical on a second run and on the
/// `other` runner.
pub fn check_bias_backward<T: GeluFloat, R: FusedRunner, Q: FusedRunner>(
    r: &R,
    other: &Q,
    seed: u64,
) {
    let mut rng = Rng::new(seed);
    for approx in Approximation::ALL {
        let mut stats = ErrorStats::new(T::DTYPE);
        for (rows, cols) in SHAPES {
            let pre: Vec<T> = draw(&mut rng, rows * cols, -9.0, 5.0);
            let dy: Vec<T> = draw(&mut rng, rows * cols, -2.0, 2.0);
            for off in [0, 1] {
                let what = format!(
                    "{} bias_backward {approx} {:?} {rows}x{cols} offset {off}",
                    r.name(),
                    T::DTYPE
                );
                let (dxb, dbb) = r.bias_backward(approx, &pre, &dy, cols, off);
                let (dx, db) = (region(&dxb, off, &what), region(&dbb, off, &what));
                for i in 0..pre.len() {
                    let (p, d) = (pre[i].to_f64(), dy[i].to_f64());
                    let e = reference::backward(approx, p, d);
                    let scale = if T::DTYPE == DType::F32 {
                        judging_scale(approx, p, d)
                    } else {
                        e
                    };
                    stats.record(p, dx[i].to_f64(), e, scale);
                }
                let chunk = gelu_cuda::bias_gelu_backward_chunk_rows(rows, cols);
                let terms = (chunk + rows.div_ceil(chunk)) as f64;
                for c in 0..cols {
                    let col = (0..rows).map(|k| {
                        reference::backward(
                            approx,
                            pre[k * cols + c].to_f64(),
                            dy[k * cols + c].to_f64(),
                        )
                    });
                    let (sum, abs) = col.fold((0.0, 0.0), |(s, a), t| (s + t, a + t.abs()));
                    let got = db[c].to_f64();
                    let tol = (terms * 2f64.powi(-24) + 2f64.powi(-17)) * abs
                        + 0.5 * reference::ulp_of(T::DTYPE, sum.abs().max(got.abs()));
                    assert!(
                        (got - sum).abs() <= tol,
                        "{what}: db[{c}] = {got:e}, exact {sum:e}, tolerance {tol:e}"
                    );
                }
                let (_, again) = r.bias_backward(approx, &pre, &dy, cols, off);
                let (_, elsewhere) = other.bias_backward(approx, &pre, &dy, cols, off);
                for (name, v) in [
                    ("a second run", &again),
                    (other.name().as_str(), &elsewhere),
                ] {
                    assert!(
                        v.iter()
                            .zip(&dbb)
                            .all(|(a, b)| a.to_bits_u32() == b.to_bits_u32()),
                        "{what}: db differs on {name}"
                    );
                }
            }
        }
        let label = format!("{} bias_backward dx {approx} {:?}", r.name(), T::DTYPE);
        assert_within(&label, &stats, bound::<T>(approx, true, false));
    }
}

/// GeGLU forward and backward, both layouts: against the f64 reference (see
/// `bound`), and the two layouts bit-identical.
pub fn check_geglu<T: GeluFloat, R: FusedRunner>(r: &R, seed: u64) {
    let mut rng = Rng::new(seed);
    for approx in Approximation::ALL {
        let (mut fwd, mut da_s, mut dg_s) = (
            ErrorStats::new(T::DTYPE),
            ErrorStats::new(T::DTYPE),
            ErrorStats::new(T::DTYPE),
        );
        for (rows, h) in SHAPES {
            let cols = 2 * h;
            let x: Vec<T> = draw(&mut rng, rows * cols, -9.0, 5.0);
            let dout: Vec<T> = draw(&mut rng, rows * h, -2.0, 2.0);
            let a: Vec<T> = (0..rows * h).map(|i| x[(i / h) * cols + i % h]).collect();
            let g: Vec<T> = (0..rows * h)
                .map(|i| x[(i / h) * cols + h + i % h])
                .collect();
            for off in [0, 1] {
                let what = format!(
                    "{} geglu {approx} {:?} {rows}x{cols} offset {off}",
                    r.name(),
                    T::DTYPE
                );
                let out = region(&r.geglu_forward(approx, &x, cols, off), off, &what);
                let out_split = region(&r.geglu_forward_split(approx, &a, &g, off), off, &what);
                assert!(
                    out.iter()
                        .zip(&out_split)
                        .all(|(p, q)| p.to_bits_u32() == q.to_bits_u32()),
                    "{what}: layouts differ (forward)"
                );
                let dx = region(&r.geglu_backward(approx, &x, &dout, cols, off), off, &what);
                let (da, dg) = r.geglu_backward_split(approx, &a, &g, &dout, off);
                let (da, dg) = (region(&da, off, &what), region(&dg, off, &what));
                for i in 0..rows * h {
                    let (k, c) = (i / h, i % h);
                    assert!(
                        dx[k * cols + c].to_bits_u32() == da[i].to_bits_u32()
                            && dx[k * cols + h + c].to_bits_u32() == dg[i].to_bits_u32(),
                        "{what}: layouts differ (backward) at {i}"
                    );
                    let (av, gv, dv) = (a[i].to_f64(), g[i].to_f64(), dout[i].to_f64());
                    let y = reference::forward(approx, av);
                    fwd.record(av, out[i].to_f64(), y * gv, y * gv);
                    dg_s.record(av, dg[i].to_f64(), y * dv, y * dv);
                    let dyv = if T::DTYPE == DType::F32 {
                        (dv as f32 * gv as f32) as f64
                    } else {
                        dv * gv
                    };
                    let e = reference::backward(approx, av, dv * gv);
                    let scale = if T::DTYPE == DType::F32 {
                        judging_scale(approx, av, dyv)
                    } else {
                        e
                    };
                    da_s.record(av, da[i].to_f64(), e, scale);
                }
            }
        }
        let name = format!("{} geglu {approx} {:?}", r.name(), T::DTYPE);
        assert_within(
            &format!("{name} forward"),
            &fwd,
            bound::<T>(approx, false, true),
        );
        assert_within(
            &format!("{name} dg"),
            &dg_s,
            bound::<T>(approx, false, true),
        );
        assert_within(&format!("{name} da"), &da_s, bound::<T>(approx, true, true));
    }
}
