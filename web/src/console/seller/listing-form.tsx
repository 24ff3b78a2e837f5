// The new-listing form: model, pool key, prices in USD per million tokens (sent as exact decimal
// strings), caps and the metadata the schema takes. Inputs are not second-guessed here: what the
// API refuses, it refuses in its own words, and the form shows those.
import { useState, type FormEvent } from 'react';
import {
  SupplyCreateListingDocument,
  type Capability,
  type CreateListingInput,
  type SupplyListingFragment,
  type SupplyPoolKeyFragment,
} from '../../../../schema/generated/graphql';
import { request } from '../../shared/graphql';
import { ErrorMessage, useAction } from '../../shared/ui';
import { formatMicros, parseUsdToMicros, usdField } from '../../shared/money';
import { Field } from '../../shared/parts';

/** The request parameters a chat listing may declare beyond a canonical model's (CreateListingInput.supportedParameters). */
export const PARAMETERS = [
  'tools',
  'tool_choice',
  'json_schema',
  'json_object',
  'vision',
  'logprobs',
  'reasoning',
  'stop',
  'seed',
] as const;
export const QUANTIZATIONS = ['int4', 'int8', 'fp4', 'fp6', 'fp8', 'fp16', 'bf16', 'fp32', 'unknown'] as const;

const EMPTY = {
  model: '',
  upstreamModel: '',
  inputPrice: '',
  outputPrice: '',
  perMChars: '',
  cacheReadPrice: '',
  priceFloor: '',
  rpm: '',
  tpm: '',
  maxConcurrency: '',
  dailyTokens: '',
  contextLength: '',
  maxOutputTokens: '',
  quantization: '',
  region: '',
  gpuModel: '',
  gpuCount: '',
};
type Fields = typeof EMPTY;

/** A number field (type="number" gives "" for anything else): undefined when empty; out-of-range values go to the API, which refuses them in its words. */
function intInput(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const value = Number(trimmed);
  return Number.isFinite(value) ? value : undefined;
}

/** A price field with the exact amount it will be read as, so "1.5" is seen as $1.50 before it is sent. */
function PriceField({
  label,
  name,
  value,
  onChange,
  unit = 'per 1M tokens',
}: {
  label: string;
  name: string;
  value: string;
  onChange: (value: string) => void;
  unit?: string;
}) {
  const micros = value.trim() ? parseUsdToMicros(value) : null;
  return (
    <Field label={label} hint={micros !== null ? `${formatMicros(micros)} ${unit}` : `USD ${unit}`} live>
      <input
        name={name}
        inputMode="decimal"
        autoComplete="off"
        placeholder="0.00"
        value={value}
        onChange={(event) => onChange(event.target.value)}
      />
    </Field>
  );
}

