// The overview's tables: pipelines, the pipeline catalog, orchestrators, GPU capacity, pricing.
import { Fragment } from 'react';
import type {
  DashboardGpuCapacityQuery,
  DashboardOrchestratorsQuery,
  DashboardPipelineCatalogQuery,
  DashboardPipelinesQuery,
  DashboardPricingQuery,
} from '../../../schema/generated/graphql';
import {
  formatCount,
  formatMinutes,
  formatNumber,
  formatPercent,
  formatPerMillion,
  formatRelative,
  windowText,
  type Timeframe,
} from './format';
import { Empty } from './loaded';

const PIPELINE_NAMES: Record<string, string> = { llm: 'LLM (chat)', embeddings: 'Embeddings', 'text-to-speech': 'Text to speech' };
export const pipelineName = (id: string) => PIPELINE_NAMES[id] ?? id;

function List({ items }: { items: string[] }) {
  if (!items.length) return <span className="muted">—</span>;
  return (
    <ul className="ov-inline-list">
      {items.map((item) => (
        <li key={item}>
          <code>{item}</code>
        </li>
      ))}
    </ul>
  );
}

export function PipelinesTable({ pipelines, timeframe }: { pipelines: DashboardPipelinesQuery['pipelines']; timeframe: Timeframe }) {
  if (!pipelines.length) return <Empty>No pipeline served a request in {windowText(timeframe)}.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid="pipelines-table">
        <caption className="sr-only">Usage per pipeline and model over {windowText(timeframe)}</caption>
        <thead>
          <tr>
            <th scope="col">Pipeline / model</th>
            <th scope="col" className="num">
              Minutes
            </th>
            <th scope="col" className="num">
              Sessions
            </th>
            <th scope="col" className="num">
              Avg output/s
            </th>
          </tr>
        </thead>
        <tbody>
          {pipelines.map((pipeline) => (
            <Fragment key={pipeline.name}>
              <tr className="ov-group-row">
                <th scope="row">{pipelineName(pipeline.name)}</th>
                <td className="num">{formatMinutes(pipeline.mins)}</td>
                <td className="num">{formatCount(pipeline.sessions)}</td>
                <td className="num">{formatNumber(pipeline.avgFps, 1)}</td>
              </tr>
              {(pipeline.modelMins ?? []).map((model) => (
                <tr key={`${pipeline.name}/${model.model}`} className="ov-sub-row">
                  <th scope="row">
                    <code>{model.model}</code>
                  </th>
                  <td className="num">{formatMinutes(model.mins)}</td>
                  <td className="num">{formatCount(model.sessions)}</td>
                  <td className="num">{formatNumber(model.avgFps, 1)}</td>
                </tr>
              ))}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function CatalogTable({ catalog }: { catalog: DashboardPipelineCatalogQuery['pipelineCatalog'] }) {
  if (!catalog.length) return <Empty>No pipelines yet.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid="catalog-table">
        <caption className="sr-only">Pipelines on offer, with their models and regions</caption>
        <thead>
          <tr>
            <th scope="col">Pipeline</th>
            <th scope="col">Models</th>
            <th scope="col">Regions</th>
          </tr>
        </thead>
        <tbody>
          {catalog.map((entry) => (
            <tr key={entry.id}>
              <th scope="row">
                {entry.name} <span className="muted mono">{entry.id}</span>
              </th>
              <td className="ov-wrap">
                {entry.models.length ? <List items={entry.models} /> : <span className="muted">None served in the last 30 days</span>}
              </td>
              <td className="ov-wrap">
                <List items={entry.regions} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** A 0–100 figure with its colour: good from 90, poor below 70. */
function Score({ value, suffix = '' }: { value: number | null; suffix?: string }) {
  if (value === null) return <span className="muted">—</span>;
  const tone = value >= 90 ? 'good' : value < 70 ? 'bad' : '';
  return <span className={tone}>{`${formatNumber(value, 1)}${suffix}`}</span>;
}

export function OrchestratorsTable({
  orchestrators,
  timeframe,
}: {
  orchestrators: DashboardOrchestratorsQuery['orchestrators'];
  timeframe: Timeframe;
}) {
  if (!orchestrators.length) return <Empty>No orchestrator served a request in {windowText(timeframe)}.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid="orchestrators-table">
        <caption className="sr-only">Orchestrators with traffic over {windowText(timeframe)}, with their reputation</caption>
        <thead>
          <tr>
            <th scope="col">Orchestrator</th>
            <th scope="col">Pipelines and models</th>
            <th scope="col" className="num">
              Sessions
            </th>
            <th scope="col" className="num">
              Succeeded
            </th>
            <th scope="col" className="num">
              <abbr title="Completed sessions / sessions">Success</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title="Success rate with failovers counted against the listing">Effective</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title="Requests sent here first that stayed here (no failover)">No-swap</abbr>
            </th>
            <th scope="col" className="num">
              <abbr title="Success rate × latency over the last 60 minutes, 0–100 (from 5 requests)">SLA score</abbr>
            </th>
            <th scope="col" className="num">
              GPUs
            </th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {orchestrators.map((row) => (
            <tr key={row.address}>
              <th scope="row">
                <code className="ov-address" title={row.uris.join(', ')}>
                  {row.address}
                </code>
              </th>
              <td className="ov-wrap">
                {row.pipelineModels.length ? (
                  <ul className="ov-inline-list">
                    {row.pipelineModels.map((offer) => (
                      <li key={offer.pipelineId}>
                        <span className="badge">{pipelineName(offer.pipelineId)}</span>{' '}
                        {offer.modelIds.map((model) => (
                          <code key={model}>{model}</code>
                        ))}
                      </li>
                    ))}
                  </ul>
                ) : (
                  <List items={row.pipelines} />
                )}
              </td>
              <td className="num">{formatCount(row.knownSessions)}</td>
              <td className="num">{formatCount(row.successSessions)}</td>
              <td className="num">
                <Score value={row.successRatio} suffix="%" />
              </td>
              <td className="num">
                <Score value={row.effectiveSuccessRate} suffix="%" />
              </td>
              <td className="num">
                <Score value={row.noSwapRatio} suffix="%" />
              </td>
              <td className="num">
                <Score value={row.slaScore} />
              </td>
              <td className="num">{row.gpuCount ? formatCount(row.gpuCount) : <span className="muted">—</span>}</td>
              <td>{row.lastSeen ? <time dateTime={row.lastSeen}>{formatRelative(row.lastSeen)}</time> : '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function GpuCapacity({ capacity }: { capacity: DashboardGpuCapacityQuery['gpuCapacity'] }) {
  return (
    <div className="stack">
      <dl className="ov-figures">
        <div>
          <dt>Declared GPUs</dt>
          <dd>{formatCount(capacity.totalGPUs)}</dd>
        </div>
        <div>
          <dt>Busy in window</dt>
          <dd>{formatCount(capacity.activeGPUs)}</dd>
        </div>
        <div>
          <dt>Available</dt>
          <dd>{formatPercent(capacity.availableCapacity)}</dd>
        </div>
      </dl>
      {capacity.totalGPUs === 0 ? (
        <Empty>
          No admitted listing declares GPUs. Sellers declare their hardware (GPU model and count) on a listing; hosted-API supply has none.
        </Empty>
      ) : (
        <div className="grid two">
          <div className="table-wrap">
            <table data-testid="gpu-models-table">
              <caption>GPUs per model</caption>
              <thead>
                <tr>
                  <th scope="col">GPU</th>
                  <th scope="col" className="num">
                    Count
                  </th>
                </tr>
              </thead>
              <tbody>
                {capacity.models.map((model) => (
                  <tr key={model.model}>
                    <th scope="row">{model.model}</th>
                    <td className="num">{formatCount(model.count)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="table-wrap">
            <table>
              <caption>GPUs per pipeline</caption>
              <thead>
                <tr>
                  <th scope="col">Pipeline / model</th>
                  <th scope="col" className="num">
                    GPUs
                  </th>
                </tr>
              </thead>
              <tbody>
                {capacity.pipelineGPUs.map((pipeline) => (
                  <Fragment key={pipeline.name}>
                    <tr className="ov-group-row">
                      <th scope="row">{pipelineName(pipeline.name)}</th>
                      <td className="num">{formatCount(pipeline.gpus)}</td>
                    </tr>
                    {(pipeline.models ?? []).map((model) => (
                      <tr key={model.model} className="ov-sub-row">
                        <th scope="row">
                          <code>{model.model}</code>
                        </th>
                        <td className="num">{formatCount(model.gpus)}</td>
                      </tr>
                    ))}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </div>
  );
}

const UNIT_PLURAL: Record<string, string> = { token: 'tokens', character: 'characters' };

export function PricingTable({ pricing }: { pricing: DashboardPricingQuery['pricing'] }) {
  if (!pricing.length) return <Empty>No prices yet: a model's price shows here once it has served requests in the last 7 days.</Empty>;
  return (
    <div className="table-wrap">
      <table data-testid="pricing-table">
        <caption className="sr-only">Prices per pipeline and model, highest first</caption>
        <thead>
          <tr>
            <th scope="col">Pipeline / model</th>
            <th scope="col" className="num">
              Per 1M units
            </th>
            <th scope="col" className="num">
              Wei per unit
            </th>
            <th scope="col">A dollar buys</th>
            <th scope="col" className="num">
              <abbr title="Listings that served it in the window">Capacity</abbr>
            </th>
          </tr>
        </thead>
        <tbody>
          {pricing.map((row) => (
            <tr key={`${row.pipeline}/${row.model ?? ''}`}>
              <th scope="row">
                {pipelineName(row.pipeline)}
                {row.model && <code className="ov-block">{row.model}</code>}
              </th>
              <td className="num">
                {formatPerMillion(row.price)} <span className="muted ov-block">per 1M {UNIT_PLURAL[row.unit] ?? row.unit}</span>
              </td>
              <td className="num mono">{row.avgWeiPerUnit ?? '—'}</td>
              <td>{row.outputPerDollar}</td>
              <td className="num">{row.capacity === null ? '—' : formatCount(row.capacity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
