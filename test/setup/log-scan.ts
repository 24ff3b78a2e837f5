// Vitest global setup: every test stack writes its JSON logs into one directory for this run
// (TEST_LOG_DIR); after the whole suite, every line is scanned for raw credentials of any kind.
// A hit fails the run. The patterns are the test's own, not the logger's scrubber, so a shape
// the scrubber misses is still caught.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RAW_CREDENTIALS: [string, RegExp][] = [
  ['buyer key', /sk-df-[A-Za-z0-9_-]{20,}/],
  ['management key', /\bmk-[A-Za-z0-9_-]{20,}/],
  ['provider key', /\bsk-(?!df-)[A-Za-z0-9_-]{8,}/],
  ['JWT', /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ['signed principal header', /eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{40,}/],
  ['bearer credential', /\bBearer\s+(?!\[REDACTED\])[^\s"\\]+/i],
  ['test password', /password-123/],
];

export interface LogScanResult {
  files: number;
  lines: number;
  hits: { file: string; line: number; kind: string }[];
}

export function scanLogs(dir: string): LogScanResult {
  const result: LogScanResult = { files: 0, lines: 0, hits: [] };
  for (const name of readdirSync(dir).filter((file) => file.endsWith('.log'))) {
    result.files += 1;
    const lines = readFileSync(path.join(dir, name), 'utf8').split('\n');
    lines.forEach((line, index) => {
      if (!line) return;
      result.lines += 1;
      for (const [kind, pattern] of RAW_CREDENTIALS) if (pattern.test(line)) result.hits.push({ file: name, line: index + 1, kind });
    });
  }
  return result;
}

export default function setup(): () => void {
  const given = process.env.TEST_LOG_DIR;
  const dir = given ?? mkdtempSync(path.join(tmpdir(), 'df-test-logs-'));
  process.env.TEST_LOG_DIR = dir;
  return () => {
    const result = scanLogs(dir);
    if (result.hits.length > 0) {
      const sample = result.hits
        .slice(0, 10)
        .map((hit) => `  ${hit.kind} in ${hit.file}:${hit.line}`)
        .join('\n');
      console.error(`log scan FAILED: ${result.hits.length} raw credential(s) in the logs (kept in ${dir}):\n${sample}`);
      // Vitest reports a throwing teardown but still exits 0; the run must fail.
      process.exitCode = 1;
      return;
    }
    console.log(`log scan: ${result.files} log files, ${result.lines} lines, no raw key of any kind`);
    if (!given && !process.env.KEEP_TEST_LOGS) rmSync(dir, { recursive: true, force: true });
  };
}
