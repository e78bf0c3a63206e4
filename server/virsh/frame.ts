/**
 * Framing of an interactive virsh's two output streams, so that one long-lived process can answer
 * many commands and each answer is attributed to its command.
 *
 * Interactive virsh (stdin a pipe) echoes `virsh # LINE` before each command's output on stdout,
 * writes errors to stderr with nothing on stdout to tie them to a command, and never stops on a
 * failure. So every command is followed by two markers of our own: `echo MARK` (stdout) and
 * `cd /nonexistent-blockboard/MARK` (a local command that fails on stderr and calls no libvirt
 * API). The marker holds a random token per process, so no domain name or XML can forge it.
 *
 * @module
 */
import { virshCommandLine } from "./quote.ts";

/** Directory `cd` is sent into to mark the end of a command's stderr; it never exists. */
const MISSING_DIR = "/nonexistent-blockboard";

/** The markers of command number `seq` in a session with token `token`. */
export interface FrameMarkers {
  /** Printed on stdout by `echo`. */
  stdout: string;
  /** Named in `cd`'s error on stderr. */
  stderr: string;
}

/** Markers of one command: unique per token and sequence number. */
export function frameMarkers(token: string, seq: number): FrameMarkers {
  return { stdout: `bb-${token}-o${seq}`, stderr: `bb-${token}-e${seq}` };
}

/** What to write to virsh's stdin for one command: the command, then both markers. */
export function framedInput(args: readonly string[], markers: FrameMarkers): string {
  return `${virshCommandLine(args)}\necho ${markers.stdout}\ncd ${MISSING_DIR}/${markers.stderr}\n`;
}

/** A command's share of one stream, and what is left of the buffer after it. */
export interface Taken {
  text: string;
  rest: string;
}

/**
 * Takes one command's stdout from the buffer, or null while its marker has not arrived. What
 * precedes the echo of the command line (banner, previous markers' prompts) is dropped.
 */
export function takeStdout(buffer: string, line: string, marker: string): Taken | null {
  const end = buffer.indexOf(`virsh # echo ${marker}\n${marker}`);
  if (end < 0) return null;
  const echoed = `virsh # ${line}\n`;
  const start = buffer.indexOf(echoed);
  const text = start >= 0 && start < end ? buffer.slice(start + echoed.length, end) : "";
  let restAt = end + `virsh # echo ${marker}\n${marker}`.length;
  if (buffer[restAt] === "\n") restAt++;
  return { text, rest: buffer.slice(restAt) };
}

/** Takes one command's stderr from the buffer, or null while its marker line is incomplete. */
export function takeStderr(buffer: string, marker: string): Taken | null {
  // The path ends its line: `bb-T-e1` must not match inside `bb-T-e10`.
  const at = buffer.indexOf(`${MISSING_DIR}/${marker}\n`);
  if (at < 0) return null;
  const lineEnd = buffer.indexOf("\n", at);
  const lineStart = buffer.lastIndexOf("\n", at) + 1;
  return { text: buffer.slice(0, lineStart), rest: buffer.slice(lineEnd + 1) };
}

/**
 * virsh reconnects by itself after libvirtd restarted and says so as an `error:` line before
 * running the command normally; that line is news, not a failure of the command.
 */
const RECONNECTED = /^error: Reconnected to the hypervisor\n?/gm;

/** A command's stderr without virsh's reconnection notice. */
export function withoutReconnectNotice(stderr: string): string {
  return stderr.replace(RECONNECTED, "");
}

/** Interactive virsh has no per-command exit status: a command failed when it printed `error:`. */
export function exitCodeOf(stderr: string): number {
  return /^error:/m.test(withoutReconnectNotice(stderr)) ? 1 : 0;
}
