import { onBeforeUnmount, onMounted, type Ref, ref, shallowRef } from "vue";
import {
  type LiveSnapshot,
  type NewestVotes,
  type PipelineStatus,
  type Problem,
  type Pulse,
  STREAM_EVENTS,
  type Tally,
} from "../contract.ts";
import { arrivals } from "./format.ts";

/** live: events are arriving; reconnecting: the stream dropped and the browser is retrying; offline: no network, or down for a while. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** Pulses come every second; this long without any event means the stream is stuck. */
const SILENCE_MS = 5000;
/** Reconnecting this long (or the browser reports no network) is shown as offline; retries go on. */
const OFFLINE_AFTER_MS = 30_000;
/** How long a new vote stays marked in the table. */
export const NEW_FOR_MS = 6000;
/** More new rows than this a second and nobody can read them: nothing is marked. */
const READABLE_ARRIVALS_PER_SECOND = 1;

export interface LiveView {
  connection: Ref<ConnectionState>;
  tally: Ref<Tally | null>;
  newest: Ref<NewestVotes | null>;
  status: Ref<PipelineStatus | null>;
  /** null while it cannot be known (Redis away, nothing heard yet). */
  votesPerSecond: Ref<number | null>;
  problem: Ref<Problem | null>;
  /** When the last event arrived (ms since the epoch). */
  lastEventAt: Ref<number | null>;
  /** When the connection was lost, while it is. */
  downSince: Ref<number | null>;
  /** Vote id → when it arrived, only for rows arriving slowly enough to read. */
  arrivedAt: Ref<Map<string, number>>;
}

/** Connects the page to `GET /api/stream` and keeps it connected for as long as the component lives. */
export function useLiveFeed(url = "/api/stream"): LiveView {
  const connection = ref<ConnectionState>("connecting");
  const tally = shallowRef<Tally | null>(null);
  const newest = shallowRef<NewestVotes | null>(null);
  const status = shallowRef<PipelineStatus | null>(null);
  const votesPerSecond = ref<number | null>(null);
  const problem = shallowRef<Problem | null>(null);
  const lastEventAt = ref<number | null>(null);
  const downSince = ref<number | null>(null);
  const arrivedAt = shallowRef(new Map<string, number>());

  let source: EventSource | null = null;
  let lastId = "";
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let clock: ReturnType<typeof setInterval> | undefined;
  let attempts = 0;
  let lastArrivalsAt = 0;

  const heard = () => {
    lastEventAt.value = Date.now();
    downSince.value = null;
    attempts = 0;
    connection.value = "live";
  };

  const down = () => {
    downSince.value ??= Date.now();
    const offline = navigator.onLine === false || Date.now() - downSince.value > OFFLINE_AFTER_MS;
    connection.value = offline ? "offline" : "reconnecting";
  };

  const applyVotes = (next: NewestVotes) => {
    const at = Date.now();
    const fresh = arrivals(newest.value?.votes ?? null, next.votes);
    const marks = new Map([...arrivedAt.value].filter(([, when]) => at - when < NEW_FOR_MS));
    // Rows arriving faster than anyone can read are not marked: under load a NEW on every row says nothing.
    const seconds = Math.max(1, (at - lastArrivalsAt) / 1000);
    if (fresh.length > 0 && fresh.length / seconds <= READABLE_ARRIVALS_PER_SECOND) for (const id of fresh) marks.set(id, at);
    else if (fresh.length > 0) marks.clear();
    if (fresh.length > 0) lastArrivalsAt = at;
    arrivedAt.value = marks;
    newest.value = next;
  };

  const applyTally = (next: Tally) => {
    tally.value = next;
    problem.value = null;
  };

  const connect = () => {
    source?.close();
    // A new EventSource does not send Last-Event-ID by itself: pass it so the server can skip what the page has.
    const target = lastId ? `${url}?lastEventId=${encodeURIComponent(lastId)}` : url;
    const stream = new EventSource(target);
    source = stream;
    stream.onopen = heard;
    const on = <T>(event: string, apply: (data: T) => void) =>
      stream.addEventListener(event, (message) => {
        heard();
        if (message.lastEventId) lastId = message.lastEventId;
        apply(JSON.parse(message.data) as T);
      });
    on<LiveSnapshot>(STREAM_EVENTS.snapshot, (snapshot) => {
      if (snapshot.tally) applyTally(snapshot.tally);
      applyVotes(snapshot.newest);
      status.value = snapshot.status;
      votesPerSecond.value = snapshot.votesPerSecond;
    });
    on<Tally>(STREAM_EVENTS.tally, applyTally);
    on<NewestVotes>(STREAM_EVENTS.votes, applyVotes);
    on<PipelineStatus>(STREAM_EVENTS.status, (next) => {
      status.value = next;
    });
    on<Pulse>(STREAM_EVENTS.pulse, (pulse) => {
      votesPerSecond.value = pulse.votesPerSecond;
    });
    on<Problem>(STREAM_EVENTS.problem, (next) => {
      problem.value = next;
      votesPerSecond.value = null;
    });
    stream.onerror = () => {
      if (source !== stream) return;
      down();
      // The browser retries network errors itself; after an HTTP error (a full instance's 503) it gives up, so retry here.
      if (stream.readyState === EventSource.CLOSED) reconnectSoon();
    };
  };

  const reconnectSoon = () => {
    clearTimeout(retryTimer);
    attempts += 1;
    retryTimer = setTimeout(connect, Math.min(1000 * attempts, 5000));
  };

  const tick = () => {
    const now = Date.now();
    if (connection.value === "live" && lastEventAt.value !== null && now - lastEventAt.value > SILENCE_MS) {
      down();
      connect(); // a silent stream (a proxy holding it, a sleeping laptop) is replaced by a fresh one
    } else if (connection.value === "reconnecting" || connection.value === "offline") {
      down();
    }
  };

  const online = () => {
    if (connection.value !== "live") connect();
  };

  onMounted(() => {
    connect();
    clock = setInterval(tick, 1000);
    window.addEventListener("online", online);
    window.addEventListener("offline", down);
  });

  onBeforeUnmount(() => {
    clearInterval(clock);
    clearTimeout(retryTimer);
    source?.close();
    window.removeEventListener("online", online);
    window.removeEventListener("offline", down);
  });

  return { connection, tally, newest, status, votesPerSecond, problem, lastEventAt, downSince, arrivedAt };
}
