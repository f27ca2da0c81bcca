//! The `stackgen` command line: `init`, `generate`, `validate`, `schema`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use stackgen_modules::{Diagnostics, StackSpec};

use crate::generate::generate;
use crate::generated::GenerateError;
use crate::load::{Format, Loaded, locate_all};
/// Moved to [`crate::spec_file`]; kept here so existing callers still build.
pub use crate::spec_file::{DEFAULT_SPEC, parse_and_validate};

/// The spec `stackgen init` writes and `stackgen generate` picks up from the current folder.
pub const SPEC_FILE_NAME: &str = "stackgen.yaml";

/// Exit codes, distinct for every kind of outcome.
pub mod exit {
    /// Everything worked; with `--check`, the output is up to date.
    pub const OK: u8 = 0;
    /// The spec is invalid (every problem was printed) or could not be read.
    pub const INVALID_SPEC: u8 = 1;
    /// Command-line usage error (clap's own code).
    pub const USAGE: u8 = 2;
    /// `--check`: the output folder is out of date (a diff was printed).
    pub const OUT_OF_DATE: u8 = 3;
    /// Refused to overwrite files changed by hand since the last generation.
    pub const HAND_EDITED: u8 = 4;
    /// The output folder cannot be written as asked: the path is a file, a file or folder is in
    /// the way, permission is denied, the file system is read-only or full, or its
    /// `.stackgen/manifest.json` is broken. Nothing was written.
    pub const OUTPUT_UNWRITABLE: u8 = 5;
    /// A bug in stackgen or an I/O failure while writing.
    pub const INTERNAL: u8 = 70;
}

#[derive(Debug, Parser)]
#[command(
    name = "stackgen",
    version,
    about = "Generate an AKS stack (Terraform, Helm chart, Dockerfile, GitHub Actions, Argo CD) from one typed spec"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a stack: write a commented stackgen.yaml (the default stack) and its
    /// stackgen.schema.json into a folder, refusing to overwrite either.
    Init {
        /// Folder to write into (created if missing).
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Generate the stack into a folder (atomically, never overwriting hand edits).
    Generate {
        /// Spec file (.yaml/.yml, .toml or .json). When omitted: ./stackgen.yaml if there is
        /// one (generating into the current folder by default), else the embedded default stack
        /// (whose spec is then written into the output as stackgen.yaml, once).
        spec: Option<PathBuf>,
        /// Output folder [default: `.` for ./stackgen.yaml, else `stack`].
        #[arg(long, short)]
        out: Option<PathBuf>,
        /// Write nothing; exit 3 with a unified diff when the folder is out of date.
        #[arg(long, conflicts_with = "force")]
        check: bool,
        /// Overwrite files that were changed by hand since the last generation.
        #[arg(long)]
        force: bool,
    },
    /// Check a spec and report every problem; writes nothing.
    Validate {
        /// Spec file.
        spec: PathBuf,
        /// An output folder to repair first: a generate interrupted there (`kill -9`, a crash, a
        /// power loss) is finished or rolled back before the spec is checked.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Print the spec's JSON Schema (for editors: `# yaml-language-server: $schema=...`).
    Schema,
}

/// Runs the command line with the process's arguments.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { exit::USAGE } else { exit::OK };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    ExitCode::from(run(cli.command))
}

fn run(command: Command) -> u8 {
    match command {
        Command::Schema => {
            println!("{}", schema_json());
            exit::OK
        }
        Command::Validate { spec, out } => match recover_first(out.as_deref()).and_then(|()| load_spec(Some(&spec))) {
            Ok(_) => {
                println!("{}: valid", spec.display());
                exit::OK
            }
            Err(code) => code,
        },
        Command::Init { dir } => init(&dir),
        Command::Generate { spec, out, check, force } => {
            let picked_up = spec.is_none() && Path::new(SPEC_FILE_NAME).is_file();
            let spec = if picked_up { Some(PathBuf::from(SPEC_FILE_NAME)) } else { spec };
            let out = out.unwrap_or_else(|| PathBuf::from(if picked_up { "." } else { "stack" }));
            // An interrupted generate is finished (or discarded) first, whatever happens next,
            // so `--check` always compares one complete generation and a bad spec still leaves
            // the folder repaired.
            if let Err(code) = recover_first(Some(&out)) {
                return code;
            }
            let loaded = match load_spec(spec.as_deref()) {
                Ok(loaded) => loaded,
                Err(code) => return code,
            };
            let generated = match generate(&loaded.value) {
                Ok(mut generated) => {
                    // The embedded default has no file of its own: the output gets it, once, so
                    // the repository has the spec its pull-request gate checks against.
                    if spec.is_none()
                        && let Err(error) =
                            generated.files.insert_seeded(&loaded.value.delivery.spec_file, DEFAULT_SPEC)
                    {
                        eprintln!("error: internal: {error}");
                        return exit::INTERNAL;
                    }
                    generated
                }
                Err(GenerateError::Invalid(mut diagnostics)) => {
                    return located(&mut diagnostics, &loaded, spec.as_deref()).err().unwrap_or(exit::INVALID_SPEC);
                }
                Err(error) => {
                    eprintln!("error: internal: {error}");
                    return exit::INTERNAL;
                }
            };
            if let Ok(seeded) = std::fs::read_to_string(out.join(crate::starter::SERVICE_MANIFEST)) {
                let mut diagnostics = Diagnostics::new();
                crate::starter::check_seeded_manifest(&loaded.value, &seeded, &mut diagnostics);
                if let Err(code) = located(&mut diagnostics, &loaded, spec.as_deref()) {
                    return code;
                }
            }
            for warning in &generated.warnings {
                eprintln!("warning: {warning}");
            }
            if check {
                let report = crate::writer::check(&generated.files, &out);
                if report.is_up_to_date() {
                    println!("{} is up to date ({} files)", out.display(), generated.files.len());
                    exit::OK
                } else {
                    print!("{report}");
                    eprintln!("error: {} is out of date; run `stackgen generate` and commit the result", out.display());
                    exit::OUT_OF_DATE
                }
            } else {
                match crate::writer::write(&generated.files, &out, &crate::writer::WriteOptions { force }) {
                    Ok(report) => {
                        println!("{}: {report}", out.display());
                        exit::OK
                    }
                    Err(error @ crate::writer::WriteError::HandEdited { .. }) => {
                        eprintln!("error: {error}");
                        exit::HAND_EDITED
                    }
                    Err(error) => {
                        eprintln!("error: {error}");
                        write_error_code(&error)
                    }
                }
            }
        }
    }
}

