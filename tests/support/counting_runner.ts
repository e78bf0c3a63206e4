/**
 * A real process-per-call runner that also counts every call the moment it starts (the call
 * hook only hears calls that finished), so a test can prove a scrape started no virsh at all.
 *
 * @module
 */
import type { ClosableRunner } from "../../server/virsh/pool.ts";
import type {
  RunOptions,
  SpawnRunner,
  VirshCallRecord,
  VirshOutput,
} from "../../server/virsh/runner.ts";

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
