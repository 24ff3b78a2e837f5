// A small open-loop load generator with sub-millisecond timing (autocannon reports whole ms):
// requests leave at a fixed rate whatever the answers do, over keep-alive connections.
import http from 'node:http';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });

export interface Shot {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** A non-2xx answer: its status and how long it took (ms). */
export class ShotError extends Error {
  constructor(
    readonly status: number,
    readonly ms: number,
  ) {
    super(`status ${status}`);
  }
}

/** One request; resolves with its latency in ms (to the last byte) or rejects (a ShotError on a non-2xx). */
export function shoot(shot: Shot): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      shot.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(shot.body), ...shot.headers },
      },
      (response) => {
        response.resume();
        response.on('end', () =>
          (response.statusCode ?? 500) < 300
            ? resolve(performance.now() - started)
            : reject(new ShotError(response.statusCode ?? 500, performance.now() - started)),
        );
      },
    );
    request.on('error', reject);
    request.end(shot.body);
  });
}

/** Sends `rate` requests a second for `seconds`, returns the sorted latencies (ms) and errors. */
export async function fixedRate(
  shot: Shot,
  rate: number,
  seconds: number,
): Promise<{ latencies: number[]; errors: number; shed: number[] }> {
  const latencies: number[] = [];
  /** How long each 503 (load shed) took to arrive, ms. */
  const shed: number[] = [];
  let errors = 0;
  const total = rate * seconds;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      shoot(shot).then(
        (ms) => void latencies.push(ms),
        (error: unknown) => {
          errors++;
          if (error instanceof ShotError && error.status === 503) shed.push(error.ms);
        },
      ),
    );
  }
  await Promise.all(pending);
  return { latencies: latencies.sort((a, b) => a - b), errors, shed: shed.sort((a, b) => a - b) };
}

/** A streamed request: time to first body byte and the gaps between chunks (ms). */
export function stream(shot: Shot): Promise<{ ttft: number; total: number; chunks: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const request = http.request(
      shot.url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(shot.body), ...shot.headers },
      },
      (response) => {
        let first = 0;
        let chunks = 0;
        response.on('data', (chunk: Buffer) => {
          if (!first) first = performance.now();
          chunks += chunk.toString().split('\n\n').length - 1;
        });
        response.on('end', () => resolve({ ttft: first - started, total: performance.now() - started, chunks }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(shot.body);
  });
}

/** A child process started with tsx (or node), resolved once `ready` matches its output. */
export function spawnProcess(
  command: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  useTsx = true,
  nodeArgs: string[] = [],
): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  // `--import tsx` runs the code in this very process (the tsx CLI would add a wrapper process,
  // and its RSS is not the gateway's).
  const args = [...nodeArgs, ...(useTsx ? ['--import', 'tsx', ...command] : command)];
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`timed out starting ${command.join(' ')}: ${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        // From here on the output (the product's JSON request logs) is drained, not kept.
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve({ child, match });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${command.join(' ')} exited ${code}: ${output}`)));
  });
}

/** Resident memory of a process now (MiB), from /proc. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}
