//! The `stackgen` command; all logic lives in `stackgen_generator::cli`.
fn main() -> std::process::ExitCode {
    stackgen_generator::cli::main()
}
