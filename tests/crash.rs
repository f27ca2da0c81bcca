//! `kill -9` during `stackgen generate`, at many points, over an existing different tree: the
//! next command must find exactly one complete generation (the old or the new one), no staging
//! folder may survive it, and `--check` must agree with the tree.
//!
//! Two kinds of trials: `strace` delivers SIGKILL at the n-th call of a file-system system call
//! (every rename, link, sync and removal, a sample of the other calls), so each dangerous window
//! is hit for sure; and plain `kill -9` after a pseudo-random delay, half of them with `strace`
//! slowing every rename down. `STACKGEN_CRASH_TRIALS` scales the number of timed trials.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{repo_root, stackgen, text};

/// Every file below `dir` (hidden ones too) with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .min_depth(1)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let path = e.path().strip_prefix(dir).expect("inside").to_string_lossy().into_owned();
            (path, fs::read(e.path()).expect("read"))
        })
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    for (path, bytes) in files(from) {
        let target = to.join(path);
        fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
        fs::write(target, bytes).expect("write");
    }
}

/// The push-mode example with many extra DNS records and the default's app name: a large stack,
/// different from the default one in nearly every file (some replaced, some new, some removed).
fn large_spec(dir: &Path) -> PathBuf {
    let mut spec = fs::read_to_string(repo_root().join("examples/push-mode.yaml")).expect("example");
    let records: String = (0..300)
        .map(|i| format!("    - name: host-{i}\n      type: A\n      records: [198.51.100.{}]\n", i % 250 + 1))
        .collect();
    spec = spec.replace("  subdomains:\n", &format!("  subdomains:\n{records}"));
    // The default stack's app name: the starter crate the old generation seeds keeps its package
    // name, and stackgen refuses an app.name that no longer matches it.
    spec = spec.replace("  name: storefront\n", "  name: hello\n");
    let path = dir.join("large.yaml");
    fs::write(&path, spec).expect("write spec");
    path
}

/// Where the killed write stood, judged from what it left on disk.
fn phase(out: &Path, old: &BTreeMap<String, Vec<u8>>, new: &BTreeMap<String, Vec<u8>>) -> &'static str {
    let journal = out.join(".stackgen/journal.json").exists();
    let staging = out.join(".stackgen/staging").exists();
    let now = files(out);
    match (journal, staging) {
        (true, _) => "journal committed, moving files into place",
        (false, true) if now.keys().all(|k| k.starts_with(".stackgen/staging/") || new.get(k) == now.get(k)) => {
            "moves done, removing the staging folder"
        }
        (false, true) => "staging, no journal yet",
        (false, false) if now == *old => "not started",
        (false, false) if now == *new => "finished",
        (false, false) => "INCONSISTENT",
    }
}

struct Trials {
    dir: PathBuf,
    spec: PathBuf,
    old_spec: PathBuf,
    old: BTreeMap<String, Vec<u8>>,
    new: BTreeMap<String, Vec<u8>>,
    old_dir: PathBuf,
    phases: BTreeMap<&'static str, usize>,
    /// How many trials each next command repaired.
    next_commands: BTreeMap<&'static str, usize>,
    count: usize,
}

impl Trials {
    fn new(dir: &Path) -> Self {
        let spec = large_spec(dir);
        let (old_dir, new_dir) = (dir.join("reference-old"), dir.join("reference-new"));
        // The old generation comes from an explicit spec file: without one, stackgen seeds the
        // default spec into the output as `stackgen.yaml`, which then belongs to the user and
        // rightly survives every later generation.
        let old_spec = repo_root().join("examples/default.yaml");
        assert!(stackgen(dir, &["generate", path(&old_spec), "--out", path(&old_dir)]).status.success());
        // The new generation is what an uninterrupted generate makes of the old tree: seeded files
        // (the starter service) are the team's once written and keep the old generation's bytes.
        copy_tree(&old_dir, &new_dir);
        assert!(stackgen(dir, &["generate", path(&spec), "--out", path(&new_dir)]).status.success());
        let (old, new) = (files(&old_dir), files(&new_dir));
        assert!(old.len() > 40 && new.len() > 40, "{} {}", old.len(), new.len());
        assert!(old.keys().any(|k| !new.contains_key(k)) && new.keys().any(|k| !old.contains_key(k)));
        Self {
            dir: dir.to_path_buf(),
            spec,
            old_spec,
            old,
            new,
            old_dir,
            phases: BTreeMap::new(),
            next_commands: BTreeMap::new(),
            count: 0,
        }
    }

