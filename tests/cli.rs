//! The `gelu` command (feature `cli`): `eval` against the reference on unseen
//! inputs, every malformed-input case (one line on stderr, non-zero exit, no file
//! left behind), and `accuracy --format json`.
#![cfg(feature = "cli")]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use common::{seed, Rng};
use gelu_cuda::accuracy::stated_bound;
use gelu_cuda::{reference, Approximation, DType};

const GELU: &str = env!("CARGO_BIN_EXE_gelu");

fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gelu-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A .npy file with the given descr, order and shape, and raw little-endian data.
fn npy(path: &Path, descr: &str, fortran: bool, shape: &[usize], data: &[u8]) {
    let dims: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    let shape = if dims.len() == 1 {
        format!("({},)", dims[0])
    } else {
        format!("({})", dims.join(", "))
    };
    let order = if fortran { "True" } else { "False" };
    let mut header =
        format!("{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    std::fs::write(path, bytes).expect("write npy");
}

fn f64_npy(path: &Path, shape: &[usize], v: &[f64]) {
    npy(
        path,
        "<f8",
        false,
        shape,
        &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
    );
}

fn f32_npy(path: &Path, shape: &[usize], v: &[f32]) {
    npy(
        path,
        "<f4",
        false,
        shape,
        &v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>(),
    );
}

fn read_f32_npy(path: &Path) -> Vec<f32> {
    let bytes = std::fs::read(path).expect("output written");
    let header_len = u16::from_le_bytes([bytes[8], bytes[9]]) as usize;
    assert!(std::str::from_utf8(&bytes[10..10 + header_len])
        .unwrap()
        .contains("'<f4'"));
    bytes[10 + header_len..]
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes(c.try_into().unwrap()))
        .collect()
}

