import { HealthImplementation, type ServingStatus } from "grpc-health-check";
import { VOTE_SERVICE_NAME } from "../contract.ts";

/** The names the health service answers for: "" is the server as a whole (what Kubernetes' gRPC probe asks). */
const SERVICES = ["", VOTE_SERVICE_NAME] as const;

/**
 * `grpc.health.v1.Health`, kept current by asking whether Kafka is reachable: SERVING only
 * while a vote could be made durable, so probes and the edge stop sending when it could not.
 */
export class KafkaHealth {
  readonly service = new HealthImplementation(Object.fromEntries(SERVICES.map((name) => [name, "NOT_SERVING"])));
  private timer: ReturnType<typeof setInterval> | null = null;
  private current: ServingStatus = "NOT_SERVING";
  private stopped = false;

  constructor(
    private readonly kafkaReachable: () => Promise<boolean>,
    private readonly everyMs = 1000,
  ) {}

  get status(): ServingStatus {
    return this.current;
  }

  /** Checks once now (so the server starts with a true status), then every `everyMs`. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.everyMs);
  }

  /** NOT_SERVING from now on: a server shutting down takes no new votes. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.set("NOT_SERVING");
  }

  private async check(): Promise<void> {
    const reachable = await this.kafkaReachable().catch(() => false);
    if (!this.stopped) this.set(reachable ? "SERVING" : "NOT_SERVING");
  }

  private set(status: ServingStatus): void {
    if (status === this.current) return;
    this.current = status;
    for (const name of SERVICES) this.service.setStatus(name, status);
  }
}
