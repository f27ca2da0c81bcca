//! A bare warp hello-world with the same `GET /` JSON body as stackgen-service, for the
//! benchmark in `scripts/bench-service`: the difference between the two is what the service's
//! logging, metrics, request ids, limits and security headers cost.
//!
//! Listens on 127.0.0.1:$PORT (default 5003) with $WORKERS tokio threads (default: CPUs).

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
        let index = warp::path::end()
            .and(warp::get())
            .map(move || warp::reply::with_header(body.clone(), "content-type", "application/json"));
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        println!("listening on {}", listener.local_addr()?);
        // Served from a worker thread, as stackgen-service does, so that with WORKERS=1 accepting
        // and serving share one thread in both.
        tokio::spawn(warp::serve(index).incoming(listener).run()).await.map_err(std::io::Error::other)
    })
}
