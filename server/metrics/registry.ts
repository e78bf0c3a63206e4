/**
 * Counters and histograms that live in memory, and the registry a scrape renders: registered
 * instruments plus collectors that read current state (the job gauges) when asked. Rendering only
 * reads memory; nothing here starts a process or waits.
 *
 * @module
 */
import { type Labels, type MetricFamily, renderExposition, type Sample } from "./exposition.ts";

/** Anything that yields metric families at scrape time. */
export interface Collector {
  /** The families as they are now; reads memory only. */
  collect(): MetricFamily[];
}

/** The label values of `labels` in `names` order; throws when the set of names differs. */
function labelKey(names: readonly string[], labels: Labels): string {
  const given = Object.keys(labels);
  if (given.length !== names.length || !names.every((n) => n in labels)) {
    throw new Error(`labels ${given.join(",")} do not match ${names.join(",")}`);
  }
  return JSON.stringify(names.map((n) => labels[n]));
}

/** A monotonically increasing count per label set. */
export class Counter implements Collector {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {}

  /** Adds `by` (default 1, never negative) to the count of `labels`. */
  inc(labels: Labels, by = 1): void {
    if (!(by >= 0)) throw new Error(`a counter only goes up (got ${by})`);
    const key = labelKey(this.labelNames, labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels: { ...labels }, value: by });
  }

  /** The count of `labels` (0 when never counted). */
  get(labels: Labels): number {
    return this.#values.get(labelKey(this.labelNames, labels))?.value ?? 0;
  }

  /** One counter family with a sample per label set counted so far. */
  collect(): MetricFamily[] {
    const samples = [...this.#values.values()].map((e) => ({
      name: this.name,
      labels: e.labels,
      value: e.value,
    }));
    return [{ name: this.name, help: this.help, type: "counter", samples }];
  }
}

/** Upper bounds (seconds) for how long a virsh call takes: ~1 ms in a session to minutes. */
export const DURATION_BUCKETS: readonly number[] = [
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];

interface HistogramEntry {
  labels: Labels;
  /** Observations per bucket (not cumulative), plus one for above the last bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative `le` buckets, with their sum and count, per label set. */
export class Histogram implements Collector {
  readonly #entries = new Map<string, HistogramEntry>();
  readonly buckets: readonly number[];

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    buckets: readonly number[] = DURATION_BUCKETS,
  ) {
    if (labelNames.includes("le")) throw new Error("a histogram's labels must not include le");
    this.buckets = [...buckets].sort((a, b) => a - b);
  }

  /** Counts one observation of `value` for `labels`. */
  observe(labels: Labels, value: number): void {
    const key = labelKey(this.labelNames, labels);
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = {
        labels: { ...labels },
        counts: this.buckets.map(() => 0).concat(0),
        sum: 0,
        count: 0,
      };
      this.#entries.set(key, entry);
    }
    const i = this.buckets.findIndex((bound) => value <= bound);
    entry.counts[i < 0 ? this.buckets.length : i]++;
    entry.sum += value;
    entry.count++;
  }

  /** One histogram family: per label set its cumulative buckets, `+Inf`, sum and count. */
  collect(): MetricFamily[] {
    const samples: Sample[] = [];
    for (const e of this.#entries.values()) {
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += e.counts[i];
        samples.push({
          name: `${this.name}_bucket`,
          labels: { ...e.labels, le: String(bound) },
          value: cumulative,
        });
      });
      samples.push({
        name: `${this.name}_bucket`,
        labels: { ...e.labels, le: "+Inf" },
        value: e.count,
      });
      samples.push({ name: `${this.name}_sum`, labels: e.labels, value: e.sum });
      samples.push({ name: `${this.name}_count`, labels: e.labels, value: e.count });
    }
    return [{ name: this.name, help: this.help, type: "histogram", samples }];
  }
}

/** What one scrape renders, in registration order. */
export class Registry {
  readonly #collectors: Collector[] = [];

  /** Adds `collector` (returned, for chaining into a field). */
  register<T extends Collector>(collector: T): T {
    this.#collectors.push(collector);
    return collector;
  }

  /** Every family of every collector. */
  collect(): MetricFamily[] {
    return this.#collectors.flatMap((c) => c.collect());
  }

  /** The scrape answer's body (exposition format 0.0.4). */
  render(): string {
    return renderExposition(this.collect());
  }
}
