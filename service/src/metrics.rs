//! Request counters and latency histograms in the Prometheus text format.
//!
//! Hand-rolled rather than `metrics` + `metrics-exporter-prometheus`: the label set is small and
//! bounded (route templates, a fixed set of method labels, statuses), so one mutex-guarded list of
//! plain counters, searched linearly, is both the simplest and the cheapest thing per request
//! (no hashing, no allocation after the first request of a kind), and the exposition format is a
//! few lines.

use std::fmt::Write as _;
use std::sync::Mutex;
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

/// All request metrics of the process.
#[derive(Debug, Default)]
pub struct Metrics {
    series: Mutex<Vec<(Key, Series)>>,
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
    /// Records one finished request.
    pub fn observe(&self, route: &'static str, method: &'static str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let slot = BUCKETS.iter().position(|&bound| secs <= bound).unwrap_or(BUCKETS.len());
        let key = Key { route, method, status };
        // A poisoned lock only means another thread panicked mid-update of plain counters;
        // the numbers are still usable.
        let mut series = self.series.lock().unwrap_or_else(|p| p.into_inner());
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
    }

    /// Renders every series, plus the given extra gauges and counters, as Prometheus text.
    pub fn render(&self, extra: &[(&str, &str, &str, f64)]) -> String {
        let mut snapshot: Vec<(Key, Series)> = {
            let series = self.series.lock().unwrap_or_else(|p| p.into_inner());
            series.clone()
        };
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
    fn unknown_methods_share_one_label() {
        let m = http::Method::from_bytes(b"BREW").expect("a token");
        assert_eq!(method_label(&m), "OTHER");
        assert_eq!(method_label(&http::Method::GET), "GET");
    }
}
