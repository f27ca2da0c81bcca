//! Structured log lines, written to stdout by a dedicated thread.
//!
//! Request handlers only append a formatted line to a buffer of their own thread; a writer
//! thread gathers every thread's buffer and writes it out in one `write` per batch. The writer is
//! woken (unparked) only when a buffer goes from empty to non-empty, and then waits a moment for
//! more lines, so under load there are a few hundred wake-ups and writes a second instead of one
//! per request, no blocking syscall runs on the async workers, and two cores never contend for
//! one lock per request. If stdout cannot keep up and a buffer passes its cap, lines are dropped
//! and counted (exported in `/metrics`) rather than stalling requests.

use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, mpsc};
use std::thread::Thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::config::LogFormat;

/// A value in a log line.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// Written quoted (JSON) or bare when it needs no quoting (text).
    Str(&'a str),
    /// An unsigned integer.
    U64(u64),
    /// A number written with three decimals.
    F64(f64),
    /// A duration written in milliseconds with three decimals.
    Millis(std::time::Duration),
    /// `true` or `false`.
    Bool(bool),
}

/// Bytes one thread may have buffered before its new lines are dropped.
const CAP: usize = 4 << 20;
/// How long the writer lets lines accumulate after being woken.
const BATCH_WINDOW: Duration = Duration::from_millis(2);

/// Locks plain data; a panic elsewhere leaves it usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Default)]
struct Shared {
    /// One buffer per thread that has logged.
    buffers: Mutex<Vec<Arc<Mutex<String>>>>,
    /// `flush` callers waiting for everything queued before them to be written.
    flushes: Mutex<Vec<mpsc::Sender<()>>>,
    writer: OnceLock<Thread>,
}

impl Shared {
    fn wake_writer(&self) {
        if let Some(writer) = self.writer.get() {
            writer.unpark();
        }
    }
}

/// The process logger. Cheap to share by reference; [`Logger::flush`] before exiting.
pub struct Logger {
    format: LogFormat,
    shared: Arc<Shared>,
    dropped: AtomicU64,
    /// Tells this logger's buffers apart from another logger's in the same thread (tests).
    id: u64,
}

impl std::fmt::Debug for Logger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Logger").field("format", &self.format).finish_non_exhaustive()
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Reused per thread so formatting a line does not allocate.
    static LINE: RefCell<String> = RefCell::new(String::with_capacity(256));
    /// This thread's buffer, per logger.
    static BUFFERS: RefCell<Vec<(u64, Arc<Mutex<String>>)>> = const { RefCell::new(Vec::new()) };
}

