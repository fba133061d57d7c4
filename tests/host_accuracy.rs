//! Accuracy of the kernels, judged on the host path (the same kernel sources,
//! compiled for the CPU) against the f64 reference. Runs everywhere, no GPU needed.

mod common;

use common::host::Host;
use common::*;
use gelu_cuda::host::HostRunner;
use gelu_cuda::Approximation;
use half::{bf16, f16};

#[test]
fn f16_every_input_within_the_stated_bound() {
    check_half_exhaustive::<f16, _>(
        &Host::default(),
        seed("f16_every_input_within_the_stated_bound"),
    );
}

#[test]
fn bf16_every_input_within_the_stated_bound() {
    check_half_exhaustive::<bf16, _>(
        &Host::default(),
        seed("bf16_every_input_within_the_stated_bound"),
    );
}

/// The fp16/bf16 kernels use the GPU's approximate 2^x and 1/x, which the host
/// computes exactly unless told to model their error. With every such result moved
/// by 2^-22 up or down, the exhaustive bounds still hold: what the GPU can return.
#[test]
fn f16_and_bf16_within_the_stated_bound_with_the_sfu_error_modelled() {
    let host = Host(
        HostRunner::new().sfu_error(SFU_ERROR),
        "host, SFU error 2^-22",
    );
    check_half_exhaustive::<f16, _>(&host, seed("f16_sfu_error_modelled"));
    check_half_exhaustive::<bf16, _>(&host, seed("bf16_sfu_error_modelled"));
}

#[test]
fn f32_sampled_within_stated_bounds() {
    // 10^7 random inputs plus every 61st float of [-15, 0] (about 1.8 * 10^7).
    check_f32_sample(
        &Host::default(),
        seed("f32_sampled_within_stated_bounds"),
        10_000_000,
        61,
    );
}

#[test]
fn f32_backward_within_stated_bound_for_adversarial_dy() {
    check_f32_backward_adversarial_dy(&Host::default(), seed("adversarial_dy"));
}

/// Gradients past 2^24 (loss scaling, or a blow-up): the stated bound short of the
/// saturation, dy or a zero beyond it. dy from 2^67 on overflowed an intermediate
/// of the fp32 backward until 2026-11-29, returning infinities.
#[test]
fn backward_with_dy_past_2_to_the_24() {
    let s = seed("backward_with_dy_past_2_to_the_24");
    check_backward_huge_dy::<f32, _>(&Host::default(), s, 1 << 20);
    check_backward_huge_dy::<bf16, _>(&Host::default(), s ^ 1, 1 << 20);
}

#[test]
fn special_values() {
    let host = Host::default();
    check_special_values::<f32, _>(&host);
    check_special_values::<f16, _>(&host);
    check_special_values::<bf16, _>(&host);
}

#[test]
fn subnormal_halfway_ties() {
    let host = Host::default();
    check_subnormal_halfway_ties::<f32, _>(&host);
    check_subnormal_halfway_ties::<f16, _>(&host);
    check_subnormal_halfway_ties::<bf16, _>(&host);
}

/// The survey kernel (f64 reference evaluated beside the kernel, the way the GPU
/// runs `gelu accuracy --f32 all`) agrees with the Rust statistics of the same
/// inputs: same counts, same maximum error.
#[test]
fn survey_kernel_matches_the_rust_statistics() {
    use gelu_cuda::accuracy::{survey_f32, usual_formula, SurveyOn};
    use gelu_cuda::reference;
    for approx in Approximation::ALL {
        for backward in [false, true] {
            for usual in [false, true] {
                for r in SURVEY_RANGES {
                    let got =
                        survey_f32(SurveyOn::Host, approx, backward, usual, r.clone()).unwrap();
                    let x: Vec<f32> = r.clone().map(|b| f32::from_bits(b as u32)).collect();
                    let out: Vec<f32> = if usual {
                        x.iter()
                            .map(|&v| {
                                if backward {
                                    usual_formula::backward(approx, v, 1.0)
                                } else {
                                    usual_formula::forward(approx, v)
                                }
                            })
                            .collect()
                    } else if backward {
                        backward_host(approx, &x)
                    } else {
                        forward(&Host::default(), approx, &x)
                    };
                    let mut want = gelu_cuda::accuracy::ErrorStats::new(gelu_cuda::DType::F32);
                    for (&xi, &o) in x.iter().zip(&out) {
                        let xv = xi as f64;
                        let (e, s) = if backward {
                            let e = reference::backward(approx, xv, 1.0);
                            (e, gelu_cuda::accuracy::judging_scale(approx, xv, 1.0))
                        } else {
                            let e = reference::forward(approx, xv);
                            (e, e)
                        };
                        want.record(xv, o as f64, e, s);
                    }
                    let what = format!("{approx} backward={backward} usual={usual} {r:x?}");
                    survey_agrees(&what, &got, &want, usual);
                }
            }
        }
    }
}

fn backward_host(approx: Approximation, x: &[f32]) -> Vec<f32> {
    backward(&Host::default(), approx, x, &vec![1.0; x.len()])
}
