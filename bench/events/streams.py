#!/usr/bin/env python3
"""Opens N Server-Sent Events streams on one Kiln web process, keeps them idle, and measures the database load.

Prints one JSON line: streams open, database statements/s and transactions/s over the window (from pg_stat_statements
and pg_stat_database, minus this script's own sampling), the web process's CPU seconds and RSS, and, with --fanout, the
delay from one job event INSERT to its arrival on every stream. Standard library only (asyncio), so it runs anywhere.
"""
import argparse, asyncio, json, os, subprocess, time

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--path", required=True)
p.add_argument("--key", required=True)
p.add_argument("--streams", type=int, required=True)
p.add_argument("--warmup", type=float, default=11)
p.add_argument("--window", type=float, default=15)
p.add_argument("--psql", required=True, help="psql command line (quoted) connected to the Kiln database")
p.add_argument("--web-pid", type=int, required=True)
p.add_argument("--fanout-job", help="insert one progress event for this job and time its arrival on every stream")
p.add_argument("--workspace", help="the job's workspace id (with --fanout-job)")
a = p.parse_args()

PSQL = a.psql.split()

def sql(q):
    return subprocess.run(PSQL + ["-XAtq", "-c", q], check=True, capture_output=True, text=True).stdout.strip()

def sample():
    stmts = sql("SELECT coalesce(sum(calls),0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
                "WHERE d.datname = current_database()")
    xact = sql("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()")
    with open(f"/proc/{a.web_pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{a.web_pid}/status") as f:
        rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:")) / 1024
    return int(stmts), int(xact), cpu, rss, time.monotonic()

class Stream:
    def __init__(self):
        self.events = 0
        self.fanout_at = None
        self.alive = False

    async def run(self, marker):
        reader, writer = await asyncio.open_connection("127.0.0.1", a.port)
        writer.write((f"GET {a.path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {a.key}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            raise RuntimeError(status)
        self.alive = True
        while True:
            line = await reader.readline()
            if not line:
                self.alive = False
                return
            if line.startswith(b"data: ") and marker in line:
                self.fanout_at = time.monotonic()
            if line.startswith(b"event: "):
                self.events += 1

async def main():
    marker = f"bench-{time.time_ns()}".encode()
    streams = [Stream() for _ in range(a.streams)]
    tasks = []
    for i in range(0, a.streams, 100):  # open in waves, like many browsers arriving
        tasks += [asyncio.create_task(s.run(marker)) for s in streams[i:i + 100]]
        await asyncio.sleep(0.2)
    await asyncio.sleep(a.warmup)
    open_streams = sum(s.alive for s in streams)
    s0 = sample()
    await asyncio.sleep(a.window)
    s1 = sample()
    own = 2  # this script's two sampling statements per sample
    dt = s1[4] - s0[4]
    result = {
        "path": a.path, "streams": open_streams, "window_s": round(dt, 1),
        "statements_per_s": round(max(0, s1[0] - s0[0] - own) / dt, 2),
        "transactions_per_s": round(max(0, s1[1] - s0[1] - own) / dt, 2),
        "web_cpu_s_per_s": round((s1[2] - s0[2]) / dt, 3),
        "web_rss_mb": round(s1[3], 1),
    }
    if a.fanout_job:
        before = sample()
        t0 = time.monotonic()
        # What a Kiln writer does: the event, then (as PostgresEventNotifier does after the commit) its notice.
        sql(f"INSERT INTO job_events (job_id, workspace_id, type, data_json, created_at) VALUES "
            f"('{a.fanout_job}', '{a.workspace}', 'progress', '{{\"percent\":1,\"step\":\"{marker.decode()}\"}}', now())")
        sql(f"SELECT pg_notify('kiln_events', '{a.workspace}:{a.fanout_job}:0')")
        deadline = t0 + 30
        while time.monotonic() < deadline and any(s.alive and s.fanout_at is None for s in streams):
            await asyncio.sleep(0.01)
        after = sample()
        got = sorted(s.fanout_at - t0 for s in streams if s.fanout_at is not None)
        if got:
            result["fanout_received"] = len(got)
            result["fanout_p50_ms"] = round(got[len(got) // 2] * 1000, 1)
            result["fanout_max_ms"] = round(got[-1] * 1000, 1)
            result["fanout_statements"] = after[0] - before[0] - own - 2
    print(json.dumps(result), flush=True)
    for t in tasks:
        t.cancel()

asyncio.run(main())
