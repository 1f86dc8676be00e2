// graphile-worker 0.18 beside Kiln's queue, on the same throwaway PostgreSQL cluster (bench/run-queue-bench.sh runs it).
// Same shape as Kiln.Bench.Queue: per repeat, a fresh database; throughput = N no-op jobs enqueued first (8 callers,
// one add_job transaction each), then one worker process drains them (first job start → last completion); latency =
// a warm idle worker, jobs offered at a steady rate by 4 lanes, enqueue→start = locked_at − created_at, both stamped
// by the database when the enqueue and the claim transactions start (Kiln's created_at / started_at are the same two
// moments, stamped by the app). Default (unbatched) mode: no getJobBatchSize, no completeJobBatchDelay, no local queue.
// Usage: node bench.mjs --host 127.0.0.1 --port P --user kiln [--jobs 2000] [--repeats 1] [--concurrency 16]
//        [--rate 200] [--latency-seconds 6] [--enqueue-parallelism 8]   → one JSON line on stdout, progress on stderr.
import { performance } from "node:perf_hooks";
import pg from "pg";
import { run, makeWorkerUtils } from "graphile-worker";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (i % 2 === 0 ? [...acc, [a.replace(/^--/, ""), all[i + 1]]] : acc), []));
const opt = {
  host: args.host ?? "127.0.0.1",
  port: Number(args.port ?? 5432),
  user: args.user ?? "kiln",
  jobs: Number(args.jobs ?? 2000),
  repeats: Number(args.repeats ?? 1),
  concurrency: Number(args.concurrency ?? 16),
  rate: Number(args.rate ?? 200),
  latencySeconds: Number(args["latency-seconds"] ?? 6),
  enqueueParallelism: Number(args["enqueue-parallelism"] ?? 8),
};

// timestamptz as the server's text (microseconds); graphile-worker reads no timestamp of a job in JavaScript.
pg.types.setTypeParser(1184, (v) => v);
const micros = (ts) => {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d+))?([+-]\d\d)(?::?(\d\d))?$/.exec(ts);
  if (!m) throw new Error(`unexpected timestamp ${ts}`);
  const offset = `${m[4]}:${m[5] ?? "00"}`;
  return Date.parse(`${m[1]}T${m[2]}${offset}`) * 1000 + Number((m[3] ?? "").padEnd(6, "0").slice(0, 6));
};

const url = (db) => `postgres://${opt.user}@${opt.host}:${opt.port}/${db}`;
const admin = async (sql) => {
  const c = new pg.Client({ connectionString: url("postgres") });
  await c.connect();
  try { await c.query(sql); } finally { await c.end(); }
};
const say = (m) => { if (!/administrator command/.test(m)) console.error(`    [graphile] ${m}`); };
const quiet = { scope: () => quiet, debug() {}, info() {}, warn: say, error: say };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const percentile = (sorted, p) => {
  // percentile_cont, as the Kiln side computes it in PostgreSQL
  if (sorted.length === 0) return NaN;
  const x = (sorted.length - 1) * p, lo = Math.floor(x), hi = Math.ceil(x);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (x - lo);
};

// Our own pools, so each is closed before its database is dropped.
const newPool = (connectionString, max) => {
  const pool = new pg.Pool({ connectionString, max });
  // Connections graphile-worker still holds when the run's database is dropped end with 57P01: expected, not reported.
  const report = (where) => (e) => { if (e.code !== "57P01") console.error(`    [${where}] ${e.message}`); };
  pool.on("error", report("pool"));
  pool.on("connect", (client) => client.on("error", report("client")));
  return pool;
};

