//! Starts the real `stackgen-service` binary on an ephemeral port and talks HTTP to it.

#![allow(dead_code, missing_docs)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

pub const BIN: &str = env!("CARGO_BIN_EXE_stackgen-service");

/// Stdout lines collected by a reader thread (the pipe must be drained or the server blocks).
#[derive(Default)]
struct Lines {
    lines: Mutex<Vec<String>>,
    changed: Condvar,
}

pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    lines: Arc<Lines>,
    stderr: Arc<Mutex<String>>,
}

impl Server {
    /// Starts the binary with `PORT=0` plus `env`, and waits for its `listening` line.
    #[track_caller]
    pub fn start(env: &[(&str, &str)]) -> Server {
        let mut cmd = Command::new(BIN);
        cmd.env_clear()
            .env("PORT", "0")
            .env("BIND", "127.0.0.1")
            .env("HOSTNAME", "test-pod")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn the service binary");
        let lines = Arc::new(Lines::default());
        let stdout = child.stdout.take().expect("piped stdout");
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lines.lock().expect("lines lock").push(line);
                sink.changed.notify_all();
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let err_sink = stderr.clone();
        std::thread::spawn(move || {
            let mut s = String::new();
            let _ = err_pipe.read_to_string(&mut s);
            err_sink.lock().expect("stderr lock").push_str(&s);
        });
        let mut server = Server { child, addr: "127.0.0.1:0".parse().expect("literal"), lines, stderr };
        let listening = server.wait_log(Duration::from_secs(10), |l| l.contains("listening") && l.contains("addr"));
        server.addr = match serde_json::from_str::<serde_json::Value>(&listening) {
            Ok(v) => v["addr"].as_str().expect("addr field").parse().expect("addr"),
            // LOG_FORMAT=text: `... listening addr=127.0.0.1:1234 ...`
            Err(_) => listening
                .split_whitespace()
                .find_map(|f| f.strip_prefix("addr="))
                .expect("addr= field")
                .parse()
                .expect("addr"),
        };
        server
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for a stdout line matching `pred` and returns it.
    #[track_caller]
    pub fn wait_log(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        let mut lines = self.lines.lines.lock().expect("lines lock");
        loop {
            if let Some(l) = lines.iter().find(|l| pred(l)) {
                return l.clone();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "no matching log line within {timeout:?}; stdout so far:\n{}\nstderr:\n{}",
                lines.join("\n"),
                self.stderr.lock().expect("stderr lock")
            );
            lines = self.lines.changed.wait_timeout(lines, left).expect("lines lock").0;
        }
    }

    /// Waits for a JSON log line whose field `key` equals `value`.
    #[track_caller]
    pub fn wait_json_log(&self, key: &str, value: &str) -> serde_json::Value {
        let line = self.wait_log(Duration::from_secs(5), |l| {
            serde_json::from_str::<serde_json::Value>(l).is_ok_and(|v| v[key].as_str() == Some(value))
        });
        serde_json::from_str(&line).expect("JSON line")
    }

    pub fn signal(&self, name: &str) {
        let status =
            Command::new("kill").arg(format!("-{name}")).arg(self.child.id().to_string()).status().expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits for the process to exit.
    #[track_caller]
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "still running after {timeout:?}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn stdout(&self) -> Vec<String> {
        self.lines.lines.lock().expect("lines lock").clone()
    }

    /// A raw connection, for requests a well-behaved client would not send.
    pub fn raw(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
        s
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A response with its body read.
pub type Reply = Response<Bytes>;

/// Sends one request on a fresh connection with hyper's client.
pub async fn send(addr: SocketAddr, req: Request<Full<Bytes>>) -> Reply {
    try_send(addr, req).await.expect("request failed")
}

pub async fn try_send(
    addr: SocketAddr,
    req: Request<Full<Bytes>>,
) -> Result<Reply, Box<dyn std::error::Error + Send + Sync>> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(conn);
    let resp = sender.send_request(req).await?;
    let (parts, body) = resp.into_parts();
    let body = body.collect().await?.to_bytes();
    Ok(Response::from_parts(parts, body))
}

pub fn request(method: &str, path: &str) -> hyper::http::request::Builder {
    Request::builder().method(method).uri(path).header("host", "service.test")
}

pub async fn get(addr: SocketAddr, path: &str) -> Reply {
    send(addr, request("GET", path).body(Full::default()).expect("request")).await
}

pub fn json(resp: &Reply) -> serde_json::Value {
    serde_json::from_slice(resp.body())
        .unwrap_or_else(|e| panic!("body is not JSON ({e}): {:?}", String::from_utf8_lossy(resp.body())))
}

pub fn header<'a>(resp: &'a Reply, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header in {:?}", resp.headers()))
        .to_str()
        .expect("ASCII header")
}

/// Writes raw bytes and reads until the server closes the connection or `timeout` passes.
pub fn raw_exchange(stream: &mut TcpStream, bytes: &[u8], timeout: Duration) -> String {
    stream.write_all(bytes).expect("write");
    read_until_close(stream, timeout)
}

pub fn read_until_close(stream: &mut TcpStream, timeout: Duration) -> String {
    stream.set_read_timeout(Some(timeout)).expect("read timeout");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!("read failed ({e}) after {:?}", String::from_utf8_lossy(&out)),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of one sample line in Prometheus text, if present.
pub fn sample(metrics: &str, series: &str) -> Option<f64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series).and_then(|rest| rest.strip_prefix(' ')).and_then(|v| v.parse().ok()))
}

impl Server {
    /// The exit status if the process exits within `timeout`, `None` if it is still running.
    pub fn wait_exit_or_running(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }
}
