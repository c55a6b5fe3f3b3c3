// Entry point of the load-generator Job: finds the public address of the marimba Ingress (unless
// LOAD_TARGET is set), waits until it routes votes, then runs the load tool through it.
// Uses only Bun and the pod's service-account token, which may read that one Ingress.
export {}; // a module, so top-level await is allowed

const account = "/var/run/secrets/kubernetes.io/serviceaccount";
const ingressName = process.env.INGRESS_NAME || "marimba";
const amount = process.env.LOAD_AMOUNT || "10000";
const deadline = Date.now() + Number(process.env.WAIT_SECONDS || 900) * 1000;
const retryMs = Number(process.env.RETRY_SECONDS || 10) * 1000;

async function ingressAddress(): Promise<string | undefined> {
  const namespace = (await Bun.file(`${account}/namespace`).text()).trim();
  const token = (await Bun.file(`${account}/token`).text()).trim();
  const api = `https://${process.env.KUBERNETES_SERVICE_HOST}:${process.env.KUBERNETES_SERVICE_PORT}`;
  const response = await fetch(`${api}/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${ingressName}`, {
    headers: { authorization: `Bearer ${token}` },
    tls: { ca: await Bun.file(`${account}/ca.crt`).text() },
  });
  if (!response.ok) throw new Error(`reading Ingress ${ingressName}: HTTP ${response.status}`);
  type Ingress = { status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } };
  const entry = ((await response.json()) as Ingress).status?.loadBalancer?.ingress?.[0];
  const host = entry?.ip ?? entry?.hostname;
  return host ? `http://${host}` : undefined;
}

// Any answer below 500 on a vote path means the Ingress already reaches producer-http.
async function routesVotes(target: string): Promise<boolean> {
  const response = await fetch(`${target}/rust/send_data`, { signal: AbortSignal.timeout(5000) });
  return response.status < 500;
}

let target = process.env.LOAD_TARGET || undefined;
for (;;) {
  let waitingFor = target ? `${target} to route votes` : `Ingress ${ingressName} to get an address`;
  try {
    target ??= await ingressAddress();
    if (target && (await routesVotes(target))) break;
  } catch (error) {
    waitingFor += ` (${(error as Error).message})`;
  }
  if (Date.now() > deadline) {
    console.error(`load-generator: gave up waiting for ${waitingFor}`);
    process.exit(1);
  }
  console.log(`load-generator: waiting for ${waitingFor}`);
  await Bun.sleep(retryMs);
}

console.log(`load-generator: replaying ${amount} votes through ${target}`);
// The report goes to /tmp: the image's own folders are read-only in the cluster.
const args = ["--target", target, "--route", "both", "--amount", amount, "--out", "/tmp/load-report.json"];
const load = Bun.spawn([process.execPath, "load/src/cli.ts", ...args], {
  stdio: ["inherit", "inherit", "inherit"],
});
process.exit(await load.exited);
