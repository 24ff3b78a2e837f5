// Whole-stack fixtures. Embedded: the product's own startPlatform in this process (SQLite files,
// in-memory bus). Scaled: four subgraph processes and a gateway process on PostgreSQL and Redis,
// exactly as `npm run start:subgraph` / `npm run start:gateway` run them.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBus, type EventBus } from '../../subgraphs/common/bus';
import { SUBGRAPH_NAMES, type Config } from '../../subgraphs/common/config';
import { startPlatform, type Platform } from '../../gateway/platform';
import type { Clock } from '../../subgraphs/common/runtime';
import { testConfig, testLogFile, TEST_DATABASE_URL, TEST_REDIS_URL } from './config';
import { createTestDatabase } from './postgres';
import { expectLedgerBalanced } from './ledger';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestStack {
  mode: 'embedded' | 'scaled';
  url: string;
  /** Every gateway replica's URL (scaled stacks may run several). */
  gatewayUrls: string[];
  /** A bus connected to the same channels as the stack (to inject events). */
  bus: EventBus;
  config: Config;
  /** In-process platform (embedded only). */
  platform?: Platform;
  /** Each subgraph process's GraphQL URL (scaled only). */
  subgraphUrls?: Record<string, string>;
  /** The JSON log files the stack's processes write (one in embedded mode; one per process scaled). */
  logFiles: Record<string, string>;
  /** The spawned processes (scaled only): subgraphs by name, then `gateway-N`; `output()` is what each wrote to stderr (and stdout until ready). */
  processes?: { name: string; child: ChildProcess; output(): string }[];
  stop(): Promise<void>;
}

/** Additive options of a scaled stack: route the processes' PostgreSQL and/or Redis connections (e.g. through a TcpProxy). */
export interface ScaledStackOptions {
  /** Rewrites the DATABASE_URL the processes get (the test database is still created and dropped directly). */
  database?: { rewrite(url: string): string };
  /** Rewrites the BUS_URL the processes get (the stack's own `bus` connects directly). */
  bus?: { rewrite(url: string): string };
  /** Rewrites the BUS_URL of the gateway processes only (default: as `bus`), to cut them off alone. */
  gatewayBus?: { rewrite(url: string): string };
}

/**
 * `clock`: the platform's injected clock (e.g. one a test moves to the next rate-limit window);
 * `random`: the router's uniform source (a seeded one fixes the load balancer's draw).
 */
export async function startEmbeddedStack(
  overrides: Record<string, string | undefined> = {},
  options: { clock?: Clock; random?: () => number } = {},
): Promise<TestStack> {
  const config = testConfig(overrides);
  const platform = await startPlatform({ config, topology: 'embedded', clock: options.clock, random: options.random });
  const stack: TestStack = {
    mode: 'embedded',
    url: platform.gateway.url,
    gatewayUrls: [platform.gateway.url],
    bus: platform.bus,
    config: platform.config,
    platform,
    logFiles: { platform: config.env.LOG_FILE! },
    stop: async () => {
      // Every embedded stack's ledger is checked once its suite is done: every bucket equals the sum
      // of its postings, no spendable bucket below zero (an unreachable store is some suite's point).
      let broken: unknown = null;
      await expectLedgerBalanced(stack).catch((error: unknown) => {
        if ((error as Error)?.name === 'AssertionError') broken = error;
      });
      await platform.stop();
      if (broken) throw broken;
    },
  };
  return stack;
}

