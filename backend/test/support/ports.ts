import { readFileSync } from 'node:fs';
import net from 'node:net';

/**
 * A free port for a process a test starts (the real server, Mailpit). Chosen
 * below the kernel's ephemeral range: a port from `listen(0)` is free only until
 * it is closed, and while the child starts, any listen(0) in a parallel worker
 * (supertest binds one per request) may be given the same port. The test app
 * behind it answers /readyz too, so the test then talks to another worker's
 * short-lived server while its own child failed to bind (a CI run lost a suite
 * to exactly that). No listen(0) is ever given a port below the ephemeral range.
 */
export async function childPort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between 10000 and ${low}`);
}

/** The first port the kernel hands out for listen(0); Linux's default where that is not readable. */
function ephemeralLow(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return low > 11_000 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}
