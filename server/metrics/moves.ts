/**
 * The storage move metrics: how many moves run, per running move the bytes copied, to copy and
 * the rate (`blockboard_move_*{host,domain,move}`, `move` being its id), read from each host's
 * move engine at scrape time; and `blockboard_moves_finished_total{outcome}`, counted from the
 * moves' ends (`server/moves/events.ts`).
 *
 * @module
 */
import { isFinishedMove, type Move } from "../moves/model.ts";
import { type MoveSource, onMoveEvent } from "../moves/events.ts";
import type { MetricFamily } from "./exposition.ts";
import { type Collector, Counter, type Registry } from "./registry.ts";
import { type GaugeDefinition, gaugeFamily, itemGauges } from "./gauges.ts";

/** A running move and the host it runs on. */
interface HostMove {
  host: string;
  move: Move;
}

/** The per-move gauges. */
const MOVE_GAUGES: readonly GaugeDefinition<HostMove>[] = [
  {
    name: "blockboard_move_bytes_done",
    help: "Bytes a running storage move has copied (layers and mirrors).",
    value: ({ move }) => move.bytesDone,
  },
  {
    name: "blockboard_move_bytes_total",
    help: "Bytes a running storage move copies in all.",
    value: ({ move }) => move.bytesTotal,
  },
  {
    name: "blockboard_move_rate_bytes_per_second",
    help: "Recent copy rate of a running storage move; 0 while unknown or nothing moves.",
    value: ({ move }) => move.rateBytesPerSecond ?? 0,
  },
];

/** See the module doc. */
export class MoveMetrics implements Collector {
  readonly finished: Counter;
  readonly #sources: { host: string; source: MoveSource }[] = [];

  constructor(registry: Registry) {
    registry.register(this);
    this.finished = registry.register(
      new Counter(
        "blockboard_moves_finished_total",
        "Storage moves that ended, by outcome (done, failed, canceled).",
        ["outcome"],
      ),
    );
  }

  /** Reads and counts the moves of host `host` from now on; returns the unsubscribe. */
  watch(host: string, source: MoveSource): () => void {
    const entry = { host, source };
    this.#sources.push(entry);
    const unsubscribe = onMoveEvent(source, (e) => {
      if (e.kind === "done" || e.kind === "failed" || e.kind === "canceled") {
        this.finished.inc({ outcome: e.kind });
      }
    });
    return () => {
      unsubscribe();
      this.#sources.splice(this.#sources.indexOf(entry), 1);
    };
  }

  /** `moves_active` and the per-move gauges, read now. */
  collect(): MetricFamily[] {
    const active = this.#sources.flatMap(({ host, source }) =>
      source.list().filter((m) => !isFinishedMove(m.state)).map((move): HostMove => ({
        host,
        move,
      }))
    );
    return [
      gaugeFamily("blockboard_moves_active", "Storage moves running or waiting now.", [[
        {},
        active.length,
      ]]),
      ...itemGauges(
        MOVE_GAUGES,
        active,
        ({ host, move }) => ({ host, domain: move.domain, move: move.id }),
      ),
    ];
  }
}
