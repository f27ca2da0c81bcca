#!/usr/bin/env python3
"""Load each server with wrk and print requests/s, latency, server CPU per request, RSS under
load and time to ready, as medians over several rounds.

Run through scripts/bench-service, which installs the pinned tools and builds the binaries.
Each server runs alone. By default wrk shares every CPU with the server, as the targets assume;
with --pin the server gets CPU 0 and wrk the others, so neither steals the other's CPU time.
"""

import argparse
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# The original-style Flask app: one JSON route, like stackgen-service's GET /.
FLASK_APP = '''
import socket
from flask import Flask, jsonify

app = Flask(__name__)
POD = socket.gethostname()


@app.route("/")
def index():
    return jsonify(name="stackgen-service", version="0.1.0", commit="unknown", pod=POD)
'''

# The same body from nginx, as a ceiling: what a mature C server manages on this machine with wrk
# beside it.
NGINX_CONF = '''
worker_processes {workers};
daemon off;
pid {dir}/nginx.pid;
error_log stderr error;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  keepalive_requests 1000000;
  client_body_temp_path {dir};
  proxy_temp_path {dir};
  fastcgi_temp_path {dir};
  uwsgi_temp_path {dir};
  scgi_temp_path {dir};
  server {{
    listen 127.0.0.1:{port} backlog=4096;
    location / {{
      default_type application/json;
      return 200 '{{"name":"stackgen-service","version":"0.1.0","commit":"unknown","pod":"bench"}}';
    }}
  }}
}}
'''

TARGETS = """Targets: >=10x gunicorn req/s with Connection: close, >=40x with keep-alive,
>=85% of bare warp, p99 < 5 ms, < 10 MiB RSS under load, ready < 20 ms."""

CLK_TCK = os.sysconf("SC_CLK_TCK")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--service", required=True)
    p.add_argument("--bare-warp", required=True)
    p.add_argument("--gunicorn", required=True)
    p.add_argument("--nginx", default=shutil.which("nginx") or "/usr/sbin/nginx")
    p.add_argument("--duration", default="10s")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3, help="runs per server and mode; medians are reported")
    p.add_argument("--pin", action="store_true", help="server on CPU 0, wrk on the other CPUs")
    p.add_argument("--only", default="", help="comma-separated server names to run")
    return p.parse_args()


