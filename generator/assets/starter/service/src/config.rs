//! Configuration, read once at start-up from environment variables.
//!
//! Every variable has a typed parser; a bad value stops the process with an error that names the
//! variable, the value it had and what was expected, so a typo in a Helm value is obvious from the
//! pod's log instead of surfacing as odd behaviour later.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

/// The package's name (a stackgen-generated repository names it after the app): the binary's
/// name in `--help` and `--version`, and the default of `SERVICE_NAME`. It lives here, beside the
/// setting it defaults, so `config` needs nothing from `app` (which reads `config`).
pub const NAME: &str = env!("CARGO_PKG_NAME");

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// One JSON object per line (the default: what log collectors parse).
    Json,
    /// `key=value` text, easier to read in a local terminal.
    Text,
}

/// The whole service configuration.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Address to listen on (`BIND`, `PORT`). `0.0.0.0:5000` by default: inside a container
    /// 127.0.0.1 is unreachable from the pod network.
    pub addr: SocketAddr,
    /// Log line format (`LOG_FORMAT`: `json` or `text`).
    pub log_format: LogFormat,
    /// Whether every request gets an access-log line (`ACCESS_LOG`).
    pub access_log: bool,
    /// Longest time from SIGTERM to exit (`SHUTDOWN_GRACE`): the shutdown delay plus draining
    /// in-flight requests.
    pub shutdown_grace: Duration,
    /// Time between readiness turning to failing and the listener closing (`SHUTDOWN_DELAY`),
    /// so that load balancers stop routing here before connections are refused.
    pub shutdown_delay: Duration,
    /// Longest time a client may take to send request headers, and separately its body
    /// (`READ_TIMEOUT`); it also bounds how long an idle keep-alive connection is held.
    pub read_timeout: Duration,
    /// Largest accepted request body in bytes (`MAX_BODY_BYTES`); larger bodies get 413.
    pub max_body_bytes: usize,
    /// Largest accepted request head (request line and headers) in bytes (`MAX_HEADER_BYTES`);
    /// larger heads get 431.
    pub max_header_bytes: usize,
    /// Most header fields accepted in one request (`MAX_HEADERS`).
    pub max_headers: usize,
    /// Tokio worker threads (`WORKERS`); defaults to the number of available CPUs.
    pub workers: usize,
    /// Service name reported by `GET /` (`SERVICE_NAME`).
    pub service_name: String,
    /// Pod or host name reported by `GET /` (`POD_NAME`, else `HOSTNAME`, else the kernel's).
    pub pod_name: String,
}

/// A variable that is set but cannot be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable's name.
    pub variable: &'static str,
    /// Its value as given.
    pub value: String,
    /// What a valid value looks like.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid environment variable {}={:?}: expected {}", self.variable, self.value, self.expected)
    }
}

impl std::error::Error for ConfigError {}

/// Every variable the service reads, with its default, for `--help`.
pub const VARIABLES: &[(&str, &str, &str)] = &[
    ("BIND", "0.0.0.0", "IP address to listen on"),
    ("PORT", "5000", "TCP port to listen on (0 picks a free port)"),
    ("LOG_FORMAT", "json", "json or text"),
    ("ACCESS_LOG", "true", "log one line per request (true/false)"),
    ("SHUTDOWN_GRACE", "10s", "longest time from SIGTERM to exit (delay + drain)"),
    ("SHUTDOWN_DELAY", "0s", "keep accepting (while not ready) this long after SIGTERM"),
    ("READ_TIMEOUT", "5s", "limit on receiving request headers, and the body; idle keep-alive"),
    ("MAX_BODY_BYTES", "65536", "largest request body (413 above)"),
    ("MAX_HEADER_BYTES", "16384", "largest request line + headers (431 above)"),
    ("MAX_HEADERS", "64", "most header fields in a request"),
    ("WORKERS", "number of CPUs", "tokio worker threads"),
    ("SERVICE_NAME", NAME, "name reported by GET /"),
    ("POD_NAME", "$HOSTNAME", "pod name reported by GET /"),
];

