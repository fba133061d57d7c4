//! The machine code the crate ships, checked without a GPU: every kernel's sm_90
//! code moves data with 128-bit global loads and stores, the fp32 kernels' sm_100,
//! sm_110 and sm_120 code with 256-bit ones, no kernel of any architecture uses local
//! memory (no register spills), and the fatbin holds code for every target
//! architecture.
//!
//! Needs cuobjdump and nvdisasm (scripts/setup.sh installs them). Without them the
//! test says it skipped, unless `GELU_REQUIRE_SASS=1`, which CI sets.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::Command;

fn cuobjdump(args: &[&str]) -> Option<String> {
    let tool = PathBuf::from(env!("GELU_CUDA_BIN")).join("cuobjdump");
    let required = std::env::var("GELU_REQUIRE_SASS").is_ok_and(|v| v == "1");
    if !tool.is_file() {
        assert!(
            !required,
            "GELU_REQUIRE_SASS=1 but {} is missing",
            tool.display()
        );
        let _ = writeln!(
            std::io::stderr(),
            "sass: skipped, {} not found",
            tool.display()
        );
        return None;
    }
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("gelu-sass-{}-{call}.fatbin", std::process::id()));
    std::fs::write(&path, gelu_cuda::fatbin()).expect("write the fatbin");
    let out = Command::new(&tool)
        .args(args)
        .arg(&path)
        .output()
        .expect("run cuobjdump");
    let _ = std::fs::remove_file(&path);
    assert!(
        out.status.success(),
        "cuobjdump failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(String::from_utf8(out.stdout).expect("utf-8"))
}

/// Opcode text of every function in the code for `target` (e.g. "sm_90"), by name.
fn functions(sass: &str, target: &str) -> BTreeMap<String, String> {
    let mut funcs = BTreeMap::new();
    let mut arch = String::new();
    let mut current: Option<String> = None;
    for line in sass.lines() {
        if let Some(a) = line.trim().strip_prefix("arch = ") {
            arch = a.to_string();
        } else if let Some(name) = line.trim().strip_prefix("Function : ") {
            current = (arch == target).then(|| name.to_string());
        } else if let Some(name) = &current {
            funcs
                .entry(name.clone())
                .or_insert_with(String::new)
                .push_str(line);
            funcs.get_mut(name).expect("inserted").push('\n');
        }
    }
    funcs
}

/// The kernels of each of `targets` (e.g. "90") that this build holds, by name;
/// empty, after saying why, when it holds none of them or cuobjdump is missing.
fn kernels_of(targets: &[&str]) -> Vec<(String, BTreeMap<String, String>)> {
    let archs: Vec<&str> = env!("GELU_ARCHS").split(',').collect();
    let built: Vec<&&str> = targets.iter().filter(|a| archs.contains(a)).collect();
    assert!(
        built.len() == targets.len() || !std::env::var("GELU_REQUIRE_SASS").is_ok_and(|v| v == "1"),
        "GELU_REQUIRE_SASS=1 but this build lacks some of sm_{} (built: {})",
        targets.join(", sm_"),
        env!("GELU_ARCHS")
    );
    if built.is_empty() {
        let _ = writeln!(
            std::io::stderr(),
            "sass: skipped, built without sm_{} (CUDA_COMPUTE_CAP)",
            targets.join(", sm_")
        );
        return Vec::new();
    }
    let Some(sass) = cuobjdump(&["-sass"]) else {
        return Vec::new();
    };
    built
        .into_iter()
        .map(|target| {
            let target = format!("sm_{target}");
            let funcs = functions(&sass, &target);
            // 10 ops (7, and the flat kernels of 3) x 3 approximations x 3 dtypes,
            // the dbias reduction per dtype, and the fp32 accuracy surveys (2
            // directions x 3 approximations).
            assert_eq!(
                funcs.len(),
                99,
                "expected 99 kernels in the {target} code, found {:?}",
                funcs.keys()
            );
            (target, funcs)
        })
        .collect()
}

