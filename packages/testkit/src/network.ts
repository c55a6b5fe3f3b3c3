/**
 * A network between a Kafka client and the stack's real broker that a test can cut: at once, or
 * right after the broker answers the next request of some kind (the request took effect, its
 * answer is lost). While cut, new connections are refused. Pass `socketFactory` to the client.
 */
import net from "node:net";
import type { ISocketFactory } from "kafkajs";

/** The Kafka API keys tests cut after. */
export const KAFKA_API = { produce: 0, findCoordinator: 10 } as const;

/** A port nothing listens on: connecting while cut is refused at once. */
const REFUSED_PORT = 9;

export class CuttableNetwork {
  private readonly sockets = new Set<net.Socket>();
  private cutAfter: number | null = null;
  private down = false;

  readonly socketFactory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket = net.connect({ host, port: this.down ? REFUSED_PORT : port }, onConnect);
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    // kafkajs writes each request whole, as [int32 size][int16 api key]..., and answers come back
    // in order: the data after a request of the armed kind is its answer.
    let lastApiKey: number | null = null;
    const write = socket.write.bind(socket) as (...args: unknown[]) => boolean;
    socket.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (Buffer.isBuffer(chunk) && chunk.length >= 6) lastApiKey = chunk.readInt16BE(4);
      return write(chunk, ...rest);
    }) as typeof socket.write;
    const emit = socket.emit.bind(socket) as (event: string | symbol, ...args: unknown[]) => boolean;
    socket.emit = ((event: string | symbol, ...args: unknown[]) => {
      if (event === "data" && this.cutAfter !== null && lastApiKey === this.cutAfter) {
        this.cutAfter = null;
        this.cut();
        return true; // the answer never arrives
      }
      return emit(event, ...args);
    }) as typeof socket.emit;
    return socket;
  };

  /** Cuts the network once the broker has answered the next request with this API key. */
  cutAfterAnswer(apiKey: number): void {
    this.cutAfter = apiKey;
  }

  /** Drops every connection and refuses new ones until `heal`. */
  cut(): void {
    this.down = true;
    for (const socket of this.sockets) socket.destroy();
  }

  heal(): void {
    this.down = false;
  }

  get isDown(): boolean {
    return this.down;
  }
}
