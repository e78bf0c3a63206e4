/**
 * The exposition writer at its boundaries: label escaping (table), help escaping, values, names,
 * and a round trip of hostile domain names through a real parser from npm.
 */
import { assertEquals, assertThrows } from "@std/assert";
import {
  escapeHelp,
  escapeLabelValue,
  formatLabels,
  formatValue,
  renderExposition,
  renderFamily,
} from "../../server/metrics/exposition.ts";
import { parseExposition } from "../support/prometheus.ts";

const LABEL_CASES: [string, string, string][] = [
  ["plain", "web-1", "web-1"],
  ["empty", "", ""],
  ["double quote", 'say "hi"', 'say \\"hi\\"'],
  ["backslash", "C:\\vm", "C:\\\\vm"],
  ["newline", "a\nb", "a\\nb"],
  ["backslash before n stays two characters", "a\\nb", "a\\\\nb"],
  ["backslash before quote", '\\"', '\\\\\\"'],
  ["all three", 'x"\\\ny', 'x\\"\\\\\\ny'],
  ["carriage return and tab pass through", "a\r\tb", "a\r\tb"],
  ["unicode passes through", "vm-ü-日本", "vm-ü-日本"],
  ["braces and commas pass through", 'a},b="c', 'a},b=\\"c'],
];

for (const [what, input, want] of LABEL_CASES) {
  Deno.test(`escapeLabelValue: ${what}`, () => {
    assertEquals(escapeLabelValue(input), want);
  });
}

Deno.test("escapeHelp escapes backslash and newline, not quotes", () => {
  assertEquals(escapeHelp('a\\b\nc "d"'), 'a\\\\b\\nc "d"');
});

Deno.test("formatValue: specials and numbers", () => {
  const cases: [number, string][] = [
    [0, "0"],
    [1.5, "1.5"],
    [-2, "-2"],
    [1e21, "1e+21"],
    [NaN, "NaN"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
  ];
  for (const [value, want] of cases) assertEquals(formatValue(value), want);
});

Deno.test("formatLabels: order kept, empty set, invalid names refused", () => {
  assertEquals(formatLabels({}), "");
  assertEquals(formatLabels({ b: "1", a: "2" }), '{b="1",a="2"}');
  assertThrows(() => formatLabels({ "bad-name": "x" }), Error, "invalid label name");
  assertThrows(() => formatLabels({ __reserved: "x" }), Error, "invalid label name");
  assertThrows(() => formatLabels({ "1x": "x" }), Error, "invalid label name");
});

Deno.test("renderFamily writes HELP, TYPE and samples", () => {
  const text = renderFamily({
    name: "x_total",
    help: "Things\ncounted.",
    type: "counter",
    samples: [{ name: "x_total", labels: { a: 'q"' }, value: 3 }],
  });
  assertEquals(
    text,
    '# HELP x_total Things\\ncounted.\n# TYPE x_total counter\nx_total{a="q\\""} 3\n',
  );
});

Deno.test("renderExposition refuses bad metric names and duplicate families", () => {
  const f = { name: "ok", help: "h", type: "gauge" as const, samples: [] };
  assertThrows(() => renderFamily({ ...f, name: "bad-name" }), Error, "invalid metric name");
  assertThrows(
    () => renderFamily({ ...f, samples: [{ name: "a b", labels: {}, value: 1 }] }),
    Error,
    "invalid sample name",
  );
  assertThrows(() => renderExposition([f, f]), Error, "appears twice");
});

const HOSTILE_NAMES = [
  'quote"inside',
  "back\\slash",
  "new\nline",
  '\\"\n\\n"',
  "end with backslash\\",
  "} injected 1\nfake_metric 2",
];

Deno.test("hostile domain names survive a round trip through a real exposition parser", () => {
  const text = renderExposition([{
    name: "blockboard_job_progress_ratio",
    help: "Progress.",
    type: "gauge",
    samples: HOSTILE_NAMES.map((domain, i) => ({
      name: "blockboard_job_progress_ratio",
      labels: { host: "local", domain },
      value: i / 10,
    })),
  }]);
  const families = parseExposition(text);
  assertEquals(families.length, 1, "an injected line became a family of its own");
  assertEquals(families[0].type, "GAUGE");
  assertEquals(families[0].help, "Progress.");
  assertEquals(
    families[0].metrics.map((m) => [m.labels?.domain, Number(m.value)]),
    HOSTILE_NAMES.map((name, i) => [name, i / 10]),
  );
});

Deno.test("the parser really checks: an unescaped quote is refused", () => {
  // Guards the round trip above against a parser that accepts anything.
  const broken = '# TYPE g gauge\ng{a="x"y"} 1\n';
  assertThrows(() => parseExposition(broken));
});
