/**
 * Captured `qemu-img info` output (tests/fixtures/qemu-img/, see its README).
 *
 * @module
 */

/** A fixture file's text. */
export function imgFixture(name: string): string {
  return Deno.readTextFileSync(new URL(`../fixtures/qemu-img/${name}`, import.meta.url));
}

/** The directory the fixtures were captured in. */
export const FIX = "/var/tmp/bbfix-img";
