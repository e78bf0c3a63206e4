/**
 * Shared assertion for terminal tests: a call must throw a {@link TerminalRefusal} with the given
 * code (and status, and a reason mentioning what was refused).
 *
 * @module
 */
import { assertEquals, assertStringIncludes, fail } from "@std/assert";
import { TerminalRefusal, type TerminalRefusalCode } from "../../server/terminal/refusal.ts";

/** Asserts that `fn` throws a TerminalRefusal with `code`; returns it for further checks. */
export function assertRefused(
  fn: () => unknown,
  code: TerminalRefusalCode,
  expect: { status?: 400 | 403; reason?: string } = {},
): TerminalRefusal {
  let result: unknown;
  try {
    result = fn();
  } catch (e) {
    if (!(e instanceof TerminalRefusal)) throw e;
    assertEquals(e.code, code, `refusal code (reason: ${e.reason})`);
    assertEquals(e.status, expect.status ?? 400, "status");
    assertEquals(e.message, e.reason);
    if (expect.reason) assertStringIncludes(e.reason, expect.reason);
    return e;
  }
  fail(`expected a ${code} refusal, got ${JSON.stringify(result)}`);
}
