/** What the page as a whole can claim right now (pure, unit-tested without a browser). */
import type { DependencyStatus, NewestVotes, PipelineStatus, Problem, Tally } from "../contract.ts";
import type { ConnectionState } from "./live-feed.ts";

export type PageState = "loading" | "live" | "degraded" | "stale" | "offline";

/** One part of the page that is not current: which, since when, and why. */
export interface DegradedPart {
  part: string;
  since: string;
  reason: string;
}

export interface PageHealth {
  state: PageState;
  label: string;
  parts: DegradedPart[];
  /** The tallies on screen may be behind (Redis unanswered, or the stream lost). */
  talliesStale: boolean;
  /** The newest-votes list on screen is the last good one, not the current one. */
  votesStale: boolean;
}

export interface HealthInput {
  connection: ConnectionState;
  tally: Tally | null;
  newest: NewestVotes | null;
  status: PipelineStatus | null;
  problem: Problem | null;
  downSince: number | null;
}

const LABELS: Record<PageState, string> = {
  loading: "Connecting…",
  live: "Live",
  degraded: "Degraded",
  stale: "Stale",
  offline: "Offline",
};

const DEPENDENCY_PARTS: Record<keyof PipelineStatus["dependencies"], string> = {
  redis: "Tallies (Redis)",
  mongo: "Newest votes (MongoDB)",
  kafka: "Lag (Kafka)",
};

function dependencyReason(status: DependencyStatus): string {
  return status.error ?? (status.state === "timeout" ? "timed out" : "unreachable");
}

export function pageHealth(input: HealthInput): PageHealth {
  const { connection, tally, newest, status, problem } = input;
  const heardAnything = tally !== null || newest !== null || status !== null;
  if (connection === "connecting" && !heardAnything) {
    return { state: "loading", label: LABELS.loading, parts: [], talliesStale: false, votesStale: false };
  }
  if (connection !== "live" && connection !== "connecting") {
    const state: PageState = connection === "offline" ? "offline" : "stale";
    const since = new Date(input.downSince ?? Date.now()).toISOString();
    const reason = connection === "offline" ? "no connection to the dashboard server" : "the live stream dropped; reconnecting";
    return { state, label: LABELS[state], parts: [{ part: "Everything", since, reason }], talliesStale: true, votesStale: true };
  }
  const parts: DegradedPart[] = [];
  if (problem) parts.push({ part: DEPENDENCY_PARTS.redis, since: problem.at, reason: problem.error });
  if (newest?.stale) parts.push({ part: DEPENDENCY_PARTS.mongo, since: newest.stale.since, reason: newest.stale.reason });
  if (status) {
    for (const key of ["redis", "mongo", "kafka"] as const) {
      const dependency = status.dependencies[key];
      if (dependency.state !== "timeout" && dependency.state !== "unreachable") continue;
      if (parts.some((part) => part.part === DEPENDENCY_PARTS[key])) continue;
      parts.push({ part: DEPENDENCY_PARTS[key], since: dependency.since, reason: dependencyReason(dependency) });
    }
    const waiting = `${status.lag.total ?? "an unknown number of"} votes are waiting`;
    if (status.consumer.state === "stalled") {
      parts.push({
        part: "Counting (consumer)",
        since: status.consumer.lastMovedAt ?? status.readAt,
        reason: `the consumer is not counting: ${waiting}`,
      });
    } else if (status.consumer.state === "stopped") {
      parts.push({
        part: "Counting (consumer)",
        since: status.consumer.lastSeenAt ?? status.readAt,
        // `since` is when a replica was last seen; with none ever seen it is when the status was read.
        reason: `${status.consumer.lastSeenAt ? "no consumer is running" : "no consumer has been seen"}: ${waiting}`,
      });
    }
  }
  const state: PageState = parts.length > 0 ? "degraded" : "live";
  return {
    state,
    label: LABELS[state],
    parts,
    talliesStale: problem !== null || tally === null,
    votesStale: newest?.stale != null,
  };
}

/** The tab's title: the state first, so a background tab says whether to look. */
export function pageTitle(health: PageHealth, total: number | null): string {
  const count = total === null ? "" : ` · ${new Intl.NumberFormat("en-US").format(total)} votes`;
  return `${health.state === "live" ? "● Live" : `⚠ ${health.label}`}${count} · marimba`;
}

/** The favicon, a square in the state's colour. */
export function faviconHref(state: PageState): string {
  const colour = { loading: "#a7b3cf", live: "#3ddc84", degraded: "#f5b942", stale: "#f5b942", offline: "#ff6b6b" }[state];
  const svg = `<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'><rect width='16' height='16' rx='3' fill='${colour}'/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}
