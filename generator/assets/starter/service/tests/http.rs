//! Endpoints, headers, request ids, metrics and limits, against the real binary.

mod support;

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use pretty_assertions::assert_eq;
use support::{Server, get, header, json, raw_exchange, request, sample, send};

const SECURITY_HEADERS: [(&str, &str); 6] = [
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("content-security-policy", "default-src 'none'; frame-ancestors 'none'"),
    ("referrer-policy", "no-referrer"),
    ("cache-control", "no-store"),
    ("cross-origin-resource-policy", "same-origin"),
];

#[track_caller]
fn assert_common_headers(resp: &support::Reply) {
    for (name, value) in SECURITY_HEADERS {
        assert_eq!(header(resp, name), value, "{name}");
    }
    let id = header(resp, "x-request-id");
    assert!(!id.is_empty());
}

#[tokio::test]
async fn every_endpoint_answers_with_status_type_and_security_headers() {
    let server = Server::start(&[("POD_NAME", "web-7d9f-abcde"), ("SERVICE_NAME", "web")]);

    let index = get(server.addr, "/").await;
    assert_eq!(index.status(), 200);
    assert_eq!(header(&index, "content-type"), "application/json");
    assert_common_headers(&index);
    let body = json(&index);
    assert_eq!(body["name"], "web");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(body["pod"], "web-7d9f-abcde");
    assert!(body["commit"].is_string(), "{body}");

    let health = get(server.addr, "/healthz").await;
    assert_eq!(health.status(), 200);
    assert_eq!(json(&health), serde_json::json!({"status": "ok"}));
    assert_common_headers(&health);

    let ready = get(server.addr, "/readyz").await;
    assert_eq!(ready.status(), 200);
    assert_eq!(json(&ready), serde_json::json!({"status": "ready"}));
    assert_common_headers(&ready);

    let metrics = get(server.addr, "/metrics").await;
    assert_eq!(metrics.status(), 200);
    assert_eq!(header(&metrics, "content-type"), "text/plain; version=0.0.4; charset=utf-8");
    assert_common_headers(&metrics);
    let text = String::from_utf8_lossy(metrics.body());
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"), "{text}");
    assert_eq!(sample(&text, "service_ready"), Some(1.0), "{text}");

    // HEAD works wherever GET does, without a body.
    let head = send(server.addr, request("HEAD", "/healthz").body(Full::default()).expect("request")).await;
    assert_eq!(head.status(), 200);
    assert!(head.body().is_empty());
}

#[tokio::test]
async fn unknown_paths_are_json_404_and_wrong_methods_405() {
    let server = Server::start(&[]);
    for path in ["/nope", "/healthz/extra", "/prefix/healthz", "/index.html"] {
        let resp = get(server.addr, path).await;
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(header(&resp, "content-type"), "application/json");
        assert_eq!(json(&resp), serde_json::json!({"error": "not found", "status": 404}));
        assert_common_headers(&resp);
    }
    for (method, path) in [("POST", "/"), ("DELETE", "/healthz"), ("PUT", "/readyz"), ("PATCH", "/metrics")] {
        let resp = send(server.addr, request(method, path).body(Full::default()).expect("request")).await;
        assert_eq!(resp.status(), 405, "{method} {path}");
        assert_eq!(header(&resp, "allow"), "GET, HEAD");
        assert_eq!(json(&resp), serde_json::json!({"error": "method not allowed", "status": 405}));
        assert_common_headers(&resp);
    }
    // An unknown path stays 404 whatever the method.
    let resp = send(server.addr, request("POST", "/nope").body(Full::default()).expect("request")).await;
    assert_eq!(resp.status(), 404);
}

