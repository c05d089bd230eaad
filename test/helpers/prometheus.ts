/**
 * Reads Prometheus text with an independent parser (parse-prometheus-text-format, prom2json's
 * shape), so tests check what a scraper sees rather than what Kestrel meant to print.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

type ParsedSample = ReturnType<typeof parsePrometheusTextFormat>[number]['metrics'][number];

export interface MetricFamily {
  readonly type: string;
  readonly samples: ReadonlyArray<{
    readonly labels: Readonly<Record<string, string>>;
    readonly value: number;
    readonly quantiles?: Readonly<Record<string, number>>;
    readonly count?: number;
    readonly sum?: number;
  }>;
}

/**
 * Parses an exposition into families by name. The parser keeps one sample per summary (it drops
 * the labels of labeled summaries), so summaries are read a second time as untyped lines, which
 * it returns sample by sample with their labels.
 * @throws Error when the text is not valid Prometheus text
 */
export function parsePrometheus(text: string): Map<string, MetricFamily> {
  const typed = parsePrometheusTextFormat(text);
  // A name met again (the next labeled series of a summary) continues its family
  const untyped = new Map<string, ParsedSample[]>();
  for (const f of parsePrometheusTextFormat(text.replace(/^(# TYPE \S+) summary$/gm, '$1 untyped')))
    untyped.set(f.name, [...(untyped.get(f.name) ?? []), ...f.metrics]);
  const families = new Map<string, MetricFamily>();
  for (const family of typed) {
    if (family.type !== 'SUMMARY') {
      families.set(family.name, {
        type: family.type,
        samples: family.metrics.map((m) => ({ labels: m.labels ?? {}, value: Number(m.value) })),
      });
      continue;
    }
    const key = (labels: Readonly<Record<string, string>>) =>
      JSON.stringify(Object.entries(labels).sort());
    const series = new Map<
      string,
      {
        labels: Record<string, string>;
        quantiles: Record<string, number>;
        count: number;
        sum: number;
      }
    >();
    const seriesOf = (labels: Readonly<Record<string, string>>) => {
      const { quantile: _, ...rest } = labels;
      let entry = series.get(key(rest));
      if (entry === undefined) {
        entry = { labels: rest, quantiles: {}, count: Number.NaN, sum: Number.NaN };
        series.set(key(rest), entry);
      }
      return entry;
    };
    for (const m of untyped.get(family.name) ?? [])
      seriesOf(m.labels ?? {}).quantiles[m.labels?.['quantile'] ?? ''] = Number(m.value);
    for (const m of untyped.get(`${family.name}_sum`) ?? [])
      seriesOf(m.labels ?? {}).sum = Number(m.value);
    for (const m of untyped.get(`${family.name}_count`) ?? [])
      seriesOf(m.labels ?? {}).count = Number(m.value);
    families.set(family.name, {
      type: family.type,
      samples: [...series.values()].map((s) => ({ ...s, value: s.count })),
    });
  }
  return families;
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when none */
export function sampleOf(
  families: ReadonlyMap<string, MetricFamily>,
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number | undefined {
  const matching = (families.get(name)?.samples ?? []).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matching.length > 1)
    throw new Error(`${matching.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return matching[0]?.value;
}
