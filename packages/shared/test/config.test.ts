import { describe, expect, test } from "bun:test";
import { ConfigError, env, loadConfig, loopbackDefaults, pointsAtLoopback } from "../src/config.ts";

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

describe("configuration in a container", () => {
  const addresses = {
    ...shape,
    HOST: env.text("127.0.0.1"),
    UPSTREAM_ADDRESS: env.text("127.0.0.1:3001"),
    DIST_DIR: env.text("/app/web/dist"),
  };
  const complete = {
    KAFKA_BROKERS: "kafka:9092",
    MONGO_URL: "mongodb://mongodb:27017",
    HOST: "0.0.0.0",
    UPSTREAM_ADDRESS: "127.0.0.1:3001",
  };

  for (const [marker, value] of [
    ["KUBERNETES_SERVICE_HOST", "10.96.0.1"],
    ["K_SERVICE", "marimba-web"],
    ["MARIMBA_ENV", "production"],
  ] as const) {
    test(`with ${marker} set, an address left unset stops start-up naming it`, () => {
      const { MONGO_URL: _, ...withoutMongo } = complete;
      expect(() => loadConfig(addresses, { ...withoutMongo, [marker]: value })).toThrow(ConfigError);
      expect(() => loadConfig(addresses, { ...withoutMongo, [marker]: value })).toThrow(
        /set MONGO_URL \(the local default "mongodb:\/\/127\.0\.0\.1:27018" is this container itself\)$/,
      );
    });
  }

  test("every unset address is named at once, an empty one counting as unset", () => {
    expect(() => loadConfig(addresses, { KUBERNETES_SERVICE_HOST: "10.96.0.1", MONGO_URL: "" })).toThrow(
      /set KAFKA_BROKERS .*, MONGO_URL .*, HOST .*, UPSTREAM_ADDRESS /,
    );
  });

  test("given every address, it starts; ports and paths keep their defaults", () => {
    const config = loadConfig(addresses, { ...complete, KUBERNETES_SERVICE_HOST: "10.96.0.1" });
    expect(config.PORT).toBe(8000);
    expect(config.DIST_DIR).toBe("/app/web/dist");
    expect(config.MONGO_URL).toBe("mongodb://mongodb:27017");
  });

  test("an explicit loopback address is accepted: the pod's own other container", () => {
    expect(loadConfig(addresses, { ...complete, K_SERVICE: "marimba-web" }).UPSTREAM_ADDRESS).toBe("127.0.0.1:3001");
  });

  test("outside a container the loopback defaults stay, for the local stack", () => {
    expect(loadConfig(addresses, {}).MONGO_URL).toBe("mongodb://127.0.0.1:27018");
    expect(loadConfig(addresses, { MARIMBA_ENV: "development" }).HOST).toBe("127.0.0.1");
  });

  test("loopback is told apart from other addresses in URLs, host:port pairs and lists", () => {
    expect(pointsAtLoopback("redis://127.0.0.1:6380")).toBe(true);
    expect(pointsAtLoopback("http://localhost:8080/x")).toBe(true);
    expect(pointsAtLoopback("[::1]:3001")).toBe(true);
    expect(pointsAtLoopback(["kafka:9092", "127.0.0.2:19092"])).toBe(true);
    expect(pointsAtLoopback("redis://redis:6379")).toBe(false);
    expect(pointsAtLoopback("0.0.0.0")).toBe(false);
    expect(pointsAtLoopback("/app/web/dist")).toBe(false);
    expect(pointsAtLoopback(8000)).toBe(false);
    expect(Object.keys(loopbackDefaults(addresses))).toEqual(["KAFKA_BROKERS", "MONGO_URL", "HOST", "UPSTREAM_ADDRESS"]);
  });
});
