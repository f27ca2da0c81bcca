#!/usr/bin/env python3
"""Load each server with wrk and print requests/s, latency, RSS under load and time to ready.

Run through scripts/bench-service, which installs the pinned tools and builds the binaries.
Each server runs alone; wrk runs on the same machine at the same time (as the targets assume).
"""

import argparse
import os
import platform
import re
import signal
import socket
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

TARGETS = """Targets: >=10x gunicorn req/s with Connection: close, >=40x with keep-alive,
>=85% of bare warp, p99 < 5 ms, < 10 MiB RSS under load, ready < 20 ms."""


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--service", required=True)
    p.add_argument("--bare-warp", required=True)
    p.add_argument("--gunicorn", required=True)
    p.add_argument("--duration", default="10s")
    p.add_argument("--connections", type=int, default=64)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--only", default="", help="comma-separated server names to run")
    return p.parse_args()


def rss_kib(root_pid):
    """Resident set size of a process and all its descendants, in KiB."""
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
    total, todo = 0, [root_pid]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


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
                return proc, (time.perf_counter() - t0) * 1000
        except OSError:
            pass
        if proc.poll() is not None:
            sys.exit(f"{cmd[0]} exited with {proc.returncode} before it was ready")
        time.sleep(0.0005)
    proc.kill()
    sys.exit(f"{cmd[0]} not ready within 30 s")


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


def wrk(args, port, close, pid):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}", "--latency"]
    if close:
        cmd += ["-H", "Connection: close"]
    cmd.append(f"http://127.0.0.1:{port}/")
    peak = [0]
    done = threading.Event()

    def sample():
        while not done.wait(0.25):
            peak[0] = max(peak[0], rss_kib(pid))

    sampler = threading.Thread(target=sample)
    sampler.start()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    done.set()
    sampler.join()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
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
    return {"rps": rps, "p50": p50, "p99": p99, "rss": peak[0] / 1024, "errors": errors}


def main():
    args = parse_args()
    appdir = tempfile.mkdtemp(prefix="bench-flask-")
    with open(os.path.join(appdir, "app.py"), "w") as f:
        f.write(FLASK_APP)
    servers = [
        ("gunicorn-2", [args.gunicorn, "-k", "sync", "-w", "2", "-b", "127.0.0.1:5101",
                        "--access-logfile", "-", "app:app"], {}, appdir, 5101, "/"),
        ("gunicorn-4", [args.gunicorn, "-k", "sync", "-w", "4", "-b", "127.0.0.1:5102",
                        "--access-logfile", "-", "app:app"], {}, appdir, 5102, "/"),
    ]
    # Both warp servers with the default worker count (one per CPU) and with WORKERS=1, which
    # leaves wrk a core of its own on a 2-CPU machine.
    for suffix, env in (("", {}), ("-w1", {"WORKERS": "1"})):
        servers += [
            ("service" + suffix, [args.service], {"BIND": "127.0.0.1", "PORT": "5103", **env}, None, 5103,
             "/readyz"),
            ("bare-warp" + suffix, [args.bare_warp], {"PORT": "5104", **env}, None, 5104, "/"),
        ]
    if args.only:
        wanted = set(args.only.split(","))
        servers = [s for s in servers if s[0] in wanted]

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    print(f"machine: {os.cpu_count()} CPUs ({cpu}), {platform.system()} {platform.release()}")
    load = os.getloadavg()[0]
    print(f"load average before the run: {load:.2f}")
    if load > 0.5:
        print("warning: the machine is busy; figures will be noisy", file=sys.stderr)
    print(f"wrk -t{args.threads} -c{args.connections} -d{args.duration} --latency, 127.0.0.1, "
          "server and wrk on the same CPUs\n")

    results = {}
    for name, cmd, env, cwd, port, ready_path in servers:
        proc, ready_ms = start(cmd, env, cwd, port, ready_path)
        idle = rss_kib(proc.pid) / 1024
        try:
            for mode, close in (("keep-alive", False), ("close", True)):
                r = wrk(args, port, close, proc.pid)
                r.update(ready=ready_ms, idle=idle)
                results[(name, mode)] = r
                print(f"  {name:<11} {mode:<10} {r['rps']:>10.0f} req/s  p50 {r['p50']:.2f} ms  "
                      f"p99 {r['p99']:.2f} ms  RSS {r['rss']:.1f} MiB", flush=True)
        finally:
            stop(proc)

    print("\n| server | connection | req/s | p50 ms | p99 ms | RSS under load MiB | idle RSS MiB | ready ms | errors |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for (name, mode), r in results.items():
        print(f"| {name} | {mode} | {r['rps']:.0f} | {r['p50']:.2f} | {r['p99']:.2f} | "
              f"{r['rss']:.1f} | {r['idle']:.1f} | {r['ready']:.1f} | {r['errors']} |")

    for suffix in ("", "-w1"):
        summarize(results, suffix)


def summarize(results, suffix):
    name, bare = "service" + suffix, "bare-warp" + suffix
    svc = {m: results.get((name, m)) for m in ("keep-alive", "close")}
    if not (svc["keep-alive"] and svc["close"]):
        return
    print(f"\n{name}: requests/s ratios")
    for base in ("gunicorn-2", "gunicorn-4", bare):
        for mode in ("keep-alive", "close"):
            b = results.get((base, mode))
            if b:
                print(f"  / {base} ({mode}): {svc[mode]['rps'] / b['rps']:.2f}x")
    print(TARGETS)
    checks = []
    for base in ("gunicorn-2", "gunicorn-4"):
        for mode, want in (("close", 10), ("keep-alive", 40)):
            b = results.get((base, mode))
            if b:
                got = svc[mode]["rps"] / b["rps"]
                checks.append((f"{mode} vs {base} >= {want}x", got >= want, f"{got:.1f}x"))
    for mode in ("keep-alive", "close"):
        b = results.get((bare, mode))
        if b:
            got = svc[mode]["rps"] / b["rps"]
            checks.append((f"{mode} >= 85% of {bare}", got >= 0.85, f"{got:.0%}"))
        checks.append((f"{mode} p99 < 5 ms", svc[mode]["p99"] < 5, f"{svc[mode]['p99']:.2f} ms"))
        checks.append((f"{mode} RSS < 10 MiB", svc[mode]["rss"] < 10, f"{svc[mode]['rss']:.1f} MiB"))
    checks.append(("ready < 20 ms", svc["close"]["ready"] < 20, f"{svc['close']['ready']:.1f} ms"))
    for what, ok, got in checks:
        print(f"  {'PASS' if ok else 'MISS'}  {what}: {got}")

if __name__ == "__main__":
    main()