/// Finishes or rolls back a write interrupted in `out` (when given and a folder), saying so.
fn recover_first(out: Option<&Path>) -> Result<(), u8> {
    let Some(out) = out else { return Ok(()) };
    match crate::writer::recover(out) {
        Ok(Some(recovery)) => {
            eprintln!("note: {}: {recovery}", out.display());
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(error) => {
            eprintln!("error: {error}");
            Err(write_error_code(&error))
        }
    }
}

fn display_name(path: Option<&Path>) -> String {
    path.map_or_else(|| "<default stack>".to_owned(), |p| p.display().to_string())
}

/// Reads, parses and validates a spec, printing every problem (load and rule problems together).
/// The embedded default when `None`.
fn load_spec(path: Option<&Path>) -> Result<Loaded<StackSpec>, u8> {
    let name = display_name(path);
    let (text, format) = match path {
        // The size limit is checked before the file is read, so a huge file costs nothing.
        Some(path) if std::fs::metadata(path).is_ok_and(|m| m.len() > crate::load::MAX_SPEC_BYTES as u64) => {
            let size = std::fs::metadata(path).map_or(0, |m| m.len());
            report(&name, &crate::load::too_large(size));
            return Err(exit::INVALID_SPEC);
        }
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => (text, Format::from_path(path)),
            Err(error) => {
                eprintln!("error: cannot read {name}: {error}");
                return Err(exit::INVALID_SPEC);
            }
        },
        None => (DEFAULT_SPEC.to_owned(), Format::Yaml),
    };
    crate::spec_file::load_and_validate(&text, format).map_err(|diagnostics| {
        report(&name, &diagnostics);
        exit::INVALID_SPEC
    })
}

/// `Ok` when there are no rule problems; otherwise locates them in the spec's text, prints them
/// and returns the exit code.
fn located(diagnostics: &mut Diagnostics, loaded: &Loaded<StackSpec>, path: Option<&Path>) -> Result<(), u8> {
    if diagnostics.is_empty() {
        return Ok(());
    }
    locate_all(diagnostics, &loaded.spans);
    diagnostics.sort();
    report(&display_name(path), diagnostics);
    Err(exit::INVALID_SPEC)
}

fn report(name: &str, diagnostics: &Diagnostics) {
    for diagnostic in diagnostics.iter() {
        match diagnostic.location {
            Some(location) => {
                eprintln!("error: {name}:{location}: {} [{}]: {}", diagnostic.path, diagnostic.rule, diagnostic.message)
            }
            None => eprintln!("error: {name}: {} [{}]: {}", diagnostic.path, diagnostic.rule, diagnostic.message),
        }
    }
    eprintln!("error: {name} has {} problem(s); nothing was written", diagnostics.len());
}

/// The spec's JSON Schema, pretty-printed.
pub fn schema_json() -> String {
    crate::repository::schema_json().to_owned()
}

/// [`exit::OUTPUT_UNWRITABLE`] for a problem with the output folder the user can fix, otherwise
/// [`exit::INTERNAL`].
fn write_error_code(error: &crate::writer::WriteError) -> u8 {
    if error.is_output_problem() { exit::OUTPUT_UNWRITABLE } else { exit::INTERNAL }
}

fn io_error_code(error: &std::io::Error) -> u8 {
    if crate::writer::is_environment(error) { exit::OUTPUT_UNWRITABLE } else { exit::INTERNAL }
}

/// `stackgen init DIR`: the default stack as `DIR/stackgen.yaml` and its schema beside it. Writes
/// nothing when either exists.
fn init(dir: &Path) -> u8 {
    let files = [
        (dir.join(SPEC_FILE_NAME), DEFAULT_SPEC.to_owned()),
        (dir.join(crate::repository::SCHEMA_PATH), format!("{}\n", schema_json())),
    ];
    let existing: Vec<String> = files
        .iter()
        .filter(|(path, _)| path.symlink_metadata().is_ok())
        .map(|(p, _)| p.display().to_string())
        .collect();
    if !existing.is_empty() {
        eprintln!("error: {} already exist(s); stackgen init never overwrites a file", existing.join(" and "));
        return exit::HAND_EDITED;
    }
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {error}", dir.display());
        return io_error_code(&error);
    }
    for (path, text) in &files {
        // create_new: a file that appeared since the check above is still not overwritten.
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut file| std::io::Write::write_all(&mut file, text.as_bytes()));
        if let Err(error) = written {
            eprintln!("error: cannot write {}: {error}", path.display());
            return io_error_code(&error);
        }
        println!("wrote {}", path.display());
    }
    println!(
        "next: edit {} (names, region, GitHub repository), then run `stackgen generate` in {}",
        SPEC_FILE_NAME,
        dir.display()
    );
    exit::OK
}