impl Config {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup`, which returns a variable's value if it is set.
    /// An empty value counts as unset, as it does for most twelve-factor services.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let ip = parse(&get, "BIND", IpAddr::V4(Ipv4Addr::UNSPECIFIED), |v| {
            v.parse::<IpAddr>().map_err(|_| "an IP address such as 0.0.0.0 or ::".into())
        })?;
        let port =
            parse(&get, "PORT", 5000u16, |v| v.parse::<u16>().map_err(|_| "a port number from 0 to 65535".into()))?;
        let log_format = parse(&get, "LOG_FORMAT", LogFormat::Json, |v| match v.to_ascii_lowercase().as_str() {
            "json" => Ok(LogFormat::Json),
            "text" => Ok(LogFormat::Text),
            _ => Err("json or text".into()),
        })?;
        let access_log = parse(&get, "ACCESS_LOG", true, parse_bool)?;
        let shutdown_grace = parse(&get, "SHUTDOWN_GRACE", Duration::from_secs(10), |v| {
            parse_duration(v, Duration::from_millis(1), Duration::from_secs(3600))
        })?;
        let shutdown_delay = parse(&get, "SHUTDOWN_DELAY", Duration::ZERO, |v| {
            parse_duration(v, Duration::ZERO, Duration::from_secs(3600))
        })?;
        if shutdown_delay >= shutdown_grace {
            return Err(ConfigError {
                variable: "SHUTDOWN_DELAY",
                value: get("SHUTDOWN_DELAY").unwrap_or_default(),
                expected: format!("a duration shorter than SHUTDOWN_GRACE ({})", show(shutdown_grace)),
            });
        }
        let read_timeout = parse(&get, "READ_TIMEOUT", Duration::from_secs(5), |v| {
            parse_duration(v, Duration::from_millis(1), Duration::from_secs(3600))
        })?;
        let max_body_bytes = parse(&get, "MAX_BODY_BYTES", 64 * 1024, |v| parse_usize(v, 0, 1 << 30))?;
        // hyper asserts its read buffer is at least 8 KiB; the head limit is checked separately,
        // but a head limit below a realistic request line plus a few headers only breaks clients.
        let max_header_bytes = parse(&get, "MAX_HEADER_BYTES", 16 * 1024, |v| parse_usize(v, 1024, 1 << 20))?;
        let max_headers = parse(&get, "MAX_HEADERS", 64, |v| parse_usize(v, 1, 1024))?;
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let workers = parse(&get, "WORKERS", cpus, |v| parse_usize(v, 1, 1024))?;
        let service_name = get("SERVICE_NAME").unwrap_or_else(|| NAME.to_owned());
        let pod_name = get("POD_NAME")
            .or_else(|| get("HOSTNAME"))
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok().map(|h| h.trim().to_owned()))
            .unwrap_or_else(|| "unknown".to_owned());
        Ok(Config {
            addr: SocketAddr::new(ip, port),
            log_format,
            access_log,
            shutdown_grace,
            shutdown_delay,
            read_timeout,
            max_body_bytes,
            max_header_bytes,
            max_headers,
            workers,
            service_name,
            pod_name,
        })
    }
}

fn parse<T>(
    get: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: T,
    parser: impl Fn(&str) -> Result<T, String>,
) -> Result<T, ConfigError> {
    match get(variable) {
        None => Ok(default),
        Some(value) => parser(value.trim()).map_err(|expected| ConfigError { variable, value, expected }),
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err("true or false".into()),
    }
}

fn parse_usize(v: &str, min: usize, max: usize) -> Result<usize, String> {
    let expected = || format!("an integer from {min} to {max}");
    let n = v.parse::<usize>().map_err(|_| expected())?;
    if (min..=max).contains(&n) { Ok(n) } else { Err(expected()) }
}

/// Accepts `250ms`, `5s`, `2m` or a bare number of seconds (`5`, `0.5`).
fn parse_duration(v: &str, min: Duration, max: Duration) -> Result<Duration, String> {
    let expected = || format!("a duration such as 500ms, 5s or 1m, from {} to {}", show(min), show(max));
    let (number, unit) = match v.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => v.split_at(i),
        None => (v, "s"),
    };
    let scale = match unit {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        _ => return Err(expected()),
    };
    let number: f64 = number.trim().parse().map_err(|_| expected())?;
    if !number.is_finite() || number < 0.0 {
        return Err(expected());
    }
    let d = Duration::try_from_secs_f64(number * scale).map_err(|_| expected())?;
    if d < min || d > max {
        return Err(expected());
    }
    Ok(d)
}

fn show(d: Duration) -> String {
    if d.subsec_millis() != 0 || d.is_zero() { format!("{}ms", d.as_millis()) } else { format!("{}s", d.as_secs()) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        Config::from_lookup(|name| map.get(name).cloned())
    }

    #[track_caller]
    fn rejected(vars: &[(&str, &str)], variable: &str) -> ConfigError {
        match load(vars) {
            Ok(config) => panic!("{vars:?} was accepted: {config:?}"),
            Err(e) => {
                assert_eq!(e.variable, variable, "{e}");
                e
            }
        }
    }

    #[test]
    fn defaults_listen_on_all_interfaces_port_5000() {
        let c = load(&[("HOSTNAME", "pod-1")]).expect("defaults are valid");
        assert_eq!(c.addr, "0.0.0.0:5000".parse().expect("literal"));
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(c.access_log);
        assert_eq!(c.shutdown_grace, Duration::from_secs(10));
        assert_eq!(c.shutdown_delay, Duration::ZERO);
        assert_eq!(c.read_timeout, Duration::from_secs(5));
        assert_eq!(c.max_body_bytes, 65536);
        assert_eq!(c.pod_name, "pod-1");
        assert!(c.workers >= 1);
    }

    #[test]
    fn every_variable_is_parsed() {
        let c = load(&[
            ("BIND", "::1"),
            ("PORT", "8080"),
            ("LOG_FORMAT", "TEXT"),
            ("ACCESS_LOG", "off"),
            ("SHUTDOWN_GRACE", "2.5s"),
            ("SHUTDOWN_DELAY", "250ms"),
            ("READ_TIMEOUT", "1m"),
            ("MAX_BODY_BYTES", "10"),
            ("MAX_HEADER_BYTES", "8192"),
            ("MAX_HEADERS", "10"),
            ("WORKERS", "3"),
            ("SERVICE_NAME", "web"),
            ("POD_NAME", "web-abc"),
            ("HOSTNAME", "ignored"),
        ])
        .expect("valid");
        assert_eq!(c.addr, "[::1]:8080".parse().expect("literal"));
        assert_eq!(c.log_format, LogFormat::Text);
        assert!(!c.access_log);
        assert_eq!(c.shutdown_grace, Duration::from_millis(2500));
        assert_eq!(c.shutdown_delay, Duration::from_millis(250));
        assert_eq!(c.read_timeout, Duration::from_secs(60));
        assert_eq!((c.max_body_bytes, c.max_header_bytes, c.max_headers, c.workers), (10, 8192, 10, 3));
        assert_eq!((c.service_name.as_str(), c.pod_name.as_str()), ("web", "web-abc"));
    }

    #[test]
    fn empty_values_mean_default() {
        let c = load(&[("PORT", ""), ("BIND", " ")]).expect("valid");
        assert_eq!(c.addr.port(), 5000);
    }

    #[test]
    fn bad_values_name_the_variable() {
        let e = rejected(&[("PORT", "80a")], "PORT");
        assert_eq!(e.to_string(), "invalid environment variable PORT=\"80a\": expected a port number from 0 to 65535");
        rejected(&[("PORT", "65536")], "PORT");
        rejected(&[("BIND", "localhost")], "BIND");
        rejected(&[("LOG_FORMAT", "xml")], "LOG_FORMAT");
        rejected(&[("ACCESS_LOG", "maybe")], "ACCESS_LOG");
        rejected(&[("SHUTDOWN_GRACE", "0s")], "SHUTDOWN_GRACE");
        rejected(&[("SHUTDOWN_GRACE", "-1")], "SHUTDOWN_GRACE");
        rejected(&[("SHUTDOWN_GRACE", "5h")], "SHUTDOWN_GRACE");
        rejected(&[("SHUTDOWN_DELAY", "NaN")], "SHUTDOWN_DELAY");
        let e = rejected(&[("SHUTDOWN_DELAY", "5s"), ("SHUTDOWN_GRACE", "5s")], "SHUTDOWN_DELAY");
        assert_eq!(e.expected, "a duration shorter than SHUTDOWN_GRACE (5s)");
        rejected(&[("READ_TIMEOUT", "forever")], "READ_TIMEOUT");
        rejected(&[("MAX_BODY_BYTES", "-1")], "MAX_BODY_BYTES");
        rejected(&[("MAX_HEADER_BYTES", "100")], "MAX_HEADER_BYTES");
        rejected(&[("MAX_HEADERS", "0")], "MAX_HEADERS");
        rejected(&[("WORKERS", "0")], "WORKERS");
    }
}
