/**
 * Every port of the local stack. `MARIMBA_PORT_OFFSET` shifts them all, so two stacks
 * (say, a developer's and a test run's) can run side by side on one machine.
 */
export const PORT_OFFSET = Number(process.env.MARIMBA_PORT_OFFSET ?? 0);

const at = (port: number) => port + PORT_OFFSET;

export const ports = {
  kafka: at(19092),
  kafkaController: at(19093),
  mongo: at(27018),
  redis: at(6380),
  httpClient: at(8000),
  httpServer: at(8080),
  grpcClient: at(3000),
  grpcServer: at(3001),
  grpcMetrics: at(9102),
  consumer: at(9101),
  web: at(8088),
  ingress: at(8090),
} as const;
