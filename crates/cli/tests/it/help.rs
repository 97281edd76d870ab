//! `--help` of every subcommand shows a worked example; `blocksale completions` writes scripts.

use crate::common::blocksale;

/// The subcommands `blocksale --help` lists (without `help`).
fn subcommands() -> Vec<String> {
    let o = blocksale().arg("--help").output().unwrap();
    assert!(o.status.success());
    let text = String::from_utf8(o.stdout).unwrap();
    let mut in_list = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.starts_with("Commands:") {
            in_list = true;
            continue;
        }
        if in_list {
            if !line.starts_with(' ') {
                break;
            }
            // "  name   description"; continuation lines are indented further.
            if line.starts_with("  ") && !line.starts_with("   ") {
                let name = line.split_whitespace().next().unwrap();
                if name != "help" {
                    out.push(name.to_string());
                }
            }
        }
    }
    out
}

#[test]
fn every_subcommand_help_shows_a_worked_example() {
    let subs = subcommands();
    for must in ["backtest", "fetch", "completions"] {
        assert!(subs.iter().any(|s| s == must), "{must} not in {subs:?}");
    }
    for sub in &subs {
        let o = blocksale().args([sub.as_str(), "--help"]).output().unwrap();
        assert!(o.status.success(), "{sub} --help failed");
        let text = String::from_utf8(o.stdout).unwrap();
        let ex = text
            .find("Example")
            .unwrap_or_else(|| panic!("`blocksale {sub} --help` has no example:\n{text}"));
        // The example is a command line of this subcommand.
        assert!(
            text[ex..].contains(&format!("blocksale {sub}")),
            "`blocksale {sub} --help` example does not run `blocksale {sub}`:\n{text}"
        );
    }
}

#[test]
fn top_level_help_documents_the_exit_codes() {
    let o = blocksale().arg("--help").output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("Exit codes: 0 success, 1 internal error, 2 user error"));
}

#[test]
fn completions_for_bash_zsh_and_fish() {
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef blocksale"),
        ("fish", "complete -c blocksale"),
    ] {
        let o = blocksale().args(["completions", shell]).output().unwrap();
        assert!(o.status.success(), "{shell}");
        let script = String::from_utf8(o.stdout).unwrap();
        assert!(script.contains(marker), "{shell}: no {marker:?}");
        // Subcommands and their flags are in the script.
        for word in ["backtest", "fetch", "base-url", "interval"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        if shell == "bash" {
            // The script parses (bash -n) when bash is installed.
            if let Ok(mut child) = std::process::Command::new("bash")
                .arg("-n")
                .stdin(std::process::Stdio::piped())
                .spawn()
            {
                use std::io::Write;
                child
                    .stdin
                    .take()
                    .unwrap()
                    .write_all(script.as_bytes())
                    .unwrap();
                assert!(
                    child.wait().unwrap().success(),
                    "bash -n rejects the script"
                );
            }
        }
    }
    let o = blocksale()
        .args(["completions", "powershell"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
