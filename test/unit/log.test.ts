// The logger's redaction and request scope: what a log line may and may not contain.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger, scrub } from '../../subgraphs/common/log';
import { scanLogs } from '../setup/log-scan';

const BUYER_KEY = 'sk-df-' + 'Ab3dEf'.repeat(7) + 'x';
const MANAGEMENT_KEY = 'mk-' + 'Zy9xWv'.repeat(7) + 'q';
const PROVIDER_KEY = 'sk-proj-' + 'a1B2c3'.repeat(6);
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhY2NfMTIzIn0.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWc';

async function logLines(write: (log: ReturnType<typeof createLogger>['log']) => void, env: Record<string, string> = {}) {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'df-log-')), 'test.log');
  const handle = createLogger({ LOG_FILE: file, ...env }, 'unit');
  write(handle.log);
  await handle.close();
  return {
    file,
    lines: readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line)),
  };
}

describe('scrub', () => {
  it.each([
    [`key ${BUYER_KEY} rejected`, 'key sk-df-[REDACTED] rejected'],
    [`key ${MANAGEMENT_KEY}`, 'key mk-[REDACTED]'],
    [`upstream said: invalid ${PROVIDER_KEY}`, 'upstream said: invalid sk-[REDACTED]'],
    [`authorization: Bearer ${JWT}`, 'authorization: Bearer [REDACTED]'],
    [`token ${JWT} expired`, 'token [REDACTED] expired'],
    [
      '/api/v1/auth/providers/x/callback?code=abc123&state=s1&ok=1',
      '/api/v1/auth/providers/x/callback?code=[REDACTED]&state=[REDACTED]&ok=1',
    ],
    ['/api/v1/dashboard/kpi?timeframe=24&api_key=whatever', '/api/v1/dashboard/kpi?timeframe=24&api_key=[REDACTED]'],
  ])('%s', (input, expected) => {
    expect(scrub(input)).toBe(expected);
  });

  it('leaves masked previews and ordinary text alone', () => {
    for (const text of ['sk-df-Ab3d…x9Qz', 'mk-A1b2…x9Qz', 'GET /api/keys 200', 'model sim-chat', 'req_0bbce7e0e1a84e30b35cbbec40d35240'])
      expect(scrub(text)).toBe(text);
  });
});

describe('createLogger', () => {
  it('redacts secret fields by name and credential-shaped values anywhere, in messages and errors too', async () => {
    const { file, lines } = await logLines((log) => {
      log.info(
        {
          headers: { authorization: `Bearer ${BUYER_KEY}`, 'x-df-principal': JWT },
          body: { password: 'hunter2-hunter2', nested: { apiKey: PROVIDER_KEY } },
          url: `/x?token=${MANAGEMENT_KEY}`,
        },
        'called with %s',
        BUYER_KEY,
      );
      log.error({ err: new Error(`upstream refused ${PROVIDER_KEY}`) }, 'failed');
    });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 30,
      service: 'unit',
      msg: 'called with sk-df-[REDACTED]',
      headers: { authorization: '[REDACTED]', 'x-df-principal': '[REDACTED]' },
      body: { password: '[REDACTED]', nested: { apiKey: '[REDACTED]' } },
      url: '/x?token=[REDACTED]',
    });
    expect(lines[1]).toMatchObject({ level: 50, msg: 'failed', err: { type: 'Error', message: 'upstream refused sk-[REDACTED]' } });
    expect(lines[1].err.stack).toContain('upstream refused sk-[REDACTED]');
    const text = readFileSync(file, 'utf8');
    for (const secret of [BUYER_KEY, MANAGEMENT_KEY, PROVIDER_KEY, JWT, 'hunter2-hunter2']) expect(text).not.toContain(secret);
    expect(scanLogs(path.dirname(file)).hits).toEqual([]);
  });

  it('honours LOG_LEVEL and refuses an unknown one', async () => {
    const { lines } = await logLines(
      (log) => {
        log.info('dropped');
        log.warn('kept');
      },
      { LOG_LEVEL: 'warn' },
    );
    expect(lines.map((line) => line.msg)).toEqual(['kept']);
    expect(() => createLogger({ LOG_LEVEL: 'loud' }, 'unit')).toThrow(/LOG_LEVEL/);
  });
});

describe('the suite-wide log scan', () => {
  it('finds a raw key that reached a log file', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'df-log-'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'leaky.log'), `{"msg":"ok"}\n{"msg":"key ${BUYER_KEY}"}\n{"auth":"Bearer ${JWT}"}\n`);
    const result = scanLogs(dir);
    expect(result.lines).toBe(3);
    expect(result.hits.map((hit) => [hit.line, hit.kind])).toEqual(
      expect.arrayContaining([
        [2, 'buyer key'],
        [3, 'JWT'],
        [3, 'bearer credential'],
      ]),
    );
  });
});
