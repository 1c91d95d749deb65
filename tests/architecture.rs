//! The layers of docs/architecture.md, checked: every module imports only from its own layer or
//! below, and the front-ends (command line, app, plain mode) never import each other. A `use` that
//! breaks a layer fails here with the file and line, before it becomes a tangle.

use std::path::Path;

/// Bottom to top. A module may use its own layer and those below.
const LAYERS: &[&[&str]] = &[
    &["vocab", "text"],
    &["questionnaire"],
    &["session", "secrets"],
    &["engine"],
    &["report", "export", "diff", "import", "merge"],
    &["workshop"],
    &["cli", "tui", "plain"],
];

/// Front-ends share the top layer but never import each other.
const FRONT_ENDS: &[&str] = &["cli", "tui", "plain"];

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

/// Every `crate::<module>` a line refers to (also inside `use crate::{a, b::c}` groups).
fn referenced(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = line;
    while let Some(i) = rest.find("crate::") {
        rest = &rest[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for part in group[..end].split(',') {
                let name: String = part
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.push(name);
        }
    }
    out
}

fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_from_their_layer_or_below() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut problems = Vec::new();
    for path in &all {
        let rel = path.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(own) = layer(&module) else {
            problems.push(format!(
                "{}: module `{module}` is in no layer of tests/architecture.rs (add it, and to \
                 docs/architecture.md)",
                rel.display()
            ));
            continue;
        };
        let text = std::fs::read_to_string(path).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.trim_start();
            if code.starts_with("//") {
                continue;
            }
            for used in referenced(code) {
                if used == module {
                    continue;
                }
                let Some(theirs) = layer(&used) else { continue };
                let front_to_front =
                    FRONT_ENDS.contains(&module.as_str()) && FRONT_ENDS.contains(&used.as_str());
                if theirs > own || front_to_front {
                    problems.push(format!(
                        "{}:{}: `{module}` uses `crate::{used}`, which sits {}",
                        rel.display(),
                        n + 1,
                        if front_to_front {
                            "beside it (front-ends never import each other)".to_string()
                        } else {
                            format!("above it (layer {theirs} > {own})")
                        }
                    ));
                }
            }
        }
    }
    assert!(
        problems.is_empty(),
        "layering broken:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_checker_reads_grouped_and_plain_uses() {
    assert_eq!(
        referenced("use crate::{engine, report::wording};"),
        ["engine", "report"]
    );
    assert_eq!(referenced("let x = crate::tui::run(q);"), ["tui"]);
}
