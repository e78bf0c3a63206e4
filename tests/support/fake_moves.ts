/**
 * A scripted {@link MoveService} for the page's and the routes' tests: moves live in memory, go
 * through the REAL {@link MoveQueue} exactly as the engine's do (`enqueue(id, run)`), and the
 * test moves them from state to state (`advance`). It plans from the inventory's real chain
 * (the paths under `destDir`, the commands as text); it copies nothing. The move engine's own
 * lab tests prove the copying; this proves the page around it.
 *
 * @module
 */
import type {
  Move,
  MoveLayer,
  MovePlan,
  MoveRequest,
  MoveService,
  MoveState,
} from "../../server/moves/model.ts";
import { isFinishedMove, JobConflictError, NotFoundError } from "../../server/moves/model.ts";
import type { MoveLease, MoveQueue } from "../../server/moves/queue.ts";
import type { Domain } from "../../server/inventory/model.ts";
import { setTuning } from "../../server/jobs/mirror_tuning.ts";

/** Options of {@link FakeMoves}. */
export interface FakeMovesOptions {
  queue: MoveQueue;
  /** Finds the domain a request names (name or UUID). */
  domain: (nameOrUuid: string) => Promise<Domain | null>;
  /** Bytes each layer reports (default 1 MiB). */
  layerBytes?: number;
}

/** The scripted service; `advance` and `finishRun` drive it. */
export class FakeMoves implements MoveService {
  readonly #moves = new Map<string, Move>();
  readonly #runs = new Map<string, { lease: MoveLease; end: () => void }>();
  readonly #listeners = new Set<(move: Move) => void>();
  readonly #options: FakeMovesOptions;
  /** The allowances each move heard from the queue, in order. */
  readonly heard = new Map<string, (number | null)[]>();
  /** Requests given to `start`, in order. */
  readonly started: MoveRequest[] = [];
  /** When set, `plan` (and so `start`) throws it, as the planner refuses a request. */
  refusePlan: Error | null = null;

  constructor(options: FakeMovesOptions) {
    this.#options = options;
  }

  async plan(nameOrUuid: string, request: MoveRequest): Promise<MovePlan> {
    if (this.refusePlan) throw this.refusePlan;
    const domain = await this.#options.domain(nameOrUuid);
    if (!domain) throw new NotFoundError(`No domain named ${JSON.stringify(nameOrUuid)}`);
    for (const m of this.#moves.values()) {
      if (m.uuid === domain.uuid && !isFinishedMove(m.state)) {
        throw new JobConflictError("busy", `A move of domain ${domain.name} is already running`);
      }
    }
    const bytes = this.#options.layerBytes ?? 1048576;
    const disks = domain.disks.filter((d) => !request.disks || request.disks.includes(d.target));
    const planned = disks.map((d) => {
      const layers = d.chain.map((l, i) => {
        const name = l.path.split("/").pop()!;
        const below = d.chain[i + 1];
        return {
          from: l.path,
          to: `${request.destDir}/${name}`,
          format: (l.format ?? "qcow2") as "qcow2" | "raw",
          bytes,
          virtualSize: l.capacity ?? bytes,
          backingName: below ? below.path.split("/").pop()! : null,
          backingFormat: below ? (below.format ?? "qcow2") as "qcow2" : null,
          action: i === 0 ? "create-and-mirror" as const : "copy" as const,
        };
      });
      return {
        target: d.target,
        dir: request.destDir,
        layers,
        commands: layers.map((l) => ({
          program: "qemu-img" as const,
          argv: ["convert", "-f", l.format, "-O", l.format, l.from, l.to],
          commandLine: `qemu-img convert -f ${l.format} -O ${l.format} ${l.from} ${l.to}`,
        })),
        chainAfter: layers.map((l) => ({ path: l.to, format: l.format })),
      };
    });
    return {
      domain: domain.name,
      uuid: domain.uuid,
      persistent: domain.persistent,
      mode: "live",
      destDir: request.destDir,
      pivot: request.pivot ?? "manual",
      bandwidthBytes: request.bandwidthBytes ?? 0,
      tuning: setTuning(request),
      disks: planned,
      bytesTotal: planned.reduce((n, d) => n + d.layers.length * bytes, 0),
      notes: [],
    };
  }

