/**
 * The migration metrics: how many live migrations run, per running migration its data total,
 * processed and remaining, rate and ETA (`blockboard_migration_*{host,domain,to}`, `host` being
 * the source), read from the migration service's memory at scrape time; and
 * `blockboard_migrations_finished_total{outcome}`, counted from its end events.
 *
 * @module
 */
import type { Migration } from "../migrations/model.ts";
import type { MigrationEvent, MigrationSource } from "../migrations/events.ts";
import type { MetricFamily } from "./exposition.ts";
import { type Collector, Counter, type Registry } from "./registry.ts";
import { type GaugeDefinition, gaugeFamily, itemGauges } from "./gauges.ts";

/** A numeric field of a running migration, and the gauge that shows it. */
type MigrationNumber =
  | "dataTotal"
  | "dataProcessed"
  | "dataRemaining"
  | "rateBytesPerSecond"
  | "etaSeconds";

/** The per-migration gauges: name, help, field (null: unknown, no sample). */
const MIGRATION_GAUGES: readonly GaugeDefinition<Migration>[] = ([
  [
    "blockboard_migration_data_total_bytes",
    "Memory plus disks a running migration moves, bytes (0 until QEMU reports it).",
    "dataTotal",
  ],
  [
    "blockboard_migration_data_processed_bytes",
    "Bytes a running migration has moved.",
    "dataProcessed",
  ],
  [
    "blockboard_migration_data_remaining_bytes",
    "Bytes a running migration still has to move.",
    "dataRemaining",
  ],
  [
    "blockboard_migration_rate_bytes_per_second",
    "Rate of a running migration over its last samples; absent until two samples exist.",
    "rateBytesPerSecond",
  ],
  [
    "blockboard_migration_eta_seconds",
    "Seconds until a running migration is done at its rate; absent when unknown.",
    "etaSeconds",
  ],
] as const satisfies readonly (readonly [string, string, MigrationNumber])[]).map((
  [name, help, field],
) => ({ name, help, value: (m: Migration) => m[field] }));

/** The labels of a migration's series: source host, domain, target host. Pure. */
export function migrationLabels(m: Migration): Record<string, string> {
  return { host: m.from, domain: m.domain, to: m.to };
}

/** See the module doc. */
export class MigrationMetrics implements Collector {
  readonly finished: Counter;
  readonly #sources: MigrationSource[] = [];

  constructor(registry: Registry) {
    registry.register(this);
    this.finished = registry.register(
      new Counter(
        "blockboard_migrations_finished_total",
        "Live migrations that ended, by outcome (completed, failed, aborted).",
        ["outcome"],
      ),
    );
  }

  /** Reads and counts the migrations of `source` from now on; returns the unsubscribe. */
  watch(source: MigrationSource): () => void {
    if (this.#sources.includes(source)) return () => {};
    this.#sources.push(source);
    const unsubscribe = source.onEvent((e) => this.observe(e));
    return () => {
      unsubscribe();
      this.#sources.splice(this.#sources.indexOf(source), 1);
    };
  }

  /** Counts an end. */
  observe(event: MigrationEvent): void {
    if (event.kind !== "started") this.finished.inc({ outcome: event.kind });
  }

  /** `migrations_active` and the per-migration gauges, read now. */
  collect(): MetricFamily[] {
    const active = this.#sources.flatMap((s) => s.active());
    return [
      gaugeFamily("blockboard_migrations_active", "Live migrations running now.", [[
        {},
        active.length,
      ]]),
      ...itemGauges(MIGRATION_GAUGES, active, migrationLabels),
    ];
  }
}
