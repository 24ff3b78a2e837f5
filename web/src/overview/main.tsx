// The public network overview at `/` (NaaP's Network Overview): KPI tiles and hourly charts,
// pipelines, orchestrators, GPU capacity, pricing, fees and the live job feed — all from the same
// Dashboard* GraphQL operations the /api/v1/dashboard routes send. One timeframe control (hours)
// drives `timeframe` on kpi, pipelines and gpuCapacity and `period` (`${hours}h`) on orchestrators.
import { useEffect, useId, useState } from 'react';
import {
  DashboardGpuCapacityDocument,
  DashboardKpiDocument,
  DashboardOrchestratorsDocument,
  DashboardPipelineCatalogDocument,
  DashboardPipelinesDocument,
  DashboardPricingDocument,
  DashboardProtocolDocument,
} from '../../../schema/generated/graphql';
import { request } from '../shared/graphql';
import { Layout } from '../shared/layout';
import { mount } from '../shared/mount';
import { Section, useLoad } from '../shared/ui';
import { FeesSection } from './fees';
import { DEFAULT_TIMEFRAME, isTimeframe, periodOf, TIMEFRAMES, windowText, type Timeframe } from './format';
import { JobFeedSection } from './jobs';
import { HourlyCharts, KpiTiles, ProtocolStrip } from './kpi';
import { Loaded } from './loaded';
import { CatalogTable, GpuCapacity, OrchestratorsTable, PipelinesTable, PricingTable } from './tables';
import './overview.css';

/** The overview shows every pipeline the network has (the document's overview uses 200). */
const PIPELINE_LIMIT = 200;

/** The timeframe lives in the address (?timeframe=6), so a shared link shows the same window. */
function useTimeframe(): [Timeframe, (next: Timeframe) => void] {
  const [timeframe, setTimeframe] = useState<Timeframe>(() => {
    const fromUrl = new URLSearchParams(location.search).get('timeframe');
    return isTimeframe(fromUrl) ? fromUrl : DEFAULT_TIMEFRAME;
  });
  useEffect(() => {
    const url = new URL(location.href);
    if (timeframe === DEFAULT_TIMEFRAME) url.searchParams.delete('timeframe');
    else url.searchParams.set('timeframe', timeframe);
    history.replaceState(null, '', url);
  }, [timeframe]);
  return [timeframe, setTimeframe];
}

function Overview() {
  const [timeframe, setTimeframe] = useTimeframe();
  const [refresh, setRefresh] = useState(0);
  const timeframeId = useId();

  const kpi = useLoad(() => request(DashboardKpiDocument, { timeframe }).then((data) => data.kpi), [timeframe, refresh]);
  const protocol = useLoad(() => request(DashboardProtocolDocument).then((data) => data.protocol), [refresh]);
  const pipelines = useLoad(
    () => request(DashboardPipelinesDocument, { timeframe, limit: PIPELINE_LIMIT }).then((data) => data.pipelines),
    [timeframe, refresh],
  );
  const catalog = useLoad(() => request(DashboardPipelineCatalogDocument).then((data) => data.pipelineCatalog), [refresh]);
  const orchestrators = useLoad(
    () => request(DashboardOrchestratorsDocument, { period: periodOf(timeframe) }).then((data) => data.orchestrators),
    [timeframe, refresh],
  );
  const gpu = useLoad(() => request(DashboardGpuCapacityDocument, { timeframe }).then((data) => data.gpuCapacity), [timeframe, refresh]);
  const pricing = useLoad(() => request(DashboardPricingDocument).then((data) => data.pricing), [refresh]);
  const span = windowText(timeframe);

  return (
    <div className="stack ov">
      <div className="ov-head">
        <div>
          <h1>Network overview</h1>
          <p className="muted ov-lede">What the Dragonfly inference network served over {span}: public figures, no sign-in needed.</p>
        </div>
        <div className="row ov-controls">
          <label htmlFor={timeframeId} className="ov-inline-label">
            <span>Timeframe</span>
            <select id={timeframeId} value={timeframe} onChange={(event) => setTimeframe(event.target.value as Timeframe)}>
              {TIMEFRAMES.map((option) => (
                <option key={option.hours} value={option.hours}>
                  {option.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => setRefresh((value) => value + 1)}>
            Refresh
          </button>
        </div>
      </div>

      <Loaded state={protocol} what="the protocol figures">
        {(data) => <ProtocolStrip protocol={data} />}
      </Loaded>

      <section aria-label="Key figures" className="stack">
        <Loaded state={kpi} what="the key figures">
          {(data) => (
            <>
              <KpiTiles kpi={data} timeframe={timeframe} />
              <HourlyCharts kpi={data} timeframe={timeframe} />
            </>
          )}
        </Loaded>
      </section>

      <JobFeedSection />

      <div className="grid two">
        <Section title="Pipelines">
          <Loaded state={pipelines} what="pipelines">
            {(data) => <PipelinesTable pipelines={data} timeframe={timeframe} />}
          </Loaded>
        </Section>
        <Section title="Pipeline catalog">
          <Loaded state={catalog} what="the catalog">
            {(data) => <CatalogTable catalog={data} />}
          </Loaded>
        </Section>
      </div>

      <Section title="Orchestrators">
        <p className="muted">Sellers' admitted listings with traffic in {span}, and what that traffic says about them.</p>
        <Loaded state={orchestrators} what="orchestrators">
          {(data) => <OrchestratorsTable orchestrators={data} timeframe={timeframe} />}
        </Loaded>
      </Section>

      <div className="grid two">
        <Section title="GPU capacity">
          <Loaded state={gpu} what="GPU capacity">
            {(data) => <GpuCapacity capacity={data} />}
          </Loaded>
        </Section>
        <Section title="Pricing">
          <Loaded state={pricing} what="prices">
            {(data) => <PricingTable pricing={data} />}
          </Loaded>
        </Section>
      </div>

      <FeesSection refresh={refresh} />
    </div>
  );
}

mount(
  <Layout current="/">
    <Overview />
  </Layout>,
);
