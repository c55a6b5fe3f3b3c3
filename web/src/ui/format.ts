/** Pure helpers for what the page shows; unit-tested without a browser. */

export interface Ranked {
  label: string;
  count: number;
}

/** The `limit` largest counts, largest first; ties in alphabetical order so the chart does not jitter. */
export function ranking(counts: Record<string, number>, limit: number): Ranked[] {
  return Object.entries(counts)
    .map(([label, count]) => ({ label, count }))
    .filter((entry) => entry.count > 0)
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
    .slice(0, limit);
}

const whole = new Intl.NumberFormat("en-US");
const oneDecimal = new Intl.NumberFormat("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatCount(count: number): string {
  return whole.format(count);
}

/** Votes per second: one decimal below 100, whole numbers above. */
export function formatRate(perSecond: number): string {
  return perSecond < 100 ? oneDecimal.format(perSecond) : whole.format(Math.round(perSecond));
}

/** A share of a total as a whole percentage; 0 % of nothing. */
export function percent(part: number, total: number): string {
  return total > 0 ? `${Math.round((part / total) * 100)} %` : "0 %";
}

/** Wall-clock time of a vote, 24-hour, with seconds. */
export function formatTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

/** "just now", "12 s ago", "3 min ago", or the time for anything older than an hour. */
export function ago(iso: string, now: number): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000);
  if (Number.isNaN(seconds)) return "";
  if (seconds < 2) return "just now";
  if (seconds < 60) return `${seconds} s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  return formatTime(iso);
}

/** Shortens a chart label to `max` characters with an ellipsis; the full label stays in the tooltip and the table. */
export function shorten(label: string, max: number): string {
  const characters = [...label];
  return characters.length <= max ? label : `${characters.slice(0, max - 1).join("")}…`;
}

/** The votes of a new list that were not in the previous one: the rows to mark as new. */
export function arrivals(previous: readonly { id: string }[] | null, next: readonly { id: string }[]): string[] {
  if (previous === null) return [];
  const seen = new Set(previous.map((vote) => vote.id));
  return next.filter((vote) => !seen.has(vote.id)).map((vote) => vote.id);
}

/** An album counter's field is "<band> — <album> (<year>)": shown album first, so a cut label still says which album. */
export function albumLabel(field: string): string {
  const split = field.indexOf(" — ");
  if (split === -1) return field;
  return `${field.slice(split + 3)} · ${field.slice(0, split)}`;
}

/** The leader of a ranking and how far ahead of the second it is; null with fewer than one entry. */
export function leadOf(entries: readonly Ranked[], total: number): { leader: string; margin: number; share: string } | null {
  const [first, second] = entries;
  if (!first) return null;
  return { leader: first.label, margin: first.count - (second?.count ?? 0), share: percent(first.count, total) };
}

/** "12:01:03, 2 min ago": when a state began, as a clock time and an age. */
export function since(iso: string, now: number): string {
  const age = ago(iso, now);
  return age === "" ? "" : `${formatTime(iso)} (${age})`;
}
