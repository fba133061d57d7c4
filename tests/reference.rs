//! The crate's f64 reference against 50-digit mpmath values
//! (tests/data/mpmath_reference.csv, written by scripts/mpmath_reference.py).

use gelu_cuda::reference::{self, RELATIVE_ERROR_BOUND};
use gelu_cuda::Approximation;

fn rows() -> Vec<(Approximation, f64, f64, f64, f64)> {
    let text = include_str!("data/mpmath_reference.csv");
    text.lines()
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            let approx = match f[0] {
                "exact" => Approximation::Exact,
                "tanh" => Approximation::Tanh,
                "sigmoid" => Approximation::Sigmoid,
                other => panic!("unknown approximation {other}"),
            };
            let num = |s: &str| s.parse::<f64>().expect("a number");
            (approx, num(f[1]), num(f[2]), num(f[3]), num(f[4]))
        })
        .collect()
}

#[test]
fn reference_agrees_with_mpmath() {
    let rows = rows();
    assert!(rows.len() > 1000, "the data file is incomplete");
    let mut worst = [0.0f64; 2];
    for (approx, x, fwd, der, summands) in rows {
        let got = [
            reference::forward(approx, x),
            reference::derivative(approx, x),
        ];
        // The derivative's error is judged against its summands (they cancel near
        // the root); values below f64's range must come out as (signed) zeros.
        for (k, (g, want, scale)) in [(got[0], fwd, fwd.abs()), (got[1], der, summands)]
            .into_iter()
            .enumerate()
        {
            if scale < f64::MIN_POSITIVE {
                assert!(
                    g.abs() < 1e-290,
                    "{approx} x={x}: {g:e}, expected about {want:e}"
                );
                continue;
            }
            let rel = (g - want).abs() / scale;
            worst[k] = worst[k].max(rel);
            assert!(
                rel <= RELATIVE_ERROR_BOUND,
                "{approx} x={x}: {g:e} vs {want:e} (relative {rel:e})"
            );
        }
    }
    println!(
        "worst relative error: forward {:e}, derivative {:e}",
        worst[0], worst[1]
    );
}

#[test]
fn ulp_helpers() {
    use gelu_cuda::DType;
    assert_eq!(reference::ulp_of(DType::F32, 1.0), f32::EPSILON as f64);
    assert_eq!(reference::ulp_of(DType::F32, 0.0), 2f64.powi(-149));
    assert_eq!(reference::ulp_of(DType::BF16, 3.0), 2f64.powi(-6));
    assert_eq!(reference::round_to(DType::F16, 1.0 + 2f64.powi(-11)), 1.0);
    assert_eq!(
        reference::round_to(DType::F16, 1.0 + 3.0 * 2f64.powi(-11)),
        1.0 + 2f64.powi(-9)
    );
    assert_eq!(reference::round_to(DType::BF16, -2f64.powi(-134)), -0.0);
    assert!(reference::round_to(DType::BF16, -2f64.powi(-134)).is_sign_negative());
    assert_eq!(
        reference::round_checked(DType::F32, 1.0 + 2f64.powi(-24), 1e-12),
        None
    );
    // Beyond the largest finite value only the overflow threshold is a boundary.
    let past = (2f64.powi(24) - 0.5) * 2f64.powi(105);
    assert_eq!(
        reference::round_checked(DType::F32, past, 2f64.powi(-40)),
        Some(f64::INFINITY)
    );
    let threshold = f32::MAX as f64 + reference::ulp_of(DType::F32, f32::MAX as f64) / 2.0;
    assert_eq!(
        reference::round_checked(DType::F32, -threshold, 1e-12),
        None
    );
    assert_eq!(reference::ulp_error(DType::F16, f64::NAN, f64::NAN), 0.0);
    assert_eq!(
        reference::ulp_error(DType::F16, 1.0, f64::NAN),
        f64::INFINITY
    );
    // Every midpoint between two finite positive f16 or bf16 values rounds to the
    // one with the even bit pattern, and a quarter of their gap either side of it to
    // the nearer one; the half crate's conversion agrees at the midpoints.
    type Check = (DType, u16, fn(u16) -> f64, fn(f64) -> f64);
    let checks: [Check; 2] = [
        (
            DType::F16,
            0x7c00,
            |b| half::f16::from_bits(b).to_f64(),
            |v| half::f16::from_f64(v).to_f64(),
        ),
        (
            DType::BF16,
            0x7f80,
            |b| half::bf16::from_bits(b).to_f64(),
            |v| half::bf16::from_f64(v).to_f64(),
        ),
    ];
    for (dtype, infinity, value, half_crate) in checks {
        for bits in 0..infinity - 1 {
            let (lo, hi) = (value(bits), value(bits + 1));
            let (mid, quarter) = ((lo + hi) / 2.0, (hi - lo) / 4.0);
            let even = if bits % 2 == 0 { lo } else { hi };
            assert_eq!(reference::round_to(dtype, mid), even, "{dtype:?} {bits:#x}");
            assert_eq!(half_crate(mid), even, "{dtype:?} {bits:#x}, half crate");
            assert_eq!(reference::round_to(dtype, mid - quarter), lo);
            assert_eq!(reference::round_to(dtype, mid + quarter), hi);
        }
    }
}

