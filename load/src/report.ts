import type { Progress, RouteResult } from "./fire.ts";

/** A plain text table with right-aligned numbers, for the terminal. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0))).join("  ");
  return [line(header), widths.map((width) => "─".repeat(width)).join("  "), ...rows.map(line)].join("\n");
}

const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(value >= 100 ? 0 : 1) : "–");

/** The per-route table the load command prints: sent, 2xx, non-2xx, errors, votes/s, p50, p99. */
export function formatRouteTable(results: readonly RouteResult[]): string {
  const rows = results.map((result) => [
    `${result.route}  ${result.url}`,
    String(result.sent),
    String(result.accepted),
    String(result.rejected),
    String(result.errors),
    result.votesPerSecond.toFixed(0),
    ms(result.latencyMs.p50),
    ms(result.latencyMs.p99),
  ]);
  if (results.length > 1) {
    const sum = (pick: (result: RouteResult) => number) => results.reduce((total, result) => total + pick(result), 0);
    rows.push([
      "all routes",
      String(sum((r) => r.sent)),
      String(sum((r) => r.accepted)),
      String(sum((r) => r.rejected)),
      String(sum((r) => r.errors)),
      sum((r) => r.votesPerSecond).toFixed(0),
      "",
      "",
    ]);
  }
  return textTable(["route", "sent", "2xx", "non-2xx", "errors", "votes/s", "p50 ms", "p99 ms"], rows);
}

/** Non-2xx answers by status, so a wall of 503s or 422s is named, not just counted. */
export function formatRejections(results: readonly RouteResult[]): string[] {
  const lines: string[] = [];
  for (const result of results) {
    const codes = Object.entries(result.statusCodes).filter(([status]) => !status.startsWith("2"));
    if (codes.length > 0) lines.push(`${result.route}: ${codes.map(([status, count]) => `${count}× ${status}`).join(", ")}`);
    if (result.timeouts > 0) lines.push(`${result.route}: ${result.timeouts} requests timed out`);
  }
  return lines;
}

/** One progress line, e.g. `[#######.......] 12/30 s · 61,234 sent · 60,998 accepted`. */
export function formatProgress(progress: Progress, width = 24): string {
  const fraction =
    progress.plannedRequests !== null
      ? progress.sent / Math.max(1, progress.plannedRequests)
      : progress.elapsedSeconds / Math.max(1, progress.plannedSeconds ?? 1);
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  const bar = `[${"#".repeat(filled)}${".".repeat(width - filled)}]`;
  const where =
    progress.plannedRequests !== null
      ? `${progress.sent}/${progress.plannedRequests} requests`
      : `${Math.min(progress.elapsedSeconds, progress.plannedSeconds ?? 0).toFixed(0)}/${progress.plannedSeconds} s`;
  return `${bar} ${where} · ${progress.accepted} accepted`;
}
