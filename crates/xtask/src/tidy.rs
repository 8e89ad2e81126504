//! Tidy checks: what reviewers would otherwise nag about, checked by machine. Every `.rs`
//! file under `crates/` opens with a `//!` line; no debugging macros, ignored or
//! panic-expecting tests; `fiscus-core` depends on nothing but serde and thiserror; no
//! floating-point types in the core and the store. Also a `#[test]`, so `cargo test` runs it.

use std::fs;
use std::path::{Path, PathBuf};

/// The only dependencies `fiscus-core` may have: it does no IO (ARCHITECTURE.md).
const CORE_DEPENDENCIES_ALLOWED: &[&str] = &["serde", "thiserror"];
/// Crates whose sources must not mention `f32`/`f64`: money and storage are integers.
const FLOAT_FREE_SOURCES: &[&str] = &["crates/fiscus-core/src", "crates/fiscus-store/src"];

/// Forbidden text, assembled at run time so that this file does not trip its own check.
fn forbidden_patterns() -> [(String, &'static str); 3] {
    [
        (["dbg", "!("].concat(), "a debugging macro is left in"),
        (
            ["#[", "ignore"].concat(),
            "an ignored test (make it fast or delete it)",
        ),
        (
            ["should", "_panic"].concat(),
            "a panic-expecting test (assert the Err instead)",
        ),
    ]
}

/// Every problem found under `root`, one line each (`path:line: what`).
pub fn check(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    collect_rust_files(&root.join("crates"), &mut files, &mut problems);
    files.sort();
    let patterns = forbidden_patterns();
    for file in &files {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        let text = match fs::read_to_string(file) {
            Ok(text) => text,
            Err(error) => {
                problems.push(format!("{shown}: cannot read: {error}"));
                continue;
            }
        };
        problems.extend(check_source(&shown, &text, &patterns));
        let float_free = FLOAT_FREE_SOURCES
            .iter()
            .any(|dir| file.starts_with(root.join(dir)));
        if float_free {
            problems.extend(check_no_floats(&shown, &text));
        }
    }
    problems.extend(check_core_dependencies(root));
    problems
}

fn collect_rust_files(dir: &Path, files: &mut Vec<PathBuf>, problems: &mut Vec<String>) {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(format!("{}: cannot list: {error}", dir.display()));
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') {
                collect_rust_files(&path, files, problems);
            }
        } else if name.ends_with(".rs") {
            files.push(path);
        }
    }
}

fn check_source(shown: &str, text: &str, patterns: &[(String, &'static str)]) -> Vec<String> {
    let mut problems = Vec::new();
    if !text.starts_with("//!") {
        problems.push(format!(
            "{shown}:1: does not open with a `//!` line saying what the file owns"
        ));
    }
    for (number, line) in text.lines().enumerate() {
        for (pattern, why) in patterns {
            if line.contains(pattern.as_str()) {
                problems.push(format!("{shown}:{}: `{pattern}`: {why}", number + 1));
            }
        }
    }
    problems
}

fn is_identifier_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// `f32`/`f64` as whole words (not `buf64` or `f64_bits`).
fn check_no_floats(shown: &str, text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        for word in ["f32", "f64"] {
            let found = line.match_indices(word).any(|(at, _)| {
                let before = at.checked_sub(1).map(|i| bytes[i]);
                let after = bytes.get(at + word.len()).copied();
                !before.is_some_and(is_identifier_byte) && !after.is_some_and(is_identifier_byte)
            });
            if found {
                problems.push(format!(
                    "{shown}:{}: `{word}`: no floating point in the core or the store (money is i64 fen)",
                    number + 1
                ));
            }
        }
    }
    problems
}

/// The dependency names of every `[dependencies]`, `[build-dependencies]` and
/// `[target.….dependencies]` table of a manifest (dev-dependencies are allowed anything).
fn dependency_names(manifest: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut in_dependencies = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            let table = line.trim_matches(|c| c == '[' || c == ']');
            in_dependencies = table == "dependencies"
                || table == "build-dependencies"
                || (table.starts_with("target.") && table.ends_with(".dependencies"));
            // `[dependencies.serde]` names the dependency in the header.
            if let Some(name) = table.strip_prefix("dependencies.") {
                names.push(name.trim().to_owned());
            }
            continue;
        }
        if !in_dependencies || line.is_empty() || line.starts_with('#') {
            continue;
        }
        let name = line.split(['=', '.']).next().unwrap_or("").trim();
        if !name.is_empty() {
            names.push(name.trim_matches('"').to_owned());
        }
    }
    names
}

fn check_core_dependencies(root: &Path) -> Vec<String> {
    let shown = "crates/fiscus-core/Cargo.toml";
    let manifest = match fs::read_to_string(root.join(shown)) {
        Ok(manifest) => manifest,
        Err(error) => return vec![format!("{shown}: cannot read: {error}")],
    };
    dependency_names(&manifest)
        .into_iter()
        .filter(|name| !CORE_DEPENDENCIES_ALLOWED.contains(&name.as_str()))
        .map(|name| {
            format!(
                "{shown}: depends on `{name}`; fiscus-core may depend only on {} (it does no IO)",
                CORE_DEPENDENCIES_ALLOWED.join(" and ")
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workspace_is_tidy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let problems = check(&root);
        assert!(
            problems.is_empty(),
            "tidy problems:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn each_rule_fires() {
        let patterns = forbidden_patterns();
        let debug_line = ["let x = ", "dbg", "!(1);"].concat();
        let found = check_source(
            "a.rs",
            &format!("fn main() {{}}\n{debug_line}\n"),
            &patterns,
        );
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("a.rs:1: does not open"));
        assert!(found[1].starts_with("a.rs:2: "));
        assert_eq!(
            check_no_floats("b.rs", "let a: f64 = 1.0;\nlet buf64 = f64_bits;").len(),
            1
        );
        let manifest = "[package]\nname = \"x\"\n[dependencies]\nserde = \"1\"\nsqlx.workspace = true\n\
                        [dev-dependencies]\nproptest = \"1\"\n";
        assert_eq!(dependency_names(manifest), ["serde", "sqlx"]);
    }
}
