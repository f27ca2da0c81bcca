//! Request counters and latency histograms in the Prometheus text format.
//!
//! Hand-rolled rather than `metrics` + `metrics-exporter-prometheus`: the label set is small and
//! bounded (route templates, a fixed set of method labels, statuses), so a short list of plain
//! counters, searched linearly, is the cheapest thing per request (no hashing, no allocation after
//! the first request of a kind), and the exposition format is a few lines.
//!
//! Each worker thread records into a shard of its own, so two cores never fight over one lock or
//! cache line per request; `/metrics` adds the shards up.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

/// Upper bounds (seconds) of the latency histogram buckets; `+Inf` is implied.
pub const BUCKETS: [f64; 12] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0];

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    route: &'static str,
    method: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Default)]
struct Series {
    /// Per-bucket (not cumulative) counts; the last slot counts observations above every bound.
    buckets: [u64; BUCKETS.len() + 1],
    count: u64,
    sum: f64,
}

/// One thread's counters.
#[derive(Debug, Default)]
struct Shard {
    series: Mutex<Vec<(Key, Series)>>,
    /// Requests started minus requests finished on this thread; a request can finish on another
    /// thread than it started on, so only the sum over shards means anything.
    in_flight: AtomicI64,
}

impl Shard {
    fn series(&self) -> MutexGuard<'_, Vec<(Key, Series)>> {
        // Plain counters; a panic elsewhere leaves them usable.
        self.series.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// All request metrics of the process.
#[derive(Debug)]
pub struct Metrics {
    /// Tells this instance's shards apart from another instance's in the same thread (tests).
    id: u64,
    shards: Mutex<Vec<Arc<Shard>>>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    static LOCAL: RefCell<Vec<(u64, Arc<Shard>)>> = const { RefCell::new(Vec::new()) };
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics { id: NEXT_ID.fetch_add(1, Ordering::Relaxed), shards: Mutex::default() }
    }
}

