//! The fuzz targets' inputs in an ordinary `cargo test`: every seed (`fuzz/seeds/<target>/`) and
//! every input a fuzzer once failed on (`fuzz/regressions/<target>/`) runs through the same entry
//! point of `reachaudit::fuzzing` as its target in `fuzz/fuzz_targets/`, so the seeds stay inputs
//! the code can read and a fixed crash stays fixed. See `fuzz/README.md`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use reachaudit::fuzzing;

/// Every fuzz target, as `fuzz/Cargo.toml` and `fuzz/run` name them.
const TARGETS: &[&str] = &[
    "extract_page",
    "text_scan",
    "robots",
    "sitemap",
    "config",
    "rules",
    "mail",
    "list",
];

/// Runs one input the way `fuzz/fuzz_targets/<target>.rs` does; the text targets skip input that
/// is not UTF-8, as theirs do.
fn run(target: &str, data: &[u8]) {
    let text = std::str::from_utf8(data).ok();
    match target {
        "extract_page" => {
            let _ = fuzzing::page(data);
        }
        "text_scan" => {
            if let Some(text) = text {
                fuzzing::text(text);
            }
        }
        "robots" => fuzzing::robots(data),
        "sitemap" => fuzzing::sitemap(data),
        "config" => {
            if let Some(text) = text {
                fuzzing::config(text);
            }
        }
        "rules" => {
            if let Some(text) = text {
                fuzzing::rules(text);
            }
        }
        "mail" => fuzzing::mail(data),
        "list" => fuzzing::list(data),
        other => panic!("no fuzz target {other}; known: {}", TARGETS.join(", ")),
    }
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files under `fuzz/<kind>/<target>/` with their target, in name order; a subdirectory that
/// names no target is an error (a misspelt directory would silently test nothing).
fn inputs(kind: &str) -> Vec<(String, PathBuf)> {
    let root = fuzz_dir().join(kind);
    let mut out = Vec::new();
    let Ok(dirs) = std::fs::read_dir(&root) else {
        return out;
    };
    for dir in dirs.flatten() {
        let path = dir.path();
        if !path.is_dir() {
            continue;
        }
        let target = dir.file_name().to_string_lossy().into_owned();
        assert!(
            TARGETS.contains(&target.as_str()),
            "{}: no fuzz target is called {target}; known: {}",
            path.display(),
            TARGETS.join(", ")
        );
        for file in std::fs::read_dir(&path).unwrap().flatten() {
            let file = file.path();
            let hidden = file
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'));
            if file.is_file() && !hidden {
                out.push((target.clone(), file));
            }
        }
    }
    out.sort();
    out
}

/// Runs every input and names the ones that panic (the panic hook prints each message).
fn failures(inputs: &[(String, PathBuf)]) -> Vec<String> {
    inputs
        .iter()
        .filter_map(|(target, file)| {
            let data = std::fs::read(file).unwrap();
            catch_unwind(AssertUnwindSafe(|| run(target, &data)))
                .is_err()
                .then(|| format!("{target}: {}", file.display()))
        })
        .collect()
}

#[test]
fn every_target_has_seeds_and_none_panics() {
    let seeds = inputs("seeds");
    for target in TARGETS {
        assert!(
            seeds.iter().any(|(t, _)| t == target),
            "fuzz/seeds/{target}/ has no seed"
        );
    }
    let failed = failures(&seeds);
    assert!(
        failed.is_empty(),
        "seeds that panic:\n{}",
        failed.join("\n")
    );
}

#[test]
fn inputs_a_fuzzer_failed_on_stay_fixed() {
    let failed = failures(&inputs("regressions"));
    assert!(
        failed.is_empty(),
        "fuzz regressions that panic again:\n{}",
        failed.join("\n")
    );
}

#[test]
fn the_fuzz_crate_and_the_run_script_name_the_same_targets() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).unwrap();
    let manifest: toml::Table = toml::from_str(&manifest).unwrap();
    let mut bins: Vec<&str> = manifest
        .get("bin")
        .and_then(toml::Value::as_array)
        .unwrap()
        .iter()
        .map(|b| b.get("name").and_then(toml::Value::as_str).unwrap())
        .collect();
    bins.sort_unstable();
    let mut known = TARGETS.to_vec();
    known.sort_unstable();
    assert_eq!(bins, known, "fuzz/Cargo.toml [[bin]] names");
    for target in TARGETS {
        let source = fuzz_dir().join(format!("fuzz_targets/{target}.rs"));
        assert!(source.is_file(), "{} is missing", source.display());
    }
    let script = std::fs::read_to_string(fuzz_dir().join("run")).unwrap();
    assert!(
        script.contains(&format!("ALL_TARGETS=({})", TARGETS.join(" "))),
        "fuzz/run's ALL_TARGETS lists other targets"
    );
}
