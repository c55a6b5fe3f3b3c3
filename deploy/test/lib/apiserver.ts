// A real control plane for the server-side dry run: Debian's etcd and the upstream kube-apiserver,
// built once from deploy/apiserver (a wrapper module, see its go.mod) into the cache outside the
// clone. Both listen on loopback, keep their state in a temp folder and are stopped by PID.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { deployDir } from "./manifests.ts";

const moduleDir = join(deployDir, "apiserver");
const CACHE_DIR = process.env.MARIMBA_CACHE ?? join(homedir(), ".cache", "marimba");
/** A cold build takes ~5 minutes on 2 idle cores; a loaded machine needs more. */
const BUILD_TIMEOUT_MS = 30 * 60_000;
const START_TIMEOUT_MS = 180_000;

export class MissingPrerequisite extends Error {}

/** The Kubernetes release the wrapper module pins (`require k8s.io/kubernetes vX.Y.Z`). */
export function kubernetesVersion(): string {
  const version = readFileSync(join(moduleDir, "go.mod"), "utf8").match(/^\s*k8s\.io\/kubernetes (v\d+\.\d+\.\d+)\s*$/m)?.[1];
  if (!version) throw new Error("deploy/apiserver/go.mod requires no k8s.io/kubernetes version");
  return version;
}