/// Maps a method to a label without letting clients invent unbounded label values.
pub fn method_label(method: &http::Method) -> &'static str {
    match *method {
        http::Method::GET => "GET",
        http::Method::HEAD => "HEAD",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::DELETE => "DELETE",
        http::Method::PATCH => "PATCH",
        http::Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

impl Metrics {
    /// Runs `f` on this thread's shard, creating it on first use.
    fn with_shard<R>(&self, f: impl FnOnce(&Shard) -> R) -> R {
        LOCAL.with_borrow_mut(|local| {
            let i = match local.iter().position(|(id, _)| *id == self.id) {
                Some(i) => i,
                None => {
                    let shard = Arc::new(Shard::default());
                    self.shards.lock().unwrap_or_else(|p| p.into_inner()).push(shard.clone());
                    local.push((self.id, shard));
                    local.len() - 1
                }
            };
            f(&local[i].1)
        })
    }

    /// Counts a request as started; pair with [`Metrics::finished`].
    pub fn started(&self) {
        self.with_shard(|s| s.in_flight.fetch_add(1, Ordering::Relaxed));
    }

    /// Counts a request as finished (answered or abandoned).
    pub fn finished(&self) {
        self.with_shard(|s| s.in_flight.fetch_sub(1, Ordering::Relaxed));
    }

    /// Requests started and not yet finished.
    pub fn in_flight(&self) -> i64 {
        self.shards().iter().map(|s| s.in_flight.load(Ordering::Relaxed)).sum()
    }

    fn shards(&self) -> Vec<Arc<Shard>> {
        self.shards.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Records one finished request.
    pub fn observe(&self, route: &'static str, method: &'static str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let slot = BUCKETS.iter().position(|&bound| secs <= bound).unwrap_or(BUCKETS.len());
        let key = Key { route, method, status };
        self.with_shard(|shard| {
            let mut series = shard.series();
            let i = match series.iter().position(|(k, _)| *k == key) {
                Some(i) => i,
                None => {
                    series.push((key, Series::default()));
                    series.len() - 1
                }
            };
            let s = &mut series[i].1;
            s.buckets[slot] += 1;
            s.count += 1;
            s.sum += secs;
        });
    }

    /// Renders every series, plus the given extra gauges and counters, as Prometheus text.
    pub fn render(&self, extra: &[(&str, &str, &str, f64)]) -> String {
        let mut snapshot: Vec<(Key, Series)> = Vec::new();
        for shard in self.shards() {
            for (key, series) in shard.series().iter() {
                match snapshot.iter_mut().find(|(k, _)| k == key) {
                    Some((_, total)) => {
                        for (t, b) in total.buckets.iter_mut().zip(series.buckets) {
                            *t += b;
                        }
                        total.count += series.count;
                        total.sum += series.sum;
                    }
                    None => snapshot.push((*key, series.clone())),
                }
            }
        }
        snapshot.sort_by_key(|(k, _)| *k);
        let mut out = String::with_capacity(512 + snapshot.len() * 1024);
        out.push_str("# HELP http_requests_total HTTP requests handled, by route template, method and status.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for (k, s) in &snapshot {
            let _ = writeln!(out, "http_requests_total{{{}}} {}", labels(k), s.count);
        }
        out.push_str("# HELP http_request_duration_seconds Time from request head received to response head ready.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for (k, s) in &snapshot {
            let labels = labels(k);
            let mut cumulative = 0;
            for (i, bound) in BUCKETS.iter().enumerate() {
                cumulative += s.buckets[i];
                let _ = writeln!(out, "http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let _ = writeln!(out, "http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "http_request_duration_seconds_sum{{{labels}}} {}", s.sum);
            let _ = writeln!(out, "http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        for (name, kind, help, value) in extra {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
        }
        out
    }
}

fn labels(k: &Key) -> String {
    // Route templates and method labels are compile-time constants, so no escaping is needed.
    format!("route=\"{}\",method=\"{}\",status=\"{}\"", k.route, k.method, k.status)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.observe("/", "GET", 200, Duration::from_micros(300));
        m.observe("/", "GET", 200, Duration::from_millis(3));
        m.observe("/", "GET", 200, Duration::from_secs(9));
        m.observe("unmatched", "POST", 404, Duration::from_micros(1));
        let text = m.render(&[("up", "gauge", "Always 1.", 1.0)]);
        let lines: Vec<&str> = text.lines().collect();
        let expect = [
            "http_requests_total{route=\"/\",method=\"GET\",status=\"200\"} 3",
            "http_requests_total{route=\"unmatched\",method=\"POST\",status=\"404\"} 1",
            "http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"0.0005\"} 1",
            "http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"0.0025\"} 1",
            "http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"0.005\"} 2",
            "http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"5\"} 2",
            "http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"+Inf\"} 3",
            "http_request_duration_seconds_count{route=\"/\",method=\"GET\",status=\"200\"} 3",
            "# TYPE up gauge",
            "up 1",
        ];
        for line in expect {
            assert!(lines.contains(&line), "missing {line:?} in\n{text}");
        }
        let sum = lines
            .iter()
            .find_map(|l| {
                l.strip_prefix("http_request_duration_seconds_sum{route=\"/\",method=\"GET\",status=\"200\"} ")
            })
            .and_then(|v| v.parse::<f64>().ok())
            .expect("a sum line");
        assert!((sum - 9.0033).abs() < 1e-9, "{sum}");
    }

    #[test]
    fn shards_from_every_thread_are_added_up() {
        let m = Metrics::default();
        std::thread::scope(|scope| {
            for _ in 0..4 {
                scope.spawn(|| {
                    for _ in 0..250 {
                        m.started();
                        m.observe("/", "GET", 200, Duration::from_millis(2));
                    }
                });
            }
        });
        // Finishing on another thread than the start still balances out in the sum.
        for _ in 0..999 {
            m.finished();
        }
        let text = m.render(&[]);
        assert!(text.contains("http_requests_total{route=\"/\",method=\"GET\",status=\"200\"} 1000\n"), "{text}");
        assert!(
            text.contains(
                "http_request_duration_seconds_bucket{route=\"/\",method=\"GET\",status=\"200\",le=\"0.0025\"} 1000\n"
            ),
            "{text}"
        );
        assert_eq!(m.in_flight(), 1);
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let m = http::Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&m), "OTHER");
        assert_eq!(method_label(&http::Method::GET), "GET");
    }
}
