//! Reliability on a GPU: 32 threads on their own streams, CUDA graph capture and
//! replay, a bf16 tensor of 2^31 + 17 elements and the fused ops past 2^31 (the
//! million launches are in gpu_leaks.rs). Each test says it skipped without a GPU
//! (fails under GELU_REQUIRE_GPU=1).

mod common;

use common::device::device;
use common::host::Host;
use common::*;
use gelu_cuda::cudarc::driver::{sys, CudaContext, CudaSlice, CudaStream};
use gelu_cuda::Approximation;
use half::bf16;

#[test]
fn gpu_32_threads_on_their_own_streams() {
    let Some(d) = device("gpu_32_threads_on_their_own_streams") else {
        return;
    };
    let base = seed("gpu_32_threads_on_their_own_streams");
    std::thread::scope(|s| {
        for t in 0..32u64 {
            let ctx = &d.ctx;
            s.spawn(move || {
                let mut rng = Rng::new(base ^ t);
                let stream = ctx.new_stream().expect("stream");
                let x: Vec<f32> = (0..100_003)
                    .map(|_| (rng.unit() * 30.0 - 20.0) as f32)
                    .collect();
                let dy: Vec<f32> = (0..x.len())
                    .map(|_| (rng.unit() * 4.0 - 2.0) as f32)
                    .collect();
                let approx = Approximation::ALL[(t % 3) as usize];
                let want_y = forward(&Host::default(), approx, &x);
                let want_dx = backward(&Host::default(), approx, &x, &dy);
                assert!(!want_y.iter().chain(&want_dx).any(|v| is_poison(*v)));
                let poisoned = vec![poison::<f32>(); x.len()];
                for _ in 0..20 {
                    let xd = stream.clone_htod(&x).unwrap();
                    let dyd = stream.clone_htod(&dy).unwrap();
                    let mut y = stream.clone_htod(&poisoned).unwrap();
                    let mut dx = stream.clone_htod(&poisoned).unwrap();
                    gelu_cuda::forward(&stream, approx, &xd, &mut y).unwrap();
                    gelu_cuda::backward(&stream, approx, &xd, &dyd, &mut dx).unwrap();
                    let (y, dx) = (
                        stream.clone_dtoh(&y).unwrap(),
                        stream.clone_dtoh(&dx).unwrap(),
                    );
                    // fp32 is bit-identical to the host path.
                    assert!(same_bits(&y, &want_y), "thread {t}: forward differs");
                    assert!(same_bits(&dx, &want_dx), "thread {t}: backward differs");
                }
            });
        }
    });
}

fn capture<F: FnOnce(&CudaStream)>(
    stream: &std::sync::Arc<CudaStream>,
    f: F,
) -> gelu_cuda::cudarc::driver::CudaGraph {
    stream
        .begin_capture(sys::CUstreamCaptureMode::CU_STREAM_CAPTURE_MODE_THREAD_LOCAL)
        .expect("begin capture");
    f(stream);
    stream
        .end_capture(sys::CUgraphInstantiate_flags(0))
        .expect("end capture")
        .expect("a graph")
}

