// Reply text whose o200k count is known by construction: a short lead, then words that are each one
// token with their leading space. o200k splits text before every " word", so those tokens never
// merge across words, and any prefix of the reply cut at a token boundary encodes to exactly its
// number of tokens (the chat replies' honesty rests on this; the unit tests check it).
import { fnv1a, mulberry32 } from './seeded';
import { countTokens, tokenPieces } from './tokens';

const QUOTED_WORDS = 6;

// Common English words, each a single o200k token after a space.
const WORDS = [
  'the',
  'quick',
  'brown',
  'fox',
  'jumps',
  'over',
  'lazy',
  'dog',
  'while',
  'simulator',
  'keeps',
  'talking',
  'one',
  'token',
  'at',
  'a',
  'time',
  'and',
  'every',
  'word',
  'counts',
  'exactly',
  'as',
  'sent',
  'model',
  'stream',
  'reply',
  'answer',
  'small',
  'large',
  'river',
  'mountain',
  'city',
  'light',
  'night',
  'morning',
  'water',
  'paper',
  'story',
  'music',
  'house',
  'garden',
  'window',
  'market',
  'number',
  'question',
  'idea',
  'world',
  'people',
  'friend',
  'family',
  'school',
  'work',
  'place',
  'home',
  'book',
  'road',
  'tree',
  'sea',
  'sound',
  'green',
  'blue',
  'bright',
  'quiet',
].map((word) => ` ${word}`);

/**
 * The first `length` tokens of "Simulated reply to: <the prompt's first six words>" followed by
 * pool words drawn by a generator seeded by the prompt and the choice index: deterministic, and
 * different for each choice of one request. Of those words only the letters are quoted, and only
 * of words that are one token after a space, so the guarantee above holds for them too.
 */
export function replyTokens(prompt: string, length: number, choice = 0): string[] {
  const words = prompt
    .trimStart()
    .split(/\s+/, QUOTED_WORDS)
    .map((word) => word.replace(/[^A-Za-z]/g, ''))
    .filter((word) => word !== '' && countTokens(` ${word}`) === 1);
  const lead = tokenPieces(words.length > 0 ? `Simulated reply to: ${words.join(' ')}` : 'Simulated reply.');
  const tokens = lead.length > length ? lead.slice(0, length) : lead;
  const next = mulberry32(fnv1a(prompt, fnv1a([choice])));
  while (tokens.length < length) tokens.push(WORDS[Math.floor(next() * WORDS.length)]);
  return tokens;
}
