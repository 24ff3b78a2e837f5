// What the simulated model `sim-chat` (listed on the market as the canonical `dragonfly/sim-chat`)
// really can do, deterministically: small arithmetic and exact repetition. The market's registry
// takes its known-answer prompts from these abilities, so an honest simulator listing passes them;
// any other model id gets the ordinary simulated reply, so the simulator cannot pass as another model.
const SIMULATED_MODELS = new Set(['sim-chat', 'sim-chat-large', 'dragonfly/sim-chat']);

const ARITHMETIC = /^\s*What is (-?\d{1,9}) ([+*-]) (-?\d{1,9})\?/;
const REPEAT = /^\s*Repeat exactly:\s?([\s\S]{1,500})$/;

/** The reply the simulated model gives to a prompt it knows how to answer; null otherwise. */
export function knownAnswer(model: string, prompt: string): string | null {
  if (!SIMULATED_MODELS.has(model)) return null;
  const sum = ARITHMETIC.exec(prompt);
  if (sum) {
    const [a, b] = [BigInt(sum[1]), BigInt(sum[3])];
    return String(sum[2] === '+' ? a + b : sum[2] === '-' ? a - b : a * b);
  }
  const repeat = REPEAT.exec(prompt);
  return repeat ? repeat[1] : null;
}
