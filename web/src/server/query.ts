import type { FieldProblem, Parsed } from "@marimba/shared";
import { MAX_VOTES_LIMIT, NEWEST_VOTES } from "../contract.ts";

/** Reads `limit` from a query string: absent means 20; otherwise a whole number from 1 to 100. */
export function parseLimit(query: URLSearchParams): Parsed<number> {
  const values = query.getAll("limit");
  const problem = (message: string): Parsed<number> => ({ ok: false, problems: [{ field: "limit", message } satisfies FieldProblem] });
  if (values.length === 0) return { ok: true, value: NEWEST_VOTES };
  if (values.length > 1) return problem("must be given once");
  const raw = (values[0] as string).trim();
  if (!/^\d{1,4}$/.test(raw)) return problem(`must be a whole number from 1 to ${MAX_VOTES_LIMIT}`);
  const limit = Number(raw);
  if (limit < 1 || limit > MAX_VOTES_LIMIT) return problem(`must be from 1 to ${MAX_VOTES_LIMIT}; got ${limit}`);
  return { ok: true, value: limit };
}
