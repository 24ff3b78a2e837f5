// Supply vocabulary shared by the market (what a listing declares) and the data plane (what a
// request may ask for), so the two can never disagree on a name.

/** OpenRouter's quantization names. */
export const QUANTIZATIONS = ['int4', 'int8', 'fp4', 'fp6', 'fp8', 'fp16', 'bf16', 'fp32', 'unknown'] as const;