/// The reduction reads one f32 partial sum per column and chunk, and the surveys
/// generate their inputs: scalar by design. Every other kernel moves vectors.
fn moves_vectors(kernel: &str) -> bool {
    !kernel.starts_with("gelu_dbias_reduce_") && !kernel.starts_with("gelu_survey_")
}

#[test]
fn every_kernel_uses_128_bit_accesses_on_sm_90() {
    for (_, funcs) in kernels_of(&["90"]) {
        for (name, code) in funcs.iter().filter(|(name, _)| moves_vectors(name)) {
            assert!(code.contains("LDG.E.128"), "{name}: no 128-bit global load");
            assert!(
                code.contains("STG.E.128"),
                "{name}: no 128-bit global store"
            );
        }
    }
}

/// Local memory is a register spill (or a stack frame around a called subroutine):
/// none on any architecture the fatbin holds.
#[test]
fn no_kernel_uses_local_memory_on_any_target() {
    let archs: Vec<&str> = env!("GELU_ARCHS").split(',').collect();
    for (target, funcs) in kernels_of(&archs) {
        for (name, code) in &funcs {
            assert!(
                !code.contains("LDL") && !code.contains("STL"),
                "{target} {name}: uses local memory (spills)"
            );
        }
    }
}

/// From sm_100 on, the engines move fp32 in 32-byte accesses where the operands
/// allow (`GELU_WIDE_VECTOR_BYTES`); fp16/bf16, the bias gradient's first stage and
/// the fused ops' flat kernels keep 16.
#[test]
fn fp32_kernels_for_sm_100_and_newer_use_256_bit_accesses() {
    for (target, funcs) in kernels_of(&["100", "110", "120"]) {
        for (name, code) in funcs.iter().filter(|(name, _)| moves_vectors(name)) {
            let (load, store) = if name.starts_with("gelu_bias_backward_")
                || name.contains("_flat_")
                || !name.ends_with("_f32")
            {
                ("LDG.E.128", "STG.E.128")
            } else {
                ("LDG.E.ENL2.256", "STG.E.ENL2.256")
            };
            assert!(code.contains(load), "{target} {name}: no {load}");
            assert!(code.contains(store), "{target} {name}: no {store}");
        }
    }
}

#[test]
fn fatbin_holds_every_target_architecture() {
    let Some(listing) = cuobjdump(&["-lelf", "-lptx"]) else {
        return;
    };
    // Machine code proper: the newest architecture's PTX line names it too.
    for arch in env!("GELU_ARCHS").split(',') {
        let cubin = format!(".sm_{arch}.cubin");
        assert!(
            listing
                .lines()
                .any(|l| l.starts_with("ELF file") && l.ends_with(&cubin)),
            "no machine code for sm_{arch}:\n{listing}"
        );
    }
    let newest = env!("GELU_ARCHS")
        .split(',')
        .next_back()
        .expect("an architecture");
    let ptx_line = format!("sm_{newest}.ptx");
    assert!(
        listing
            .lines()
            .any(|l| l.starts_with("PTX file") && l.contains(&ptx_line)),
        "no PTX for the newest architecture:\n{listing}"
    );
    // The GPU machines' driver (580, CUDA 13.0) JITs PTX up to ISA 9.0 only.
    let ptx = cuobjdump(&["-ptx"]).expect("cuobjdump ran above");
    let version = ptx
        .lines()
        .find_map(|l| l.trim().strip_prefix(".version "))
        .expect("a .version directive");
    let (major, minor) = version.split_once('.').expect("major.minor");
    let isa = (
        major.parse::<u32>().unwrap(),
        minor.trim().parse::<u32>().unwrap(),
    );
    assert!(
        isa <= (9, 0),
        "PTX ISA {version} is newer than the 580 driver can JIT"
    );
}
