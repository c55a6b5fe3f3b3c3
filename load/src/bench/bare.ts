import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";

export interface BareServer {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts the bare Bun server in its own process and resolves once it listens. */
export function startBareServer(): Promise<BareServer> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [join(import.meta.dir, "bare-server.ts")], {
      env: { ...process.env, PORT: "0" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("the bare server did not start within 10 s"));
    }, 10_000);
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk;
      const port = output.match(/listening (\d+)/)?.[1];
      if (!port || !child.pid) return;
      clearTimeout(timer);
      const pid = child.pid;
      resolve({
        url: `http://127.0.0.1:${port}`,
        pid,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bare server exited with ${code} before listening`));
    });
  });
}
