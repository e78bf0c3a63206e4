/**
 * A real process-per-call runner that also counts every call the moment it starts (the call
 * hook only hears calls that finished), so a test can prove a scrape started no virsh at all;
 * and the scrape that proves it.
 *
 * @module
 */
import type { ClosableRunner } from "../../server/virsh/pool.ts";
import {
  type RunOptions,
  SpawnRunner,
  type VirshCallRecord,
  type VirshOutput,
} from "../../server/virsh/runner.ts";
import { assertEquals } from "@std/assert";
import { type ParsedFamily, parseExposition } from "./prometheus.ts";

/** See the module doc. */
export class CountingRunner implements ClosableRunner {
  /** Calls started so far. */
  started = 0;
  constructor(readonly inner: SpawnRunner) {}
  get uri(): string {
    return this.inner.uri;
  }
  /** virsh processes spawned so far. */
  get spawned(): number {
    return this.inner.spawned;
  }
  run(args: readonly string[], options?: RunOptions): Promise<VirshOutput> {
    this.started++;
    return this.inner.run(args, options);
  }
  onCall(listener: (record: VirshCallRecord) => void): () => void {
    return this.inner.onCall(listener);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A `runnerFor` of `createHostRegistry`: a real counting runner per host, collected in `into`. */
export function countingRunnerFor(
  into: CountingRunner[],
): (spec: { uri: string }) => CountingRunner {
  return (spec) => {
    const runner = new CountingRunner(new SpawnRunner({ uri: spec.uri, timeoutMs: 30_000 }));
    into.push(runner);
    return runner;
  };
}

/**
 * Scrapes `GET /metrics` of `app` and parses it, asserting that no runner of `runners` started
 * a call or spawned a process meanwhile (a scrape reads memory only).
 */
export async function scrapeWithoutVirsh(
  app: { request: (url: string) => Response | Promise<Response> },
  runners: readonly CountingRunner[],
): Promise<ParsedFamily[]> {
  const total = (key: "started" | "spawned") => runners.reduce((n, r) => n + r[key], 0);
  const [started, spawned] = [total("started"), total("spawned")];
  const res = await app.request("http://127.0.0.1:8080/metrics");
  assertEquals(res.status, 200);
  const families = parseExposition(await res.text());
  assertEquals(total("started"), started, "a scrape started a virsh call");
  assertEquals(total("spawned"), spawned, "a scrape spawned a virsh process");
  return families;
}