function spawnReady(
  args: string[],
  env: NodeJS.ProcessEnv,
  readyPattern: RegExp,
): Promise<{ child: ChildProcess; match: RegExpMatchArray; output(): string; logFile: string }> {
  const logFile = env.LOG_FILE ?? testLogFile(args[0] === 'subgraphs/main.ts' ? `scaled-${args[1]}` : 'scaled-gateway');
  const child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), ...args], {
    cwd: ROOT,
    env: { ...env, LOG_FILE: logFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out starting ${args.join(' ')}:\n${output}`)), 45_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = output.match(readyPattern);
      if (match) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.on('data', (more: Buffer) => (output += more.toString()));
        resolve({ child, match, output: () => output, logFile });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * The topology a suite written against the embedded stack runs on: TEST_TOPOLOGY=scaled runs it on
 * four subgraph processes and a gateway process (PostgreSQL, Redis), to check that scaled mode
 * answers what embedded mode answers. Suites that read an embedded stack's internals skip those
 * checks there.
 */
export const TEST_TOPOLOGY: 'embedded' | 'scaled' = process.env.TEST_TOPOLOGY === 'scaled' ? 'scaled' : 'embedded';

export function startTestStack(overrides: Record<string, string | undefined> = {}): Promise<TestStack> {
  return TEST_TOPOLOGY === 'scaled' ? startScaledStack(overrides) : startEmbeddedStack(overrides);
}

export async function startScaledStack(
  overrides: Record<string, string | undefined> = {},
  gateways = 1,
  options: ScaledStackOptions = {},
): Promise<TestStack> {
  if (!TEST_DATABASE_URL || !TEST_REDIS_URL) throw new Error('scaled stack needs TEST_DATABASE_URL and TEST_REDIS_URL');
  const database = await createTestDatabase(TEST_DATABASE_URL);
  const config = testConfig({ DATABASE_URL: database.url, BUS_URL: TEST_REDIS_URL, ...overrides });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATA_DIR: config.dataDir,
    DATABASE_URL: options.database ? options.database.rewrite(database.url) : database.url,
    BUS_URL: options.bus ? options.bus.rewrite(TEST_REDIS_URL) : TEST_REDIS_URL,
    BUS_NAMESPACE: config.busNamespace,
    PLATFORM_SECRET: config.platformSecret,
    SCRYPT_COST: String(config.scryptCost),
    HOST: '127.0.0.1',
    PORT: '0',
    NODE_ENV: 'test',
    ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
  };
  const children: ChildProcess[] = [];
  const bus = createBus(TEST_REDIS_URL, config.busNamespace);
  try {
    const subgraphs = await Promise.all(
      SUBGRAPH_NAMES.map((name) => spawnReady(['subgraphs/main.ts', name], env, new RegExp(`subgraph ${name} ready at (\\S+)`))),
    );
    children.push(...subgraphs.map((s) => s.child));
    const urls = Object.fromEntries(SUBGRAPH_NAMES.map((name, i) => [`${name.toUpperCase()}_URL`, subgraphs[i].match[1]]));
    const replicas = await Promise.all(
      Array.from({ length: gateways }, (_, i) =>
        spawnReady(
          ['gateway/main.ts', '--gateway-only'],
          {
            ...env,
            ...(options.gatewayBus ? { BUS_URL: options.gatewayBus.rewrite(TEST_REDIS_URL!) } : {}),
            ...urls,
            GATEWAY_NAME: `gateway-${i + 1}`,
          },
          /GraphQL\s+(\S+)\/graphql/,
        ),
      ),
    );
    children.push(...replicas.map((r) => r.child));
    await bus.ready();
    return {
      mode: 'scaled',
      url: replicas[0].match[1],
      gatewayUrls: replicas.map((r) => r.match[1]),
      bus,
      config,
      subgraphUrls: Object.fromEntries(SUBGRAPH_NAMES.map((name, i) => [name, subgraphs[i].match[1]])),
      logFiles: Object.fromEntries([
        ...SUBGRAPH_NAMES.map((name, i) => [name, subgraphs[i].logFile]),
        ...replicas.map((r, i) => [`gateway-${i + 1}`, r.logFile]),
      ]),
      processes: [
        ...SUBGRAPH_NAMES.map((name, i) => ({ name, child: subgraphs[i].child, output: subgraphs[i].output })),
        ...replicas.map((r, i) => ({ name: `gateway-${i + 1}`, child: r.child, output: r.output })),
      ],
      stop: async () => {
        await Promise.all(children.map(stopChild));
        await bus.close();
        await database.drop();
      },
    };
  } catch (error) {
    await Promise.all(children.map(stopChild));
    await bus.close();
    await database.drop();
    throw error;
  }
}
