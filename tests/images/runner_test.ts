/** The qemu-img runner against the real binary: explicit format only, typed failures, deadline. */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { SpawnQemuImg, writingSubcommand } from "../../server/images/runner.ts";
import { QemuImgError } from "../../server/images/errors.ts";
import { convertLayerArgs, imageInfoArgs } from "../../server/images/commands.ts";
import { readImageHeader } from "../../server/images/header.ts";

Deno.test("SpawnQemuImg: refuses any call without -f qcow2|raw, before spawning", async () => {
  const runner = new SpawnQemuImg({ binary: "/nonexistent/qemu-img" });
  for (const args of [["info", "/x"], ["info", "-f", "vmdk", "/x"], ["info"]]) {
    const e = await assertRejects(() => runner.run(args), QemuImgError);
    assertEquals(e.kind, "invalid");
  }
});

Deno.test("imageInfoArgs: explicit format, JSON, never --backing-chain or -U, path after --", () => {
  assertEquals(imageInfoArgs("/r/x.qcow2", "qcow2"), [
    "info",
    "-f",
    "qcow2",
    "--output=json",
    "--",
    "/r/x.qcow2",
  ]);
  for (const bad of ["relative.qcow2", "/r/../etc/shadow", "/r/a\nb"]) {
    let threw = false;
    try {
      imageInfoArgs(bad, "qcow2");
    } catch {
      threw = true;
    }
    assert(threw, `accepted ${JSON.stringify(bad)}`);
  }
});

Deno.test("readImageHeader: real qemu-img reads a header naming /etc/shadow without opening it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-qemu-img-" });
  try {
    const top = `${dir}/top.qcow2`;
    const made = await new Deno.Command("qemu-img", {
      args: ["create", "-q", "-f", "qcow2", "-u", "-b", "/etc/shadow", "-F", "raw", top, "1M"],
    }).output();
    assertEquals(made.code, 0);
    const runner = new SpawnQemuImg();
    const header = await readImageHeader(runner, top, "qcow2");
    assertEquals(header.backing, { name: "/etc/shadow", format: "raw" });
    const wrong = await assertRejects(() => readImageHeader(runner, `${dir}/none.qcow2`, "qcow2"));
    assertEquals((wrong as QemuImgError).kind, "not-found");
    await Deno.writeTextFile(`${dir}/text.img`, "not an image");
    const raw = await assertRejects(() => readImageHeader(runner, `${dir}/text.img`, "qcow2"));
    assertEquals((raw as QemuImgError).kind, "wrong-format");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SpawnQemuImg: a call past its deadline is killed and reported as a timeout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bb-qemu-img-" });
  try {
    // A stand-in binary that hangs; the runner must kill it, not wait.
    const fake = `${dir}/hang`;
    await Deno.writeTextFile(fake, "#!/bin/sh\nexec sleep 30\n");
    await Deno.chmod(fake, 0o755);
    const runner = new SpawnQemuImg({ binary: fake, timeoutMs: 300 });
    const started = Date.now();
    const e = await assertRejects(
      () => runner.run(["info", "-f", "qcow2", "--", "/x"]),
      QemuImgError,
    );
    assertEquals(e.kind, "timeout");
    assertEquals(e.status, 503);
    assert(Date.now() - started < 5000, "killed promptly");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("SpawnQemuImg.onCall: every process it ran (run and convert), with its end; refusals are not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "bbmm-qemuimg-" });
  try {
    const runner = new SpawnQemuImg();
    const seen: { argv: string[]; code: number | null; failed: boolean }[] = [];
    const stop = runner.onCall((r) => seen.push({ argv: r.argv, code: r.code, failed: !!r.error }));
    await runner.run(["create", "-q", "-f", "qcow2", "--", `${dir}/a.qcow2`, "1048576"]);
    await runner.convert(convertLayerArgs({
      source: `${dir}/a.qcow2`,
      sourceFormat: "qcow2",
      dest: `${dir}/b.qcow2`,
      destFormat: "qcow2",
      backing: null,
    }));
    await assertRejects(() => runner.run(imageInfoArgs(`${dir}/missing.qcow2`, "qcow2")));
    await assertRejects(() => runner.run(["info", "/x"])); // refused before spawning
    stop();
    await runner.run(imageInfoArgs(`${dir}/b.qcow2`, "qcow2"));
    assertEquals(seen.map((s) => [s.argv[0], s.code, s.failed]), [
      ["create", 0, false],
      ["convert", 0, false],
      ["info", 1, true],
    ]);
    assertEquals(seen[1].argv.at(-1), `${dir}/b.qcow2`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writingSubcommand: the writes the audit records, not the reads", () => {
  const table: [string[], string | null][] = [
    [["convert", "-f", "qcow2"], "convert"],
    [["create", "-f", "qcow2"], "create"],
    [["rebase", "-u", "-f", "qcow2"], "rebase"],
    [["info", "-f", "qcow2"], null],
    [["compare", "-f", "qcow2"], null],
    [["check", "-f", "qcow2"], null],
    [[], null],
  ];
  for (const [argv, sub] of table) assertEquals(writingSubcommand(argv), sub, argv.join(" "));
});
