/**
 * Starts blockboard: `deno task start [--host ADDR] [--port N] [--connect URI]`.
 *
 * @module
 */
import { ConfigError, parseConfig, USAGE } from "./server/config.ts";
import { SpawnRunner } from "./server/virsh/runner.ts";
import { Inventory } from "./server/inventory/service.ts";
import { createApp } from "./server/app.tsx";

if (import.meta.main) {
  let parsed;
  try {
    parsed = parseConfig(Deno.args);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    console.error(`blockboard: ${e.message}\n\n${USAGE}`);
    Deno.exit(2);
  }
  if (parsed.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const { config } = parsed;
  const runner = new SpawnRunner({
    uri: config.connect,
    timeoutMs: config.virshTimeoutMs,
    maxConcurrent: config.virshMaxConcurrent,
  });
  const inventory = new Inventory(runner);
  const app = createApp({ runner, inventory });
  Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) =>
      console.log(
        `blockboard listening on http://${hostname}:${port}/ (libvirt ${config.connect})`,
      ),
  }, app.fetch);
}
