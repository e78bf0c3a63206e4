/** The values blockboard hands to virsh: one character rule, paths and bandwidth, each message. */
import { assertEquals } from "@std/assert";
import {
  bandwidthBytesSchema,
  COPY_FORMATS,
  firstIssue,
  firstRefusedCharacter,
  hostPathSchema,
  isCopyFormat,
  isRefusedCharacter,
} from "../../server/virsh/values.ts";
import { tokenizeCommandLine } from "../../server/terminal/tokenize.ts";

const CHARACTER_TABLE: [number, boolean][] = [
  [0x00, true],
  [0x09, true], // tab: refused in values; the terminal allows it as a separator itself
  [0x0a, true],
  [0x1f, true],
  [0x20, false],
  [0x7e, false],
  [0x7f, true],
  [0x80, true],
  [0x85, true],
  [0x9b, true],
  [0x9f, true],
  [0xa0, false],
  [0xe9, false],
  [0x061c, true],
  [0x200d, false],
  [0x200e, true],
  [0x200f, true],
  [0x2028, true],
  [0x2029, true],
  [0x202a, true],
  [0x202e, true],
  [0x202f, false],
  [0x2065, false],
  [0x2066, true],
  [0x2069, true],
  [0x206a, false],
  [0x1f600, false],
];

Deno.test("isRefusedCharacter: C0, DEL, C1 and invisible formatting, not their neighbours", () => {
  for (const [cp, refused] of CHARACTER_TABLE) {
    assertEquals(isRefusedCharacter(cp), refused, `U+${cp.toString(16)}`);
  }
});

Deno.test("one rule: a path and a terminal line refuse the same characters", () => {
  for (const [cp, refused] of CHARACTER_TABLE) {
    if (cp === 0x09 || cp === 0x0a) continue; // separators / line breaks have their own terminal reason
    const ch = String.fromCodePoint(cp);
    assertEquals(
      hostPathSchema.safeParse(`/img/a${ch}b`).success,
      !refused,
      `path U+${cp.toString(16)}`,
    );
    let terminalRefused = false;
    try {
      tokenizeCommandLine(`domblklist 'a${ch}b'`);
    } catch {
      terminalRefused = true;
    }
    assertEquals(terminalRefused, refused, `terminal U+${cp.toString(16)}`);
  }
});

Deno.test("firstRefusedCharacter: position counted in characters", () => {
  assertEquals(firstRefusedCharacter("/img/ok"), null);
  assertEquals(firstRefusedCharacter("/😀/\u202Ex"), { codePoint: 0x202e, index: 3 });
});

Deno.test("hostPathSchema: each failure says what is wrong", () => {
  const table: [unknown, string | null][] = [
    ["/var/lib/libvirt/images/a.qcow2", null],
    ["/", null],
    ["/img/with space/é.qcow2", null],
    [undefined, "is required"],
    [5, "must be a string: an absolute path"],
    ["", "is empty: give an absolute path"],
    ["img/a", "must be an absolute path (starting with /)"],
    ["/img/../a", "must be a normalised path (no '.', '..', '//' or trailing '/')"],
    ["/img//a", "must be a normalised path (no '.', '..', '//' or trailing '/')"],
    ["/img/", "must be a normalised path (no '.', '..', '//' or trailing '/')"],
    [
      "/img/\u202Ewoc2.qcow",
      "must not contain control or invisible formatting characters (U+202E at character 6)",
    ],
    [
      "/img/a\u0085",
      "must not contain control or invisible formatting characters (U+0085 at character 7)",
    ],
    [
      "/img/a\nb",
      "must not contain control or invisible formatting characters (U+000A at character 7)",
    ],
    ["/" + "a".repeat(4095), null],
    ["/" + "a".repeat(4096), "is too long: at most 4096 characters"],
  ];
  for (const [input, want] of table) {
    const r = hostPathSchema.safeParse(input);
    assertEquals(r.success ? null : firstIssue(r.error), want, JSON.stringify(input));
  }
});

Deno.test("bandwidthBytesSchema: required, type, negative, too large, fractional, in words", () => {
  const max = Number.MAX_SAFE_INTEGER;
  const table: [unknown, string | null][] = [
    [0, null],
    [1, null],
    [100 * 1048576, null],
    [max, null],
    [undefined, "is required (bytes per second, 0 for unlimited)"],
    ["5", "must be a number of bytes per second, not a string"],
    [null, "must be a number of bytes per second, not null"],
    [true, "must be a number of bytes per second, not true/false"],
    [-1, "must not be negative (0 means unlimited)"],
    [1.5, "must be a whole number of bytes per second"],
    [max + 1, `is too large: at most ${max} bytes per second`],
    [2 ** 60, `is too large: at most ${max} bytes per second`],
    [Infinity, `is too large: at most ${max} bytes per second`],
  ];
  for (const [input, want] of table) {
    const r = bandwidthBytesSchema.safeParse(input);
    assertEquals(r.success ? null : firstIssue(r.error), want, String(input));
  }
});

Deno.test("copy formats: one list, nothing that probes", () => {
  assertEquals([...COPY_FORMATS], ["qcow2", "raw"]);
  for (const f of ["auto", "none", "QCOW2", "", undefined, 1]) assertEquals(isCopyFormat(f), false);
  for (const f of COPY_FORMATS) assertEquals(isCopyFormat(f), true);
});
