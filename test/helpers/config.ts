import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { loadConfig, type Config } from '../../subgraphs/common/config';

// Processes a test spawns (scaled stacks' subgraphs and gateways) inherit this process's
// environment: they call loopback upstreams too. A stack can still turn the rule on with
// OUTBOUND_ALLOW_PRIVATE: 'false' in its overrides.
process.env.OUTBOUND_ALLOW_PRIVATE ??= 'true';

let logFiles = 0;
/** A log file for one test process, in the run's log directory (scanned after the suite; see test/setup/log-scan.ts). */
export function testLogFile(label: string): string {
  const dir = process.env.TEST_LOG_DIR ?? tmpdir();
  return path.join(dir, `${label}-${process.pid}-${++logFiles}-${randomBytes(3).toString('hex')}.log`);
}

/** A config for one test stack: its own data dir, a random port, a cheap password hash, its own log file. */
export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'df-test-'));
  return loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    SCRYPT_COST: '1024',
    PLATFORM_SECRET: randomBytes(32).toString('hex'),
    BUS_NAMESPACE: `t${randomBytes(6).toString('hex')}`,
    NODE_ENV: 'test',
    // The stacks' upstreams (simulators, fault servers) listen on loopback: allowed here explicitly.
    OUTBOUND_ALLOW_PRIVATE: 'true',
    // Shedding by event-loop delay is off: on 2 cores shared with the test runner the delay is the
    // runner's, not the product's (the shedding test turns it on; the in-flight cap stays).
    DATA_PLANE_SHED_EVENT_LOOP_DELAY_MS: '0',
    // Under vitest: the run's log directory (scanned after the suite); otherwise (benchmarks) the stack's own data dir.
    LOG_FILE: process.env.TEST_LOG_DIR ? testLogFile('stack') : path.join(dataDir, 'platform.log'),
    ...overrides,
  });
}

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL;
export const HAVE_SCALED_SERVICES = Boolean(TEST_DATABASE_URL && TEST_REDIS_URL);

export function logSkip(what: string): void {
  if (!HAVE_SCALED_SERVICES) {
    console.warn(`SKIPPED: ${what} (set TEST_DATABASE_URL and TEST_REDIS_URL to run it against PostgreSQL and Redis)`);
  }
}
