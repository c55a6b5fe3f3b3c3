import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createKafka, createLogger, LOCAL_DEFAULTS, within } from "@marimba/shared";
import { createMongo, createRedis } from "@marimba/shared/storage";
import type { Component } from "./components.ts";
import { CACHE_DIR, dataDir, ROOT } from "./paths.ts";
import { ports } from "./ports.ts";

/** Partitions of the votes topic: at least the consumer HPA's maximum replicas. */
export const TOPIC_PARTITIONS = Number(process.env.KAFKA_PARTITIONS ?? 6);

const FERRETDB_VERSION = "v1.24.2";

/** Addresses the services and tests use: the user's own when set, the local stack's otherwise. */
export const stackEnv = {
  KAFKA_BROKERS: process.env.KAFKA_BROKERS || `127.0.0.1:${ports.kafka}`,
  KAFKA_TOPIC: process.env.KAFKA_TOPIC || LOCAL_DEFAULTS.KAFKA_TOPIC,
  MONGO_URL: process.env.MONGO_URL || `mongodb://127.0.0.1:${ports.mongo}`,
  MONGO_DB: process.env.MONGO_DB || LOCAL_DEFAULTS.MONGO_DB,
  REDIS_URL: process.env.REDIS_URL || `redis://127.0.0.1:${ports.redis}`,
};

export class MissingPrerequisite extends Error {}

function has(command: string, ...args: string[]): string | null {
  const result = spawnSync(command, args.length ? args : ["--version"], { encoding: "utf8" });
  return result.status === 0 ? `${result.stdout}${result.stderr}` : null;
}

function run(what: string, command: string, args: string[], env: Record<string, string> = {}, cwd = ROOT): void {
  console.log(`  ${what}…`);
  const result = spawnSync(command, args, { stdio: "inherit", cwd, env: { ...process.env, ...env } });
  if (result.status !== 0) throw new Error(`${what} failed: '${command} ${args.join(" ")}' exited with ${result.status ?? result.signal}`);
}

/**
 * Makes sure `command` is on this machine: installs Debian's `pkg` with apt when running as
 * root (as CI and a fresh machine do), otherwise stops with the command a person should run.
 */
export function ensureDebianPackage(command: string, pkg: string, what: string): void {
  if (has(command, "--version")) return;
  if (process.getuid?.() !== 0) {
    throw new MissingPrerequisite(`${what} is not installed: run 'sudo apt-get install ${pkg}' (or your system's package)`);
  }
  run(`installing ${pkg} (apt-get)`, "sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`]);
}

/** The browser the dashboard's browser tests drive: `CHROMIUM_PATH`, or Debian's chromium. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Debian's Chromium started the way a root, offline machine needs it (the browser tests and the dashboard bench). */
export const CHROMIUM_ARGS: readonly string[] = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export function ensureChromium(): void {
  if (process.env.CHROMIUM_PATH) return;
  ensureDebianPackage(CHROMIUM_PATH, "chromium", "Chromium (for the dashboard's browser tests)");
}

const quiet = createLogger("stack");
quiet.level = "silent";

// ── Kafka ────────────────────────────────────────────────────────────────────────────────────

const kafkaDir = join(ROOT, "stack", "kafka");

function kafkaClasspath(): string {
  const pom = readFileSync(join(kafkaDir, "pom.xml"));
  const file = join(CACHE_DIR, `kafka-${createHash("sha256").update(pom).digest("hex").slice(0, 12)}.classpath`);
  if (!existsSync(file)) {
    const java = has("java", "-version");
    const major = Number(java?.match(/version "(\d+)/)?.[1] ?? 0);
    if (major < 17)
      throw new MissingPrerequisite("Kafka needs Java 17 or newer: install it (Debian: apt-get install openjdk-17-jre-headless)");
    if (!has("mvn", "-v"))
      throw new MissingPrerequisite("Kafka's jars are resolved with Maven: install it (Debian: apt-get install maven)");
    mkdirSync(CACHE_DIR, { recursive: true });
    run("resolving Kafka's jars from Maven Central", "mvn", [
      "-q",
      "-B",
      "-f",
      join(kafkaDir, "pom.xml"),
      "dependency:build-classpath",
      `-Dmdep.outputFile=${file}`,
    ]);
  }
  return readFileSync(file, "utf8").trim();
}

function kafkaProperties(logDirs: string): string {
  const { kafka, kafkaController } = ports;
  return [
    "process.roles=broker,controller",
    "node.id=1",
    `controller.quorum.voters=1@127.0.0.1:${kafkaController}`,
    `listeners=PLAINTEXT://127.0.0.1:${kafka},CONTROLLER://127.0.0.1:${kafkaController}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${kafka}`,
    "controller.listener.names=CONTROLLER",
    "inter.broker.listener.name=PLAINTEXT",
    "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
    `log.dirs=${logDirs}`,
    "num.partitions=1",
    // Topics are created on purpose with their partitions, never by a typo in a producer.
    "auto.create.topics.enable=false",
    "offsets.topic.replication.factor=1",
    "offsets.topic.num.partitions=1",
    "transaction.state.log.replication.factor=1",
    "transaction.state.log.min.isr=1",
    "share.coordinator.state.topic.replication.factor=1",
    "share.coordinator.state.topic.min.isr=1",
    "group.initial.rebalance.delay.ms=0",
    "",
  ].join("\n");
}

async function ensureTopic(): Promise<void> {
  const kafka = createKafka("marimba-stack", stackEnv.KAFKA_BROKERS.split(","), quiet);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(stackEnv.KAFKA_TOPIC)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: stackEnv.KAFKA_TOPIC, numPartitions: TOPIC_PARTITIONS, replicationFactor: 1 }],
      });
    }
  } finally {
    await admin.disconnect();
  }
}

