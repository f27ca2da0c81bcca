//! The request path: warp routes for the endpoints, wrapped in one hyper service that adds what
//! every response needs (request id, security headers, body limit, metrics, access log).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Body as _, Incoming};
use warp::Filter;
use warp::reply::Response;

use crate::config::Config;
use crate::log::{Logger, Value};
use crate::metrics::{Metrics, method_label};

/// Version of this build: `BUILD_VERSION` at compile time (the release the delivery workflow
/// computed, passed by the Dockerfile), else the crate's own version.
pub const VERSION: &str = match option_env!("BUILD_VERSION") {
    Some(v) if !v.is_empty() => v,
    _ => env!("CARGO_PKG_VERSION"),
};
/// Commit this build came from: `BUILD_COMMIT` at compile time (the Dockerfile passes it).
pub const COMMIT: &str = match option_env!("BUILD_COMMIT") {
    Some(c) if !c.is_empty() => c,
    _ => "unknown",
};

/// State shared by every request.
#[derive(Debug)]
pub struct State {
    /// The configuration the process started with.
    pub config: Config,
    /// Where log lines go.
    pub logger: Logger,
    /// Request metrics.
    pub metrics: Metrics,
    /// True from the moment the listener accepts until shutdown begins.
    pub ready: AtomicBool,
    /// `GET /` never changes, so its body is rendered once.
    index_body: Bytes,
}

impl State {
    /// Builds the shared state.
    pub fn new(config: Config, logger: Logger) -> Self {
        let index_body = serde_json::to_vec(&serde_json::json!({
            "name": config.service_name,
            "version": VERSION,
            "commit": COMMIT,
            "pod": config.pod_name,
        }))
        .map(Bytes::from)
        .unwrap_or_default();
        State { config, logger, metrics: Metrics::default(), ready: AtomicBool::new(false), index_body }
    }
}

thread_local! {
    /// Per-thread request id source (random seed, counter): no cache line shared between cores.
    static IDS: std::cell::Cell<(u64, u64)> = std::cell::Cell::new((random_seed(), 0));
}

/// A new request id: 32 hex digits, unique within the thread (a counter through a bijection)
/// and, with overwhelming probability, across threads and processes (a random 64-bit seed).
fn new_request_id() -> HeaderValue {
    let (seed, n) = IDS.get();
    IDS.set((seed, n.wrapping_add(1)));
    // splitmix64 is a bijection, so distinct counters give distinct ids; it also keeps ids from
    // revealing how many requests the pod has served.
    let id = (u128::from(seed) << 64) | u128::from(splitmix64(seed ^ n));
    let mut hex = [0u8; 32];
    for (i, digit) in hex.iter_mut().enumerate() {
        *digit = b"0123456789abcdef"[((id >> (124 - 4 * i)) & 0xf) as usize];
    }
    HeaderValue::from_bytes(&hex).unwrap_or(HeaderValue::from_static("invalid"))
}

fn random_seed() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    // std seeds RandomState from the OS's random source; no extra crate needed for 64 bits.
    let mut h = std::hash::RandomState::new().build_hasher();
    h.write_u128(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos());
    h.write_u32(std::process::id());
    h.finish()
}

fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The route template a response came from, for metric labels; absent on rejections.
#[derive(Clone, Copy, Debug)]
struct RouteLabel(&'static str);

const JSON: HeaderValue = HeaderValue::from_static("application/json");
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Headers a response ends up with: its own few, the security headers and the request id.
/// Sized up front so adding them never grows (and rehashes) the map.
const HEADER_CAPACITY: usize = 16;

fn json_response(status: StatusCode, body: impl Into<Bytes>) -> Response {
    let mut resp = Response::new(body.into().into());
    *resp.status_mut() = status;
    let mut headers = HeaderMap::with_capacity(HEADER_CAPACITY);
    headers.insert(header::CONTENT_TYPE, JSON);
    *resp.headers_mut() = headers;
    resp
}

fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message, "status": status.as_u16() }).to_string();
    json_response(status, body)
}

fn labelled(route: &'static str, mut resp: Response) -> Response {
    resp.extensions_mut().insert(RouteLabel(route));
    resp
}

/// GET and HEAD (hyper drops the body of HEAD responses itself).
fn get_or_head() -> impl Filter<Extract = (), Error = warp::Rejection> + Clone {
    warp::get().or(warp::head()).unify()
}

