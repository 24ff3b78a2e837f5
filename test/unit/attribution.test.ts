// Request attribution at the parse stage (end user, tags, metadata), the spend log's cursor and
// its CSV cells, on their own with hand-made requests.
import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { captureAttribution } from '../../gateway/inference/attribution';
import { parse } from '../../gateway/inference/parse';
import { InferenceRequest } from '../../gateway/inference/request';
import { csvCell } from '../../gateway/rest/dragonfly-spend-log';
import { decodeCursor, encodeCursor } from '../../subgraphs/billing/services/spend-log';
import { attributionTags } from '../../subgraphs/billing/services/usage';
import { isDomainError } from '../../subgraphs/common/errors';
import { refusal } from '../helpers/refusal';

const capture = (body: Record<string, unknown>, header?: string | string[]) => captureAttribution(body, header);

describe('attribution capture', () => {
  it('reads user, header and body tags (distinct, header first) and metadata as pairs', () => {
    expect(
      capture(
        { user: 'end-user-7', tags: ['team:search', 'prod', 'beta'], metadata: { order: '42', note: 'a, "quoted" note' } },
        ' prod , exp.1 ,,',
      ),
    ).toEqual({
      user: 'end-user-7',
      tags: ['prod', 'exp.1', 'team:search', 'beta'],
      metadata: [
        { key: 'order', value: '42' },
        { key: 'note', value: 'a, "quoted" note' },
      ],
    });
    // A repeated header reads as one list.
    expect(capture({}, ['a', 'b']).tags).toEqual(['a', 'b']);
    expect(capture({ user: '', tags: null, metadata: null })).toEqual({ user: null, tags: [], metadata: null });
    expect(capture({ metadata: {} }).metadata).toBeNull();
  });

  it('refuses a bad user as a 400 naming `user`', () => {
    for (const user of [7, { id: 'x' }, ['x'], 'u'.repeat(257), 'line\nbreak']) {
      expect(
        refusal(() => capture({ user })),
        JSON.stringify(user),
      ).toMatchObject({ status: 400, type: 'invalid_request_error', param: 'user' });
    }
    expect(capture({ user: 'u'.repeat(256) }).user).toHaveLength(256);
  });

  it('refuses bad tags: too many, too long, outside [A-Za-z0-9_.:-], not strings, or more than 10 distinct across header and body', () => {
    const ten = Array.from({ length: 10 }, (_, i) => `t${i}`);
    expect(capture({ tags: ten }).tags).toHaveLength(10);
    expect(refusal(() => capture({ tags: [...ten, 'x'] }))).toMatchObject({ status: 400, param: 'tags', code: 'invalid_tags' });
    expect(refusal(() => capture({}, [...ten, 'x'].join(',')))).toMatchObject({ status: 400, param: 'x-df-tags' });
    expect(refusal(() => capture({ tags: ten }, 'other'))).toMatchObject({ status: 400, param: 'tags' });
    // The same tag in header and body counts once.
    expect(capture({ tags: ten }, 't0,t1').tags).toHaveLength(10);
    expect(refusal(() => capture({ tags: ['x'.repeat(65)] }))).toMatchObject({ status: 400, param: 'tags[0]' });
    expect(refusal(() => capture({ tags: ['ok', "'; drop table usage_records; --"] }))).toMatchObject({ status: 400, param: 'tags[1]' });
    expect(refusal(() => capture({ tags: ['ok', 3] }))).toMatchObject({ status: 400, param: 'tags[1]' });
    expect(refusal(() => capture({ tags: 'a,b' }))).toMatchObject({ status: 400, param: 'tags' });
    expect(refusal(() => capture({}, 'has space'))).toMatchObject({ status: 400, param: 'x-df-tags' });
    expect(refusal(() => capture({}, '=cmd'))).toMatchObject({ status: 400, param: 'x-df-tags' });
  });

  it('refuses metadata that OpenAI would: not an object, over 16 keys, keys over 64, values over 512 or not strings', () => {
    const sixteen = Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`, 'v']));
    expect(capture({ metadata: sixteen }).metadata).toHaveLength(16);
    expect(refusal(() => capture({ metadata: { ...sixteen, k16: 'v' } }))).toMatchObject({
      status: 400,
      param: 'metadata',
      code: 'invalid_metadata',
    });
    expect(refusal(() => capture({ metadata: { ['k'.repeat(65)]: 'v' } }))).toMatchObject({ status: 400, param: 'metadata' });
    expect(refusal(() => capture({ metadata: { k: 'v'.repeat(513) } }))).toMatchObject({ status: 400, param: 'metadata.k' });
    expect(refusal(() => capture({ metadata: { k: 1 } }))).toMatchObject({ status: 400, param: 'metadata.k' });
    expect(refusal(() => capture({ metadata: { k: { nested: 'v' } } }))).toMatchObject({ status: 400, param: 'metadata.k' });
    expect(refusal(() => capture({ metadata: ['v'] }))).toMatchObject({ status: 400, param: 'metadata' });
    expect(refusal(() => capture({ metadata: 'v' }))).toMatchObject({ status: 400, param: 'metadata' });
  });

  it('the parse stage keeps tags, metadata and the end user from the upstream body and fills the request', () => {
    const request = new InferenceRequest(
      'req-1',
      'chat',
      { model: 'acme/chat', messages: [{ role: 'user', content: 'hi' }], user: 'u-1', tags: ['a'], metadata: { k: 'v' } },
      new Date(0),
      '127.0.0.1',
    );
    parse(request, { tagsHeader: 'h' });
    expect(request.attribution).toEqual({ user: 'u-1', tags: ['h', 'a'], metadata: [{ key: 'k', value: 'v' }] });
    const upstream = JSON.parse(request.upstreamJsonTail);
    expect(upstream).not.toHaveProperty('tags');
    expect(upstream).not.toHaveProperty('metadata');
    expect(upstream).not.toHaveProperty('user');
    // Embeddings carry attribution too.
    const embeddings = new InferenceRequest(
      'req-2',
      'embeddings',
      { model: 'acme/embed', input: 'x', tags: ['e'] },
      new Date(0),
      '127.0.0.1',
    );
    parse(embeddings);
    expect(embeddings.attribution.tags).toEqual(['e']);
    expect(JSON.parse(embeddings.upstreamJsonTail)).toEqual({ input: 'x' });
  });

  it('billing keeps only well-formed tags from a usage event (attribution never fails a batch)', () => {
    expect(attributionTags(['a', 'a', 'bad tag', 7, 'b'])).toEqual(['a', 'b']);
    expect(attributionTags('a')).toEqual([]);
    expect(attributionTags(Array.from({ length: 20 }, (_, i) => `t${i}`))).toHaveLength(10);
  });
});

describe('spend log cursor', () => {
  it('round-trips and refuses anything it did not make', () => {
    const at = new Date('2026-05-01T10:00:00.123Z');
    expect(decodeCursor(encodeCursor(at, 'req_abc'))).toEqual({ at, requestId: 'req_abc' });
    for (const bad of [
      '',
      'not a cursor',
      '%%%',
      Buffer.from("1' or 1=1 --").toString('base64url'),
      Buffer.from('12:').toString('base64url'),
      Buffer.from('x:req').toString('base64url'),
      'A'.repeat(500),
    ]) {
      let error: unknown = null;
      try {
        decodeCursor(bad);
      } catch (e) {
        error = e;
      }
      expect(isDomainError(error) && error.code === 'BAD_USER_INPUT' && error.details?.field === 'after', bad).toBe(true);
    }
  });
});

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks (RFC 4180)', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell(42)).toBe('42');
    expect(csvCell(null)).toBe('');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });

  it('defuses formulas: a cell starting with = + - @ tab or CR gets a leading quote', () => {
    expect(csvCell('=HYPERLINK("http://x","y")')).toBe(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('-2+3')).toBe("'-2+3");
    expect(csvCell('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvCell('\tx')).toBe("'\tx");
    expect(csvCell('\rx')).toBe(`"'\rx"`);
    expect(csvCell('a=b')).toBe('a=b');
  });
});