export function CreateListingForm({
  poolKeys,
  handle,
  onCreated,
}: {
  poolKeys: SupplyPoolKeyFragment[];
  handle: string | null | undefined;
  onCreated: (listing: SupplyListingFragment) => void;
}) {
  const [fields, setFields] = useState<Fields>(EMPTY);
  const [capability, setCapability] = useState<Capability>('CHAT');
  const [poolKeyId, setPoolKeyId] = useState(poolKeys[0]?.id ?? '');
  const [parameters, setParameters] = useState<string[]>([]);
  const [policy, setPolicy] = useState({ retainsPrompts: false, trainsOnPrompts: false, zeroRetention: false });
  const set = (name: keyof Fields) => (value: string) => setFields((previous) => ({ ...previous, [name]: value }));
  const text = (name: keyof Fields) => ({
    name,
    value: fields[name],
    onChange: (event: { target: { value: string } }) => set(name)(event.target.value),
  });

  const create = useAction(async () => {
    const input: CreateListingInput = { model: fields.model.trim(), capability };
    if (poolKeyId) input.poolKeyId = poolKeyId;
    if (fields.upstreamModel.trim()) input.upstreamModel = fields.upstreamModel.trim();
    if (capability === 'SPEECH') {
      input.pricePerMChars = usdField(fields.perMChars) ?? undefined;
    } else {
      input.inputPricePerMTok = usdField(fields.inputPrice) ?? undefined;
      input.outputPricePerMTok = usdField(fields.outputPrice) ?? undefined;
      input.contextLength = intInput(fields.contextLength);
    }
    if (capability === 'CHAT') {
      input.cacheReadPricePerMTok = usdField(fields.cacheReadPrice) ?? undefined;
      input.maxOutputTokens = intInput(fields.maxOutputTokens);
      if (parameters.length) input.supportedParameters = parameters;
    }
    input.priceFloor = usdField(fields.priceFloor) ?? undefined;
    const caps = {
      rpm: intInput(fields.rpm),
      tpm: intInput(fields.tpm),
      maxConcurrency: intInput(fields.maxConcurrency),
      dailyTokens: intInput(fields.dailyTokens),
    };
    if (Object.values(caps).some((value) => value !== undefined)) input.caps = caps;
    const hardware = { gpuModel: fields.gpuModel.trim() || undefined, gpuCount: intInput(fields.gpuCount) };
    if (hardware.gpuModel !== undefined || hardware.gpuCount !== undefined) input.hardware = hardware;
    if (fields.quantization) input.quantization = fields.quantization;
    if (fields.region.trim()) input.region = fields.region.trim();
    if (policy.retainsPrompts || policy.trainsOnPrompts || policy.zeroRetention) input.dataPolicy = policy;
    // Absent, not undefined: the API tells "not given" from "cleared".
    const sent = Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as CreateListingInput;
    const listing = (await request(SupplyCreateListingDocument, { input: sent })).createListing;
    setFields(EMPTY);
    setParameters([]);
    onCreated(listing);
    return listing;
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    void create.run();
  };

  return (
    <form className="seller-form" aria-label="New listing" onSubmit={onSubmit}>
      <Field label="Model id" hint="A registry id (verified) or one under your handle.">
        <input
          {...text('model')}
          autoComplete="off"
          spellCheck={false}
          placeholder={handle ? `${handle}/my-model` : 'your-handle/my-model'}
        />
      </Field>
      <Field label="Capability">
        <select name="capability" value={capability} onChange={(event) => setCapability(event.target.value as Capability)}>
          <option value="CHAT">Chat</option>
          <option value="EMBEDDINGS">Embeddings</option>
          <option value="SPEECH">Speech</option>
        </select>
      </Field>
      <Field label="Pool key">
        <select name="poolKeyId" value={poolKeyId} onChange={(event) => setPoolKeyId(event.target.value)}>
          {poolKeys.map((key) => (
            <option key={key.id} value={key.id}>
              {key.label ? `${key.label} · ` : ''}
              {key.provider} · {key.keyPreview}
            </option>
          ))}
          <option value="">None (save as a draft)</option>
        </select>
      </Field>
      <label>
        Upstream model (optional)
        <input {...text('upstreamModel')} autoComplete="off" spellCheck={false} placeholder="the provider's model name" />
      </label>
      {capability === 'SPEECH' ? (
        <PriceField
          label="Price per 1M characters"
          name="pricePerMChars"
          value={fields.perMChars}
          onChange={set('perMChars')}
          unit="per 1M characters"
        />
      ) : (
        <>
          <PriceField label="Input price per 1M tokens" name="inputPricePerMTok" value={fields.inputPrice} onChange={set('inputPrice')} />
          <PriceField
            label={capability === 'CHAT' ? 'Output price per 1M tokens' : 'Output price per 1M tokens (optional)'}
            name="outputPricePerMTok"
            value={fields.outputPrice}
            onChange={set('outputPrice')}
          />
        </>
      )}
      <details>
        <summary>Caps, limits and metadata</summary>
        <div className="seller-form" style={{ marginTop: 8 }}>
          <fieldset>
            <legend>Pricing</legend>
            {capability === 'CHAT' && (
              <PriceField
                label="Cached input price per 1M tokens"
                name="cacheReadPricePerMTok"
                value={fields.cacheReadPrice}
                onChange={set('cacheReadPrice')}
              />
            )}
            <PriceField
              label="Price floor (blended)"
              name="priceFloor"
              value={fields.priceFloor}
              onChange={set('priceFloor')}
              unit={capability === 'SPEECH' ? 'per 1M characters' : 'input + output per 1M tokens'}
            />
          </fieldset>
          <fieldset>
            <legend>Caps (empty: no limit)</legend>
            <label>
              Requests per minute
              <input {...text('rpm')} type="number" step={1} />
            </label>
            <label>
              Tokens per minute
              <input {...text('tpm')} type="number" step={1} />
            </label>
            <label>
              Concurrent requests
              <input {...text('maxConcurrency')} type="number" step={1} />
            </label>
            <label>
              Tokens per UTC day
              <input {...text('dailyTokens')} type="number" step={1} />
            </label>
          </fieldset>
          {capability !== 'SPEECH' && (
            <fieldset>
              <legend>Limits</legend>
              <label>
                Context length (tokens)
                <input {...text('contextLength')} type="number" step={1} />
              </label>
              {capability === 'CHAT' && (
                <label>
                  Max output tokens
                  <input {...text('maxOutputTokens')} type="number" step={1} />
                </label>
              )}
            </fieldset>
          )}
          {capability === 'CHAT' && (
            <fieldset>
              <legend>Supported parameters (declared ones are verified)</legend>
              {PARAMETERS.map((parameter) => (
                <label key={parameter} className="seller-check">
                  <input
                    type="checkbox"
                    name="supportedParameters"
                    value={parameter}
                    checked={parameters.includes(parameter)}
                    onChange={(event) =>
                      setParameters((previous) =>
                        event.target.checked ? [...previous, parameter] : previous.filter((value) => value !== parameter),
                      )
                    }
                  />
                  <code className="mono">{parameter}</code>
                </label>
              ))}
            </fieldset>
          )}
          <fieldset>
            <legend>Supply</legend>
            <Field label="Quantization">
              <select {...text('quantization')}>
                <option value="">Not declared</option>
                {QUANTIZATIONS.map((quantization) => (
                  <option key={quantization} value={quantization}>
                    {quantization}
                  </option>
                ))}
              </select>
            </Field>
            <label>
              Region
              <input {...text('region')} autoComplete="off" placeholder="us, eu-west" />
            </label>
            <label>
              GPU model
              <input {...text('gpuModel')} autoComplete="off" placeholder="H100 80GB" />
            </label>
            <label>
              GPU count
              <input {...text('gpuCount')} type="number" step={1} />
            </label>
          </fieldset>
          <fieldset>
            <legend>Data policy at the provider</legend>
            {(
              [
                ['retainsPrompts', 'Keeps prompts after answering'],
                ['trainsOnPrompts', 'Trains on prompts'],
                ['zeroRetention', 'Zero retention'],
              ] as const
            ).map(([name, label]) => (
              <label key={name} className="seller-check">
                <input
                  type="checkbox"
                  name={name}
                  checked={policy[name]}
                  onChange={(event) => setPolicy((previous) => ({ ...previous, [name]: event.target.checked }))}
                />
                {label}
              </label>
            ))}
          </fieldset>
        </div>
      </details>
      <div className="wide stack" style={{ gap: 8 }}>
        <ErrorMessage error={create.error} />
        <div>
          <button className="primary" type="submit" disabled={create.pending}>
            {create.pending ? 'Creating…' : 'Create listing'}
          </button>
        </div>
      </div>
    </form>
  );
}