/// `accuracy::derivative_root`, which the tests' judging near the root depends on, is
/// where GELU' changes sign (1e-10 away |GELU'| is about 1e-10, far above the
/// reference's error there, 2^-40 of the summands), and the fit's two-float roots in
/// `cuda/gelu_coefficients.cuh`, which the kernels and the GPU survey use, are the
/// same to f32 twice over.
#[test]
fn derivative_root_is_where_the_derivative_changes_sign() {
    let header = include_str!("../cuda/gelu_coefficients.cuh");
    let constant = |name: &str| -> f64 {
        let line = header
            .lines()
            .find(|l| l.contains(&format!(" {name} = ")))
            .unwrap_or_else(|| panic!("{name} not in gelu_coefficients.cuh"));
        let value = line.split(" = ").nth(1).and_then(|v| v.split('f').next());
        value
            .and_then(|v| v.parse::<f32>().ok())
            .expect("an f32 literal") as f64
    };
    for approx in Approximation::ALL {
        let r = gelu_cuda::accuracy::derivative_root(approx);
        let (below, above) = (r - 1e-10, r + 1e-10);
        assert!(
            reference::derivative(approx, below) < 0.0
                && reference::derivative(approx, above) > 0.0,
            "{approx}: GELU' does not change sign within 1e-10 of {r}"
        );
        let name = approx.name().to_uppercase();
        let fit =
            constant(&format!("GRAD_ROOT_{name}_HI")) + constant(&format!("GRAD_ROOT_{name}_LO"));
        assert!(
            (fit - r).abs() < 1e-14,
            "{approx}: the kernels' root {fit} is not derivative_root {r}"
        );
    }
}

/// The largest error stays the largest whatever inputs label the results, a NaN
/// label included; the first result sets the worst input even at 0 ulp.
#[test]
fn error_stats_keep_the_largest_error() {
    use gelu_cuda::accuracy::ErrorStats;
    use gelu_cuda::DType;
    let mut s = ErrorStats::new(DType::F16);
    s.record(3.0, 3.0, 3.0, 3.0);
    assert_eq!((s.max_ulp, s.worst_input), (0.0, 3.0));
    s.record(f64::NAN, 1.0 + 2f64.powi(-10), 1.0, 1.0);
    s.record(2.0, 2.0, 2.0, 2.0);
    assert_eq!(s.max_ulp, 1.0);
    assert!(s.worst_input.is_nan());
    let mut t = ErrorStats::new(DType::F16);
    t.record(4.0, 4.0, 4.0, 4.0);
    s.merge(&t);
    assert_eq!(s.max_ulp, 1.0);
}
