// The ceiling of this machine for the ingest scenario: a Bun HTTP server that only parses the
// vote's JSON and answers 202, run as its own process like the services. Prints its port.
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  async fetch(request) {
    JSON.parse(await request.text());
    return new Response(JSON.stringify({ id: Bun.randomUUIDv7(), acceptedAt: new Date().toISOString() }), {
      status: 202,
      headers: { "content-type": "application/json" },
    });
  },
});
console.log(`listening ${server.port}`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
