/** The move planner, table-tested: paths, relative backing names, actions and exact argv. */
import { assertEquals, assertThrows } from "../std_assert.ts";
import {
  type MovePlanInput,
  namesCollide,
  planMove,
  type SourceDisk,
} from "../../server/moves/plan.ts";
import { JobInputError } from "../../server/jobs/errors.ts";
import { moveTotals } from "../../server/moves/progress.ts";

const UUID = "0f3c5c2e-8d2f-4f5e-9d7a-3b1a2c4d5e6f";
const MiB = 1048576;

function chain(dir: string, names: [string, "qcow2" | "raw"][]): SourceDisk["chain"] {
  return names.map(([name, format], i) => ({
    path: `${dir}/${name}`,
    format,
    bytes: (i + 1) * MiB,
    virtualSize: 64 * MiB,
  }));
}

function input(over: Partial<MovePlanInput> = {}): MovePlanInput {
  return {
    domain: "vm1",
    uuid: UUID,
    uri: "qemu:///system",
    persistent: true,
    mode: "live",
    disks: [{
      target: "vda",
      chain: chain("/img/vm1", [["top.qcow2", "qcow2"], ["mid.qcow2", "qcow2"], [
        "base.qcow2",
        "qcow2",
      ]]),
    }],
    request: { destDir: "/new" },
    ...over,
  };
}

Deno.test("a live 3-layer move: copies bottom up, relative names, a new top, one blockcopy", () => {
  const plan = planMove(input({ request: { destDir: "/new", bandwidthBytes: 2 * MiB } }));
  assertEquals(plan.mode, "live");
  assertEquals(plan.pivot, "manual");
  assertEquals(plan.bytesTotal, 6 * MiB);
  const [disk] = plan.disks;
  assertEquals(disk.dir, "/new");
  assertEquals(
    disk.layers.map((l) => [l.from, l.to, l.backingName, l.backingFormat, l.action]),
    [
      ["/img/vm1/top.qcow2", "/new/top.qcow2", "mid.qcow2", "qcow2", "create-and-mirror"],
      ["/img/vm1/mid.qcow2", "/new/mid.qcow2", "base.qcow2", "qcow2", "copy"],
      ["/img/vm1/base.qcow2", "/new/base.qcow2", null, null, "copy"],
    ],
  );
  assertEquals(disk.commands.map((c) => [c.program, c.argv]), [
    ["qemu-img", [
      "convert",
      "-p",
      "-f",
      "qcow2",
      "-O",
      "qcow2",
      "-r",
      "2097152",
      "--",
      "/img/vm1/base.qcow2",
      "/new/base.qcow2",
    ]],
    ["qemu-img", [
      "compare",
      "-f",
      "qcow2",
      "-F",
      "qcow2",
      "--",
      "/img/vm1/base.qcow2",
      "/new/base.qcow2",
    ]],
    ["qemu-img", [
      "convert",
      "-p",
      "-f",
      "qcow2",
      "-O",
      "qcow2",
      "-r",
      "2097152",
      "-B",
      "base.qcow2",
      "-F",
      "qcow2",
      "--",
      "/img/vm1/mid.qcow2",
      "/new/mid.qcow2",
    ]],
    ["qemu-img", [
      "compare",
      "-f",
      "qcow2",
      "-F",
      "qcow2",
      "--",
      "/img/vm1/mid.qcow2",
      "/new/mid.qcow2",
    ]],
    ["qemu-img", [
      "create",
      "-q",
      "-f",
      "qcow2",
      "-b",
      "mid.qcow2",
      "-F",
      "qcow2",
      "--",
      "/new/top.qcow2",
      String(64 * MiB),
    ]],
    ["virsh", [
      "blockcopy",
      "--domain",
      UUID,
      "--path",
      "vda",
      "--dest",
      "/new/top.qcow2",
      "--format",
      "qcow2",
      "--shallow",
      "--reuse-external",
      "--transient-job",
      "--bandwidth",
      "2097152",
      "--bytes",
    ]],
  ]);
  assertEquals(
    disk.commands[5].commandLine,
    `virsh -c qemu:///system blockcopy --domain ${UUID} --path vda --dest /new/top.qcow2 --format qcow2 --shallow --reuse-external --transient-job --bandwidth 2097152 --bytes`,
  );
  assertEquals(disk.chainAfter, [
    { path: "/new/top.qcow2", format: "qcow2" },
    { path: "/new/mid.qcow2", format: "qcow2" },
    { path: "/new/base.qcow2", format: "qcow2" },
  ]);
});

