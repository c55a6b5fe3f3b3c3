/**
 * JSON bodies read the way every hop reads them: bounded while they stream in, UTF-8 or refused,
 * and an object that names a key twice refused instead of silently keeping the last value.
 */
import { visit } from "jsonc-parser";
import { type FieldProblem, fieldName } from "./vote.ts";

const utf8 = new TextDecoder("utf-8", { fatal: true });

export type BodyProblem = { status: 400 | 413; message: string };

/** A body read whole, or the reason it was not: too large (as soon as it passes the limit) or not UTF-8. */
export async function readBodyText(request: Request, maxBytes: number): Promise<string | BodyProblem> {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > maxBytes) {
    return { status: 413, message: `the body is ${declared} bytes; at most ${maxBytes} are accepted` };
  }
  let bytes: Uint8Array;
  if (declared !== null || !request.body) {
    // The declared length frames the body: the runtime reads no more than it.
    bytes = new Uint8Array(await request.arrayBuffer());
  } else {
    // Chunked (or unframed): counted chunk by chunk, and dropped the moment it passes the limit.
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        return { status: 413, message: `the body passed ${maxBytes} bytes; at most ${maxBytes} are accepted` };
      }
      chunks.push(value);
    }
    bytes = chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, size);
  }
  try {
    return utf8.decode(bytes);
  } catch {
    return { status: 400, message: "the body is not valid UTF-8" };
  }
}

function colonsIn(text: string): number {
  let count = 0;
  for (let at = text.indexOf(":"); at !== -1; at = text.indexOf(":", at + 1)) count++;
  return count;
}

/**
 * True when the text may name a key twice in one object. Cheap on the common body: every colon
 * of the text outside strings is one key, so the text's colons, less the keys JSON.parse kept and
 * the colons inside the strings it kept, are zero unless a key repeats (an escaped `\u` in the
 * text could hide one, so such a text is always looked at closely).
 */
function mayRepeatKeys(raw: string, value: unknown): boolean {
  if (!raw.includes("{")) return false;
  if (raw.includes("\\u")) return true;
  let kept = 0;
  const colonsOf = (item: unknown): void => {
    if (typeof item === "string") kept += colonsIn(item);
    else if (item !== null && typeof item === "object") stack.push(item);
  };
  // Strings are counted where they are found; only lists and objects wait on the stack (no entry pairs are built).
  const stack: object[] = [];
  colonsOf(value);
  while (stack.length > 0) {
    const item = stack.pop();
    if (Array.isArray(item)) {
      for (const element of item) colonsOf(element);
    } else {
      const record = item as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        kept += 1 + colonsIn(key);
        colonsOf(record[key]);
      }
    }
  }
  return colonsIn(raw) > kept;
}

/** Every key an object of the (already valid JSON) text names more than once, as field problems. */
export function repeatedKeys(raw: string, value: unknown): FieldProblem[] {
  if (!mayRepeatKeys(raw, value)) return [];
  const bulk = Array.isArray(value);
  const open: Set<string>[] = [];
  const problems: FieldProblem[] = [];
  visit(
    raw,
    {
      onObjectBegin: () => void open.push(new Set()),
      onObjectEnd: () => void open.pop(),
      onObjectProperty: (key, _offset, _length, _line, _character, path) => {
        const keys = open[open.length - 1];
        if (!keys) return;
        if (keys.has(key)) problems.push({ field: fieldName([...path(), key], bulk), message: "is given more than once" });
        keys.add(key);
      },
    },
    { disallowComments: true },
  );
  return problems;
}
