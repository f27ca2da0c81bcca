//! Generation speed and memory, printed as figures (not asserted): `cargo bench --bench generate`.
//!
//! 1. The default stack as a whole process (`stackgen generate --out DIR`), wall time and peak RSS:
//!    into a fresh folder (every file staged, journalled, synced and moved into place) and into an
//!    up-to-date one (everything read and compared, nothing written), next to `terraform fmt` of
//!    the same tree in the same run (a process that only formats what we generate: a floor for any
//!    Terraform-aware tool).
//!    Beside it, the floor for the same tree (`cp -r`, and `cp -r` + one `sync -f`), the same
//!    figures on tmpfs (`/dev/shm`, no disk), and one `syncfs` against syncing every file and
//!    folder of the tree.
//! 2. 1,000 stacks generated in process.
//! 3. Cost against stack size: stacks with 10, 100 and 1,000 DNS records.

use std::process::Command;
use std::time::{Duration, Instant};

use stackgen::generator::generate;
use stackgen::generator::load::Format;
use stackgen::generator::{DEFAULT_SPEC, parse_and_validate};
use stackgen::modules::dns::{RecordType, Subdomain};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn children_max_rss_kib() -> i64 {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // getrusage only writes into the struct we own.
    #[allow(unsafe_code)]
    let ok = unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, usage.as_mut_ptr()) } == 0;
    #[allow(unsafe_code)]
    if ok { unsafe { usage.assume_init() }.ru_maxrss } else { -1 }
}

fn time_process(program: &str, args: &[&str], dir: &std::path::Path, runs: usize) -> Duration {
    time_process_after(program, args, dir, runs, || {})
}

/// Like [`time_process`], running `setup` (not timed) before each run.
fn time_process_after(
    program: &str,
    args: &[&str],
    dir: &std::path::Path,
    runs: usize,
    mut setup: impl FnMut(),
) -> Duration {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        setup();
        let start = Instant::now();
        let status =
            Command::new(program).args(args).current_dir(dir).env("CHECKPOINT_DISABLE", "1").output().expect("runs");
        samples.push(start.elapsed());
        assert!(status.status.success() || program.ends_with("terraform"), "{program} failed: {status:?}");
    }
    median(samples)
}