Deno.test("bytes to copy: allocated data; a live raw top its virtual size, as the card counts", () => {
  const raw = chain("/img/vm1", [["disk.raw", "raw"]]).map((l) => ({ ...l, bytes: 16 * MiB }));
  const disks = [
    { target: "vda", chain: chain("/img/vm1/a", [["top.qcow2", "qcow2"], ["base.raw", "raw"]]) },
    { target: "vdb", chain: raw },
  ];
  // [mode, vda's bytes, vdb's bytes]
  const table: ["live" | "offline", number[], number[]][] = [
    ["live", [1 * MiB, 2 * MiB], [64 * MiB]], // vdb's mirror scans the raw file whole
    ["offline", [1 * MiB, 2 * MiB], [16 * MiB]], // qemu-img convert skips its holes
  ];
  for (const [mode, vda, vdb] of table) {
    const plan = planMove(input({ mode, disks }));
    assertEquals(plan.disks.map((d) => d.layers.map((l) => l.bytes)), [vda, vdb], mode);
    assertEquals(plan.disks[1].layers[0].allocatedBytes, 16 * MiB, mode);
    assertEquals(plan.bytesTotal, [...vda, ...vdb].reduce((a, b) => a + b), mode);
    assertEquals(plan.bytesTotal, moveTotals(plan).bytesTotal, `${mode}: the card's sum`);
  }
});

Deno.test("mirror tuning table: the exact blockcopy argv, the note, nothing offline", async (t) => {
  const blockcopyTail = (request: MovePlanInput["request"], mode: "live" | "offline" = "live") => {
    const plan = planMove(input({ request, mode }));
    const cmd = plan.disks[0].commands.at(-1)!;
    return { plan, tail: cmd.argv.slice(cmd.argv.indexOf("--transient-job") + 1), cmd };
  };
  const cases: {
    name: string;
    request: MovePlanInput["request"];
    tail: string[];
    tuning: Record<string, unknown>;
  }[] = [
    { name: "none", request: { destDir: "/new" }, tail: [], tuning: {} },
    {
      name: "synchronous writes",
      request: { destDir: "/new", synchronousWrites: true },
      tail: ["--synchronous-writes"],
      tuning: { synchronousWrites: true },
    },
    {
      name: "false is not a flag",
      request: { destDir: "/new", synchronousWrites: false },
      tail: [],
      tuning: {},
    },
    {
      name: "all three and a bandwidth",
      request: {
        destDir: "/new",
        synchronousWrites: true,
        granularity: 65536,
        bufSize: 1048576,
        bandwidthBytes: MiB,
      },
      tail: [
        "--synchronous-writes",
        "--granularity",
        "65536",
        "--buf-size",
        "1048576",
        "--bandwidth",
        "1048576",
        "--bytes",
      ],
      tuning: { synchronousWrites: true, granularity: 65536, bufSize: 1048576 },
    },
    {
      name: "the smallest granularity",
      request: { destDir: "/new", granularity: 512 },
      tail: ["--granularity", "512"],
      tuning: { granularity: 512 },
    },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      const { plan, tail, cmd } = blockcopyTail(c.request);
      assertEquals(tail, c.tail);
      assertEquals(plan.tuning, c.tuning);
      assertEquals(cmd.commandLine.endsWith(c.tail.join(" ")), true);
      assertEquals(
        plan.notes.some((n) => n.startsWith("synchronous writes:")),
        c.tuning.synchronousWrites === true,
      );
    });
  }
  await t.step("offline: no blockcopy, a note that the tuning does not apply", () => {
    const { plan, cmd } = blockcopyTail({ destDir: "/new", synchronousWrites: true }, "offline");
    assertEquals(cmd.argv[0], "define");
    assertEquals(plan.notes.some((n) => n.includes("does not apply")), true);
  });
});