    /// A fresh output folder holding the old generation.
    fn prepare(&mut self) -> PathBuf {
        self.count += 1;
        let out = self.dir.join(format!("trial-{}", self.count));
        copy_tree(&self.old_dir, &out);
        out
    }

    /// After a killed write: classify it, run the next command(s) and check the invariants.
    #[track_caller]
    fn after_kill(&mut self, out: &Path, what: &str) {
        let phase = phase(out, &self.old, &self.new);
        assert_ne!(phase, "INCONSISTENT", "{what}: the kill left a state no write step produces");
        *self.phases.entry(phase).or_default() += 1;
        let spec = path(&self.spec).to_owned();
        let out_arg = path(out).to_owned();
        // Alternate the next command: `--check` first, `validate --out`, or a generate of the new
        // or the old spec.
        *self
            .next_commands
            .entry(["generate --check", "validate --out", "generate (new spec)", "generate (old spec)"][self.count % 4])
            .or_default() += 1;
        match self.count % 4 {
            0 => {
                let check = stackgen(&self.dir, &["generate", &spec, "--out", &out_arg, "--check"]);
                let now = files(out);
                let (stdout, stderr) = text(&check);
                if now == self.new {
                    assert_eq!(check.status.code(), Some(0), "{what}: the tree is complete: {stdout}{stderr}");
                } else {
                    assert!(now == self.old, "{what}: after --check the tree is neither generation");
                    assert_eq!(check.status.code(), Some(3), "{what}: the old tree is out of date");
                }
                self.generate_new(out, what);
            }
            1 => {
                let validate = stackgen(&self.dir, &["validate", &spec, "--out", &out_arg]);
                assert_eq!(validate.status.code(), Some(0), "{what}: {}", text(&validate).1);
                let now = files(out);
                assert!(
                    now == self.new || now == self.old,
                    "{what}: after validate --out the tree is neither generation"
                );
                assert!(
                    !out.join(".stackgen/staging").exists() && !out.join(".stackgen/journal.json").exists(),
                    "{what}: validate --out left the unfinished write in place"
                );
                let check = stackgen(&self.dir, &["generate", &spec, "--out", &out_arg, "--check"]);
                assert_eq!(check.status.code(), Some(if now == self.new { 0 } else { 3 }), "{what}: --check agrees");
                self.generate_new(out, what);
            }
            2 => self.generate_new(out, what),
            _ => {
                let old = stackgen(&self.dir, &["generate", path(&self.old_spec), "--out", &out_arg]);
                assert!(old.status.success(), "{what}: {}", text(&old).1);
                assert!(files(out) == self.old, "{what}: generating the old spec gives exactly the old tree");
                self.generate_new(out, what);
            }
        }
        let leftovers: Vec<_> = fs::read_dir(out)
            .expect("list")
            .chain(fs::read_dir(&self.dir).expect("list"))
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.contains("staging"))
            .collect();
        assert!(leftovers.is_empty() && !out.join(".stackgen/staging").exists(), "{what}: {leftovers:?}");
        fs::remove_dir_all(out).expect("clean up");
    }

    #[track_caller]
    fn generate_new(&self, out: &Path, what: &str) {
        let out_arg = path(out);
        let generate = stackgen(&self.dir, &["generate", path(&self.spec), "--out", out_arg]);
        assert!(generate.status.success(), "{what}: {}", text(&generate).1);
        assert!(files(out) == self.new, "{what}: the re-run leaves exactly the new generation");
        let check = stackgen(&self.dir, &["generate", path(&self.spec), "--out", out_arg, "--check"]);
        assert_eq!(check.status.code(), Some(0), "{what}: {}", text(&check).0);
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 temp path")
}

fn strace() -> Option<PathBuf> {
    let found = ["/usr/bin/strace", "/bin/strace", "/usr/local/bin/strace"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        let why = "strace is not installed (scripts/install-tools installs it where apt-get can)";
        assert!(std::env::var("STACKGEN_REQUIRE_TOOLS").as_deref() != Ok("1"), "STACKGEN_REQUIRE_TOOLS=1 but {why}");
        eprintln!("SKIPPED (strace trials): {why}");
    }
    found
}