/// Every operation captured in a graph on a non-default stream and replayed: the
/// replays match direct launches bit for bit. On a context of its own whose kernels
/// `load_kernels` loaded, captured before any direct launch (the documented way),
/// on rows of whole vectors (row kernels, the bias gradient in three launches) and
/// rows that are not (flat kernels, and its fourth launch for leftover rows), with
/// the bias gradient in bf16 and in f32.
#[test]
fn gpu_graph_replays_match_direct_launches() {
    let Some(_) = device("gpu_graph_replays_match_direct_launches") else {
        return;
    };
    let ctx = CudaContext::new_non_primary(0, 0).expect("a context of its own");
    gelu_cuda::load_kernels(&ctx).unwrap();
    let stream = ctx.new_stream().unwrap();
    let mut rng = Rng::new(seed("gpu_graph_replays_match_direct_launches"));
    for (rows, cols) in [(64, 1024), (66, 1030)] {
        let order = gelu_cuda::bias_gelu_backward_order(rows, cols);
        assert_eq!(order.tail_rows > 0, cols == 1030, "the shapes' launches");
        let draw = |rng: &mut Rng, n: usize, lo: f64, width: f64| -> Vec<bf16> {
            (0..n)
                .map(|_| bf16::from_f64(lo + rng.unit() * width))
                .collect()
        };
        let xd = stream
            .clone_htod(&draw(&mut rng, rows * cols, -8.0, 12.0))
            .unwrap();
        let dyd = stream
            .clone_htod(&draw(&mut rng, rows * cols, -1.0, 2.0))
            .unwrap();
        let bd = stream.clone_htod(&draw(&mut rng, cols, -0.5, 1.0)).unwrap();
        let mut ws = gelu_cuda::bias_gelu_backward_workspace(&stream, rows, cols).unwrap();
        // Each op writes into its own outputs, eight per approximation, and the bias
        // gradient once more in f32.
        type Outs = (Vec<CudaSlice<bf16>>, Vec<CudaSlice<f32>>);
        let run = |s: &CudaStream, (o, db32): &mut Outs, ws: &mut CudaSlice<f32>| {
            let per_approx = o.chunks_mut(8).zip(db32.iter_mut());
            for (approx, (o, db32)) in Approximation::ALL.into_iter().zip(per_approx) {
                let [y, dx, pre, yb, dxb, db, g, gdx] = o else {
                    unreachable!()
                };
                gelu_cuda::forward(s, approx, &xd, y).unwrap();
                gelu_cuda::backward(s, approx, &xd, &dyd, dx).unwrap();
                gelu_cuda::bias_gelu_forward_aux(s, approx, &xd, &bd, yb, pre, cols).unwrap();
                gelu_cuda::bias_gelu_backward(s, approx, &xd, &dyd, dxb, db, ws, cols).unwrap();
                gelu_cuda::bias_gelu_backward(s, approx, &xd, &dyd, dxb, db32, ws, cols).unwrap();
                gelu_cuda::geglu_forward(s, approx, &xd, g, cols).unwrap();
                let half = dyd.slice(0..rows * cols / 2);
                gelu_cuda::geglu_backward(s, approx, &xd, &half, gdx, cols).unwrap();
            }
        };
        let n = rows * cols;
        let sizes = [n, n, n, n, n, cols, n / 2, n];
        let outs = || -> Outs {
            let o = sizes.iter().cycle().take(24);
            (
                o.map(|&n| stream.clone_htod(&vec![poison::<bf16>(); n]).unwrap())
                    .collect(),
                (0..3)
                    .map(|_| stream.clone_htod(&vec![poison::<f32>(); cols]).unwrap())
                    .collect(),
            )
        };
        let (mut replayed, mut direct) = (outs(), outs());
        stream.synchronize().unwrap();
        // cudarc's cross-stream event tracking records events, which a capture must not.
        unsafe { ctx.disable_event_tracking() };
        let graph = capture(&stream, |s| run(s, &mut replayed, &mut ws));
        for _ in 0..3 {
            graph.launch().unwrap();
        }
        stream.synchronize().unwrap();
        unsafe { ctx.enable_event_tracking() };
        run(&stream, &mut direct, &mut ws);
        let output = format!("{rows}x{cols}: output");
        replays_match(&stream, &output, &direct.0, &replayed.0);
        replays_match(
            &stream,
            &format!("{rows}x{cols}: f32 db"),
            &direct.1,
            &replayed.1,
        );
    }
}

/// Each directly launched output was written, and its replayed twin has its bits.
fn replays_match<T: gelu_cuda::GeluFloat>(
    stream: &std::sync::Arc<CudaStream>,
    what: &str,
    direct: &[CudaSlice<T>],
    replayed: &[CudaSlice<T>],
) {
    for (k, (a, b)) in direct.iter().zip(replayed).enumerate() {
        let (a, b) = (stream.clone_dtoh(a).unwrap(), stream.clone_dtoh(b).unwrap());
        assert!(!a.iter().any(|v| is_poison(*v)), "{what} {k} not written");
        assert!(same_bits(&a, &b), "{what} {k} differs after replay");
    }
}

/// A bf16 tensor of 2^31 + 17 elements, each a bit pattern hashed from its index
/// (`scrambled_bits`, so that an index cut to 31 bits reads another): every element
/// is checked.
#[test]
fn gpu_bf16_tensor_past_2_to_the_31() {
    let Some(d) = device("gpu_bf16_tensor_past_2_to_the_31") else {
        return;
    };
    let s = &d.stream;
    let n = (1usize << 31) + 17;
    let table = forward(&d, Approximation::Tanh, &all_values::<bf16>());
    let host: Vec<bf16> = (0..n).map(|i| bf16::from_bits(scrambled_bits(i))).collect();
    let mut x = s.clone_htod(&host).unwrap();
    drop(host);
    gelu_cuda::forward_inplace(s, Approximation::Tanh, &mut x).unwrap();
    let y = s.clone_dtoh(&x).unwrap();
    let bad = (0..n).find(|&i| y[i].to_bits() != table[scrambled_bits(i) as usize].to_bits());
    assert_eq!(bad, None, "element {bad:?} of 2^31 + 17 is wrong");
}

/// The fused ops on matrices of more than 2^31 bf16 elements, row and flat
/// kernels, every output element checked (`check_past_2_to_the_31`).
#[test]
fn gpu_fused_ops_past_2_to_the_31() {
    let Some(d) = device("gpu_fused_ops_past_2_to_the_31") else {
        return;
    };
    let seed = seed("gpu_fused_ops_past_2_to_the_31");
    common::fused::check_past_2_to_the_31::<bf16, _>(&d, seed);
}