fn main() {
    let binary = env!("CARGO_BIN_EXE_stackgen");
    let dir = tempfile::tempdir().expect("tempdir");
    let runs = 30;

    let out = dir.path().join("out");
    let fresh = time_process_after(binary, &["generate", "--out", "out"], dir.path(), runs, || {
        let _ = std::fs::remove_dir_all(&out);
    });
    let process = time_process(binary, &["generate", "--out", "out", "--force"], dir.path(), runs);
    let stackgen_rss = children_max_rss_kib();
    println!(
        "default stack, whole process: into a fresh folder median {:.2} ms, into an up-to-date one median {:.2} ms \
         ({runs} runs each), peak RSS {:.1} MiB",
        ms(fresh),
        ms(process),
        stackgen_rss as f64 / 1024.0
    );

    // The floor for writing the same tree durably: a plain copy, and a copy plus one `syncfs`
    // (GNU `sync -f`), which is what any crash-safe writer must at least pay.
    let copy = dir.path().join("copy");
    let cp = time_process_after("cp", &["-r", "out", "copy"], dir.path(), runs, || {
        let _ = std::fs::remove_dir_all(&copy);
    });
    let cp_sync = time_process_after("sh", &["-c", "cp -r out copy && exec sync -f copy"], dir.path(), runs, || {
        let _ = std::fs::remove_dir_all(&copy);
    });
    println!(
        "peers in the same run, the same tree: `cp -r` median {:.2} ms, `cp -r` + `sync -f` median {:.2} ms \
         (fresh generate is {:.1}x the durable copy)",
        ms(cp),
        ms(cp_sync),
        fresh.as_secs_f64() / cp_sync.as_secs_f64()
    );

    // The same on an in-memory file system, where the disk is out of the picture: what is left
    // is the process (start-up, rendering, hashing) and the file system calls themselves.
    if let Ok(shm) = tempfile::tempdir_in("/dev/shm") {
        let shm_out = shm.path().join("out");
        let fresh_shm = time_process_after(binary, &["generate", "--out", "out"], shm.path(), runs, || {
            let _ = std::fs::remove_dir_all(&shm_out);
        });
        let current_shm = time_process(binary, &["generate", "--out", "out"], shm.path(), runs);
        let shm_copy = shm.path().join("copy");
        let cp_shm = time_process_after("cp", &["-r", "out", "copy"], shm.path(), runs, || {
            let _ = std::fs::remove_dir_all(&shm_copy);
        });
        println!(
            "on tmpfs (/dev/shm, no disk): fresh median {:.2} ms, up-to-date median {:.2} ms, peer `cp -r` of the tree \
             median {:.2} ms (fresh generate is {:.1}x the copy)",
            ms(fresh_shm),
            ms(current_shm),
            ms(cp_shm),
            fresh_shm.as_secs_f64() / cp_shm.as_secs_f64()
        );
    }

    // One `syncfs` against a sync of each file and folder, both right after writing the same
    // tree in process: why the writer makes its staged tree durable with one call.
    let (one_call, per_file) = sync_strategies(&out, &dir.path().join("synced"), 10);
    println!(
        "making the written tree durable: one syncfs median {:.2} ms, fdatasync of every file + fsync of every \
         folder median {:.2} ms ({:.1}x)",
        ms(one_call),
        ms(per_file),
        per_file.as_secs_f64() / one_call.as_secs_f64()
    );

    let terraform =
        ["/usr/local/bin/terraform", "/usr/bin/terraform"].into_iter().find(|p| std::path::Path::new(p).exists());
    match terraform {
        Some(terraform) => {
            let fmt = time_process(terraform, &["fmt", "-recursive", "out/terraform"], dir.path(), runs);
            println!(
                "peer in the same run, `terraform fmt -recursive` of the generated tree: median {:.2} ms ({:.1}x stackgen's whole generation)",
                ms(fmt),
                fmt.as_secs_f64() / process.as_secs_f64()
            );
        }
        None => println!("peer skipped: terraform is not installed"),
    }
    println!(
        "reference (measured on these machines, not in this run): `cdktf synth` of the same stack takes seconds and ~270 MiB"
    );

    let spec = parse_and_validate(DEFAULT_SPEC, Format::Yaml).expect("default spec");
    let start = Instant::now();
    let mut files = 0;
    for i in 0..1000 {
        let mut spec = spec.clone();
        spec.stack.name = format!("demo{i}");
        files += generate(&spec).expect("generates").files.len();
    }
    let thousand = start.elapsed();
    println!(
        "1,000 stacks in process: {:.1} ms total, {:.3} ms per stack ({files} files)",
        ms(thousand),
        ms(thousand) / 1000.0
    );

    let mut per_record = Vec::new();
    for records in [10usize, 100, 1000] {
        let mut big = spec.clone();
        big.dns.subdomains = (0..records)
            .map(|i| Subdomain {
                name: format!("host{i}"),
                record_type: RecordType::A,
                records: vec![format!("203.0.113.{}", i % 250 + 1)],
                ttl: 300,
            })
            .collect();
        let samples: Vec<Duration> = (0..20)
            .map(|_| {
                let start = Instant::now();
                generate(&big).expect("generates");
                start.elapsed()
            })
            .collect();
        let took = median(samples);
        per_record.push((records, took));
        println!("stack with {records:>4} DNS records: median {:.3} ms", ms(took));
    }
    let (small, large) = (per_record[0], per_record[2]);
    println!(
        "growth from {} to {} records: {:.1}x time for {:.0}x size (linear ≈ proportional)",
        small.0,
        large.0,
        large.1.as_secs_f64() / small.1.as_secs_f64(),
        large.0 as f64 / small.0 as f64
    );
}

/// Medians of `runs` timings of each way to make a fresh copy of `tree` durable (written anew
/// into `scratch` before each timing, not timed): one `syncfs`, and `fdatasync` of every file then
/// `fsync` of every folder.
fn sync_strategies(tree: &std::path::Path, scratch: &std::path::Path, runs: usize) -> (Duration, Duration) {
    let write_copy = || -> Vec<std::path::PathBuf> {
        let _ = std::fs::remove_dir_all(scratch);
        let mut written = Vec::new();
        for entry in walkdir::WalkDir::new(tree).sort_by_file_name() {
            let entry = entry.expect("walk");
            let target = scratch.join(entry.path().strip_prefix(tree).expect("inside"));
            if entry.file_type().is_dir() {
                std::fs::create_dir_all(&target).expect("mkdir");
            } else {
                std::fs::copy(entry.path(), &target).expect("copy");
            }
            written.push(target);
        }
        written
    };
    let (mut one_call, mut per_file) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        write_copy();
        let handle = std::fs::File::open(scratch).expect("open");
        let start = Instant::now();
        // syncfs only reads the descriptor we own.
        #[allow(unsafe_code)]
        let synced = unsafe { libc::syncfs(std::os::fd::AsRawFd::as_raw_fd(&handle)) } == 0;
        one_call.push(start.elapsed());
        assert!(synced, "syncfs failed");

        let written = write_copy();
        let start = Instant::now();
        for path in written.iter().filter(|p| p.is_file()) {
            std::fs::File::open(path).and_then(|f| f.sync_data()).expect("fdatasync");
        }
        for path in written.iter().filter(|p| p.is_dir()) {
            std::fs::File::open(path).and_then(|f| f.sync_all()).expect("fsync");
        }
        per_file.push(start.elapsed());
    }
    (median(one_call), median(per_file))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
