// The simulator's tokenizer: o200k_base (gpt-tokenizer), the encoding the gateway meters with, so
// that an honest simulator's counts are exactly what a caller re-counting the delivered text gets.
import { encode as encodeCl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { decodeGenerator, encode } from 'gpt-tokenizer/encoding/o200k_base';

// Text that spells a special token (e.g. "<|endoftext|>") is counted as ordinary text, as chat
// content is, instead of throwing.
const ORDINARY = { disallowedSpecial: new Set<string>() };

export function encodeText(text: string): number[] {
  return encode(text, ORDINARY);
}

export function countTokens(text: string): number {
  return encodeText(text).length;
}

/** A count by another model's tokenizer: only the lying `tokenizer` fault uses it. */
export function countCl100kTokens(text: string): number {
  return encodeCl100k(text, ORDINARY).length;
}

/**
 * The text cut at token boundaries, one piece per token, except that a token ending inside a
 * multi-byte character is joined with the next ones until the character is whole: the pieces are
 * what a stream sends, each valid text, and they join back to the text.
 */
export function tokenPieces(text: string): string[] {
  return [...decodeGenerator(encodeText(text))];
}
