//! Compiles `cuda/` twice: by nvcc into one fatbin the crate embeds (SASS for each
//! supported architecture plus PTX of the newest), and by the host C++ compiler into
//! a static library that runs the same kernel bodies on the CPU.

use std::env;
use std::path::{Path, PathBuf};
use std::process::{exit, Command};

/// Architectures with machine code in the fatbin; the last also ships as PTX.
/// sm_110 (Jetson Thor) has a major version of its own: sm_100's code does not run
/// there, nor does sm_120's PTX.
const ARCHS: &[&str] = &["75", "80", "86", "89", "90", "100", "110", "120"];

/// Where to get nvcc, by the script's full path: as a dependency, the crate's sources
/// sit in cargo's registry, not in the user's project.
fn setup_hint(manifest: &Path) -> String {
    format!(
        "run {} (installs the pinned CUDA compiler wheels), \
         or point NVCC or CUDA_HOME at a CUDA toolkit",
        manifest.join("scripts/setup.sh").display()
    )
}

fn main() {
    println!("cargo:rerun-if-changed=cuda");
    for var in [
        "NVCC",
        "CUDA_HOME",
        "CUDA_PATH",
        "PATH",
        "CUDA_COMPUTE_CAP",
        "DOCS_RS",
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let fatbin = out.join("gelu_kernels.fatbin");

    if env::var_os("DOCS_RS").is_some() {
        // Documentation builds need neither the kernels nor the host library.
        std::fs::write(&fatbin, []).expect("write placeholder fatbin");
        println!("cargo:rustc-env=GELU_CUDA_BIN=");
        println!("cargo:rustc-env=GELU_ARCHS=");
        return;
    }

    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let Some(nvcc) = find_nvcc(&manifest) else {
        eprintln!("gelu-cuda: nvcc not found; {}", setup_hint(&manifest));
        exit(1);
    };
    let toolkit = nvcc
        .parent()
        .and_then(Path::parent)
        .expect("nvcc lives in <toolkit>/bin")
        .to_path_buf();
    let cuda_dir = manifest.join("cuda");

    let archs = target_archs(&nvcc);
    compile_fatbin(&nvcc, &archs, &cuda_dir, &fatbin, &setup_hint(&manifest));
    compile_host_library(&toolkit.join("include"), &cuda_dir);
    // For the SASS check in tests/sass.rs: where cuobjdump lives, what was built.
    println!(
        "cargo:rustc-env=GELU_CUDA_BIN={}",
        toolkit.join("bin").display()
    );
    println!("cargo:rustc-env=GELU_ARCHS={}", archs.join(","));
}

fn find_nvcc(manifest: &Path) -> Option<PathBuf> {
    let from_env = |var: &str| env::var_os(var).map(PathBuf::from);
    let candidates = [
        from_env("NVCC"),
        from_env("CUDA_HOME").map(|p| p.join("bin/nvcc")),
        from_env("CUDA_PATH").map(|p| p.join("bin/nvcc")),
        env::var_os("PATH").and_then(|paths| {
            env::split_paths(&paths)
                .map(|dir| dir.join("nvcc"))
                .find(|p| p.is_file())
        }),
        Some(PathBuf::from("/usr/local/cuda/bin/nvcc")),
        Some(manifest.join(".cuda-toolchain/nvidia/cu13/bin/nvcc")),
    ];
    candidates.into_iter().flatten().find(|p| p.is_file())
}

/// CUDA_COMPUTE_CAP's architectures, else those of ARCHS this nvcc can build: a
/// CUDA 12 toolkit found before the pinned one knows no sm_110, and builds the rest.
fn target_archs(nvcc: &Path) -> Vec<String> {
    if let Ok(list) = env::var("CUDA_COMPUTE_CAP") {
        if !list.trim().is_empty() {
            return list
                .split(',')
                .map(|cap| cap.trim().replace('.', ""))
                .collect();
        }
    }
    let known = Command::new(nvcc)
        .arg("--list-gpu-code")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let (kept, dropped): (Vec<&str>, Vec<&str>) = ARCHS.iter().partition(|a| {
        known.is_empty() || known.split_whitespace().any(|k| k == format!("sm_{a}"))
    });
    if !dropped.is_empty() {
        println!(
            "cargo:warning=gelu-cuda: {} cannot build sm_{}: left out (CUDA 13's nvcc builds them)",
            nvcc.display(),
            dropped.join(", sm_")
        );
    }
    kept.into_iter().map(str::to_string).collect()
}

fn compile_fatbin(nvcc: &Path, archs: &[String], cuda_dir: &Path, fatbin: &Path, hint: &str) {
    let mut cmd = Command::new(nvcc);
    // -fmad=false: the math writes every fused multiply-add it wants explicitly, so the
    // fp32 kernels give the same bits as the host build (compiled without contraction).
    cmd.args([
        "-fatbin",
        "-O3",
        "-std=c++17",
        "-fmad=false",
        "-Xptxas=-warn-spills",
    ]);
    for (i, arch) in archs.iter().enumerate() {
        let code = if i + 1 == archs.len() {
            format!("[sm_{arch},compute_{arch}]")
        } else {
            format!("sm_{arch}")
        };
        cmd.arg(format!("-gencode=arch=compute_{arch},code={code}"));
    }
    cmd.arg("-o")
        .arg(fatbin)
        .arg(cuda_dir.join("gelu_kernels.cu"));
    let status = cmd.status().unwrap_or_else(|e| {
        eprintln!("gelu-cuda: could not run {}: {e}; {hint}", nvcc.display());
        exit(1);
    });
    if !status.success() {
        eprintln!("gelu-cuda: nvcc failed on cuda/gelu_kernels.cu ({status})");
        exit(1);
    }
}

fn compile_host_library(include: &Path, cuda_dir: &Path) {
    let build = |files: &[&str], fma: bool, name: &str| {
        let mut b = cc::Build::new();
        b.cpp(true).std("c++17").include(include).include(cuda_dir);
        for f in files {
            b.file(cuda_dir.join(f));
        }
        // The host path is what the tests judge: optimise it in every profile, and
        // never contract a * b + c, so it computes what the GPU computes.
        b.opt_level(2)
            .flag("-ffp-contract=off")
            .flag("-fno-strict-aliasing")
            .flag_if_supported("-Wno-unknown-pragmas")
            .warnings(true);
        if fma {
            b.flag("-mfma").flag("-mavx2");
        }
        // Under cargo-fuzz (cfg fuzzing), libFuzzer's coverage counters for the kernel
        // sources too, not only for the Rust code, where the C++ compiler has them
        // (clang: CXX=clang++; g++ has no inline counters and compiles without).
        if env::var_os("CARGO_CFG_FUZZING").is_some() {
            b.flag_if_supported("-fsanitize-coverage=inline-8bit-counters,pc-table,trace-cmp");
        }
        b.compile(name);
    };
    let mut files = vec!["gelu_host_dispatch.cpp", "gelu_host.cpp"];
    if env::var_os("CARGO_FEATURE_NVTX").is_some() {
        files.push("gelu_nvtx.cpp");
        if env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
            println!("cargo:rustc-link-lib=dl"); // NVTX3 loads the profiler's injection library
        }
    }
    build(&files, false, "gelu_host");
    // The FMA compilation, picked at run time where the CPU supports it.
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        build(&["gelu_host_fma.cpp"], true, "gelu_host_fma");
    }
}
