/** A trend plot of one analyte over time, the normal band shaded (recharts). */
import { CartesianGrid, Line, LineChart, ReferenceArea, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Text } from '@mantine/core';
import { dateText } from '../api/fhir-format';
import { obsDate } from '../chart/chart.resource';
import type { LabSeries } from './lab-rows';
import { rangeText } from './lab-rows';

/** The trend chart for a series. */
export function LabTrend({ series }: { series: LabSeries }) {
  const points = [...series.results]
    .reverse()
    .map((o) => ({ t: new Date(obsDate(o) ?? '').getTime(), v: o.valueQuantity?.value }))
    .filter((p): p is { t: number; v: number } => Number.isFinite(p.t) && typeof p.v === 'number');
  const range = series.latest.referenceRange?.[0];
  const low = range?.low?.value;
  const high = range?.high?.value;
  const unit = series.latest.valueQuantity?.unit ?? '';
  const values = points.map((p) => p.v).concat([low, high].filter((x): x is number => x !== undefined));
  const min = Math.min(...values);
  const max = Math.max(...values);
  const pad = (max - min || 1) * 0.15;
  return (
    <figure className="lab-trend" aria-label={`Trend of ${series.name}`} data-testid="lab-trend" style={{ margin: 0 }}>
      <Text fw={600} size="sm">
        {series.name} ({unit}) — {points.length} results{range ? `, normal range ${rangeText(range)} shaded` : ''}
      </Text>
      <div style={{ width: '100%', height: 280 }}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 12, right: 24, bottom: 8, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" stroke="#dde2e7" />
            <XAxis dataKey="t" type="number" domain={['dataMin', 'dataMax']} scale="time" tickFormatter={(t: number) => new Date(t).toLocaleDateString(undefined, { month: 'short', year: 'numeric' })} minTickGap={24} stroke="#4a5561" />
            <YAxis domain={[Math.floor((min - pad) * 10) / 10, Math.ceil((max + pad) * 10) / 10]} stroke="#4a5561" width={56} />
            {(low !== undefined || high !== undefined) && (
              <ReferenceArea y1={low ?? min - pad} y2={high ?? max + pad} fill="#2f9e44" fillOpacity={0.13} stroke="#2f9e44" strokeOpacity={0.4} ifOverflow="extendDomain" />
            )}
            <Tooltip labelFormatter={(t) => dateText(new Date(Number(t)).toISOString())} formatter={(v) => [`${String(v)} ${unit}`, series.name]} />
            <Line type="monotone" dataKey="v" stroke="#0b6e63" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <figcaption>
        <Text size="xs" c="dimmed">
          From {dateText(obsDate(series.results[series.results.length - 1] ?? series.latest))} to {dateText(obsDate(series.latest))}.
        </Text>
      </figcaption>
    </figure>
  );
}