  async start(nameOrUuid: string, request: MoveRequest): Promise<Move> {
    const plan = await this.plan(nameOrUuid, request);
    this.started.push(request);
    const move: Move = {
      id: crypto.randomUUID(),
      domain: plan.domain,
      uuid: plan.uuid,
      state: "planned",
      destDir: plan.destDir,
      disks: plan.disks.map((d) => ({
        target: d.target,
        layers: d.layers.map((l): MoveLayer => ({
          from: l.from,
          to: l.to,
          format: l.format,
          bytes: l.bytes,
          doneBytes: 0,
          state: "pending",
        })),
        job: null,
      })),
      bytesTotal: plan.bytesTotal,
      bytesDone: 0,
      rateBytesPerSecond: null,
      etaSeconds: null,
      startedAt: new Date().toISOString(),
      finishedAt: null,
      message: null,
      pivot: plan.pivot,
      bandwidthBytes: plan.bandwidthBytes,
      mode: plan.mode,
    };
    this.#moves.set(move.id, move);
    this.#emit(move);
    // Exactly how the engine hands a move to the queue.
    this.#options.queue.enqueue(move.id, (lease) => {
      const { promise, resolve } = Promise.withResolvers<void>();
      this.heard.set(move.id, [lease.bandwidth()]);
      lease.onBandwidthChange((b) => this.heard.get(move.id)!.push(b));
      this.#runs.set(move.id, { lease, end: resolve });
      this.advance(move.id, { state: "copying" });
      return promise;
    }, { bandwidthBytes: move.bandwidthBytes });
    return structuredClone(this.#moves.get(move.id)!);
  }

  list(): Move[] {
    return [...this.#moves.values()].map((m) => structuredClone(m));
  }

  get(id: string): Move | undefined {
    const m = this.#moves.get(id);
    return m ? structuredClone(m) : undefined;
  }

  async pivot(id: string): Promise<Move> {
    const m = this.#must(id);
    if (m.state !== "ready") {
      throw new JobConflictError(
        "not-ready",
        `Move ${id} is ${m.state}: Switch is possible once every disk is ready`,
      );
    }
    this.advance(id, { state: "done" });
    return await Promise.resolve(this.get(id)!);
  }

  async cancel(id: string): Promise<Move> {
    const m = this.#must(id);
    if (isFinishedMove(m.state)) {
      throw new JobConflictError("no-job", `Move ${id} has already ended (${m.state})`);
    }
    this.#options.queue.cancel(id);
    this.advance(id, {
      state: "canceled",
      message: "Canceled: the domain stays on its old chain.",
    });
    return await Promise.resolve(this.get(id)!);
  }

  onChange(listener: (move: Move) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Moves `id` on: a new state (layers follow it), and optionally how far each layer got
   * (`fraction` of its bytes, top layer last). Ending states free the queue slot.
   */
  advance(id: string, change: { state?: MoveState; fraction?: number; message?: string }): void {
    const m = this.#must(id);
    if (change.state) m.state = change.state;
    if (change.message !== undefined) m.message = change.message;
    const layerState = ({
      planned: "pending",
      copying: "copying",
      mirroring: "mirroring",
      ready: "ready",
      pivoting: "ready",
      done: "done",
      failed: "failed",
      canceled: "canceled",
    } as const)[m.state];
    for (const d of m.disks) {
      for (const l of d.layers) {
        l.state = layerState;
        if (change.fraction !== undefined) l.doneBytes = Math.round(l.bytes * change.fraction);
        if (m.state === "ready" || m.state === "done") l.doneBytes = l.bytes;
      }
    }
    m.bytesDone = m.disks.reduce((n, d) => n + d.layers.reduce((k, l) => k + l.doneBytes, 0), 0);
    m.rateBytesPerSecond = isFinishedMove(m.state) ? null : 524288;
    m.etaSeconds = isFinishedMove(m.state)
      ? null
      : Math.round((m.bytesTotal - m.bytesDone) / 524288);
    if (isFinishedMove(m.state)) {
      m.finishedAt = new Date().toISOString();
      this.#runs.get(id)?.end();
      this.#runs.delete(id);
    }
    this.#emit(m);
  }

  /** Replaces a move wholesale (a test's hand-made done move). */
  put(move: Move): void {
    this.#moves.set(move.id, structuredClone(move));
    this.#emit(move);
  }

  #must(id: string): Move {
    const m = this.#moves.get(id);
    if (!m) throw new NotFoundError(`No move with id ${id}`);
    return m;
  }

  #emit(move: Move): void {
    for (const l of this.#listeners) l(structuredClone(move));
  }
}
