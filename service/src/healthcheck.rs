//! `stackgen-service healthcheck`: the container's own liveness probe.
//!
//! The runtime image is distroless (no shell, no curl), so Docker's `HEALTHCHECK` runs the
//! binary itself. It reads the same `BIND`/`PORT` variables as the server, asks
//! `GET /healthz` on the loopback interface and turns the answer into an exit code: 0 for a
//! 200, 1 for anything else (Docker's "unhealthy"). Plain blocking std I/O: no runtime to start,
//! done in a few milliseconds.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::config::Config;

/// How long the probe waits to connect, and then for the answer.
pub const TIMEOUT: Duration = Duration::from_secs(2);

/// Where the probe connects for a server configured with `config`: its own address, with a
/// wildcard bind (`0.0.0.0`, `::`) replaced by the matching loopback address.
pub fn probe_addr(config: &Config) -> SocketAddr {
    let ip = match config.addr.ip() {
        IpAddr::V4(v4) if v4.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(v6) if v6.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, config.addr.port())
}

/// Asks `GET /healthz` at `addr`. `Ok(())` when the answer's status is 200; otherwise a
/// one-line reason for the log of the failed check.
pub fn probe(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    stream.set_read_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream.set_write_timeout(Some(timeout)).map_err(|e| e.to_string())?;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nUser-Agent: healthcheck\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("cannot send the request to {addr}: {e}"))?;
    // The status line is all that matters; read until it is complete (or 1 KiB arrived).
    let mut head = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !head.contains(&b'\n') && head.len() < 1024 {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            Err(e) => return Err(format!("no answer from {addr}: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let status_line = line.lines().next().unwrap_or_default();
    match status_line.split(' ').nth(1) {
        Some("200") => Ok(()),
        _ => Err(format!("GET /healthz on {addr} answered {status_line:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(vars: &[(&str, &str)]) -> Config {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())).expect("valid")
    }

    #[test]
    fn wildcard_binds_are_probed_on_loopback() {
        assert_eq!(probe_addr(&config(&[])), "127.0.0.1:5000".parse().expect("literal"));
        assert_eq!(probe_addr(&config(&[("BIND", "::"), ("PORT", "8080")])), "[::1]:8080".parse().expect("literal"));
        assert_eq!(probe_addr(&config(&[("BIND", "127.0.0.2")])), "127.0.0.2:5000".parse().expect("literal"));
    }

    #[test]
    fn a_closed_port_is_a_failure_naming_the_address() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let error = probe(addr, TIMEOUT).expect_err("nothing listens");
        assert!(error.starts_with(&format!("cannot connect to {addr}")), "{error}");
    }

    #[test]
    fn only_a_200_is_healthy() {
        for (answer, healthy) in
            [("HTTP/1.1 200 OK\r\n\r\n", true), ("HTTP/1.1 503 Service Unavailable\r\n\r\n", false)]
        {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let addr = listener.local_addr().expect("addr");
            let server = std::thread::spawn(move || {
                let (mut conn, _) = listener.accept().expect("accept");
                let mut request = [0u8; 512];
                let n = conn.read(&mut request).expect("read");
                conn.write_all(answer.as_bytes()).expect("write");
                String::from_utf8_lossy(&request[..n]).into_owned()
            });
            let result = probe(addr, TIMEOUT);
            let request = server.join().expect("server thread");
            assert!(request.starts_with("GET /healthz HTTP/1.1\r\n"), "{request}");
            assert_eq!(result.is_ok(), healthy, "{answer:?}: {result:?}");
        }
    }
}