impl Logger {
    /// Starts the writer thread.
    pub fn start(format: LogFormat) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let writer = shared.clone();
        let handle = std::thread::Builder::new().name("log-writer".into()).spawn(move || write_loop(&writer))?;
        let _ = shared.writer.set(handle.thread().clone());
        Ok(Logger { format, shared, dropped: AtomicU64::new(0), id: NEXT_ID.fetch_add(1, Ordering::Relaxed) })
    }

    /// Lines dropped because stdout could not keep up.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Queues one line with a timestamp, level, message and fields.
    pub fn log(&self, level: &str, msg: &str, fields: &[(&str, Value<'_>)]) {
        LINE.with_borrow_mut(|line| {
            line.clear();
            format_line(line, self.format, SystemTime::now(), level, msg, fields);
            BUFFERS.with_borrow_mut(|buffers| {
                let buffer = match buffers.iter().find(|(id, _)| *id == self.id) {
                    Some((_, b)) => b,
                    None => {
                        let b = Arc::new(Mutex::new(String::new()));
                        lock(&self.shared.buffers).push(b.clone());
                        buffers.push((self.id, b));
                        &buffers[buffers.len() - 1].1
                    }
                };
                let mut data = lock(buffer);
                if data.len() + line.len() > CAP {
                    drop(data);
                    self.dropped.fetch_add(1, Ordering::Relaxed);
                    return;
                }
                let was_empty = data.is_empty();
                data.push_str(line);
                drop(data);
                if was_empty {
                    self.shared.wake_writer();
                }
            });
        });
    }

    /// An `info` line.
    pub fn info(&self, msg: &str, fields: &[(&str, Value<'_>)]) {
        self.log("info", msg, fields);
    }

    /// A `warn` line.
    pub fn warn(&self, msg: &str, fields: &[(&str, Value<'_>)]) {
        self.log("warn", msg, fields);
    }

    /// An `error` line.
    pub fn error(&self, msg: &str, fields: &[(&str, Value<'_>)]) {
        self.log("error", msg, fields);
    }

    /// Waits (at most `timeout`) until every line queued so far, by any thread, is written.
    pub fn flush(&self, timeout: Duration) {
        let (done_tx, done_rx) = mpsc::channel();
        lock(&self.shared.flushes).push(done_tx);
        self.shared.wake_writer();
        let _ = done_rx.recv_timeout(timeout);
    }
}

fn write_loop(shared: &Shared) {
    let stdout = std::io::stdout();
    let mut batch = String::new();
    loop {
        // park/unpark keeps a token: a line queued between the sweep below and this call
        // makes park return at once, so no line waits for the next one.
        std::thread::park();
        if lock(&shared.flushes).is_empty() {
            // Let a burst accumulate into one write; nobody is waiting on these lines.
            std::thread::sleep(BATCH_WINDOW);
        }
        // Taken before the sweep, so each flush covers every line queued before it.
        let flushes = std::mem::take(&mut *lock(&shared.flushes));
        let buffers = lock(&shared.buffers).clone();
        for buffer in buffers {
            let mut data = lock(&buffer);
            batch.push_str(&data);
            data.clear();
        }
        if !batch.is_empty() {
            // The stdout lock is taken per batch: held for good, it would block anything else
            // that prints (the test harness, a panic message).
            let mut out = stdout.lock();
            // A closed stdout is not worth crashing the service for; lines are best effort.
            let _ = out.write_all(batch.as_bytes()).and_then(|()| out.flush());
        }
        batch.clear();
        if batch.capacity() > CAP {
            batch = String::new();
        }
        for done in flushes {
            let _ = done.send(());
        }
    }
}

/// Appends one log line, newline included, to `line`.
pub fn format_line(
    line: &mut String,
    format: LogFormat,
    now: SystemTime,
    level: &str,
    msg: &str,
    fields: &[(&str, Value<'_>)],
) {
    match format {
        LogFormat::Json => {
            line.push_str("{\"ts\":\"");
            push_rfc3339(line, now);
            line.push_str("\",\"level\":\"");
            line.push_str(level);
            line.push_str("\",\"msg\":");
            json_str(line, msg);
            for (key, value) in fields {
                line.push(',');
                json_str(line, key);
                line.push(':');
                match value {
                    Value::Str(s) => json_str(line, s),
                    Value::F64(x) if !x.is_finite() => line.push_str("null"),
                    other => push_bare(line, other),
                }
            }
            line.push('}');
        }
        LogFormat::Text => {
            push_rfc3339(line, now);
            line.push(' ');
            line.push_str(match level {
                "info" => "INFO ",
                "warn" => "WARN ",
                "error" => "ERROR",
                other => other,
            });
            line.push(' ');
            line.push_str(msg);
            for (key, value) in fields {
                line.push(' ');
                line.push_str(key);
                line.push('=');
                match value {
                    Value::Str(s) if needs_quotes(s) => json_str(line, s),
                    Value::Str(s) => line.push_str(s),
                    other => push_bare(line, other),
                }
            }
        }
    }
    line.push('\n');
}

/// Appends a value that never needs quoting or escaping. Integers and durations are formatted
/// by hand: this runs once per request, and `fmt` machinery was most of the access line's cost.
fn push_bare(line: &mut String, value: &Value<'_>) {
    match *value {
        Value::Str(s) => line.push_str(s),
        Value::U64(n) => line.push_str(itoa::Buffer::new().format(n)),
        Value::Millis(d) => {
            // Rounded to the microsecond, written as milliseconds with three decimals.
            let micros = (d.as_nanos() + 500) / 1000;
            line.push_str(itoa::Buffer::new().format(micros / 1000));
            line.push('.');
            push_digits(line, (micros % 1000) as u32, 3);
        }
        Value::F64(x) => {
            let _ = write!(line, "{x:.3}");
        }
        Value::Bool(b) => line.push_str(if b { "true" } else { "false" }),
    }
}

/// Appends `n` zero-padded to `width` digits (`n` must fit).
fn push_digits(line: &mut String, mut n: u32, width: usize) {
    let mut digits = [b'0'; 10];
    for slot in digits[..width].iter_mut().rev() {
        *slot = b'0' + (n % 10) as u8;
        n /= 10;
    }
    // Only ASCII digits were written.
    line.push_str(std::str::from_utf8(&digits[..width]).unwrap_or_default());
}

fn needs_quotes(s: &str) -> bool {
    s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control() || c == '"' || c == '=')
}

/// Appends `s` as a JSON string: quoted, with `"`, `\` and control characters escaped, so a
/// hostile request path cannot forge a log line.
fn json_str(out: &mut String, s: &str) {
    out.push('"');
    let mut rest = s;
    // Copy runs of plain characters in one go; only the rare special character is escaped. Every
    // character that needs escaping is ASCII, so a byte position found here is a char boundary.
    while let Some(i) = rest.bytes().position(|b| b == b'"' || b == b'\\' || b < b' ' || b == 0x7f) {
        out.push_str(&rest[..i]);
        match rest.as_bytes()[i] {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            b => {
                out.push_str("\\u00");
                out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
                out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
            }
        }
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

/// Appends `now` as RFC 3339 UTC with milliseconds (`2026-11-27T21:45:59.123Z`). The part up to
/// the second is computed once per second and thread, then reused.
fn push_rfc3339(line: &mut String, now: SystemTime) {
    thread_local! {
        static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
    }
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    SECOND.with_borrow_mut(|(cached, prefix)| {
        if *cached != secs {
            prefix.clear();
            let (days, rem) = (secs / 86_400, secs % 86_400);
            let (y, m, d) = civil_from_days(days as i64);
            let _ = write!(prefix, "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.", rem / 3600, rem / 60 % 60, rem % 60);
            *cached = secs;
        }
        line.push_str(prefix);
    });
    push_digits(line, since.subsec_millis(), 3);
    line.push('Z');
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_millis(millis)
    }

    fn rfc3339(t: SystemTime) -> String {
        let mut s = String::new();
        push_rfc3339(&mut s, t);
        s
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(rfc3339(at(0, 0)), "1970-01-01T00:00:00.000Z");
        // 2024-02-29 (a leap day) 23:59:59.999
        assert_eq!(rfc3339(at(1_709_251_199, 999)), "2024-02-29T23:59:59.999Z");
        assert_eq!(rfc3339(at(4_102_444_800, 5)), "2100-01-01T00:00:00.005Z");
        // The cached second is replaced when the second changes, in either direction.
        assert_eq!(rfc3339(at(4_102_444_800, 999)), "2100-01-01T00:00:00.999Z");
        assert_eq!(rfc3339(at(4_102_444_801, 0)), "2100-01-01T00:00:01.000Z");
        assert_eq!(rfc3339(at(0, 1)), "1970-01-01T00:00:00.001Z");
    }

    #[test]
    fn durations_are_milliseconds_rounded_to_the_microsecond() {
        let cases = [(0, "0.000"), (499, "0.000"), (500, "0.001"), (123_456, "0.123"), (1_234_567_890, "1234.568")];
        for (nanos, want) in cases {
            let mut s = String::new();
            push_bare(&mut s, &Value::Millis(Duration::from_nanos(nanos)));
            assert_eq!(s, want, "{nanos} ns");
        }
    }

    #[test]
    fn json_lines_escape_hostile_values() {
        let mut line = String::new();
        format_line(
            &mut line,
            LogFormat::Json,
            at(0, 0),
            "info",
            "request",
            &[
                ("path", Value::Str("/a\"b\\c\n{\"level\":\"error\"}\u{1}")),
                ("status", Value::U64(200)),
                ("latency_ms", Value::F64(0.12345)),
                ("ok", Value::Bool(true)),
                ("peer", Value::Str("[::1]:80")),
            ],
        );
        assert_eq!(
            line,
            "{\"ts\":\"1970-01-01T00:00:00.000Z\",\"level\":\"info\",\"msg\":\"request\",\
             \"path\":\"/a\\\"b\\\\c\\n{\\\"level\\\":\\\"error\\\"}\\u0001\",\"status\":200,\
             \"latency_ms\":0.123,\"ok\":true,\"peer\":\"[::1]:80\"}\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(line.trim_end()).expect("a JSON line");
        assert_eq!(parsed["path"], "/a\"b\\c\n{\"level\":\"error\"}\u{1}");
    }

    #[test]
    fn text_lines_quote_only_when_needed() {
        let mut line = String::new();
        format_line(
            &mut line,
            LogFormat::Text,
            at(0, 0),
            "warn",
            "request",
            &[("path", Value::Str("/x")), ("agent", Value::Str("curl 8"))],
        );
        assert_eq!(line, "1970-01-01T00:00:00.000Z WARN  request path=/x agent=\"curl 8\"\n");
    }
}
