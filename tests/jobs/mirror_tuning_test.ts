/**
 * The mirror tuning values at their boundaries: granularity (power of two in [512 B, 64 MiB]),
 * buffer size ([512 B, 1 GiB]), the shared request fragment and the form fields. Pure.
 */
import { assertEquals } from "@std/assert";
import {
  bufSizeBytesSchema,
  firstIssue,
  granularityBytesSchema,
} from "../../server/virsh/values.ts";
import {
  GRANULARITY_CHOICES,
  mirrorTuningSchema,
  setTuning,
} from "../../server/jobs/mirror_tuning.ts";
import { bufSizeKiBField, copyForm, granularityField } from "../../server/routes/job_inputs.ts";

const KiB = 1024;
const MiB = 1024 * KiB;

/** null: accepted; else the message. */
function verdict(schema: typeof granularityBytesSchema, value: unknown): string | null {
  const r = schema.safeParse(value);
  return r.success ? null : firstIssue(r.error);
}

const RANGE = "must be between 512 B and 64 MiB (67108864 bytes)";
const POWER = "must be a power of two (512, 1024, …, 67108864 bytes)";

const GRANULARITY_TABLE: [unknown, string | null][] = [
  [256, RANGE],
  [511, RANGE],
  [512, null],
  [768, POWER],
  [1024, null],
  [4096, null],
  [65536, null],
  [65537, POWER],
  [32 * MiB, null],
  [48 * MiB, POWER],
  [64 * MiB, null],
  [128 * MiB, RANGE],
  [2 ** 40, RANGE],
  [0, RANGE],
  [-512, RANGE],
  [1536.5, "must be a whole number of bytes"],
  ["65536", "must be a number of bytes, not a string"],
  [null, "must be a number of bytes, not null"],
];

for (const [value, expected] of GRANULARITY_TABLE) {
  Deno.test(`granularity ${JSON.stringify(value)} → ${expected ?? "accepted"}`, () => {
    assertEquals(verdict(granularityBytesSchema, value), expected);
  });
}

Deno.test("every granularity choice of the form is accepted, and they are all of them", () => {
  assertEquals(GRANULARITY_CHOICES.length, 18);
  assertEquals(GRANULARITY_CHOICES[0], 512);
  assertEquals(GRANULARITY_CHOICES.at(-1), 64 * MiB);
  for (const g of GRANULARITY_CHOICES) assertEquals(verdict(granularityBytesSchema, g), null);
});

const BUF_TABLE: [unknown, string | null][] = [
  [0, "must be at least 512 bytes (QEMU rounds a smaller buffer up to the granularity)"],
  [511, "must be at least 512 bytes (QEMU rounds a smaller buffer up to the granularity)"],
  [512, null],
  [1000, null], // not a power of two: QEMU rounds it up to the granularity
  [16 * MiB, null],
  [1024 * MiB, null],
  [
    1024 * MiB + 1,
    "must be at most 1 GiB (1073741824 bytes): QEMU keeps this much data in flight in host memory",
  ],
  [1.5, "must be a whole number of bytes"],
  [true, "must be a number of bytes, not true/false"],
];

for (const [value, expected] of BUF_TABLE) {
  Deno.test(`bufSize ${JSON.stringify(value)} → ${expected ?? "accepted"}`, () => {
    assertEquals(verdict(bufSizeBytesSchema, value), expected);
  });
}

Deno.test("mirrorTuningSchema: the fragment names the field and refuses unknown keys", () => {
  const ok = mirrorTuningSchema.parse({
    synchronousWrites: true,
    granularity: 65536,
    bufSize: MiB,
  });
  assertEquals(ok, { synchronousWrites: true, granularity: 65536, bufSize: MiB });
  assertEquals(mirrorTuningSchema.parse({}), {});
  const bad = mirrorTuningSchema.safeParse({ granularity: 768 });
  assertEquals(bad.success, false);
  assertEquals(bad.error!.issues[0].path, ["granularity"]);
  assertEquals(bad.error!.issues[0].message, POWER);
  const flag = mirrorTuningSchema.safeParse({ synchronousWrites: "yes" });
  assertEquals(flag.error!.issues[0].message, "must be true or false");
  assertEquals(mirrorTuningSchema.safeParse({ granularty: 512 }).success, false);
});

Deno.test("setTuning keeps only what is set", () => {
  assertEquals(setTuning({ synchronousWrites: false }), {});
  assertEquals(setTuning({ synchronousWrites: false, granularity: 512 }), { granularity: 512 });
});

const FORM_GRANULARITY: [string, number | undefined | string][] = [
  ["", undefined],
  ["512", 512],
  ["67108864", 64 * MiB],
  ["256", RANGE],
  ["768", POWER],
  ["134217728", RANGE],
  ["64k", "granularity must be a whole number of bytes"],
];

for (const [input, expected] of FORM_GRANULARITY) {
  Deno.test(`form granularity ${JSON.stringify(input)}`, () => {
    const r = granularityField.safeParse(input);
    assertEquals(r.success ? r.data : firstIssue(r.error), expected);
  });
}

const FORM_BUF: [string, number | undefined | string][] = [
  ["", undefined],
  ["1", KiB],
  ["1048576", 1024 * MiB],
  ["1048577", BUF_TABLE[6][1] as string],
  ["0", "buffer size must be a whole number of KiB, from 1 to 1048576"],
  ["1.5", "buffer size must be a whole number of KiB, from 1 to 1048576"],
];

for (const [input, expected] of FORM_BUF) {
  Deno.test(`form bufSizeKiB ${JSON.stringify(input)}`, () => {
    const r = bufSizeKiBField.safeParse(input);
    assertEquals(r.success ? r.data : firstIssue(r.error), expected);
  });
}

Deno.test("the copy form carries the tuning into the copy input", () => {
  const input = copyForm.parse({
    dest: "/srv/c.qcow2",
    format: "qcow2",
    synchronousWrites: "true",
    granularity: "65536",
    bufSizeKiB: "256",
  });
  assertEquals(input.synchronousWrites, true);
  assertEquals(input.granularity, 65536);
  assertEquals(input.bufSize, 256 * KiB);
  const plain = copyForm.parse({ dest: "/srv/c.qcow2", format: "qcow2", granularity: "" });
  assertEquals([plain.synchronousWrites, plain.granularity, plain.bufSize], [
    false,
    undefined,
    undefined,
  ]);
  const bad = copyForm.safeParse({ dest: "/srv/c.qcow2", format: "qcow2", granularity: "768" });
  assertEquals(bad.error!.issues[0].path, ["granularity"]);
});
