/**
 * Starts blockboard: `deno task start [--host ADDR] [--port N] [--connect URI]`.
 *
 * @module
 */
import { ConfigError, parseConfig, USAGE } from "./server/config.ts";
import { SpawnRunner } from "./server/virsh/runner.ts";
import { createServices } from "./server/services.ts";
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
  const services = createServices(runner);
  // Adopt jobs already running (started by virsh, or before a restart) before serving.
  await services.monitor.start().catch((e) =>
    console.error(`blockboard: job monitor could not resync yet: ${(e as Error).message}`)
  );
  const app = createApp(services);
  Deno.serve({
    hostname: config.host,
    port: config.port,
    onListen: ({ hostname, port }) =>
      console.log(
        `blockboard listening on http://${hostname}:${port}/ (libvirt ${config.connect})`,
      ),
  }, app.fetch);
}
