// POST /v1/audio/speech: audio whose duration follows the input's length, billed per character
// (reported in x-simulator-characters so that callers can check what they were charged for).
//
// response_format: "wav", "pcm" and the default give WAV; "mp3" gives MPEG audio. Formats the
// simulator cannot produce (opus, aac, flac) are rejected rather than faked.
import { silentMp3, toneWav } from './audio';
import { invalid } from './http';
import type { Reply } from './respond';

const MAX_INPUT_CHARACTERS = 4096;
// Roughly a natural speaking rate: about 15 characters a second at speed 1.
const SECONDS_PER_CHARACTER = 0.065;

type Body = Record<string, unknown>;

export function createSpeech(body: Body): Reply {
  for (const param of ['model', 'voice']) {
    if (typeof body[param] !== 'string' || body[param] === '') throw invalid(param, `'${param}' is required`);
  }
  const input = body.input;
  if (typeof input !== 'string' || input === '') throw invalid('input', "'input' is required");
  const characters = countCharacters(input);
  if (characters > MAX_INPUT_CHARACTERS) throw invalid('input', `'input' must be at most ${MAX_INPUT_CHARACTERS} characters`);
  const speed = body.speed ?? 1;
  if (typeof speed !== 'number' || !(speed >= 0.25 && speed <= 4)) throw invalid('speed', "'speed' must be a number from 0.25 to 4");

  const seconds = (characters * SECONDS_PER_CHARACTER) / speed;
  const headers = { 'x-simulator-characters': String(characters) };
  switch (body.response_format ?? 'wav') {
    case 'wav':
    case 'pcm':
      return { kind: 'bytes', contentType: 'audio/wav', data: toneWav(seconds), headers };
    case 'mp3':
      return { kind: 'bytes', contentType: 'audio/mpeg', data: silentMp3(seconds), headers };
    default:
      throw invalid('response_format', "'response_format' must be 'wav', 'pcm' or 'mp3' (the simulator produces no other format)");
  }
}

/** Characters as people count them (code points), not UTF-16 units: an emoji bills as one. */
function countCharacters(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
