/**
 * CPU per vote of the checks on the hot path, in process: zod alone, the fast path in front of it,
 * and TypeBox's compiled check (structure only: it neither trims, normalizes nor counts characters).
 * `bun load/src/bench/validation.ts`
 */
import { acceptVote, encodeVote, parseAcceptedVotes, parseVoteBody, repeatedKeys, Vote, VoteInput, votesFromLines } from "@marimba/shared";
import { Type } from "@sinclair/typebox";
import { TypeCompiler } from "@sinclair/typebox/compiler";

const votes = JSON.parse(await Bun.file(new URL("../../../data/votes.json", import.meta.url)).text()) as Record<string, string>[];
const accepted = votes.map((vote) => acceptVote(VoteInput.parse(vote), "http"));
const name = Type.String({ minLength: 1, maxLength: 120, pattern: "^[^<>\\u0000-\\u001f]*$" });
const typebox = TypeCompiler.Compile(
  Type.Object(
    { name, album: name, year: Type.String({ pattern: "^\\d{4}$" }), rank: Type.String({ pattern: "^[1-9]\\d{0,2}$" }) },
    { additionalProperties: false },
  ),
);

function time(label: string, each: (i: number) => unknown): number {
  const rounds = 200_000;
  for (let i = 0; i < 20_000; i++) each(i);
  const started = process.cpuUsage();
  for (let i = 0; i < rounds; i++) each(i);
  const used = process.cpuUsage(started);
  const us = (used.user + used.system) / rounds;
  console.log(`${label.padEnd(58)} ${us.toFixed(3)} µs`);
  return us;
}

const n = votes.length;
const zodInput = time("zod VoteInput.safeParse (what the edge ran)", (i) => VoteInput.safeParse(votes[i % n]));
const quickInput = time("parseVoteBody (fast path, zod for refusals)", (i) => parseVoteBody(votes[i % n]));
time("TypeBox compiled Check (structure only: no trim, NFC, graphemes)", (i) => typebox.Check(votes[i % n]));
const zodVote = time("zod Vote.safeParse (what the server ran)", (i) => Vote.safeParse(accepted[i % n]));
const quickVote = time("parseAcceptedVotes of one (fast path)", (i) => parseAcceptedVotes([accepted[i % n]], "http"));
console.log(`edge ratio ${(zodInput / quickInput).toFixed(1)}×, server ratio ${(zodVote / quickVote).toFixed(1)}×`);

// The server's side of the HTTP hop, per vote, for batches of 100: a JSON list parsed, checked and
// encoded again, against NDJSON lines whose text goes to Kafka as it came.
const batch = accepted.slice(0, 100);
const list = JSON.stringify(batch);
const lines = batch.map((vote) => JSON.stringify(vote));
const body = lines.join("\n");
const perBatch = (label: string, work: () => unknown) => time(label, (i) => (i % 100 === 0 ? work() : undefined)) * 100;
const asList = perBatch("hop: JSON list → parse, keys, check, encode (per 100)", () => {
  const value = JSON.parse(list) as unknown;
  repeatedKeys(list, value);
  const parsed = parseAcceptedVotes(value, "http");
  return parsed.ok ? parsed.value.map(encodeVote) : parsed;
});
const asLines = perBatch("hop: NDJSON lines → parse, keys, check, as they came (per 100)", () => votesFromLines(body, "http"));
console.log(`hop per vote: list ${(asList / 100).toFixed(3)} µs, lines ${(asLines / 100).toFixed(3)} µs`);
