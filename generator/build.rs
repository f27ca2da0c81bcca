//! Records the commit stackgen is built from, so the pull-request gate of every generated
//! repository can install exactly this stackgen (`cargo install --git … --rev <commit>`).
//!
//! `STACKGEN_BUILD_REV` is set only when the source is a git checkout whose HEAD is a commit —
//! which includes `cargo install --git`, whose checkout is a git work tree. Built from a packaged
//! crate there is no commit to name, and generated specs must then set `delivery.stackgen.rev`.
//! An environment variable of the same name overrides the lookup (a vendored build, or a test
//! that needs a fixed value).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn main() {
    println!("cargo::rerun-if-env-changed=STACKGEN_BUILD_REV");
    let rev = std::env::var("STACKGEN_BUILD_REV").ok().filter(|r| !r.is_empty()).or_else(|| {
        // Rebuild when HEAD moves: HEAD itself, the branch it points at, and packed refs.
        for path in ["HEAD", "packed-refs"] {
            if let Some(p) = git(&["rev-parse", "--git-path", path]) {
                println!("cargo::rerun-if-changed={p}");
            }
        }
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"])
            && let Some(p) = git(&["rev-parse", "--git-path", &reference])
        {
            println!("cargo::rerun-if-changed={p}");
        }
        git(&["rev-parse", "--verify", "-q", "HEAD^{commit}"])
    });
    if let Some(rev) = rev.filter(|r| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit())) {
        println!("cargo::rustc-env=STACKGEN_BUILD_REV={}", rev.to_ascii_lowercase());
    }
}
