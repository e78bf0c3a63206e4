/**
 * The terminal's pure core: tokenize a line, check it against the allowlist for a role, and fold
 * virsh's progress output for display. Nothing here runs a process.
 *
 * @module
 */
import {
  checkCommand,
  type CheckedCommand,
  type CheckOptions,
  type TerminalRole,
} from "./allowlist.ts";
import { tokenizeCommandLine } from "./tokenize.ts";

export * from "./allowlist.ts";
export * from "./progress.ts";
export * from "./refusal.ts";
export { MAX_LINE_LENGTH, tokenizeCommandLine } from "./tokenize.ts";

/**
 * Tokenizes and checks one terminal line: `checkCommand(tokenizeCommandLine(line), role, options)`.
 *
 * @throws {TerminalRefusal} with status 400 or 403; nothing has run.
 */
export function parseTerminalLine(
  line: string,
  role: TerminalRole,
  options: CheckOptions = {},
): CheckedCommand {
  return checkCommand(tokenizeCommandLine(line), role, options);
}
