/**
 * Ports for test servers that must be named before they listen: a pool definition's endpoints, a
 * child process's --http-port, the embedded PostgreSQL's port.
 *
 * Why not "listen on port 0, read the port, close": that port is in the kernel's ephemeral range,
 * from which every later listen(0) and every outgoing connection, of this process or any other,
 * takes its port. In the gap before the intended server listens, another server of the same test
 * (a pool aggregator on port 0, say) can be given it, and the test fails with EADDRINUSE; a test
 * that fails while its servers are up can then keep its process alive. So these ports come from
 * below the ephemeral range, where the kernel never assigns a port by itself. Each is checked free
 * by binding it, and this process never hands out the same port twice.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";

/** The lowest port a test server is given. */
const LOWEST = 20_000;
/** The ephemeral range's start where /proc does not tell (the IANA range, used by macOS and Windows). */
const IANA_EPHEMERAL_START = 49_152;
const ATTEMPTS = 200;

const handedOut = new Set<number>();

/** The first port of the kernel's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/)[0]);
    if (Number.isInteger(first) && first > 0) return first;
  } catch {
    // Not Linux, or /proc is not mounted.
  }
  return IANA_EPHEMERAL_START;
}

/** True when 127.0.0.1:port could be bound just now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A port on 127.0.0.1, free now, outside the ephemeral range, not handed out before by this process. */
export async function freePort(): Promise<number> {
  const end = ephemeralStart();
  if (end - LOWEST < 1_000) throw new Error(`the ephemeral port range starts at ${end}: no room below it for test ports (need ${LOWEST} to ${LOWEST + 1_000})`);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const port = LOWEST + Math.floor(Math.random() * (end - LOWEST));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found between ${LOWEST} and ${end - 1} in ${ATTEMPTS} attempts`);
}
