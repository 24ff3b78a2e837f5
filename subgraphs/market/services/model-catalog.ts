// Static presentation metadata for public models (what a catalog page shows beside live figures):
// a few well-known ids get their own text; every other model gets its capability's defaults.
import { Capability } from '../entities/Listing';

export interface ModelMetadata {
  name: string;
  tagline: string;
  featured: boolean;
  useCases: string[];
}

/** NaaP's pipeline names for each capability. */
export const PIPELINE_OF: Record<Capability, string> = {
  [Capability.CHAT]: 'llm',
  [Capability.EMBEDDINGS]: 'embeddings',
  [Capability.SPEECH]: 'text-to-speech',
};

const DEFAULTS: Record<Capability, Omit<ModelMetadata, 'name'>> = {
  [Capability.CHAT]: {
    tagline: 'Chat completions, streamed token by token',
    featured: false,
    useCases: ['chat', 'assistants', 'summarization'],
  },
  [Capability.EMBEDDINGS]: {
    tagline: 'Text embeddings for search and retrieval',
    featured: false,
    useCases: ['semantic search', 'retrieval', 'clustering'],
  },
  [Capability.SPEECH]: {
    tagline: 'Natural-sounding speech from text',
    featured: false,
    useCases: ['voice assistants', 'narration', 'accessibility'],
  },
};

const KNOWN: Record<string, Partial<ModelMetadata>> = {
  'dragonfly/sim-chat-large': {
    name: 'Dragonfly Simulated Chat Large',
    tagline: 'The simulator, verified: the canonical model anyone can list honestly',
    featured: true,
    useCases: ['chat', 'testing'],
  },
  'deepseek/deepseek-chat': {
    name: 'DeepSeek Chat',
    tagline: 'Strong general chat at a low price',
    featured: true,
    useCases: ['chat', 'coding', 'reasoning'],
  },
  'openai/gpt-4o-mini': { name: 'GPT-4o mini', tagline: 'Fast, inexpensive general chat', featured: true },
  'openai/text-embedding-3-small': { name: 'text-embedding-3-small', tagline: 'Compact, inexpensive embeddings' },
  'openai/tts-1': { name: 'TTS-1', tagline: 'Low-latency text to speech' },
  'meta-llama/llama-3.1-8b-instruct': { name: 'Llama 3.1 8B Instruct', tagline: 'Small open model for fast chat' },
  'mistralai/mistral-small': { name: 'Mistral Small', tagline: 'Efficient European chat model' },
};

export function modelMetadata(id: string, capability: Capability): ModelMetadata {
  const known = KNOWN[id] ?? {};
  return { name: known.name ?? displayName(id), ...DEFAULTS[capability], ...stripUndefined(known) } as ModelMetadata;
}

/** `acme/sim-chat-large` → `Sim Chat Large`. */
function displayName(id: string): string {
  const base = id.slice(id.indexOf('/') + 1);
  return base
    .split(/[-_]+/)
    .filter(Boolean)
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join(' ');
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