async function withDatabase(tag, body) {
  const name = `graphile_bench_${tag}_${process.pid}`;
  await admin(`CREATE DATABASE ${name}`);
  const pool = newPool(url(name), 10);
  const utils = await makeWorkerUtils({ pgPool: pool, logger: quiet });
  try {
    await utils.migrate();
    return await body(url(name), utils);
  } finally {
    await utils.release();
    await pool.end();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

async function startWorker(connectionString, onJob) {
  let started = 0, done = 0, first = null, last = null, warmAt = null;
  const warmN = Math.floor(opt.jobs / 4);
  const waiters = [];
  // Pool size: graphile-worker warns that a pool smaller than the concurrency "may lead to non-optimal performance".
  const pool = newPool(connectionString, opt.concurrency + 2);
  const runner = await run({
    pgPool: pool, concurrency: opt.concurrency, noHandleSignals: true, logger: quiet,
    taskList: { noop: async (payload, helpers) => { started++; first ??= performance.now(); onJob?.(payload, helpers.job); } },
  });
  runner.events.on("job:success", () => {
    done++; last = performance.now();
    if (done === warmN) warmAt = last;
    for (const w of waiters.filter((w) => done >= w.n)) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
  });
  return {
    stop: async () => { await runner.stop(); await pool.end(); },
    get first() { return first; }, get last() { return last; }, get done() { return done; },
    // Past the first quarter of the jobs: the process's JIT has settled (Kiln's side is measured the same way).
    get warmJobsPerSecond() { return warmAt === null || last <= warmAt ? NaN : (done - warmN) / ((last - warmAt) / 1000); },
    waitDone: (n, ms) => done >= n ? Promise.resolve() : Promise.race([
      new Promise((resolve) => waiters.push({ n, resolve })),
      sleep(ms).then(() => { throw new Error(`only ${done} of ${n} jobs finished`); })]),
  };
}

async function throughput(rep) {
  return withDatabase(`tp_r${rep}`, async (connectionString, utils) => {
    const t0 = performance.now();
    let next = -1;
    await Promise.all(Array.from({ length: opt.enqueueParallelism }, async () => {
      while (++next < opt.jobs) await utils.addJob("noop", {});
    }));
    const enqueue = opt.jobs / ((performance.now() - t0) / 1000);
    await utils.withPgClient((c) => c.query("ANALYZE"));
    const w = await startWorker(connectionString);
    try { await w.waitDone(opt.jobs, Math.max(120_000, opt.jobs * 20)); } finally { await w.stop(); }
    const seconds = (w.last - w.first) / 1000;
    const left = (await utils.withPgClient((c) => c.query("SELECT count(*)::int AS n FROM graphile_worker.jobs"))).rows[0].n;
    return { completed: w.done, seconds, jobsPerSecond: w.done / seconds, warmJobsPerSecond: w.warmJobsPerSecond, enqueuePerSecond: enqueue, check: left === 0 && w.done === opt.jobs ? "ok" : `FAILED: ${left} jobs left` };
  });
}

async function enqueueAtRate(utils, n, measured) {
  const t0 = performance.now();
  let next = -1;
  await Promise.all(Array.from({ length: 4 }, async () => {
    let i;
    while ((i = ++next) < n) {
      const wait = (i / opt.rate) * 1000 - (performance.now() - t0);
      if (wait > 1) await sleep(wait);
      await utils.addJob("noop", { m: measured });
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

async function latency(rep) {
  return withDatabase(`lat_r${rep}`, async (connectionString, utils) => {
    const samples = [];
    const w = await startWorker(connectionString, (payload, job) => {
      if (payload.m) samples.push((micros(job.locked_at) - micros(job.created_at)) / 1000);
    });
    const total = opt.rate * opt.latencySeconds, warmup = Math.min(400, opt.rate * 2);
    let offered;
    try {
      await sleep(1000);
      await enqueueAtRate(utils, warmup, false);
      await w.waitDone(warmup, 60_000);
      await sleep(500);
      offered = await enqueueAtRate(utils, total, true);
      await w.waitDone(warmup + total, 120_000);
    } finally { await w.stop(); }
    samples.sort((a, b) => a - b);
    return { count: samples.length, offered, p50: percentile(samples, 0.5), p99: percentile(samples, 0.99), max: samples.at(-1), check: samples.length === total ? "ok" : `FAILED: ${samples.length} of ${total}` };
  });
}

console.error(`# graphile-worker 0.18 (node ${process.version}): ${opt.jobs} jobs, ${opt.repeats} repeats, concurrency ${opt.concurrency}, latency at ${opt.rate}/s for ${opt.latencySeconds} s`);
const runs = [];
for (let rep = 1; rep <= opt.repeats; rep++) {
  const t0 = performance.now();
  const tp = await throughput(rep);
  const t1 = performance.now();
  console.error(`  graphile rep=${rep}: ${tp.jobsPerSecond.toFixed(0)} jobs/s, warm ${tp.warmJobsPerSecond.toFixed(0)} jobs/s (${tp.completed} in ${tp.seconds.toFixed(2)} s; enqueue ${tp.enqueuePerSecond.toFixed(0)}/s) ${tp.check}`);
  const lat = await latency(rep);
  console.error(`    (throughput run ${((t1 - t0) / 1000).toFixed(1)} s, latency run ${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  console.error(`  graphile rep=${rep}: latency p50 ${lat.p50.toFixed(1)} ms, p99 ${lat.p99.toFixed(1)} ms, max ${lat.max.toFixed(1)} ms over ${lat.count} jobs (offered ${lat.offered.toFixed(0)}/s) ${lat.check}`);
  runs.push({ throughput: tp, latency: lat });
}
console.log(JSON.stringify({ node: process.version, concurrency: opt.concurrency, runs }));
