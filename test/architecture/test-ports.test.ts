// The ports test servers are given before they listen (test/helpers/ports.ts) can never be the one
// the kernel gives a listen(0) in the meantime: a pool's aggregator on port 0 once took a
// participant's reserved port, and the test failed with EADDRINUSE.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { test } from "node:test";
import { freePort } from "../helpers/ports.js";

function ephemeralRange(): [number, number] | undefined {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    return [low!, high!];
  } catch {
    return undefined;
  }
}

/** A server listening on 127.0.0.1:port (0: any), kept in `servers` to be closed; resolves with its port. */
const listenOn = (servers: Server[], port: number) =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve((server.address() as AddressInfo).port));
  });

test("test ports are distinct, free, and outside the range listen(0) draws from", async (t) => {
  const range = ephemeralRange();
  if (range === undefined) {
    t.skip("no /proc/sys/net/ipv4/ip_local_port_range: not Linux, the ephemeral range is unknown here");
    return;
  }
  const ports: number[] = [];
  for (let i = 0; i < 40; i++) ports.push(await freePort());
  assert.equal(new Set(ports).size, ports.length, "no port handed out twice");
  for (const port of ports) assert.ok(port < range[0], `port ${port} lies below the ephemeral range ${range[0]}-${range[1]}`);

  const servers: Server[] = [];
  try {
    // Whatever listen(0) is given while the reserved ports are still unbound, none is one of them.
    const drawn: number[] = [];
    for (let i = 0; i < 100; i++) drawn.push(await listenOn(servers, 0));
    assert.deepEqual(drawn.filter((port) => ports.includes(port)), []);
    // And every reserved port can be listened on now.
    for (const port of ports) assert.equal(await listenOn(servers, port), port);
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
});
