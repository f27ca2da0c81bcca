//! Accepting connections, serving them with hyper's HTTP/1 server and shutting down gracefully.
//!
//! warp's own `serve` cannot set hyper's header read timeout or header size limit, so the warp
//! filter is served through hyper directly; that also makes a bind failure an error instead of
//! warp's panic.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{SignalKind, signal};

use crate::app::{self, Service, State};
use crate::log::Value;

/// Binds the listener; the error says which address failed.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

/// How the server stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stopped {
    /// Every connection finished within the grace period.
    Drained,
    /// The grace period ran out (or a second signal came) with connections still open.
    Forced,
}

/// Serves until SIGTERM or SIGINT, then drains. `started` is when the process started, for the
/// start-up log line.
pub async fn run(state: &'static State, listener: TcpListener, started: Instant) -> io::Result<Stopped> {
    let mut sigterm = signal(SignalKind::terminate())?;
    let mut sigint = signal(SignalKind::interrupt())?;
    let local = listener.local_addr()?;
    let routes = app::routes(state);
    let graceful = GracefulShutdown::new();
    let cfg = &state.config;

    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(cfg.read_timeout)
        .max_header_size(cfg.max_header_bytes)
        .max_headers(cfg.max_headers)
        .keep_alive(true)
        // Every response is small: copying the body behind the head and sending both with one
        // plain write measured 5-10 % more requests/s than a vectored write of the two.
        .writev(false);

    let serve = |stream: TcpStream, peer: SocketAddr| {
        // Responses are written in one go; Nagle would only add latency.
        let _ = stream.set_nodelay(true);
        let service = Service::new(state, routes.clone(), peer);
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            // Client resets, timeouts and malformed requests end up here; hyper has already
            // answered what deserved an answer.
            let _ = conn.await;
        });
    };

    state.ready.store(true, Ordering::SeqCst);
    let local_s = local.to_string();
    state.logger.info(
        "listening",
        &[
            ("addr", Value::Str(&local_s)),
            ("version", Value::Str(app::VERSION)),
            ("commit", Value::Str(app::COMMIT)),
            ("workers", Value::U64(cfg.workers as u64)),
            ("startup_ms", Value::F64(started.elapsed().as_secs_f64() * 1000.0)),
        ],
    );

    let signal_name = loop {
        tokio::select! {
            _ = sigterm.recv() => break "SIGTERM",
            _ = sigint.recv() => break "SIGINT",
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => serve(stream, peer),
                Err(e) => accept_failed(state, &e).await,
            },
        }
    };

    // Readiness fails first, so the endpoints controller stops routing new traffic here.
    state.ready.store(false, Ordering::SeqCst);
    let delay = cfg.shutdown_delay;
    state.logger.info(
        "shutdown started",
        &[
            ("signal", Value::Str(signal_name)),
            ("delay_ms", Value::U64(delay.as_millis() as u64)),
            ("grace_ms", Value::U64(cfg.shutdown_grace.as_millis() as u64)),
        ],
    );
    if !delay.is_zero() {
        // Keep serving (while reporting not ready) until load balancers have caught up.
        let until = tokio::time::Instant::now() + delay;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(until) => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => serve(stream, peer),
                    Err(e) => accept_failed(state, &e).await,
                },
            }
        }
    }
    // New connections are refused from here on.
    drop(listener);
    let drained = tokio::select! {
        () = graceful.shutdown() => Stopped::Drained,
        // SHUTDOWN_GRACE counts from the signal, so the delay is part of it.
        () = tokio::time::sleep(cfg.shutdown_grace.saturating_sub(delay)) => Stopped::Forced,
        _ = sigterm.recv() => Stopped::Forced,
        _ = sigint.recv() => Stopped::Forced,
    };
    let in_flight = state.metrics.in_flight();
    match drained {
        Stopped::Drained => state.logger.info("shutdown complete", &[]),
        Stopped::Forced => state
            .logger
            .warn("shutdown forced: connections still open", &[("in_flight", Value::U64(in_flight.max(0) as u64))]),
    }
    Ok(drained)
}

async fn accept_failed(state: &State, e: &io::Error) {
    // A peer that reset before accept is routine; running out of file descriptors is not, and
    // retrying at once would spin, so back off briefly.
    if matches!(e.kind(), io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset) {
        return;
    }
    let msg = e.to_string();
    state.logger.error("accept failed", &[("error", Value::Str(&msg))]);
    tokio::time::sleep(Duration::from_millis(100)).await;
}
