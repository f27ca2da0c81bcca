//! Command line and configuration errors of the real binary.

mod support;

use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use support::BIN;

fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(BIN).args(args).env_clear().envs(env.iter().copied()).output().expect("run the service binary")
}

#[track_caller]
fn refused(env: &[(&str, &str)], expected_stderr: &str) {
    let out = run(&[], env);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stderr), expected_stderr);
    assert!(out.stdout.is_empty(), "{out:?}");
}

#[test]
fn bad_configuration_is_refused_naming_the_variable() {
    refused(
        &[("PORT", "http")],
        "error: invalid environment variable PORT=\"http\": expected a port number from 0 to 65535\n",
    );
    refused(
        &[("BIND", "localhost")],
        "error: invalid environment variable BIND=\"localhost\": expected an IP address such as 0.0.0.0 or ::\n",
    );
    refused(
        &[("SHUTDOWN_GRACE", "forever")],
        "error: invalid environment variable SHUTDOWN_GRACE=\"forever\": expected a duration such as 500ms, 5s or 1m, from 1ms to 3600s\n",
    );
    refused(
        &[("MAX_BODY_BYTES", "1e9")],
        "error: invalid environment variable MAX_BODY_BYTES=\"1e9\": expected an integer from 0 to 1073741824\n",
    );
    refused(
        &[("LOG_FORMAT", "yaml")],
        "error: invalid environment variable LOG_FORMAT=\"yaml\": expected json or text\n",
    );
}

#[test]
fn an_address_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = taken.local_addr().expect("addr").port().to_string();
    let out = run(&[], &[("BIND", "127.0.0.1"), ("PORT", &port)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.starts_with(&format!("error: cannot listen on 127.0.0.1:{port}: ")), "{stderr}");
}

#[test]
fn version_and_help() {
    let out = run(&["--version"], &[]);
    assert!(out.status.success());
    let version = String::from_utf8_lossy(&out.stdout);
    let expected = format!("{} {} (commit ", env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&expected), "{version}");

    let out = run(&["--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for variable in [
        "BIND",
        "PORT",
        "LOG_FORMAT",
        "ACCESS_LOG",
        "SHUTDOWN_GRACE",
        "SHUTDOWN_DELAY",
        "READ_TIMEOUT",
        "MAX_BODY_BYTES",
        "MAX_HEADER_BYTES",
        "MAX_HEADERS",
        "WORKERS",
        "SERVICE_NAME",
        "POD_NAME",
    ] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(variable)), "{variable} missing from --help:\n{help}");
    }

    let out = run(&["--port", "80"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unexpected argument \"--port\""), "{out:?}");
}

#[test]
fn healthcheck_probes_the_running_server_and_fails_when_nothing_answers() {
    let server = support::Server::start(&[]);
    let port = server.addr.port().to_string();
    // BIND as the image sets it: the probe goes to loopback, not to 0.0.0.0.
    let out = run(&["healthcheck"], &[("BIND", "0.0.0.0"), ("PORT", &port)]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
    drop(server);

    let out = run(&["healthcheck"], &[("BIND", "127.0.0.1"), ("PORT", &port)]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("unhealthy: cannot connect to 127.0.0.1:"), "{out:?}");

    let out = run(&["healthcheck"], &[("PORT", "web")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