export const kafka: Component = {
  name: "kafka",
  port: ports.kafka,
  external: process.env.KAFKA_BROKERS,
  readyTimeoutMs: 90_000,
  graceMs: 20_000,
  async prepare() {
    const classpath = kafkaClasspath();
    const dir = dataDir("kafka");
    mkdirSync(dir, { recursive: true });
    const properties = join(dir, "server.properties");
    writeFileSync(properties, kafkaProperties(join(dir, "logs")));
    if (!existsSync(join(dir, "logs", "meta.properties"))) {
      const id = spawnSync("java", ["-cp", classpath, "kafka.tools.StorageTool", "random-uuid"], { encoding: "utf8" }).stdout.trim();
      run("formatting Kafka's storage", "java", [
        "-cp",
        classpath,
        "kafka.tools.StorageTool",
        "format",
        "-t",
        id,
        "-c",
        properties,
        "--ignore-formatted",
      ]);
    }
  },
  spec() {
    const dir = dataDir("kafka");
    return {
      name: "kafka",
      command: [
        "java",
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        `-Dlog4j2.configurationFile=${join(kafkaDir, "log4j2.properties")}`,
        "-cp",
        kafkaClasspath(),
        "kafka.Kafka",
        join(dir, "server.properties"),
      ],
    };
  },
  async ready() {
    const client = createKafka("marimba-stack", stackEnv.KAFKA_BROKERS.split(","), quiet);
    const admin = client.admin({ retry: { retries: 0 } });
    return within(3000, async () => {
      try {
        await admin.connect();
        await admin.describeCluster();
      } finally {
        await admin.disconnect();
      }
    });
  },
  afterReady: ensureTopic,
};

// ── FerretDB (MongoDB wire protocol on SQLite) ──────────────────────────────────────────────

/** What the build changes in FerretDB's source: a new name, so a binary built without it is not reused. */
const FERRETDB_BUILD = `${FERRETDB_VERSION}-id-index-untracked`;
const ferretdbBinary = join(CACHE_DIR, "ferretdb", FERRETDB_BUILD, "ferretdb");

/** A change to one file of FerretDB's source: `from` must occur exactly once. */
interface SourceEdit {
  file: string;
  from: string;
  to: string;
  why: string;
}

const RESOURCE_GO = join("internal", "util", "resource", "resource.go");
const UNLESS_DEBUG_BUILD = "\tif !debugbuild.Enabled {\n\t\treturn\n\t}\n\n";

const FERRETDB_EDITS: readonly SourceEdit[] = [
  {
    file: join("internal", "backends", "sqlite", "metadata", "metadata.go"),
    from: `"->'$._id'"`,
    to: `"->'_id'"`,
    why: "filter on `_id` with the expression its index is built on",
  },
  {
    file: RESOURCE_GO,
    from: "func Track(obj any, token *Token) {\n",
    to: `func Track(obj any, token *Token) {\n${UNLESS_DEBUG_BUILD}`,
    why: "track iterators' lifetimes in debug builds only",
  },
  {
    file: RESOURCE_GO,
    from: "func Untrack(obj any, token *Token) {\n",
    to: `func Untrack(obj any, token *Token) {\n${UNLESS_DEBUG_BUILD}`,
    why: "track iterators' lifetimes in debug builds only",
  },
];

function applyEdit(source: string, edit: SourceEdit): void {
  const path = join(source, edit.file);
  const code = readFileSync(path, "utf8");
  if (code.split(edit.from).length !== 2)
    throw new Error(`FerretDB ${FERRETDB_VERSION}: ${edit.file} no longer holds ${JSON.stringify(edit.from)} once (to ${edit.why})`);
  writeFileSync(path, code.replace(edit.from, edit.to));
}

