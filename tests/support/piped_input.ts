/**
 * Runs a real command with text on its stdin (a password typed at a prompt), for the CLI tests.
 *
 * @module
 */

/**
 * Runs `binary` with `options`, writes `input` to its stdin and closes it, and returns its exit
 * code with stdout and stderr decoded.
 */
export async function outputWithInput(
  binary: string | URL,
  options: Omit<Deno.CommandOptions, "stdin" | "stdout" | "stderr">,
  input: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const child = new Deno.Command(binary, {
    ...options,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}
