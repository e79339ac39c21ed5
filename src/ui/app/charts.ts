// A time-series chart (uPlot, loaded on first use). Each chart element carries what it shows as data
// attributes (data-points, data-last) so tests and users of the accessibility tree can read the number.

import { h } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import type uPlotType from 'uplot';

type UPlotCtor = typeof uPlotType;
let loading: Promise<UPlotCtor> | undefined;
const loadUPlot = () => {
  if (!loading) {
    // uPlot's stylesheet too, on first use only: nothing chart-related blocks the first paint.
    const css = document.createElement('link');
    css.rel = 'stylesheet';
    css.href = '/ui/vendor/uplot.css';
    document.head.append(css);
    loading = import('uplot').then((m) => m.default);
  }
  return loading;
};

export interface ChartSeries {
  label: string;
  values: (number | undefined)[];
  color: string;
}

export interface ChartProps {
  id: string;
  title: string;
  unit: string;
  times: number[];
  series: ChartSeries[];
}

const fmt = (v: number | undefined) =>
  v === undefined ? '' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);

export function Chart(props: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlotType | undefined>(undefined);
  const hasData = props.series.some((s) => s.values.some((v) => v !== undefined));
  const first = props.series[0];
  const last = first ? [...first.values].reverse().find((v) => v !== undefined) : undefined;

  useEffect(() => {
    if (!hasData || !box.current) return;
    let cancelled = false;
    const data = [props.times, ...props.series.map((s) => s.values.map((v) => (v === undefined ? null : v)))];
    void loadUPlot().then((UPlot) => {
      if (cancelled || !box.current) return;
      if (plot.current) {
        plot.current.setData(data as uPlotType.AlignedData);
        return;
      }
      plot.current = new UPlot(
        {
          width: Math.max(280, box.current.clientWidth - 4),
          height: 150,
          legend: { show: true },
          scales: { x: { time: true } },
          axes: [{}, { size: 50, values: (_u, ticks) => ticks.map((t) => fmt(t)) }],
          series: [{}, ...props.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: true }))],
        },
        data as uPlotType.AlignedData,
        box.current,
      );
    });
    return () => {
      cancelled = true;
    };
  });
  useEffect(
    () => () => {
      plot.current?.destroy();
      plot.current = undefined;
    },
    [],
  );

  return h(
    'div',
    {
      class: 'card chart',
      id: props.id,
      'data-points': String(props.times.length),
      'data-last': last === undefined ? '' : String(last),
    },
    h(
      'h3',
      null,
      props.title,
      ' ',
      h('span', { class: 'muted' }, last === undefined ? '' : `${fmt(last)} ${props.unit}`),
    ),
    hasData ? h('div', { ref: box }) : h('div', { class: 'nodata' }, 'no data'),
  );
}
