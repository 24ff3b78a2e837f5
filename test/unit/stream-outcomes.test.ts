// The stream stage against every way a stream can end, as a property: random replies, random
// framing (LF or CRLF) and chunk splits, and an ending chosen at random — the upstream finishes,
// the buyer goes away after k chunks, or the provider breaks off after k chunks. Whatever happens:
// a buyer's disconnect is `cancelled`, billed for at most what was delivered and never held
// against the listing; a provider's break is `failed` and free; nothing costs more than its
// reservation; a finished stream reaches the buyer byte for byte except the model name.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PassThrough } from 'node:stream';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { InferenceRequest } from '../../gateway/inference/request';
import { parse } from '../../gateway/inference/parse';
import { respondStream } from '../../gateway/inference/respond/stream';
import { price } from '../../gateway/inference/meter';
import { DEFAULT_METERING } from '../../gateway/inference/metering';
import { countsAgainstListing } from '../../gateway/inference/failures';
import type { Candidate } from '../../gateway/inference/routing';
import type { UpstreamResponse } from '../../gateway/inference/upstream';

const candidate: Candidate = {
  listingId: 'l1',
  sellerId: 's1',
  provider: 'custom',
  baseUrl: 'http://127.0.0.1:1/v1',
  upstreamModel: 'up-model',
  sealedApiKey: '',
  sealContext: '',
  inputPriceMicrosPerMTok: 1_000_000,
  outputPriceMicrosPerMTok: 1_000_000,
  priceMicrosPerMChars: null,
  blendedPriceMicros: 2_000_000,
  caps: null,
};

/** What the buyer's side of the connection received. */
function fakeClient() {
  const written: string[] = [];
  const raw = {
    headersSent: false,
    writeHead() {
      this.headersSent = true;
      return this;
    },
    write(chunk: string | Buffer) {
      written.push(String(chunk));
      return true;
    },
    end(chunk?: string) {
      if (chunk) written.push(chunk);
    },
    destroy() {},
    socket: null,
  };
  return { raw: raw as never, text: () => written.join('') };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

const words = ['alpha', 'beta', 'gamma', 'delta', 'omega', 'kappa', 'sigma', 'theta'];
const ending = fc.oneof(
  fc.constant({ kind: 'end' as const, at: 0 }),
  fc.nat({ max: 40 }).map((at) => ({ kind: 'abort' as const, at })),
  fc.nat({ max: 40 }).map((at) => ({ kind: 'break' as const, at })),
);

describe('stream outcomes (property)', () => {
  it('classifies and bills every ending fairly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        fc.array(fc.nat({ max: 30 }), { maxLength: 5 }),
        ending,
        async (reply, crlf, splits, end) => {
          const nl = crlf ? '\r\n\r\n' : '\n\n';
          const deltas = reply.map((w) => ` ${w}`);
          const events = [
            ...deltas.map(
              (d) =>
                `data: {"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[{"index":0,"delta":{"content":${JSON.stringify(d)}}}]}${nl}`,
            ),
            `data: {"id":"c","object":"chat.completion.chunk","model":"up-model","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":${countTokens(deltas.join(''))}}}${nl}`,
            `data: [DONE]${nl}`,
          ];
          const request = new InferenceRequest(
            'req',
            'chat',
            {
              model: 'acme/chat',
              messages: [{ role: 'user', content: 'hi' }],
              max_tokens: 200,
              stream: true,
              stream_options: { include_usage: true },
            },
            new Date(0),
            '127.0.0.1',
          );
          parse(request);
          request.reservation = { id: 'r', counters: [], amountMicros: 10_000 };
          const body = new PassThrough();
          const first = Buffer.from(events[0]);
          request.served = {
            candidate,
            upstreamStartedAt: 0,
            response: { status: 200, headers: {}, first, ended: false, stream: body as never, firstByteAt: 0 } as UpstreamResponse,
          };
          const client = fakeClient();
          const done = respondStream(request, client.raw, DEFAULT_METERING, { idleTimeoutMs: 0, totalTimeoutMs: 0 });

          // The rest of the events, cut at random places, until the chosen ending.
          const rest = events.slice(1).join('');
          const pieces: string[] = [];
          let at = 0;
          for (const split of splits) {
            const next = Math.min(rest.length, at + 1 + split * 7);
            pieces.push(rest.slice(at, next));
            at = next;
          }
          pieces.push(rest.slice(at));
          const stopAfter = end.kind === 'end' ? Infinity : end.at;
          let sent = 0;
          for (const piece of pieces) {
            if (sent >= stopAfter) break;
            if (piece) body.write(piece);
            sent++;
            await turn();
          }
          if (end.kind === 'abort' && sent < pieces.length) request.abort.abort();
          else if (end.kind === 'break' && sent < pieces.length) body.destroy(new Error('reset'));
          else body.end();
          await done;

          const outcome = request.outcome!;
          const cost = price(request, DEFAULT_METERING);
          expect(cost).toBeLessThanOrEqual(request.reservation.amountMicros);
          const deliveredTokens = request.delivered.tokens();
          if (outcome.status === 'cancelled') {
            expect(outcome.failure).toBe('buyer-abort');
            expect(countsAgainstListing(outcome.failure!)).toBe(false);
            expect(outcome.billed!.outputTokens).toBeLessThanOrEqual(deliveredTokens);
            expect(deliveredTokens).toBeLessThanOrEqual(countTokens(deltas.join('')));
          } else if (outcome.status === 'failed') {
            expect(countsAgainstListing(outcome.failure!)).toBe(true);
            expect(cost).toBe(0);
            expect(client.text()).toContain('"code":"upstream_error"');
          } else {
            expect(outcome.billed!.outputTokens).toBe(countTokens(deltas.join('')));
            expect(outcome.billed!.flags).toEqual([]);
            // Byte for byte, except the model the buyer called and the billed usage chunk.
            const expected = events
              .filter((e) => !e.includes('"usage"'))
              .map((e) => e.replace('"model":"up-model"', '"model":"acme/chat"'))
              .join('');
            const received = client
              .text()
              .split(/(?<=\n\n|\r\n\r\n)/)
              .filter((e) => !e.includes('"usage"'))
              .join('');
            expect(received).toBe(expected);
            expect(client.text()).toMatch(/"usage":\{"prompt_tokens":9,"completion_tokens":\d+,"total_tokens":\d+,"cost_usd":/);
          }
        },
      ),
      { numRuns: 300, seed: 20261203 },
    );
  });
});