fn gelu(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(GELU)
        .args(args)
        .arg("--quiet")
        .output()
        .expect("run gelu");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn eval_agrees_with_the_reference() {
    let dir = scratch("eval");
    let mut rng = Rng::new(seed("eval_agrees_with_the_reference"));
    let shape = [7, 3, 11];
    let n = 7 * 3 * 11;
    // Fresh inputs over the interesting range and the tails, as float64 and float32.
    let x: Vec<f64> = (0..n).map(|_| (rng.unit() - 0.7) * 30.0).collect();
    let dy: Vec<f64> = (0..n).map(|_| rng.unit() * 4.0 - 2.0).collect();
    let (x64, x32, dy64) = (dir.join("x64.npy"), dir.join("x32.npy"), dir.join("dy.npy"));
    f64_npy(&x64, &shape, &x);
    f32_npy(
        &x32,
        &shape,
        &x.iter().map(|&v| v as f32).collect::<Vec<_>>(),
    );
    f64_npy(&dy64, &shape, &dy);
    let out = dir.join("out.npy");
    for dtype in ["f32", "f16", "bf16"] {
        let dt = match dtype {
            "f32" => DType::F32,
            "f16" => DType::F16,
            _ => DType::BF16,
        };
        for approx in Approximation::ALL {
            for (op, backward) in [("forward", false), ("backward", true)] {
                for input in [&x64, &x32] {
                    let mut args = vec![
                        "eval",
                        "--device",
                        "cpu",
                        "--op",
                        op,
                        "--approx",
                        approx.name(),
                        "--dtype",
                        dtype,
                    ];
                    args.extend([
                        "--input",
                        input.to_str().unwrap(),
                        "--output",
                        out.to_str().unwrap(),
                    ]);
                    if backward {
                        args.extend(["--grad", dy64.to_str().unwrap()]);
                    }
                    // A run that wrote nothing must not be judged on the last one's file.
                    let _ = std::fs::remove_file(&out);
                    let (rc, _, err) = gelu(&args);
                    assert_eq!(rc, 0, "{args:?}: {err}");
                    let got = read_f32_npy(&out);
                    assert_eq!(got.len(), n);
                    let bound = stated_bound(dt, approx, backward);
                    for i in 0..n {
                        let xi = reference::round_to(
                            dt,
                            if input == &x32 {
                                x[i] as f32 as f64
                            } else {
                                x[i]
                            },
                        );
                        let (exact, scale) = if backward {
                            let d = reference::round_to(dt, dy[i]);
                            let e = reference::backward(approx, xi, d);
                            let s = if dt == DType::F32 {
                                gelu_cuda::accuracy::judging_scale(approx, xi, d)
                            } else {
                                e
                            };
                            (e, s)
                        } else {
                            let e = reference::forward(approx, xi);
                            (e, e)
                        };
                        let err = (got[i] as f64 - exact).abs()
                            / reference::ulp_of(dt, scale.abs().max(exact.abs()));
                        assert!(
                            err <= bound,
                            "{dtype} {approx} {op}: x = {xi}: {} vs {exact} ({err} ulp)",
                            got[i]
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn malformed_input_gives_one_line_and_no_file() {
    let dir = scratch("malformed");
    let p = |name: &str| dir.join(name).to_str().unwrap().to_string();
    f64_npy(&dir.join("x.npy"), &[3, 5], &[0.5; 15]);
    f64_npy(&dir.join("dy_other_shape.npy"), &[5, 3], &[1.0; 15]);
    npy(&dir.join("int32.npy"), "<i4", false, &[4], &[0; 16]);
    npy(&dir.join("fortran.npy"), "<f8", true, &[2, 2], &[0; 32]);
    let full = std::fs::read(dir.join("x.npy")).unwrap();
    std::fs::write(dir.join("truncated.npy"), &full[..full.len() - 9]).unwrap();
    std::fs::write(dir.join("not_npy.npy"), b"hello").unwrap();
    let out = p("out.npy");
    let eval = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "eval", "--device", "cpu", "--approx", "exact", "--dtype", "bf16", "--output", &out,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let no_gpu = gelu_cuda::cuda_context(0).is_err();
    let mut cases: Vec<(&str, Vec<String>)> = vec![
        (
            "missing file",
            eval(&["--op", "forward", "--input", &p("missing.npy")]),
        ),
        (
            "truncated file",
            eval(&["--op", "forward", "--input", &p("truncated.npy")]),
        ),
        (
            "not a .npy file",
            eval(&["--op", "forward", "--input", &p("not_npy.npy")]),
        ),
        (
            "int32 dtype",
            eval(&["--op", "forward", "--input", &p("int32.npy")]),
        ),
        (
            "Fortran order",
            eval(&["--op", "forward", "--input", &p("fortran.npy")]),
        ),
        (
            "shape mismatch",
            eval(&[
                "--op",
                "backward",
                "--input",
                &p("x.npy"),
                "--grad",
                &p("dy_other_shape.npy"),
            ]),
        ),
        ("missing --input", eval(&["--op", "forward"])),
        (
            "backward without grad",
            eval(&["--op", "backward", "--input", &p("x.npy")]),
        ),
        (
            "unknown op",
            eval(&["--op", "sideways", "--input", &p("x.npy")]),
        ),
        (
            "unknown approximation",
            ["accuracy", "--approx", "erf"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
        (
            "unknown format",
            ["accuracy", "--format", "xml"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        ),
    ];
    if no_gpu {
        let mut a = eval(&["--op", "forward", "--input", &p("x.npy")]);
        a[2] = "cuda".to_string();
        cases.push(("--device cuda without a GPU", a));
    }
    for (what, args) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (rc, _, err) = gelu(&args);
        assert_ne!(rc, 0, "{what}: exit status 0");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "{what}: stderr is not one line: {err:?}"
        );
        assert!(err.starts_with("gelu: "), "{what}: {err:?}");
        assert!(
            !Path::new(&out).exists(),
            "{what}: an output file was left behind"
        );
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
    // The line names what is missing (clap puts it on the lines after its first).
    let (_, _, err) = gelu(
        &eval(&["--op", "forward"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert!(err.contains("--input"), "{err:?}");
}

/// A reader that closes stdout early (`gelu ... | head -1`) ends the program
/// quietly: exit status 0, nothing on stderr, no panic.
#[test]
fn closed_stdout_ends_quietly() {
    let mut child = Command::new(GELU)
        .args([
            "accuracy", "--device", "cpu", "--dtype", "bf16", "--quiet", "--format", "csv",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed before the first row: the table comes after about a second of work.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && err.is_empty(),
        "status {:?}, stderr {err:?}",
        out.status
    );
}

#[test]
fn accuracy_json_parses_and_agrees_with_the_bounds() {
    let (rc, stdout, err) = gelu(&[
        "accuracy", "--device", "cpu", "--dtype", "f16,bf16", "--format", "json", "--check",
    ]);
    assert_eq!(rc, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&stdout).expect("valid JSON");
    let rows = doc["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 2 * 3 * 2);
    for row in rows {
        let ours = &row["gelu_cuda"];
        let dtype = [DType::F16, DType::BF16]
            .into_iter()
            .find(|d| row["dtype"] == d.name())
            .unwrap_or_else(|| panic!("dtype {}", row["dtype"]));
        let approx = Approximation::ALL
            .into_iter()
            .find(|a| row["approximation"] == a.name())
            .unwrap_or_else(|| panic!("approximation {}", row["approximation"]));
        let backward = row["op"] == "backward";
        let bound = stated_bound(dtype, approx, backward);
        assert!(ours["max_ulp"].as_f64().unwrap() <= bound, "{row}");
        assert_eq!(ours["wrong_kind"].as_u64(), Some(0), "{row}");
        assert_eq!(ours["count"].as_u64(), Some(65536), "{row}");
        // The usual formula fails in the tail: 0 where the result is not, or NaN at -inf.
        let usual = &row["usual_formula"];
        assert!(
            usual["max_ulp"].as_f64().unwrap() > 1.0 || usual["wrong_kind"].as_u64().unwrap() > 0,
            "{row}"
        );
    }
}
