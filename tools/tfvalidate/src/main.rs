//! `tfvalidate`: the schema-only stand-in Terraform provider, and a small CLI.
//!
//! Started by Terraform (magic cookie set) it serves one provider's schema, chosen by its own
//! file name (`terraform-provider-azurerm_v4.55.0`). Run by hand:
//! `tfvalidate validate DIR...` prints the offline `fmt`/`init`/`validate` report of each root.

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    if std::env::var_os(tfvalidate::provider::MAGIC_COOKIE_KEY).is_some() {
        return match tfvalidate::provider::serve() {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("tfvalidate stand-in provider: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((command, dirs)) if command == "validate" && !dirs.is_empty() => {
            let mut clean = true;
            for dir in dirs {
                match tfvalidate::validate_root(Path::new(dir)) {
                    Ok(report) => {
                        println!("{dir}:\n{report}");
                        clean &= report.is_clean();
                    }
                    Err(e) => {
                        eprintln!("{dir}: {e:#}");
                        return ExitCode::from(2);
                    }
                }
            }
            if clean { ExitCode::SUCCESS } else { ExitCode::FAILURE }
        }
        _ => {
            eprintln!(
                "usage: tfvalidate validate DIR...\n\
                 Runs terraform fmt -check, init (offline, stand-in providers) and validate on each \
                 Terraform root. Install the schemas and stand-ins first: bash scripts/install-tools"
            );
            ExitCode::from(2)
        }
    }
}
