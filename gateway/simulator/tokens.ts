// The simulator's tokenizer. Deliberately simple and deterministic rather than a real BPE: what
// matters is that every count the simulator reports is reproducible by callers with this function.
//
// A token is optional leading whitespace followed by either up to 4 letters/marks/digits or one
// other character, so "Simulated!" is ["Simu", "late", "d", "!"] and " hello" is [" hell", "o"].
// Whitespace with nothing after it is not a token.
//
// Property the chat replies rely on: joining the first N tokens of a text and tokenizing the result
// gives back exactly those N tokens, so a reply cut at any token boundary is counted honestly.
const TOKEN = /\s*(?:[\p{L}\p{M}\p{N}]{1,4}|[^\s\p{L}\p{M}\p{N}])/gu;

export function tokenize(text: string): string[] {
  return text.match(TOKEN) ?? [];
}

export function countTokens(text: string): number {
  return tokenize(text).length;
}