/// The endpoints. Paths are relative to wherever the ingress mounts the service: the ingress
/// rewrites `/<prefix>/x` to `/x`, and no response embeds an absolute URL.
pub fn routes(
    state: &'static State,
) -> impl Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static {
    // Path first, then method: an unknown path is a 404 even for an odd method, and a known
    // path with the wrong method is a 405.
    let index = {
        warp::path::end()
            .and(get_or_head())
            .map(move || labelled("/", json_response(StatusCode::OK, state.index_body.clone())))
    };
    let healthz = warp::path!("healthz")
        .and(get_or_head())
        .map(|| labelled("/healthz", json_response(StatusCode::OK, &b"{\"status\":\"ok\"}"[..])));
    let readyz = {
        warp::path!("readyz").and(get_or_head()).map(move || {
            let resp = if state.ready.load(Ordering::SeqCst) {
                json_response(StatusCode::OK, &b"{\"status\":\"ready\"}"[..])
            } else {
                json_response(StatusCode::SERVICE_UNAVAILABLE, &b"{\"status\":\"not ready\"}"[..])
            };
            labelled("/readyz", resp)
        })
    };
    let metrics = warp::path!("metrics").and(get_or_head()).map(move || {
        let extra = [
            ("http_requests_in_flight", "gauge", "Requests being handled now.", state.metrics.in_flight() as f64),
            (
                "log_lines_dropped_total",
                "counter",
                "Log lines dropped because stdout could not keep up.",
                state.logger.dropped() as f64,
            ),
            (
                "service_ready",
                "gauge",
                "1 while the readiness probe passes.",
                f64::from(u8::from(state.ready.load(Ordering::SeqCst))),
            ),
        ];
        let mut resp = Response::new(state.metrics.render(&extra).into());
        resp.headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"));
        labelled("/metrics", resp)
    });
    index
        .or(healthz)
        .unify()
        .or(readyz)
        .unify()
        .or(metrics)
        .unify()
        .recover(|rejection: warp::Rejection| async move { Ok::<_, Infallible>(rejection_response(&rejection)) })
        .unify()
}

fn rejection_response(rejection: &warp::Rejection) -> Response {
    if rejection.is_not_found() {
        return error_response(StatusCode::NOT_FOUND, "not found");
    }
    if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        let mut resp = error_response(StatusCode::METHOD_NOT_ALLOWED, "method not allowed");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return resp;
    }
    // No route reads headers, queries or bodies, so nothing else rejects today; should a future
    // filter do so, the request is what was wrong.
    error_response(StatusCode::BAD_REQUEST, "bad request")
}

/// Headers every response carries. The service serves JSON and text only, so the strictest
/// policies cost nothing. Public so the benchmark's bare baseline sends exactly these.
pub const SECURITY_HEADERS: [(HeaderName, HeaderValue); 6] = [
    (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'")),
    (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    (HeaderName::from_static("cross-origin-resource-policy"), HeaderValue::from_static("same-origin")),
];

/// Accepts a client's request id only if it is short and plain, so it is safe in logs and
/// headers; anything else is replaced by a generated one.
fn incoming_request_id(headers: &HeaderMap) -> Option<HeaderValue> {
    let value = headers.get(&REQUEST_ID)?;
    let bytes = value.as_bytes();
    let plain =
        (1..=128).contains(&bytes.len()) && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"-_.:/+=".contains(b));
    plain.then(|| value.clone())
}

/// Why a request body was refused.
enum BodyError {
    TooLarge,
    Timeout,
    Broken,
}

/// Reads the whole body (every route is small) within the size limit and read timeout.
async fn read_body(body: Incoming, limit: usize, timeout: Duration) -> Result<Bytes, BodyError> {
    if body.is_end_stream() {
        return Ok(Bytes::new());
    }
    if body.size_hint().lower() > limit as u64 {
        return Err(BodyError::TooLarge);
    }
    match tokio::time::timeout(timeout, Limited::new(body, limit).collect()).await {
        Err(_) => Err(BodyError::Timeout),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.is::<http_body_util::LengthLimitError>() => Err(BodyError::TooLarge),
        Ok(Err(_)) => Err(BodyError::Broken),
    }
}

/// A peer address as text, formatted once per connection rather than on every access line.
#[derive(Clone, Copy)]
struct PeerText {
    // The longest socket address, an IPv6 one with a scope id and port, is 54 bytes.
    buf: [u8; 64],
    len: u8,
}

impl PeerText {
    fn new(addr: SocketAddr) -> Self {
        use std::io::Write as _;
        let mut buf = [0u8; 64];
        let mut rest = &mut buf[..];
        let len = match write!(rest, "{addr}") {
            Ok(()) => 64 - rest.len(),
            Err(_) => 0,
        };
        PeerText { buf, len: len as u8 }
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.buf[..usize::from(self.len)]).unwrap_or_default()
    }
}

/// The hyper service for one connection.
#[derive(Clone)]
pub struct Service<F> {
    state: &'static State,
    routes: F,
    peer: PeerText,
}

impl<F> Service<F> {
    /// A service for a connection from `peer`.
    pub fn new(state: &'static State, routes: F, peer: SocketAddr) -> Self {
        Service { state, routes, peer: PeerText::new(peer) }
    }
}

