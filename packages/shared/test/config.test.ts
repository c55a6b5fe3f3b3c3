import { describe, expect, test } from "bun:test";
import { ConfigError, env, loadConfig } from "../src/config.ts";

const shape = { PORT: env.port(8000), KAFKA_BROKERS: env.brokers("127.0.0.1:19092"), MONGO_URL: env.url("mongodb://127.0.0.1:27018") };

describe("configuration", () => {
  test("unset and empty variables take their defaults", () => {
    expect(loadConfig(shape, { PORT: "" })).toEqual({
      PORT: 8000,
      KAFKA_BROKERS: ["127.0.0.1:19092"],
      MONGO_URL: "mongodb://127.0.0.1:27018",
    });
  });

  test("values are parsed into their types", () => {
    const config = loadConfig(shape, { PORT: "3001", KAFKA_BROKERS: "kafka-0:9092, kafka-1:9092" });
    expect(config.PORT).toBe(3001);
    expect(config.KAFKA_BROKERS).toEqual(["kafka-0:9092", "kafka-1:9092"]);
  });

  test("an invalid value stops start-up with a message naming the variable", () => {
    expect(() => loadConfig(shape, { PORT: "eighty" })).toThrow(ConfigError);
    expect(() => loadConfig(shape, { PORT: "70000" })).toThrow(/PORT="70000"/);
    expect(() => loadConfig(shape, { KAFKA_BROKERS: "kafka" })).toThrow(/KAFKA_BROKERS="kafka": .*host:port/);
    expect(() => loadConfig(shape, { MONGO_URL: "not a url" })).toThrow(/MONGO_URL/);
  });
});
