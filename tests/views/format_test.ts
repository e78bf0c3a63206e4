/** Every formatter a person reads, table-tested at its boundaries. */
import { assertEquals } from "@std/assert";
import { formatBytes, formatDuration, formatPercent, formatRate } from "../../views/format.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

Deno.test("formatBytes: whole numbers keep their zeros, three significant digits, unit steps", () => {
  const table: [number | null | undefined, string][] = [
    [null, "—"],
    [undefined, "—"],
    [NaN, "—"],
    [Infinity, "—"],
    [0, "0 B"],
    [1, "1 B"],
    [10, "10 B"],
    [100, "100 B"],
    [1000, "1000 B"],
    [1023, "1023 B"],
    [1023.4, "1023 B"],
    [1023.6, "1 KiB"],
    [1024, "1 KiB"],
    [1536, "1.5 KiB"],
    [10 * KiB, "10 KiB"],
    [100 * KiB, "100 KiB"],
    [1000 * KiB, "1000 KiB"],
    [1023 * KiB, "1023 KiB"],
    [MiB - 1, "1 MiB"],
    [MiB, "1 MiB"],
    [1.25 * MiB, "1.25 MiB"],
    [9.999 * MiB, "10 MiB"],
    [10 * MiB, "10 MiB"],
    [10.5 * MiB, "10.5 MiB"],
    [99.96 * MiB, "100 MiB"],
    [100 * MiB, "100 MiB"],
    [300 * MiB, "300 MiB"],
    [512 * MiB, "512 MiB"],
    [1000 * MiB, "1000 MiB"],
    [1.5 * GiB, "1.5 GiB"],
    [20 * GiB, "20 GiB"],
    [TiB, "1 TiB"],
    [1024 * TiB, "1 PiB"],
    [2048 * 1024 * TiB, "2048 PiB"],
    [-100 * MiB, "-100 MiB"],
  ];
  for (const [input, want] of table) assertEquals(formatBytes(input), want, String(input));
});

Deno.test("formatRate: bytes per second, the same digits as formatBytes", () => {
  const table: [number | null, string][] = [
    [null, "—"],
    [0, "0 B/s"],
    [1, "1 B/s"],
    [1023, "1023 B/s"],
    [1024, "1 KiB/s"],
    [100 * MiB, "100 MiB/s"],
    [2 * MiB, "2 MiB/s"],
    [2.5 * MiB, "2.5 MiB/s"],
    [10 * MiB, "10 MiB/s"],
  ];
  for (const [input, want] of table) assertEquals(formatRate(input), want, String(input));
});

Deno.test("formatPercent: floored to 0.1 so nothing reads 100 % before it is done", () => {
  const table: [number | null, string][] = [
    [null, "—"],
    [0, "0.0 %"],
    [0.04, "0.0 %"],
    [0.3, "0.3 %"],
    [37.96, "37.9 %"],
    [50, "50.0 %"],
    [99.9, "99.9 %"],
    [99.95, "99.9 %"],
    [99.99, "99.9 %"],
    [100, "100 %"],
    [130, "100 %"],
    [-1, "0.0 %"],
  ];
  for (const [input, want] of table) assertEquals(formatPercent(input), want, String(input));
});

Deno.test("formatDuration: rounded to the unit shown, carried at 60 s and 60 min", () => {
  const table: [number | null, string][] = [
    [null, "—"],
    [-1, "—"],
    [NaN, "—"],
    [0, "0s"],
    [0.4, "0s"],
    [0.5, "1s"],
    [42, "42s"],
    [59.4, "59s"],
    [59.6, "1m 00s"],
    [60, "1m 00s"],
    [185, "3m 05s"],
    [3599.4, "59m 59s"],
    [3599.5, "1h 00m"],
    [3600, "1h 00m"],
    [3629, "1h 00m"],
    [3659, "1h 01m"],
    [3750, "1h 03m"],
    [7199.9, "2h 00m"],
    [90000, "25h 00m"],
  ];
  for (const [input, want] of table) assertEquals(formatDuration(input), want, String(input));
});
