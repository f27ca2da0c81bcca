//! A bare warp hello-world with the same `GET /` JSON body as stackgen-service, for the
//! benchmark in `scripts/bench-service`: the difference between the two is what the service's
//! logging, metrics, request ids, limits and security headers cost.
//!
//! Listens on 127.0.0.1:$PORT (default 5003) with $WORKERS tokio threads (default: CPUs).
//! With `SERVICE_HEADERS=1` every response also carries the service's security headers and an
//! `x-request-id` of the same length (fixed, not generated), so the response is byte for byte as
//! long as the service's: wrk parses every header, and on a machine where wrk shares the CPUs
//! with the server, that alone costs throughput that is not the server's doing.

use warp::Filter;

fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| std::io::Error::other(format!("PORT={p:?} is not a port")))?,
        Err(_) => 5003,
    };
    let workers = match std::env::var("WORKERS") {
        Ok(w) => w.parse().map_err(|_| std::io::Error::other(format!("WORKERS={w:?} is not a number")))?,
        Err(_) => std::thread::available_parallelism().map_or(1, usize::from),
    };
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build()?.block_on(async move {
        let body = serde_json::json!({
            "name": "stackgen-service",
            "version": env!("CARGO_PKG_VERSION"),
            "commit": "unknown",
            "pod": "bench",
        })
        .to_string();
        let mut headers = warp::http::HeaderMap::new();
        headers.insert("content-type", warp::http::HeaderValue::from_static("application/json"));
        if std::env::var_os("SERVICE_HEADERS").is_some_and(|v| v == "1") {
            for (name, value) in stackgen_service::app::SECURITY_HEADERS {
                headers.insert(name, value);
            }
            // As long as a generated id; fixed, so the baseline does none of the service's work.
            headers.insert("x-request-id", warp::http::HeaderValue::from_static("00000000000000000000000000000000"));
        }
        let index = warp::path::end().and(warp::get()).map(move || {
            let mut resp = warp::reply::Response::new(body.clone().into());
            *resp.headers_mut() = headers.clone();
            resp
        });
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on {}", listener.local_addr()?);
        // Served from a worker thread, as stackgen-service does, so that with WORKERS=1 accepting
        // and serving share one thread in both.
        tokio::spawn(warp::serve(index).incoming(listener).run()).await.map_err(std::io::Error::other)
    })
}