/// Decrements the in-flight gauge however the request ends (even if its future is dropped).
struct InFlight<'a>(&'a Metrics);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.finished();
    }
}

impl<F> hyper::service::Service<Request<Incoming>> for Service<F>
where
    F: Filter<Extract = (Response,), Error = Infallible> + Clone + Send + Sync + 'static,
    F::Future: Send,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: Request<Incoming>) -> Self::Future {
        let state = self.state;
        let mut routes = warp::service(self.routes.clone());
        let peer = self.peer;
        Box::pin(async move {
            let start = Instant::now();
            state.metrics.started();
            let _in_flight = InFlight(&state.metrics);
            let request_id = incoming_request_id(req.headers()).unwrap_or_else(new_request_id);
            let method = req.method().clone();
            let uri = req.uri().clone();
            let (parts, body) = req.into_parts();
            let cfg = &state.config;
            let mut resp = match read_body(body, cfg.max_body_bytes, cfg.read_timeout).await {
                Ok(bytes) => {
                    let req = Request::from_parts(parts, Full::new(bytes));
                    match tower_service::Service::call(&mut routes, req).await {
                        Ok(resp) => resp,
                        Err(never) => match never {},
                    }
                }
                Err(e) => {
                    let (status, message) = match e {
                        BodyError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "request body too large"),
                        BodyError::Timeout => (StatusCode::REQUEST_TIMEOUT, "request body timeout"),
                        BodyError::Broken => (StatusCode::BAD_REQUEST, "unreadable request body"),
                    };
                    let mut resp = error_response(status, message);
                    // The rest of the body is unread; the connection cannot be reused.
                    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
                    resp
                }
            };
            let route = resp.extensions().get::<RouteLabel>().map_or("unmatched", |r| r.0);
            let headers = resp.headers_mut();
            headers.reserve(SECURITY_HEADERS.len() + 1);
            for (name, value) in SECURITY_HEADERS {
                headers.insert(name, value);
            }
            let took = start.elapsed();
            let status = resp.status().as_u16();
            state.metrics.observe(route, method_label(&method), status, took);
            if cfg.access_log {
                log_access(&state.logger, &method, &uri, status, took, &request_id, peer.as_str());
            }
            // Moved in last: a clone of a generated id would cost an allocation.
            resp.headers_mut().insert(REQUEST_ID, request_id);
            Ok(resp)
        })
    }
}

fn log_access(
    logger: &Logger,
    method: &Method,
    uri: &http::Uri,
    status: u16,
    took: Duration,
    request_id: &HeaderValue,
    peer: &str,
) {
    logger.info(
        "request",
        &[
            ("method", Value::Str(method.as_str())),
            // The path only: query strings can carry tokens that do not belong in logs.
            ("path", Value::Str(uri.path())),
            ("status", Value::U64(u64::from(status))),
            ("latency_ms", Value::Millis(took)),
            ("request_id", Value::Str(request_id.to_str().unwrap_or(""))),
            ("peer", Value::Str(peer)),
        ],
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn plain_request_ids_are_kept_and_others_replaced() {
        let mut h = HeaderMap::new();
        assert_eq!(incoming_request_id(&h), None);
        h.insert(REQUEST_ID, HeaderValue::from_static("abc-123_x.y:z"));
        assert_eq!(incoming_request_id(&h), Some(HeaderValue::from_static("abc-123_x.y:z")));
        h.insert(REQUEST_ID, HeaderValue::from_static("a b"));
        assert_eq!(incoming_request_id(&h), None);
        h.insert(REQUEST_ID, HeaderValue::from_str(&"a".repeat(129)).expect("ascii"));
        assert_eq!(incoming_request_id(&h), None);
        h.insert(REQUEST_ID, HeaderValue::from_static(""));
        assert_eq!(incoming_request_id(&h), None);
    }

    #[test]
    fn peer_text_holds_the_longest_address() {
        let longest: SocketAddr =
            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535".parse().expect("literal");
        assert_eq!(PeerText::new(longest).as_str(), longest.to_string());
        let v4: SocketAddr = "10.1.2.3:40000".parse().expect("literal");
        assert_eq!(PeerText::new(v4).as_str(), "10.1.2.3:40000");
    }

    #[test]
    fn generated_request_ids_are_distinct_hex() {
        let mine: Vec<String> = (0..10_000).map(|_| new_request_id().to_str().expect("ASCII").to_owned()).collect();
        let other: Vec<String> =
            std::thread::spawn(|| (0..10_000).map(|_| new_request_id().to_str().expect("ASCII").to_owned()).collect())
                .join()
                .expect("thread");
        let ids: std::collections::HashSet<&String> = mine.iter().chain(&other).collect();
        assert_eq!(ids.len(), 20_000);
        assert!(ids.iter().all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())));
    }
}
