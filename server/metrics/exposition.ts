/**
 * The Prometheus text exposition format 0.0.4, written from plain data: `# HELP` and `# TYPE`
 * lines, then one line per sample with its labels escaped the way the format says (backslash,
 * double quote and line feed in label values; backslash and line feed in help text). Pure: no
 * registry, no clock, no I/O.
 *
 * @module
 */

/** The `Content-Type` of a scrape answer in this format. */
export const EXPOSITION_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** The metric types this writer emits. */
export type MetricType = "counter" | "gauge" | "histogram";

/** Label names to values (values may hold anything: domain names come from VMs). */
export type Labels = Readonly<Record<string, string>>;

/** One sample line: the full sample name (e.g. `x_bucket`), its labels and its value. */
export interface Sample {
  name: string;
  labels: Labels;
  value: number;
}

/** A metric family: the `# HELP`/`# TYPE` header and its samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** A label value escaped for the inside of double quotes: `\` → `\\`, `"` → `\"`, LF → `\n`. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => ch === "\\" ? "\\\\" : ch === '"' ? '\\"' : "\\n");
}

/** Help text escaped for a `# HELP` line: `\` → `\\`, LF → `\n`. */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (ch) => ch === "\\" ? "\\\\" : "\\n");
}

/** A sample value as the format writes it: `NaN`, `+Inf`, `-Inf` or a Go-parsable float. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** `{a="1",b="2"}`, or the empty string without labels. Throws on an invalid label name. */
export function formatLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(([name, value]) => {
    if (!LABEL_NAME.test(name) || name.startsWith("__")) {
      throw new Error(`invalid label name ${JSON.stringify(name)}`);
    }
    return `${name}="${escapeLabelValue(value)}"`;
  });
  return parts.length ? `{${parts.join(",")}}` : "";
}

/** One family as text (header lines, then its samples). Throws on an invalid metric name. */
export function renderFamily(family: MetricFamily): string {
  if (!METRIC_NAME.test(family.name)) {
    throw new Error(`invalid metric name ${JSON.stringify(family.name)}`);
  }
  const lines = [
    `# HELP ${family.name} ${escapeHelp(family.help)}`,
    `# TYPE ${family.name} ${family.type}`,
  ];
  for (const s of family.samples) {
    if (!METRIC_NAME.test(s.name)) throw new Error(`invalid sample name ${JSON.stringify(s.name)}`);
    lines.push(`${s.name}${formatLabels(s.labels)} ${formatValue(s.value)}`);
  }
  return lines.join("\n") + "\n";
}

/** A whole scrape answer: every family in order, each name once. */
export function renderExposition(families: readonly MetricFamily[]): string {
  const seen = new Set<string>();
  for (const f of families) {
    if (seen.has(f.name)) throw new Error(`metric family ${f.name} appears twice`);
    seen.add(f.name);
  }
  return families.map(renderFamily).join("");
}