/**
 * Builds FerretDB from its module source. A plain `go install …@version` binary panics at
 * start-up because the module zip lacks build/version/version.txt, so the source is copied
 * out of the module cache, given that file, and built there (pure Go, no cgo).
 *
 * Two things in the source are changed (`FERRETDB_EDITS`):
 * - The SQLite backend filters on `_id` with the expression `->'$._id'` while its unique `_id`
 *   index is on `->"_id"`; SQLite uses an expression index only for the same expression, so
 *   every lookup, update and delete by `_id` scanned the whole table (`explain`: SCAN, ~1.5 s per
 *   lookup at 300,000 votes). With `->'_id'` (the same value) it searches the index.
 * - Release builds track the lifetime of every iterator, one per document read: each is added
 *   to a pprof profile (a stack trace) and given a finalizer, which only ever reports a leak in
 *   FerretDB's own debug builds. That took ~10% of a full read's CPU directly and much of the
 *   rest in garbage collection; without it a streamed read of the log runs ~1.6× faster.
 */
function buildFerretDB(): void {
  if (!has("go", "version")) throw new MissingPrerequisite("FerretDB is built with Go 1.24 or newer: install it from https://go.dev/dl/");
  const module = `github.com/FerretDB/FerretDB@${FERRETDB_VERSION}`;
  console.log(`  building FerretDB ${FERRETDB_VERSION} (a few minutes, once; cached in ${CACHE_DIR})…`);
  mkdirSync(join(CACHE_DIR, "ferretdb", FERRETDB_BUILD), { recursive: true });
  const download = spawnSync("go", ["mod", "download", "-json", module], { encoding: "utf8", cwd: CACHE_DIR });
  if (download.status !== 0) throw new Error(`could not download ${module}: ${download.stderr || download.stdout}`);
  // Stacks side by side (port offsets) may build at once: each builds in its own folder and
  // renames its binary into place, so none runs or deletes another's half-done work.
  const source = join(CACHE_DIR, "ferretdb", `src-${FERRETDB_VERSION}-${process.pid}`);
  const built = `${ferretdbBinary}.${process.pid}`;
  rmSync(source, { recursive: true, force: true });
  try {
    cpSync(JSON.parse(download.stdout).Dir, source, { recursive: true });
    spawnSync("chmod", ["-R", "u+w", source]);
    writeFileSync(join(source, "build", "version", "version.txt"), `${FERRETDB_VERSION}\n`);
    for (const edit of FERRETDB_EDITS) applyEdit(source, edit);
    run("compiling FerretDB", "go", ["build", "-trimpath", "-o", built, "./cmd/ferretdb"], { CGO_ENABLED: "0" }, source);
    renameSync(built, ferretdbBinary);
  } finally {
    rmSync(source, { recursive: true, force: true });
    rmSync(built, { force: true });
  }
}

export const mongo: Component = {
  name: "ferretdb",
  port: ports.mongo,
  external: process.env.MONGO_URL,
  async prepare() {
    if (!existsSync(ferretdbBinary)) buildFerretDB();
    mkdirSync(join(dataDir("ferretdb"), "sqlite"), { recursive: true });
  },
  spec() {
    const dir = dataDir("ferretdb");
    return {
      name: "ferretdb",
      command: [
        ferretdbBinary,
        "--handler=sqlite",
        `--sqlite-url=file:${join(dir, "sqlite")}/`,
        `--listen-addr=127.0.0.1:${ports.mongo}`,
        "--telemetry=disable",
        `--state-dir=${dir}`,
        "--debug-addr=-",
        "--log-level=warn",
      ],
      // Go collects garbage each time the heap doubles, and FerretDB allocates several objects
      // per document it decodes: growing it 5× first took a streamed read of the log (what a
      // recount does) from 8,700–11,600 to 13,200–14,600 documents/s here, for ~60 MB more RSS.
      env: { GOGC: "400" },
    };
  },
  async ready() {
    const client = createMongo(stackEnv.MONGO_URL);
    try {
      return await within(3000, () => client.db("admin").command({ ping: 1 }));
    } finally {
      await client.close();
    }
  },
};

// ── Redis ────────────────────────────────────────────────────────────────────────────────────

/** True once a Redis server at `url` answers PING within 2 s. */
export async function redisAnswers(url: string): Promise<boolean> {
  const client = createRedis(url, { lazyConnect: true });
  try {
    return await within(2000, async () => {
      await client.connect();
      await client.ping();
    });
  } finally {
    client.disconnect();
  }
}

export const redis: Component = {
  name: "redis",
  port: ports.redis,
  external: process.env.REDIS_URL,
  async prepare() {
    ensureDebianPackage("redis-server", "redis-server", "Redis");
    mkdirSync(dataDir("redis"), { recursive: true });
  },
  spec() {
    return {
      name: "redis",
      command: [
        "redis-server",
        "--port",
        String(ports.redis),
        "--bind",
        "127.0.0.1",
        "--dir",
        dataDir("redis"),
        // Counters must survive a restart as the MongoDB logs and Kafka offsets do.
        "--appendonly",
        "yes",
        "--save",
        "",
      ],
    };
  },
  ready: () => redisAnswers(stackEnv.REDIS_URL),
};

export const dependencies: Component[] = [kafka, mongo, redis];