/// Runs the new-spec generate under strace, which kills it at the `n`-th call of `syscalls`.
fn killed_at(strace: &Path, trials: &Trials, out: &Path, syscalls: &str, n: usize) -> ExitStatus {
    Command::new(strace)
        .args(["-o", "/dev/null", "-e", &format!("inject={syscalls}:signal=KILL:when={n}")])
        .arg(env!("CARGO_BIN_EXE_stackgen"))
        .args(["generate", path(&trials.spec), "--out", path(out)])
        .current_dir(&trials.dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("strace runs")
}

#[test]
fn kill_9_at_any_point_leaves_one_complete_generation_for_the_next_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut trials = Trials::new(tmp.path());

    if let Some(strace) = strace() {
        // (syscalls, every n-th occurrence): a dense sample of the calls that change the tree
        // (every sync), a sparse one of the rest; odd strides so each phase is hit.
        let sets = [
            ("/^(rename|renameat|renameat2)$", 2),
            ("/^(link|linkat)$", 3),
            ("/^(syncfs|fsync|fdatasync)$", 1),
            ("/^(unlink|unlinkat|rmdir)$", 7),
            ("/^(mkdir|mkdirat)$", 29),
            ("/^(open|openat)$", 23),
            ("/^(write|writev)$", 11),
        ];
        for (syscalls, step) in sets {
            let mut n = 1;
            loop {
                let out = trials.prepare();
                let status = killed_at(&strace, &trials, &out, syscalls, n);
                let what = format!("SIGKILL at call {n} of {syscalls}");
                if status.success() {
                    // Fewer calls than n: this generate ran to its end.
                    trials.after_kill(&out, &what);
                    break;
                }
                trials.after_kill(&out, &what);
                n += step;
            }
        }
    }

    // Plain kill -9 after a pseudo-random delay (a fixed-seed LCG, so failures reproduce), half of
    // the trials with strace slowing every rename by 2 ms to widen the window between moves.
    let timed: usize = std::env::var("STACKGEN_CRASH_TRIALS").ok().and_then(|v| v.parse().ok()).unwrap_or(12);
    let strace = strace();
    let mut seed: u64 = 0x5eed_1234_abcd_0001;
    let start = Instant::now();
    let probe = trials.prepare();
    assert!(stackgen(tmp.path(), &["generate", path(&trials.spec), "--out", path(&probe)]).status.success());
    let duration = start.elapsed();
    fs::remove_dir_all(&probe).expect("clean up");
    for trial in 0..timed {
        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        let slowed = trial % 2 == 1 && strace.is_some();
        let budget = if slowed { duration * 3 + Duration::from_millis(150) } else { duration + duration / 4 };
        let delay = budget.mul_f64((seed >> 11) as f64 / (1u64 << 53) as f64);
        let out = trials.prepare();
        let mut command = match (&strace, slowed) {
            (Some(strace), true) => {
                let mut c = Command::new(strace);
                c.args(["-o", "/dev/null", "-e", "inject=/^(rename|renameat|renameat2)$:delay_exit=2ms"])
                    .arg(env!("CARGO_BIN_EXE_stackgen"));
                c
            }
            _ => Command::new(env!("CARGO_BIN_EXE_stackgen")),
        };
        let mut child = command
            .args(["generate", path(&trials.spec), "--out", path(&out)])
            .current_dir(tmp.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(delay);
        if slowed {
            // SIGKILL the traced stackgen itself (killing strace would only detach it).
            if let Some(pid) = tracee(child.id()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        } else {
            let _ = child.kill();
        }
        let _ = child.wait();
        trials.after_kill(&out, &format!("kill -9 after {delay:?} (timed trial {trial}, strace delays: {slowed})"));
    }

    eprintln!("crash trials by phase the kill landed in ({} trials):", trials.count - 1);
    for (phase, count) in &trials.phases {
        eprintln!("  {count:4}  {phase}");
    }
    eprintln!("the command that ran next and repaired the folder:");
    for (command, count) in &trials.next_commands {
        eprintln!("  {count:4}  {command}");
    }
    if strace.is_some() {
        for phase in [
            "staging, no journal yet",
            "journal committed, moving files into place",
            "moves done, removing the staging folder",
        ] {
            assert!(trials.phases.get(phase).copied().unwrap_or(0) > 0, "no trial hit {phase:?}: {:?}", trials.phases);
        }
    }
}

/// The process strace runs (its first child), once it exists.
fn tracee(strace_pid: u32) -> Option<u32> {
    let children = format!("/proc/{strace_pid}/task/{strace_pid}/children");
    for _ in 0..200 {
        if let Some(pid) = fs::read_to_string(&children).ok().and_then(|s| s.split_whitespace().next()?.parse().ok()) {
            return Some(pid);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    None
}