#[tokio::test]
async fn request_ids_are_echoed_or_generated_and_logged() {
    let server = Server::start(&[]);
    let resp = send(
        server.addr,
        request("GET", "/healthz?token=secret")
            .header("x-request-id", "req-42.abc")
            .body(Full::default())
            .expect("request"),
    )
    .await;
    assert_eq!(header(&resp, "x-request-id"), "req-42.abc");
    let line = server.wait_json_log("request_id", "req-42.abc");
    assert_eq!(line["msg"], "request");
    assert_eq!(line["level"], "info");
    assert_eq!(line["method"], "GET");
    // The query string (which can carry secrets) is not logged.
    assert_eq!(line["path"], "/healthz");
    assert_eq!(line["status"], 200);
    assert!(line["latency_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{line}");
    assert!(line["ts"].as_str().is_some_and(|t| t.ends_with('Z')), "{line}");
    // The client's address, as the service saw it (formatted once per connection).
    let peer = line["peer"].as_str().unwrap_or_default();
    assert!(peer.starts_with("127.0.0.1:") && peer[10..].parse::<u16>().is_ok(), "{line}");

    // Without one (or with one unsafe to log), the service makes one up and logs that.
    let a = get(server.addr, "/").await;
    let b = send(
        server.addr,
        request("GET", "/").header("x-request-id", "has spaces\"and quotes").body(Full::default()).expect("request"),
    )
    .await;
    let (a, b) = (header(&a, "x-request-id"), header(&b, "x-request-id"));
    for id in [a, b] {
        assert_eq!(id.len(), 32, "{id}");
        assert!(id.bytes().all(|c| c.is_ascii_hexdigit()), "{id}");
        server.wait_json_log("request_id", id);
    }
    assert_ne!(a, b);
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let server = Server::start(&[]);
    let ok = "http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"}";
    let hist = "http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\",status=\"200\"}";
    let inf = "http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",status=\"200\",le=\"+Inf\"}";
    let missing = "http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}";
    let metrics = |resp: support::Reply| String::from_utf8_lossy(resp.body()).into_owned();

    let before = metrics(get(server.addr, "/metrics").await);
    assert_eq!(sample(&before, ok), None, "{before}");
    for _ in 0..3 {
        assert_eq!(get(server.addr, "/healthz").await.status(), 200);
    }
    get(server.addr, "/missing").await;
    let after = metrics(get(server.addr, "/metrics").await);
    assert_eq!(sample(&after, ok), Some(3.0), "{after}");
    assert_eq!(sample(&after, hist), Some(3.0), "{after}");
    assert_eq!(sample(&after, inf), Some(3.0), "{after}");
    assert_eq!(sample(&after, missing), Some(1.0), "{after}");
    // The first /metrics request is counted once it has been answered.
    assert_eq!(
        sample(&after, "http_requests_total{route=\"/metrics\",method=\"GET\",status=\"200\"}"),
        Some(1.0),
        "{after}"
    );
    // Only this request is in flight while the page renders.
    assert_eq!(sample(&after, "http_requests_in_flight"), Some(1.0));
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let server = Server::start(&[("MAX_BODY_BYTES", "1024")]);
    let big =
        send(server.addr, request("POST", "/").body(Full::new(Bytes::from(vec![b'x'; 4096]))).expect("request")).await;
    assert_eq!(big.status(), 413);
    assert_eq!(json(&big), serde_json::json!({"error": "request body too large", "status": 413}));
    assert_common_headers(&big);

    // A chunked body announces no length; it is cut off once it passes the limit.
    let mut raw = server.raw();
    let mut chunked = b"POST / HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..3 {
        chunked.extend_from_slice(b"200\r\n");
        chunked.extend_from_slice(&[b'y'; 0x200]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let reply = raw_exchange(&mut raw, &chunked, Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 413 Payload Too Large\r\n"), "{reply}");

    // Within the limit the body is accepted and routing decides.
    let small =
        send(server.addr, request("GET", "/healthz").body(Full::new(Bytes::from_static(b"hello"))).expect("request"))
            .await;
    assert_eq!(small.status(), 200);
}

#[tokio::test]
async fn oversized_and_malformed_requests_get_errors_not_panics() {
    let server = Server::start(&[("MAX_HEADER_BYTES", "2048"), ("READ_TIMEOUT", "500ms")]);

    let mut raw = server.raw();
    let huge = format!("GET / HTTP/1.1\r\nhost: t\r\nx-filler: {}\r\n\r\n", "a".repeat(4096));
    let reply = raw_exchange(&mut raw, huge.as_bytes(), Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"), "{reply}");

    let mut raw = server.raw();
    let reply = raw_exchange(&mut raw, b"BLAH\x01 / HTTP/9\r\n\r\n", Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");

    let mut raw = server.raw();
    let reply =
        raw_exchange(&mut raw, b"GET / HTTP/1.1\r\nhost: t\r\ncontent-length: nope\r\n\r\n", Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");

    // Slowloris: headers trickling in are cut off at READ_TIMEOUT.
    let mut raw = server.raw();
    let started = std::time::Instant::now();
    let reply = raw_exchange(&mut raw, b"GET / HTTP/1.1\r\nhost: t\r\nx-slow: ", Duration::from_secs(5));
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(400) && took < Duration::from_secs(3), "closed after {took:?}: {reply:?}");
    assert!(!reply.contains("200 OK"), "{reply}");

    // Idle keep-alive connections are not held forever either.
    let mut raw = server.raw();
    let reply = raw_exchange(&mut raw, b"GET /healthz HTTP/1.1\r\nhost: t\r\n\r\n", Duration::from_secs(5));
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");

    // After all that, the service still answers.
    assert_eq!(get(server.addr, "/healthz").await.status(), 200);
}

#[tokio::test]
async fn text_logs_are_available_for_local_use() {
    let server = Server::start(&[("LOG_FORMAT", "text")]);
    let resp = send(
        server.addr,
        request("GET", "/healthz").header("x-request-id", "text-1").body(Full::default()).expect("request"),
    )
    .await;
    assert_eq!(resp.status(), 200);
    let line = server.wait_log(Duration::from_secs(5), |l| l.contains("request_id=text-1"));
    assert!(line.contains(" INFO  request method=GET path=/healthz status=200 latency_ms="), "{line}");
}

#[tokio::test]
async fn access_log_can_be_turned_off() {
    let server = Server::start(&[("ACCESS_LOG", "false")]);
    get(server.addr, "/healthz").await;
    // Shut down so every queued line has been written before looking.
    let mut server = server;
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(5)).success());
    let lines = server.stdout();
    assert!(lines.iter().any(|l| l.contains("shutdown complete")), "{lines:?}");
    assert!(!lines.iter().any(|l| l.contains("\"msg\":\"request\"")), "{lines:?}");
}
