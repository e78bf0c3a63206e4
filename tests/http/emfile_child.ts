/**
 * Child of emfile_test.ts, run under a small descriptor limit: a front door with caps far above
 * that limit, flooded by this very process until accept() fails with EMFILE; then the flood ends
 * and one request must still be answered. Prints the door's stats and the last status as JSON.
 */
import { FrontDoor } from "../../server/http/front_door.ts";
import { serveUpstream } from "../../server/http/upstream.ts";

// As main.ts does: Deno's signal handling is set up before descriptors run out (else it panics).
Deno.addSignalListener("SIGTERM", () => Deno.exit(0));
const upstream = await serveUpstream(() => new Response("ok"));
const door = new FrontDoor({
  hostname: "127.0.0.1",
  port: 0,
  upstreamPath: upstream.path,
  limits: { perClient: 100_000, total: 100_000 },
  log: () => {},
});
const conns: Deno.Conn[] = [];
for (let i = 0; i < 400; i++) {
  try {
    conns.push(await Deno.connect({ hostname: "127.0.0.1", port: door.addr.port }));
  } catch {
    break; // our own side ran out of descriptors too
  }
}
await new Promise((r) => setTimeout(r, 500));
for (const c of conns) c.close();
await new Promise((r) => setTimeout(r, 500));
const res = await fetch(`http://127.0.0.1:${door.addr.port}/`);
const status = res.status;
await res.body?.cancel();
console.log(JSON.stringify({ ...door.stats, opened: conns.length, status }));
await door.close();
await upstream.shutdown(500);
Deno.exit(0);
