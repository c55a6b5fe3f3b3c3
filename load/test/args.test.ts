import { describe, expect, test } from "bun:test";
import { ArgumentError, parseFlags, usage } from "../src/args.ts";
import { parseBenchArgs } from "../src/bench/options.ts";
import { LOAD_FLAGS, parseLoadArgs } from "../src/load.ts";
import { parseVotesArgs } from "../src/votes-options.ts";

const refused = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ArgumentError);
    return (error as Error).message;
  }
  throw new Error("expected an ArgumentError");
};

describe("npm run load flags", () => {
  test("without flags it replays data/votes.json through both routes, 64 connections for 30 s", () => {
    const options = parseLoadArgs([], new Date("2026-01-02T03:04:05.678Z"));
    expect(options).toMatchObject({
      route: "both",
      file: "data/votes.json",
      connections: 64,
      duration: 30,
      amount: undefined,
      rate: undefined,
      target: undefined,
      oldPaths: false,
      timeoutSeconds: 10,
      help: false,
    });
    expect(options.out).toBe(".marimba/load/2026-01-02T03-04-05-678Z.json");
  });

  test("every flag is read, in --flag value and --flag=value forms", () => {
    const options = parseLoadArgs([
      "--route",
      "grpc",
      "--file=votes.json",
      "--connections",
      "8",
      "--amount",
      "500",
      "--rate=100",
      "--target",
      "http://127.0.0.1:8090/",
      "--old-paths",
      "--timeout",
      "2.5",
      "--out",
      "/tmp/out.json",
    ]);
    expect(options).toMatchObject({
      route: "grpc",
      file: "votes.json",
      connections: 8,
      amount: 500,
      duration: undefined,
      rate: 100,
      target: "http://127.0.0.1:8090",
      oldPaths: true,
      timeoutSeconds: 2.5,
      out: "/tmp/out.json",
    });
    expect(parseLoadArgs(["--duration", "5"]).duration).toBe(5);
    expect(parseLoadArgs(["--help"]).help).toBe(true);
  });

  test.each([
    [["--route", "kafka"], "--route must be one of http, grpc, both; got 'kafka'"],
    [["--connections", "0"], "--connections must be an integer from 1 to 10000, got 0"],
    [["--connections", "lots"], "--connections must be an integer, got 'lots'"],
    [["--connections", "2.5"], "--connections must be an integer, got '2.5'"],
    [["--duration", "-3"], "--duration must be a number from 1 to 86400, got -3"],
    [["--amount", "1e99"], "--amount must be an integer from 1 to 100000000, got 1e99"],
    [["--rate", ""], "--rate must be an integer, got ''"],
    [["--timeout", "0"], "--timeout must be a number from 1 to 600, got 0"],
    [["--target", "127.0.0.1:8090"], "--target must be an http:// URL"],
    [["--target", "https://example.org"], "--target must be an http:// URL, got 'https://example.org'"],
    [["--file", "  "], "--file must not be empty"],
    [["--old-paths=maybe"], "--old-paths is a switch"],
    [["--connections"], "--connections needs a value"],
    [["--file", "--route"], "--file needs a value"],
    [["--routes", "http"], "unknown flag --routes; known flags: --route, --file"],
    [["http"], "unexpected argument 'http'"],
    [["--route", "http", "--route", "grpc"], "--route is given twice"],
    [["--duration", "10", "--amount", "100"], "--duration and --amount exclude each other"],
    [["--amount", "4", "--connections", "16"], "--connections (16) must not exceed --amount (4)"],
  ])("%p is refused naming the flag", (argv, message) => {
    expect(refused(() => parseLoadArgs(argv))).toContain(message);
  });

  test("--help lists every flag with its default", () => {
    const text = usage("npm run load --", LOAD_FLAGS);
    for (const flag of Object.keys(LOAD_FLAGS)) expect(text).toContain(`--${flag}`);
    expect(text).toContain("(default 64)");
  });
});

describe("npm run votes flags", () => {
  test("defaults to 1000 votes, skew 0.6 and a random seed", () => {
    expect(parseVotesArgs([], () => 42)).toEqual({ count: 1000, skew: 0.6, seed: 42, out: ".marimba/votes.json", help: false });
  });

  test("reads --count, --skew, --seed and --out", () => {
    expect(parseVotesArgs(["--count", "5", "--skew", "1.5", "--seed", "7", "--out", "v.json"])).toEqual({
      count: 5,
      skew: 1.5,
      seed: 7,
      out: "v.json",
      help: false,
    });
  });

  test.each([
    [["--count", "0"], "--count must be an integer from 1"],
    [["--skew", "-1"], "--skew must be a number from 0 to 5, got -1"],
    [["--seed", "x"], "--seed must be an integer, got 'x'"],
  ])("%p is refused naming the flag", (argv, message) => {
    expect(refused(() => parseVotesArgs(argv))).toContain(message);
  });
});

describe("npm run bench flags", () => {
  test("full sizes by default, as the issue sets them", () => {
    expect(parseBenchArgs([])).toMatchObject({
      quick: false,
      scenarios: ["ingest", "drain", "e2e"],
      connections: 64,
      durationSeconds: 20,
      warmupSeconds: 5,
      drainVotes: 200_000,
      baselineVotes: 20_000,
      e2eRate: 2000,
      e2eDurationSeconds: 30,
      markdown: "BENCHMARKS.md",
    });
  });

  test("--quick shrinks the sizes and keeps BENCHMARKS.md untouched, but an explicit flag still wins", () => {
    const quick = parseBenchArgs(["--quick", "--drain-votes", "5000"]);
    expect(quick).toMatchObject({ quick: true, durationSeconds: 3, warmupSeconds: 1, drainVotes: 5000, baselineVotes: 2000, e2eRate: 500 });
    expect(quick.markdown).not.toBe("BENCHMARKS.md");
  });

  test("--consumer-ram-mb is unset unless given, and refused below 16", () => {
    expect(parseBenchArgs([]).consumerRamMb).toBeUndefined();
    expect(parseBenchArgs(["--consumer-ram-mb", "512"]).consumerRamMb).toBe(512);
    expect(refused(() => parseBenchArgs(["--consumer-ram-mb", "8"]))).toContain("--consumer-ram-mb must be an integer from 16");
  });

  test("the baseline never stores more votes than were preloaded", () => {
    expect(parseBenchArgs(["--drain-votes", "100", "--baseline-votes", "500"]).baselineVotes).toBe(100);
  });

  test("scenarios are chosen by name, and an unknown one is named", () => {
    expect(parseBenchArgs(["--scenarios", "e2e, drain,e2e"]).scenarios).toEqual(["e2e", "drain"]);
    expect(refused(() => parseBenchArgs(["--scenarios", "ingest,memory"]))).toContain("--scenarios: unknown scenario 'memory'");
  });
});

test("a flag without a default is absent unless given", () => {
  const flags = parseFlags({ rate: { type: "integer", min: 1, max: 10, help: "" } }, []);
  expect(flags.rate).toBeUndefined();
  expect(flags.given.size).toBe(0);
});
