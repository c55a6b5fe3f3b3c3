import { onBeforeUnmount, onMounted, type Ref, ref, shallowRef } from "vue";
import { type LiveSnapshot, type Problem, type Pulse, STREAM_EVENTS } from "../contract.ts";
import { arrivals } from "./format.ts";

/** live: events are arriving; reconnecting: the stream dropped and the browser is retrying; offline: no network, or down for a while. */
export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

/** Pulses come every second; this long without any event means the stream is stuck. */
const SILENCE_MS = 5000;
/** Reconnecting this long (or the browser reports no network) is shown as offline; retries go on. */
const OFFLINE_AFTER_MS = 30_000;
/** How long a new vote stays marked in the table. */
const NEW_FOR_MS = 6000;

export interface LiveView {
  state: Ref<ConnectionState>;
  snapshot: Ref<LiveSnapshot | null>;
  votesPerSecond: Ref<number>;
  problem: Ref<Problem | null>;
  /** When the last event arrived (ms since the epoch). */
  lastEventAt: Ref<number | null>;
  /** Vote id → when it arrived, for votes that arrived after the page opened. */
  arrivedAt: Ref<Map<string, number>>;
  /** A clock that ticks every second, for "12 s ago" and fading the new-row marks. */
  now: Ref<number>;
}

/** Connects the page to `GET /api/stream` and keeps it connected for as long as the component lives. */
export function useLiveFeed(url = "/api/stream"): LiveView {
  const state = ref<ConnectionState>("connecting");
  const snapshot = shallowRef<LiveSnapshot | null>(null);
  const votesPerSecond = ref(0);
  const problem = ref<Problem | null>(null);
  const lastEventAt = ref<number | null>(null);
  const arrivedAt = shallowRef(new Map<string, number>());
  const now = ref(Date.now());

  let source: EventSource | null = null;
  let lastId = "";
  let downSince: number | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let clock: ReturnType<typeof setInterval> | undefined;
  let attempts = 0;

  const heard = () => {
    lastEventAt.value = Date.now();
    downSince = null;
    attempts = 0;
    state.value = "live";
  };

  const down = () => {
    downSince ??= Date.now();
    const offline = navigator.onLine === false || Date.now() - downSince > OFFLINE_AFTER_MS;
    state.value = offline ? "offline" : "reconnecting";
  };

  const applySnapshot = (next: LiveSnapshot) => {
    const at = Date.now();
    const marks = new Map([...arrivedAt.value].filter(([, when]) => at - when < NEW_FOR_MS));
    for (const id of arrivals(snapshot.value?.votes ?? null, next.votes)) marks.set(id, at);
    arrivedAt.value = marks;
    snapshot.value = next;
    votesPerSecond.value = next.votesPerSecond;
    problem.value = null;
  };

  const connect = () => {
    source?.close();
    // A new EventSource does not send Last-Event-ID by itself: pass it so the server can skip what the page has.
    const target = lastId ? `${url}?lastEventId=${encodeURIComponent(lastId)}` : url;
    const stream = new EventSource(target);
    source = stream;
    stream.onopen = heard;
    stream.addEventListener(STREAM_EVENTS.snapshot, (event) => {
      heard();
      lastId = event.lastEventId;
      applySnapshot(JSON.parse(event.data) as LiveSnapshot);
    });
    stream.addEventListener(STREAM_EVENTS.pulse, (event) => {
      heard();
      votesPerSecond.value = (JSON.parse(event.data) as Pulse).votesPerSecond;
    });
    stream.addEventListener(STREAM_EVENTS.problem, (event) => {
      heard();
      problem.value = JSON.parse(event.data) as Problem;
    });
    stream.onerror = () => {
      if (source !== stream) return;
      down();
      // The browser retries network errors itself; after an HTTP error it gives up, so retry here.
      if (stream.readyState === EventSource.CLOSED) reconnectSoon();
    };
  };

  const reconnectSoon = () => {
    clearTimeout(retryTimer);
    attempts += 1;
    retryTimer = setTimeout(connect, Math.min(1000 * attempts, 5000));
  };

  const tick = () => {
    now.value = Date.now();
    if (state.value === "live" && lastEventAt.value !== null && now.value - lastEventAt.value > SILENCE_MS) {
      down();
      connect(); // a silent stream (a proxy holding it, a sleeping laptop) is replaced by a fresh one
    } else if (state.value === "reconnecting" || state.value === "offline") {
      down();
    }
  };

  const online = () => {
    if (state.value !== "live") connect();
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

  return { state, snapshot, votesPerSecond, problem, lastEventAt, arrivedAt, now };
}
