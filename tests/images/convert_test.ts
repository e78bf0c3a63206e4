/** `runConvert` against the real qemu-img: progress as it comes, and an abort that leaves no writer. */
import { assert, assertEquals, assertRejects } from "@std/assert";
import { runConvert } from "../../server/images/convert.ts";
import { convertLayerArgs } from "../../server/images/commands.ts";
import { QemuImgError } from "../../server/images/errors.ts";
import { mustExec } from "../lab/exec.ts";

const MiB = 1024 * 1024;

async function sourceImage(dir: string, sizeMiB: number): Promise<string> {
  const path = `${dir}/src.qcow2`;
  await mustExec("qemu-img", ["create", "-q", "-f", "qcow2", path, `${sizeMiB}M`]);
  await mustExec("qemu-io", ["-f", "qcow2", "-c", `write -P 0x5a 0 ${sizeMiB}M`, path]);
  return path;
}

Deno.test("runConvert: copies with -f, reports rising progress up to 1", async () => {
  await using dir = await tempDir();
  const source = await sourceImage(dir.path, 8);
  const dest = `${dir.path}/dst.qcow2`;
  const seen: number[] = [];
  await runConvert(
    convertLayerArgs({ source, sourceFormat: "qcow2", dest, destFormat: "qcow2", backing: null }),
    { onProgress: (f) => seen.push(f) },
  );
  assert(seen.length > 0, "progress reported");
  assertEquals(seen.at(-1), 1);
  assertEquals(seen.toSorted((a, b) => a - b), seen);
  const same = await new Deno.Command("qemu-img", {
    args: ["compare", "-f", "qcow2", "-F", "qcow2", "--", source, dest],
  }).output();
  assertEquals(same.code, 0);
});

Deno.test("runConvert: refuses anything but convert with an explicit -f, before spawning", async () => {
  for (const args of [["info", "-f", "qcow2", "/x"], ["convert", "/x", "/y"]]) {
    const e = await assertRejects(
      () => runConvert(args, { binary: "/nonexistent/qemu-img" }),
      QemuImgError,
    );
    assertEquals(e.kind, "invalid");
  }
});

Deno.test("runConvert: an abort kills the rate-limited copy at once and rejects with the reason", async () => {
  await using dir = await tempDir();
  const source = await sourceImage(dir.path, 16);
  const dest = `${dir.path}/dst.qcow2`;
  const controller = new AbortController();
  const started = performance.now();
  const running = runConvert(
    convertLayerArgs({
      source,
      sourceFormat: "qcow2",
      dest,
      destFormat: "qcow2",
      backing: null,
      rateBytes: MiB, // 16 s if left alone
    }),
    { signal: controller.signal, onProgress: () => controller.abort(new Error("bbrv stop")) },
  );
  await assertRejects(() => running, Error, "bbrv stop");
  assert(performance.now() - started < 8_000, "killed well before the copy's end");
  const writers = await new Deno.Command("pgrep", { args: ["-f", "--", dest] }).output();
  assertEquals(new TextDecoder().decode(writers.stdout), "", "no qemu-img left writing");
});

async function tempDir(): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix: "bbrv-convert-" });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
