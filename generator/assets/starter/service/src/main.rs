//! The `stackgen-service` binary: parses arguments and configuration, then serves.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use stackgen_service::app::{COMMIT, State, VERSION};
use stackgen_service::config::NAME;
use stackgen_service::config::{Config, VARIABLES};
use stackgen_service::healthcheck;
use stackgen_service::log::{Logger, Value};
use stackgen_service::server;

fn help() -> String {
    let mut s = format!(
        "{NAME} {VERSION}\n\
         The HTTP workload stackgen deploys: GET / (service info), /healthz, /readyz, /metrics.\n\n\
         Usage: {NAME} [healthcheck | --help | --version]\n\n\
         healthcheck: GET /healthz on this configuration's port over loopback; exit 0 when it\n\
         answers 200, else 1 (the image's HEALTHCHECK: distroless has no shell or curl).\n\n\
         Configuration (environment variables, defaults in brackets):\n"
    );
    for (name, default, what) in VARIABLES {
        s.push_str(&format!("  {name:<17} {what} [{default}]\n"));
    }
    s.push_str("\nStops gracefully on SIGTERM or SIGINT; a second signal stops at once.\n");
    s
}

/// `stackgen-service healthcheck`: exit 0 when the server configured by the environment answers
/// `GET /healthz` with 200, 1 otherwise (2 for a configuration it cannot read).
fn healthcheck_command() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match healthcheck::probe(healthcheck::probe_addr(&config), healthcheck::TIMEOUT) {
        Ok(()) => ExitCode::SUCCESS,
        Err(reason) => {
            eprintln!("unhealthy: {reason}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let started = Instant::now();
    let mut args = std::env::args_os().skip(1);
    if let Some(arg) = args.next() {
        return match arg.to_str() {
            Some("-h" | "--help") => {
                print!("{}", help());
                ExitCode::SUCCESS
            }
            Some("healthcheck") => healthcheck_command(),
            Some("-V" | "--version") => {
                println!("{NAME} {VERSION} (commit {COMMIT})");
                ExitCode::SUCCESS
            }
            _ => {
                eprintln!(
                    "error: unexpected argument {arg:?}; configuration comes from environment \
                     variables, see --help"
                );
                ExitCode::from(2)
            }
        };
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(config.workers).enable_all().build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let logger = match Logger::start(config.log_format) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot start the log writer: {e}");
            return ExitCode::FAILURE;
        }
    };
    // One State for the life of the process: leaking it lets every request borrow it without
    // touching a shared reference count.
    let state: &'static State = Box::leak(Box::new(State::new(config, logger)));
    // The accept loop runs on a worker, not on this thread, so accepting and serving a
    // connection do not need a cross-thread hand-off (it matters with WORKERS=1).
    let result = runtime.block_on(async move {
        let task = tokio::spawn(async move {
            let listener = server::bind(state.config.addr).await?;
            server::run(state, listener, started).await
        });
        task.await.unwrap_or_else(|e| Err(std::io::Error::other(format!("server task failed: {e}"))))
    });
    let code = match result {
        // A forced stop is still the orderly end Kubernetes asked for; the warning says so.
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            let msg = e.to_string();
            state.logger.error("fatal", &[("error", Value::Str(&msg))]);
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    };
    // Connections still open after a forced stop must not delay exit.
    runtime.shutdown_timeout(Duration::from_millis(100));
    state.logger.flush(Duration::from_secs(2));
    code
}
