//! Graceful shutdown of the real binary: readiness fails at once, in-flight requests finish,
//! new connections are refused, and the process exits 0 within the grace period.
//!
//! The in-flight request is a `GET /` whose body the client sends slowly: the service reads
//! request bodies before routing, so the request is in progress for as long as the client
//! wants, without a debug-only slow endpoint that production builds would have to carry.

mod support;

use std::io::Write;
use std::time::{Duration, Instant};

use pretty_assertions::assert_eq;
use support::{Server, get, read_until_close, sample, try_send};

/// Polls until `/metrics` says `n` requests are in flight (the `/metrics` request included).
async fn wait_in_flight(server: &Server, n: f64) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let m = get(server.addr, "/metrics").await;
        let text = String::from_utf8_lossy(m.body()).into_owned();
        if sample(&text, "http_requests_in_flight") == Some(n) {
            return;
        }
        assert!(Instant::now() < deadline, "in flight never reached {n}:\n{text}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn refused(server: &Server) -> bool {
    match std::net::TcpStream::connect(server.addr) {
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
        Ok(_) => false,
    }
}

#[tokio::test]
async fn sigterm_fails_readiness_drains_in_flight_and_exits_zero() {
    let mut server = Server::start(&[("SHUTDOWN_DELAY", "1s"), ("SHUTDOWN_GRACE", "10s"), ("READ_TIMEOUT", "20s")]);
    assert_eq!(get(server.addr, "/readyz").await.status(), 200);

    // A request whose body is still arriving.
    let mut slow = server.raw();
    slow.write_all(b"GET / HTTP/1.1\r\nhost: t\r\nx-request-id: slow-1\r\ncontent-length: 10\r\n\r\n12345")
        .expect("write head");
    wait_in_flight(&server, 2.0).await;

    let signalled = Instant::now();
    server.signal("TERM");
    // Readiness fails at once: well before the shutdown delay is over.
    let deadline = Instant::now() + Duration::from_millis(500);
    loop {
        let resp = get(server.addr, "/readyz").await;
        if resp.status() == 503 {
            assert_eq!(support::json(&resp), serde_json::json!({"status": "not ready"}));
            break;
        }
        assert!(Instant::now() < deadline, "/readyz still {}", resp.status());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let started = server.wait_json_log("msg", "shutdown started");
    assert_eq!(started["signal"], "SIGTERM");

    // After the delay the listener closes: new connections are refused.
    while !refused(&server) {
        assert!(
            signalled.elapsed() < Duration::from_secs(3),
            "still accepting connections {:?} after SIGTERM",
            signalled.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        signalled.elapsed() >= Duration::from_millis(900),
        "listener closed before SHUTDOWN_DELAY: {:?}",
        signalled.elapsed()
    );
    assert!(
        try_send(server.addr, support::request("GET", "/healthz").body(Default::default()).expect("request"))
            .await
            .is_err()
    );

    // The process is still there, waiting for the in-flight request.
    assert!(server.wait_exit_or_running(Duration::from_millis(200)).is_none());
    slow.write_all(b"67890").expect("write rest of body");
    let reply = read_until_close(&mut slow, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.contains("x-request-id: slow-1\r\n"), "{reply}");
    assert!(reply.contains(&format!("\"name\":\"{}\"", env!("CARGO_PKG_NAME"))), "{reply}");

    let status = server.wait_exit(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    server.wait_json_log("msg", "shutdown complete");
    let logged = server.wait_json_log("request_id", "slow-1");
    assert_eq!(logged["status"], 200);
}

#[tokio::test]
async fn sigint_with_idle_keep_alive_connections_exits_promptly() {
    let mut server = Server::start(&[("SHUTDOWN_GRACE", "20s")]);
    // An idle keep-alive connection must not hold shutdown up.
    let mut idle = server.raw();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n").expect("write");
    let started = Instant::now();
    std::thread::sleep(Duration::from_millis(100));
    server.signal("INT");
    let status = server.wait_exit(Duration::from_secs(5));
    assert_eq!(status.code(), Some(0));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    let reply = read_until_close(&mut idle, Duration::from_secs(2));
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(refused(&server));
}

#[tokio::test]
async fn a_request_that_never_finishes_is_cut_off_at_the_grace_period() {
    let mut server = Server::start(&[("SHUTDOWN_GRACE", "1s"), ("READ_TIMEOUT", "60s")]);
    let mut stuck = server.raw();
    stuck.write_all(b"GET / HTTP/1.1\r\nhost: t\r\ncontent-length: 10\r\n\r\n1").expect("write");
    wait_in_flight(&server, 2.0).await;
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server.wait_exit(Duration::from_secs(5));
    let took = signalled.elapsed();
    assert_eq!(status.code(), Some(0));
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(3), "exited after {took:?}");
    let forced = server.wait_json_log("msg", "shutdown forced: connections still open");
    assert_eq!(forced["level"], "warn");
    assert_eq!(forced["in_flight"], 1);
    let rest = read_until_close(&mut stuck, Duration::from_secs(2));
    assert!(!rest.contains("200 OK"), "{rest}");
}
