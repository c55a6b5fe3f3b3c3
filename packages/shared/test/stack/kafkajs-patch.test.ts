import { expect, test } from "bun:test";
import { kafkaClient } from "@marimba/testkit";

// patches/kafkajs@2.2.4.patch: unpatched, every broker connection re-arms a 1 ms timer forever.
test("an idle, connected kafkajs client arms no timer loop (the kafkajs patch is applied)", async () => {
  const admin = kafkaClient("kafkajs-patch-test").admin();
  await admin.connect();
  await admin.listTopics(); // one request answered: the queue has checked for pending requests
  const original = globalThis.setTimeout;
  let armed = 0;
  globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
    armed++;
    return original(...args);
  }) as typeof setTimeout;
  try {
    await Bun.sleep(300);
  } finally {
    globalThis.setTimeout = original;
  }
  await admin.disconnect();
  // Unpatched: ~300 (one per millisecond); patched: none but the sleep's own.
  expect(armed).toBeLessThan(20);
});