Deno.test("planner table: shapes and refusals", async (t) => {
  const cases: {
    name: string;
    input: MovePlanInput;
    check?: (plan: ReturnType<typeof planMove>) => void;
    refused?: [string, RegExp];
  }[] = [
    {
      name: "a transient domain: no --transient-job, unlimited: no -r / --bandwidth",
      input: input({ persistent: false }),
      check: (p) => {
        const argv = p.disks[0].commands.at(-1)!.argv;
        assertEquals(argv.includes("--transient-job"), false);
        assertEquals(argv.includes("--bandwidth"), false);
        assertEquals(p.disks[0].commands[0].argv.includes("-r"), false);
      },
    },
    {
      name: "a raw base under qcow2: the copy above records it as raw",
      input: input({
        disks: [{ target: "vda", chain: chain("/i", [["o.qcow2", "qcow2"], ["d.raw", "raw"]]) }],
      }),
      check: (p) => {
        assertEquals(p.disks[0].commands[0].argv.slice(0, 6), [
          "convert",
          "-p",
          "-f",
          "raw",
          "-O",
          "raw",
        ]);
        assertEquals(p.disks[0].layers[0].backingFormat, "raw");
        assertEquals(p.disks[0].commands[2].argv.slice(4, 8), ["-b", "d.raw", "-F", "raw"]);
      },
    },
    {
      name: "a single raw disk: a raw top without backing, a full (not shallow) mirror",
      input: input({ disks: [{ target: "vdb", chain: chain("/i", [["d.raw", "raw"]]) }] }),
      check: (p) => {
        assertEquals(p.disks[0].commands.map((c) => c.argv[0]), ["create", "blockcopy"]);
        assertEquals(p.disks[0].commands[0].argv, [
          "create",
          "-q",
          "-f",
          "raw",
          "--",
          "/new/d.raw",
          String(64 * MiB),
        ]);
        assertEquals(p.disks[0].commands[1].argv.includes("--shallow"), false);
      },
    },
    {
      name: "two disks whose layers share names: one subfolder per disk",
      input: input({
        disks: [
          { target: "vda", chain: chain("/a", [["top.qcow2", "qcow2"], ["base.qcow2", "qcow2"]]) },
          { target: "vdb", chain: chain("/b", [["top.qcow2", "qcow2"], ["base.qcow2", "qcow2"]]) },
        ],
      }),
      check: (p) => {
        assertEquals(p.disks.map((d) => d.dir), ["/new/vda", "/new/vdb"]);
        assertEquals(p.disks[1].layers[1].to, "/new/vdb/base.qcow2");
        assertEquals(p.disks[1].layers[0].backingName, "base.qcow2");
      },
    },
    {
      name: "two disks with distinct names share the destination",
      input: input({
        disks: [
          { target: "vda", chain: chain("/a", [["a.qcow2", "qcow2"]]) },
          { target: "vdb", chain: chain("/b", [["b.qcow2", "qcow2"]]) },
        ],
      }),
      check: (p) => assertEquals(p.disks.map((d) => d.dir), ["/new", "/new"]),
    },
    {
      name: "offline: every layer copied, then virsh define",
      input: input({ mode: "offline" }),
      check: (p) => {
        assertEquals(p.disks[0].layers.map((l) => l.action), ["copy", "copy", "copy"]);
        assertEquals(p.disks[0].commands.map((c) => c.argv[0]), [
          "convert",
          "compare",
          "convert",
          "compare",
          "convert",
          "compare",
          "define",
        ]);
        assertEquals(p.disks[0].commands[4].argv.slice(6, 10), [
          "-B",
          "mid.qcow2",
          "-F",
          "qcow2",
        ]);
      },
    },
    {
      name: "auto switch is carried",
      input: input({ request: { destDir: "/new", pivot: "auto" } }),
      check: (p) => assertEquals(p.pivot, "auto"),
    },
    {
      name: "the chain's own directory",
      input: input({ request: { destDir: "/img/vm1" } }),
      refused: ["destDir", /already there/],
    },
    {
      name: "two layers of one disk with one name",
      input: input({
        disks: [{
          target: "vda",
          chain: chain("/a", [["x.qcow2", "qcow2"]]).concat(chain("/b", [["x.qcow2", "qcow2"]])),
        }],
      }),
      refused: ["disks", /both named x\.qcow2|are named x\.qcow2/],
    },
    {
      name: "a raw layer with a backing file",
      input: input({
        disks: [{ target: "vda", chain: chain("/a", [["x.raw", "raw"], ["b.qcow2", "qcow2"]]) }],
      }),
      refused: ["disks", /only qcow2 layers can/],
    },
    { name: "no disks", input: input({ disks: [] }), refused: ["disks", /no disk/] },
  ];
  for (const c of cases) {
    await t.step(c.name, () => {
      if (c.refused) {
        const e = assertThrows(() => planMove(c.input), JobInputError);
        assertEquals(e.field, c.refused[0]);
        if (!c.refused[1].test(e.reason)) throw new Error(`unexpected reason: ${e.reason}`);
      } else {
        c.check!(planMove(c.input));
      }
    });
  }
});

Deno.test("namesCollide: only names shared by different disks", () => {
  assertEquals(namesCollide([]), false);
  assertEquals(
    namesCollide([{ target: "vda", chain: chain("/a", [["x", "qcow2"]]) }, {
      target: "vdb",
      chain: chain("/b", [["x", "qcow2"]]),
    }]),
    true,
  );
  assertEquals(
    namesCollide([{ target: "vda", chain: chain("/a", [["x", "qcow2"], ["y", "qcow2"]]) }]),
    false,
  );
});
