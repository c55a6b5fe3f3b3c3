import { describe, expect, test } from "bun:test";
import { VoteRate } from "../src/server/rate.ts";

describe("votes per second", () => {
  test("is 0 until the readings span a second", () => {
    const rate = new VoteRate();
    expect(rate.perSecond()).toBe(0);
    rate.add({ at: 0, total: 10 });
    rate.add({ at: 500, total: 60 });
    expect(rate.perSecond()).toBe(0);
  });

  test("is the growth of the total over the time between readings", () => {
    const rate = new VoteRate();
    rate.add({ at: 0, total: 100 });
    rate.add({ at: 2000, total: 150 });
    expect(rate.perSecond()).toBe(25);
  });

  test("looks only at about the last window: an old burst stops counting", () => {
    const rate = new VoteRate(10_000);
    rate.add({ at: 0, total: 0 });
    rate.add({ at: 1000, total: 1000 }); // a burst long ago
    for (let at = 2000; at <= 30_000; at += 1000) rate.add({ at, total: 1000 + (at - 1000) / 1000 });
    // Steady one vote a second for the last 28 s; the burst fell out of the window.
    expect(rate.perSecond()).toBe(1);
  });

  test("decays to 0 once votes stop", () => {
    const rate = new VoteRate(10_000);
    rate.add({ at: 0, total: 0 });
    rate.add({ at: 1000, total: 500 });
    for (let at = 1250; at <= 20_000; at += 250) rate.add({ at, total: 500 });
    expect(rate.perSecond()).toBe(0);
  });

  test("starts afresh when the counters were rebuilt lower", () => {
    const rate = new VoteRate();
    rate.add({ at: 0, total: 500 });
    rate.add({ at: 1000, total: 600 });
    rate.add({ at: 2000, total: 10 });
    rate.add({ at: 4000, total: 30 });
    expect(rate.perSecond()).toBe(10);
  });
});
