// The data plane's refusal a stage throws (a test fails if it throws anything else, or nothing).
import { InferenceError } from '../../gateway/inference/openai-errors';

export function refusal(run: () => unknown): InferenceError {
  try {
    run();
  } catch (error) {
    if (error instanceof InferenceError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}
