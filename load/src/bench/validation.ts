/**
 * CPU per vote of the checks on the hot path, in process: zod alone, the fast path in front of it,
 * and TypeBox's compiled check (structure only: it neither trims, normalizes nor counts characters).
 * `bun load/src/bench/validation.ts`
 */
import { acceptVote, parseAcceptedVotes, parseVoteBody, Vote, VoteInput } from "@marimba/shared";
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