def process_tree(root_pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def rss_kib(pids):
    """Resident set size of the given processes, in KiB."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def cpu_seconds(pids):
    """User + system CPU time of the given processes so far (threads included), in seconds."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return ticks / CLK_TCK


def http_status(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n".encode())
        head = s.recv(64)
    return int(head.split()[1]) if head.startswith(b"HTTP/1.1 ") else 0


def start(cmd, env, cwd, port, ready_path):
    """Starts a server; returns (process, milliseconds from spawn to the first 200)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, **env},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,  # access logs are written, as in production, and discarded
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = t0 + 30
    while time.perf_counter() < deadline:
        try:
            if http_status(port, ready_path) == 200:
                ready_ms = (time.perf_counter() - t0) * 1000
                settle(proc.pid)
                return proc, ready_ms
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit(f"{cmd[0]} exited with {proc.returncode} before it was ready")
        time.sleep(0.0005)
    proc.kill()
    sys.exit(f"{cmd[0]} not ready within 30 s")


def settle(pid):
    """Waits (up to 5 s) until the server's process tree stops changing: gunicorn answers before
    all of its workers have forked, and the load must meet, and be measured on, all of them."""
    tree, since, deadline = sorted(process_tree(pid)), time.perf_counter(), time.perf_counter() + 5
    while time.perf_counter() < deadline and time.perf_counter() - since < 0.5:
        time.sleep(0.05)
        now = sorted(process_tree(pid))
        if now != tree:
            tree, since = now, time.perf_counter()


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def to_ms(value):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def wrk(args, port, close, pid, wrk_cpus):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}", "--latency"]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://127.0.0.1:{port}/")
    if wrk_cpus:
        cmd = ["taskset", "-c", wrk_cpus] + cmd
    # The server's processes are looked up once, before the load: walking all of /proc during
    # the run would steal CPU from the server and wrk and show up in their tail latency.
    pids = process_tree(pid)
    peak = [rss_kib(pids)]
    done = threading.Event()

    def sample():
        while not done.wait(1.0):
            peak[0] = max(peak[0], rss_kib(pids))

    sampler = threading.Thread(target=sample)
    sampler.start()
    cpu_before = cpu_seconds(pids)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    cpu = cpu_seconds(pids) - cpu_before
    done.set()
    sampler.join()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    p50 = to_ms(re.search(r"\s50%\s+(\S+)", out).group(1))
    p99 = to_ms(re.search(r"\s99%\s+(\S+)", out).group(1))
    errors = 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        # wrk counts the server's close after each response as a read error in close mode.
        errors += int(m.group(1)) + int(m.group(3)) + int(m.group(4)) + (0 if close else int(m.group(2)))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if m:
        errors += int(m.group(1))
    return {"rps": rps, "p50": p50, "p99": p99, "rss": peak[0] / 1024, "errors": errors,
            "cpu_us": cpu * 1e6 / max(requests, 1)}


def servers(args, appdir, server_cpus):
    n = len(server_cpus.split(",")) if server_cpus else os.cpu_count()
    nginx_dir = tempfile.mkdtemp(prefix="bench-nginx-")
    with open(os.path.join(nginx_dir, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(workers=n, dir=nginx_dir, port=5105))
    # The service reports the same pod name as the others, so every body is the same length.
    service_env = {"BIND": "127.0.0.1", "PORT": "5103", "POD_NAME": "bench"}
    found = [
        ("gunicorn-2", [args.gunicorn, "-k", "sync", "-w", "2", "-b", "127.0.0.1:5101",
                        "--access-logfile", "-", "app:app"], {}, appdir, 5101, "/"),
        ("gunicorn-4", [args.gunicorn, "-k", "sync", "-w", "4", "-b", "127.0.0.1:5102",
                        "--access-logfile", "-", "app:app"], {}, appdir, 5102, "/"),
        ("service", [args.service], service_env, None, 5103, "/readyz"),
        ("bare-warp", [args.bare_warp], {"PORT": "5104"}, None, 5104, "/"),
        # Same response bytes as the service, none of its per-request work: the difference to
        # the service is what logging, metrics, request ids and limits cost.
        ("bare-warp-hdrs", [args.bare_warp], {"PORT": "5106", "SERVICE_HEADERS": "1"}, None, 5106, "/"),
    ]
    if not args.pin:
        # With wrk on the same two CPUs, one worker leaves wrk a core of its own.
        found += [
            ("service-w1", [args.service], {**service_env, "WORKERS": "1"}, None, 5103, "/readyz"),
            ("bare-warp-w1", [args.bare_warp], {"PORT": "5104", "WORKERS": "1"}, None, 5104, "/"),
        ]
    if os.path.exists(args.nginx):
        found.append(("nginx", [args.nginx, "-c", os.path.join(nginx_dir, "nginx.conf")], {}, None, 5105, "/"))
    else:
        print(f"note: {args.nginx} not found; the nginx ceiling row is skipped", file=sys.stderr)
    if args.only:
        wanted = set(args.only.split(","))
        found = [s for s in found if s[0] in wanted]
    if server_cpus:
        found = [(name, ["taskset", "-c", server_cpus] + cmd, *rest) for name, cmd, *rest in found]
    return found


def main():
    args = parse_args()
    appdir = tempfile.mkdtemp(prefix="bench-flask-")
    with open(os.path.join(appdir, "app.py"), "w") as f:
        f.write(FLASK_APP)
    ncpu = os.cpu_count()
    server_cpus = wrk_cpus = None
    if args.pin:
        if ncpu < 2:
            sys.exit("--pin needs at least 2 CPUs")
        server_cpus, wrk_cpus = "0", f"1-{ncpu - 1}"

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print(f"machine: {ncpu} CPUs ({cpu}), {platform.system()} {platform.release()}")
    load = os.getloadavg()[0]
    print(f"load average before the run: {load:.2f}")
    if load > 0.5:
        print("warning: the machine is busy; figures will be noisy", file=sys.stderr)
    where = (f"server on CPU {server_cpus}, wrk on CPUs {wrk_cpus}" if args.pin
             else "server and wrk on the same CPUs")
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency, 127.0.0.1, {where}, "
          f"{args.rounds} rounds, medians\n")

    runs = {}
    ready = {}
    plan = servers(args, appdir, server_cpus)
    for round_no in range(1, args.rounds + 1):
        print(f"round {round_no}/{args.rounds}", flush=True)
        for name, cmd, env, cwd, port, ready_path in plan:
            proc, ready_ms = start(cmd, env, cwd, port, ready_path)
            ready.setdefault(name, []).append(ready_ms)
            idle = rss_kib(process_tree(proc.pid)) / 1024
            try:
                for mode, close in (("keep-alive", False), ("close", True)):
                    r = wrk(args, port, close, proc.pid, wrk_cpus)
                    r["idle"] = idle
                    runs.setdefault((name, mode), []).append(r)
                    print(f"  {name:<14} {mode:<10} {r['rps']:>9.0f} req/s  p50 {r['p50']:.2f} ms  "
                          f"p99 {r['p99']:.2f} ms  {r['cpu_us']:.1f} us CPU/req  RSS {r['rss']:.1f} MiB",
                          flush=True)
            finally:
                stop(proc)

    results = {}
    for key, rs in runs.items():
        med = {k: statistics.median(r[k] for r in rs) for k in ("rps", "p50", "p99", "cpu_us", "idle")}
        med["rss"] = max(r["rss"] for r in rs)
        med["errors"] = sum(r["errors"] for r in rs)
        med["ready"] = statistics.median(ready[key[0]])
        med["spread"] = (min(r["rps"] for r in rs), max(r["rps"] for r in rs))
        results[key] = med

    print("\n| server | connection | req/s (median) | min–max | p50 ms | p99 ms | server CPU µs/req "
          "| peak RSS MiB | idle RSS MiB | ready ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (name, mode), r in results.items():
        lo, hi = r["spread"]
        print(f"| {name} | {mode} | {r['rps']:.0f} | {lo:.0f}–{hi:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['cpu_us']:.1f} | {r['rss']:.1f} | {r['idle']:.1f} | {r['ready']:.1f} | {r['errors']} |")

    print("\nrequests/s ratios (medians)")
    for name in ("service", "service-w1", "bare-warp", "bare-warp-hdrs", "nginx"):
        for mode in ("keep-alive", "close"):
            s = results.get((name, mode))
            base = results.get(("gunicorn-2", mode))
            if s and base:
                print(f"  {name:<14} / gunicorn-2 ({mode}): {s['rps'] / base['rps']:.1f}x;  server CPU per "
                      f"request {base['cpu_us'] / s['cpu_us']:.1f}x less")
    for suffix in ("", "-w1"):
        summarize(results, suffix)
    print_ceiling(results)


def summarize(results, suffix):
    name = "service" + suffix
    svc = {m: results.get((name, m)) for m in ("keep-alive", "close")}
    if not (svc["keep-alive"] and svc["close"]):
        return
    print(f"\n{name} against the targets")
    print(TARGETS)
    checks = []
    for base in ("gunicorn-2", "gunicorn-4"):
        for mode, want in (("close", 10), ("keep-alive", 40)):
            b = results.get((base, mode))
            if b:
                got = svc[mode]["rps"] / b["rps"]
                checks.append((f"{mode} vs {base} >= {want}x", got >= want, f"{got:.1f}x"))
    for bare in ("bare-warp" + suffix, "bare-warp-hdrs"):
        for mode in ("keep-alive", "close"):
            b = results.get((bare, mode))
            if b:
                got = svc[mode]["rps"] / b["rps"]
                checks.append((f"{mode} >= 85% of {bare}", got >= 0.85, f"{got:.0%}"))
    for mode in ("keep-alive", "close"):
        checks.append((f"{mode} p99 < 5 ms", svc[mode]["p99"] < 5, f"{svc[mode]['p99']:.2f} ms"))
        checks.append((f"{mode} RSS < 10 MiB", svc[mode]["rss"] < 10, f"{svc[mode]['rss']:.1f} MiB"))
    checks.append(("ready < 20 ms", svc["close"]["ready"] < 20, f"{svc['close']['ready']:.1f} ms"))
    for what, ok, got in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {what}: {got}")


def print_ceiling(results):
    ceiling = {m: results.get(("nginx", m)) for m in ("keep-alive", "close")}
    g = {m: results.get(("gunicorn-2", m)) for m in ("keep-alive", "close")}
    if all(ceiling.values()) and all(g.values()):
        print("\nceiling on this machine (nginx, same body): "
              f"{ceiling['keep-alive']['rps'] / g['keep-alive']['rps']:.1f}x gunicorn-2 keep-alive, "
              f"{ceiling['close']['rps'] / g['close']['rps']:.1f}x close, "
              f"close p99 {ceiling['close']['p99']:.2f} ms")


if __name__ == "__main__":
    main()
