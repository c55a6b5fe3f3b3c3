// `npm run load -- …`: replays a votes file through the routes with autocannon.
import { ArgumentError, usage } from "./args.ts";
import { writeJson } from "./files.ts";
import { LOAD_FLAGS, parseLoadArgs, runLoad, UnreachableRoute } from "./load.ts";
import { formatProgress, formatRejections, formatRouteTable } from "./report.ts";
import { VotesFileError } from "./votes-file.ts";

// Imported only without --target: the load image (load/Dockerfile) ships without the stack/ folder.
async function localStack() {
  const { urls } = await import("@marimba/stack");
  return { http: urls.http, grpc: urls.grpc };
}

async function main(argv: string[]): Promise<number> {
  const options = parseLoadArgs(argv);
  if (options.help) {
    console.log(usage("npm run load --", LOAD_FLAGS));
    return 0;
  }
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  // A progress line only makes sense on a terminal; in CI logs it would be noise.
  const tty = process.stderr.isTTY === true;
  const report = await runLoad(options, {
    stack: options.target ? { http: options.target, grpc: options.target } : await localStack(),
    signal: stop.signal,
    onStart: (votes, shots) => {
      const what = options.amount !== undefined ? `${options.amount} votes` : `${options.duration} s`;
      const where = shots.map(
        (shot) => `${shot.origin} (${shot.routes.map((target) => target.route).join(", ")}, ${shot.connections} connections)`,
      );
      console.log(`load: ${what} from ${options.file} (${votes} votes, rotating) to ${where.join(" and ")}`);
    },
    onProgress: tty ? (progress) => process.stderr.write(`\r${formatProgress(progress)}\u001b[K`) : undefined,
  });
  if (tty) process.stderr.write("\r\u001b[K");
  console.log(`\n${formatRouteTable(report.routes)}`);
  for (const line of formatRejections(report.routes)) console.log(`  ${line}`);
  writeJson(options.out, report);
  console.log(`\nresults: ${options.out}`);
  return report.routes.every((route) => route.accepted > 0) ? 0 : 1;
}

try {
  process.exit(await main(process.argv.slice(2)));
} catch (error) {
  if (error instanceof ArgumentError || error instanceof VotesFileError || error instanceof UnreachableRoute) {
    console.error(`load: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
