/** Counters and histograms, read back through a real exposition parser. */
import { assertEquals, assertThrows } from "@std/assert";
import { Counter, Histogram, Registry } from "../../server/metrics/registry.ts";
import { commandOf, VirshCallMetrics } from "../../server/metrics/virsh_calls.ts";
import { family, parseExposition, valueOf } from "../support/prometheus.ts";

Deno.test("a counter counts per label set and only goes up", () => {
  const registry = new Registry();
  const c = registry.register(new Counter("x_total", "Xs.", ["kind"]));
  c.inc({ kind: "a" });
  c.inc({ kind: "a" }, 2);
  c.inc({ kind: "b" });
  assertThrows(() => c.inc({ kind: "a" }, -1), Error, "only goes up");
  assertThrows(() => c.inc({ other: "a" }), Error, "do not match");
  const families = parseExposition(registry.render());
  assertEquals(family(families, "x_total").type, "COUNTER");
  assertEquals(valueOf(families, "x_total", { kind: "a" }), 3);
  assertEquals(valueOf(families, "x_total", { kind: "b" }), 1);
});

Deno.test("a histogram writes cumulative buckets, +Inf, sum and count", () => {
  const registry = new Registry();
  const h = registry.register(new Histogram("d_seconds", "Durations.", ["op"], [0.1, 1]));
  for (const v of [0.05, 0.1, 0.5, 3]) h.observe({ op: "x" }, v);
  const text = registry.render();
  assertEquals(
    text.split("\n").filter((l) => l.startsWith("d_seconds")),
    [
      'd_seconds_bucket{op="x",le="0.1"} 2',
      'd_seconds_bucket{op="x",le="1"} 3',
      'd_seconds_bucket{op="x",le="+Inf"} 4',
      'd_seconds_sum{op="x"} 3.65',
      'd_seconds_count{op="x"} 4',
    ],
  );
  // The npm parser accepts every line and groups the buckets; it folds a labelled histogram's
  // series into one and drops their sum and count (a limit of the parser), hence the exact lines.
  const parsed = family(parseExposition(text), "d_seconds");
  assertEquals(parsed.type, "HISTOGRAM");
  assertEquals(parsed.metrics[0].buckets, { "0.1": "2", "1": "3", "+Inf": "4" });
  assertThrows(() => new Histogram("h", "h", ["le"]), Error, "le");
});

Deno.test("commandOf: the subcommand after -c URI, anything odd is other", () => {
  const cases: [string[], string][] = [
    [["-c", "qemu:///system", "blockjob", "--domain", "x"], "blockjob"],
    [["-c", "qemu:///system", "domblklist"], "domblklist"],
    [["list", "--all"], "list"],
    [["-c", "qemu:///system", 'x"; rm'], "other"],
    [["-c", "qemu:///system"], "other"],
    [["-c", "qemu:///system", "A".repeat(3)], "other"],
  ];
  for (const [argv, want] of cases) assertEquals(commandOf(argv), want, argv.join(" "));
});

Deno.test("virsh command labels are capped: past the cap new ones count as other", () => {
  const registry = new Registry();
  const m = new VirshCallMetrics(registry);
  const call = (command: string) =>
    m.observe("local", {
      argv: ["-c", "u", command],
      code: 0,
      stdout: "",
      stderr: "",
      startedAt: new Date(),
      durationMs: 2,
    });
  for (let i = 0; i < 150; i++) call(`cmd-${i}`);
  call("cmd-0");
  const families = parseExposition(registry.render());
  const series = family(families, "blockboard_virsh_calls_total").metrics;
  assertEquals(series.length, 101);
  assertEquals(valueOf(families, "blockboard_virsh_calls_total", { command: "other" }), 50);
  assertEquals(valueOf(families, "blockboard_virsh_calls_total", { command: "cmd-0" }), 2);
});