export function apiserverBinaryPath(): string {
  return join(CACHE_DIR, `kube-apiserver-${kubernetesVersion()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The cached kube-apiserver, built first if it is missing. Another clone building into the same
 * cache holds `<binary>.lock` (its PID inside): wait for it rather than compiling twice.
 */
export async function ensureApiserver(log: (line: string) => void = console.log): Promise<string> {
  const binary = apiserverBinaryPath();
  const lock = `${binary}.lock`;
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  mkdirSync(CACHE_DIR, { recursive: true });
  while (!existsSync(binary)) {
    if (Date.now() > deadline) throw new Error(`${binary} did not appear within ${BUILD_TIMEOUT_MS / 60_000} minutes`);
    try {
      mkdirSync(lock);
    } catch {
      const holder = Number(readFileSync(join(lock, "pid"), { encoding: "utf8", flag: "a+" }) || 0);
      if (holder && !alive(holder)) rmSync(lock, { recursive: true, force: true });
      else await Bun.sleep(5000);
      continue;
    }
    try {
      writeFileSync(join(lock, "pid"), String(process.pid));
      await build(binary, log);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return binary;
}

async function build(binary: string, log: (line: string) => void): Promise<void> {
  if (!Bun.which("go")) throw new MissingPrerequisite("kube-apiserver is built with Go 1.24 or newer: install it from https://go.dev/dl/");
  const version = kubernetesVersion();
  const partial = `${binary}.partial-${process.pid}`;
  log(`building kube-apiserver ${version} from the Go module proxy (minutes, once; cached as ${binary})`);
  const started = performance.now();
  const ldflags = `-s -w -X k8s.io/component-base/version.gitVersion=${version}`;
  const child = Bun.spawn(["go", "build", "-mod=readonly", "-buildvcs=false", "-trimpath", `-ldflags=${ldflags}`, "-o", partial, "."], {
    cwd: moduleDir,
    env: { ...process.env, CGO_ENABLED: "0" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), BUILD_TIMEOUT_MS);
  const [code, output] = await Promise.all([child.exited, new Response(child.stderr).text()]).finally(() => clearTimeout(timer));
  if (code !== 0) {
    rmSync(partial, { force: true });
    throw new Error(`go build of kube-apiserver ${version} failed (exit ${code}): ${output.slice(-2000)}`);
  }
  renameSync(partial, binary);
  log(`built kube-apiserver ${version} in ${Math.round((performance.now() - started) / 1000)} s`);
}

/** Debian's etcd-server, installed with apt-get when running as root (like the local stack's Redis). */
export function ensureEtcd(): string {
  const found = Bun.which("etcd");
  if (found) return found;
  if (process.getuid?.() !== 0)
    throw new MissingPrerequisite("etcd is not installed: run 'sudo apt-get install etcd-server' (or your system's package)");
  const result = Bun.spawnSync(["sh", "-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq etcd-server"], {
    stdout: "inherit",
    stderr: "inherit",
  });
  const installed = Bun.which("etcd");
  if (result.exitCode !== 0 || !installed) throw new Error(`apt-get install etcd-server failed (exit ${result.exitCode})`);
  return installed;
}

/** A port the kernel just handed out on loopback: free now, and outside every stack's fixed ports. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface ControlPlane {
  server: string;
  /** Runs kubectl against this API server, with `input` on stdin. */
  kubectl(args: string[], input?: string): KubectlResult;
  stop(): Promise<void>;
}

async function waitUntilReady(server: string, token: string, processes: Bun.Subprocess[], logs: string[]): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last = "";
  while (Date.now() < deadline) {
    const exited = processes.find((child) => child.exitCode !== null);
    if (exited) throw new Error(`the control plane exited early (${exited.exitCode}); logs: ${logs.map(tail).join("\n")}`);
    try {
      const response = await fetch(`${server}/readyz`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(3000),
        tls: { rejectUnauthorized: false },
      });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await Bun.sleep(500);
  }
  throw new Error(
    `kube-apiserver not ready within ${START_TIMEOUT_MS / 1000} s (last answer: ${last.slice(0, 500)}); logs: ${logs.map(tail).join("\n")}`,
  );
}

function tail(path: string): string {
  return existsSync(path) ? `${path}:\n${readFileSync(path, "utf8").slice(-3000)}` : `${path}: (none)`;
}

async function stopProcess(child: Bun.Subprocess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const stopped = await Promise.race([child.exited.then(() => true), Bun.sleep(10_000).then(() => false)]);
  if (!stopped) {
    child.kill("SIGKILL");
    await child.exited;
  }
}

/** etcd, then kube-apiserver against it, both on loopback ports the kernel picks. */
export async function startControlPlane(): Promise<ControlPlane> {
  const etcd = ensureEtcd();
  const apiserver = await ensureApiserver();
  const state = mkdtempSync(join(tmpdir(), "marimba-apiserver-"));
  const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString("hex");
  writeFileSync(join(state, "tokens.csv"), `${token},marimba-test,marimba-test,"system:masters"\n`);
  const keys = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    publicKeyEncoding: { type: "spki", format: "pem" },
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
  });
  writeFileSync(join(state, "sa.pub"), keys.publicKey);
  writeFileSync(join(state, "sa.key"), keys.privateKey);
  const server = `https://127.0.0.1:${securePort}`;
  writeFileSync(
    join(state, "kubeconfig"),
    [
      "apiVersion: v1",
      "kind: Config",
      `clusters: [{name: test, cluster: {server: '${server}', insecure-skip-tls-verify: true}}]`,
      `users: [{name: test, user: {token: '${token}'}}]`,
      "contexts: [{name: test, context: {cluster: test, user: test}}]",
      "current-context: test",
      "",
    ].join("\n"),
  );

  const etcdLog = join(state, "etcd.log");
  const apiserverLog = join(state, "kube-apiserver.log");
  const processes: Bun.Subprocess[] = [];
  const stop = async () => {
    for (const child of processes.toReversed()) await stopProcess(child);
    rmSync(state, { recursive: true, force: true });
  };
  // Should the test process die before afterAll, the children do not outlive it.
  const onExit = () => {
    for (const child of processes) if (child.exitCode === null) child.kill("SIGKILL");
  };
  process.once("exit", onExit);
  try {
    processes.push(
      Bun.spawn(
        [
          etcd,
          "--name=marimba-test",
          `--data-dir=${join(state, "etcd")}`,
          `--listen-client-urls=http://127.0.0.1:${clientPort}`,
          `--advertise-client-urls=http://127.0.0.1:${clientPort}`,
          `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
          `--initial-cluster=marimba-test=http://127.0.0.1:${peerPort}`,
          "--logger=zap",
          "--log-level=warn",
        ],
        { stdout: "ignore", stderr: Bun.file(etcdLog) },
      ),
    );
    processes.push(
      Bun.spawn(
        [
          apiserver,
          `--etcd-servers=http://127.0.0.1:${clientPort}`,
          "--bind-address=127.0.0.1",
          "--advertise-address=127.0.0.1",
          `--secure-port=${securePort}`,
          `--cert-dir=${join(state, "certs")}`,
          `--token-auth-file=${join(state, "tokens.csv")}`,
          "--authorization-mode=RBAC",
          `--service-account-key-file=${join(state, "sa.pub")}`,
          `--service-account-signing-key-file=${join(state, "sa.key")}`,
          "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
          "--service-cluster-ip-range=10.96.0.0/16",
          "--profiling=false",
          "--enable-priority-and-fairness=false",
        ],
        { stdout: "ignore", stderr: Bun.file(apiserverLog) },
      ),
    );
    await waitUntilReady(server, token, processes, [etcdLog, apiserverLog]);
  } catch (error) {
    await stop();
    process.removeListener("exit", onExit);
    throw error;
  }
  return {
    server,
    kubectl(args, input) {
      const result = Bun.spawnSync(
        ["kubectl", `--kubeconfig=${join(state, "kubeconfig")}`, `--cache-dir=${join(state, "kube-cache")}`, ...args],
        {
          stdin: input === undefined ? "ignore" : Buffer.from(input),
          stdout: "pipe",
          stderr: "pipe",
          env: { ...process.env, KUBECONFIG: undefined },
          timeout: 120_000,
        },
      );
      return { code: result.exitCode ?? 1, stdout: result.stdout.toString(), stderr: result.stderr.toString() };
    },
    async stop() {
      await stop();
      process.removeListener("exit", onExit);
    },
  };
}
