import { parser } from '@prometheus-io/lezer-promql';
import { type MetricSpec, labelAllowed, lookupMetric } from './metrics.ts';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

export interface Matcher {
  label: string;
  op: string;
  value: string;
}

export interface Selector {
  metric: string;
  matchers: Matcher[];
}

export interface ParsedQuery {
  /** The top-level node: `AggregateExpr`, `FunctionCall`, `BinaryExpr`, … */
  top: string;
  /** For an aggregation at the top, its operator (`sum`, `max`, `topk`, …). */
  topAggregate: string | undefined;
  selectors: Selector[];
  /** Every label named in a `by (…)` / `without (…)` clause. */
  groupingLabels: string[];
}

/**
 * Grafana's template variables are not PromQL; they are replaced by what Grafana would put there
 * before parsing (a range for the interval variables, a regex for a multi-value variable).
 */
export function substituteGrafanaVariables(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '5m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$queue', '.*');
}

/** Parses with Prometheus's own PromQL grammar (the one its UI uses); throws on a syntax error. */
export function parsePromQL(expr: string): ParsedQuery {
  const tree = parser.parse(expr);
  const text = (node: SyntaxNode) => expr.slice(node.from, node.to);
  const selectors: Selector[] = [];
  const groupingLabels: string[] = [];
  let error: string | undefined;
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) error ??= `syntax error at ${ref.from}: …${expr.slice(ref.from, ref.from + 20)}`;
      if (ref.name === 'GroupingLabels') {
        for (let c = ref.node.firstChild; c; c = c.nextSibling)
          if (c.name === 'LabelName') groupingLabels.push(text(c));
      }
      if (ref.name !== 'VectorSelector') return;
      const metric = ref.node.getChild('Identifier');
      const matchers: Matcher[] = [];
      const list = ref.node.getChild('LabelMatchers');
      for (let m = list?.firstChild ?? null; m; m = m.nextSibling) {
        const label = m.getChild('LabelName');
        const op = m.getChild('MatchOp');
        const value = m.getChild('StringLiteral');
        if (!label || !op || !value) continue;
        matchers.push({ label: text(label), op: text(op), value: JSON.parse(text(value)) as string });
      }
      selectors.push({ metric: metric ? text(metric) : '', matchers });
    },
  });
  if (error) throw new Error(`${error} in ${expr}`);
  const top = tree.topNode.firstChild;
  if (!top) throw new Error(`empty query: ${expr}`);
  const aggregateOp =
    top.name === 'AggregateExpr' ? top.getChild('AggregateOp')?.firstChild?.name : undefined;
  return { top: top.name, topAggregate: aggregateOp?.toLowerCase(), selectors, groupingLabels };
}

/** Every problem with a query's use of the metric catalog: unknown metrics, labels or label values. */
export function catalogProblems(expr: string): string[] {
  const parsed = parsePromQL(substituteGrafanaVariables(expr));
  const problems: string[] = [];
  const specs: Array<{ spec: MetricSpec | undefined; bucket: boolean }> = [];
  for (const selector of parsed.selectors) {
    if (selector.metric === '') {
      problems.push('a selector without a metric name');
      continue;
    }
    const found = lookupMetric(selector.metric);
    if (typeof found === 'string') {
      problems.push(found);
      continue;
    }
    specs.push(found);
    for (const m of selector.matchers) {
      if (!labelAllowed(found.spec, found.bucket, m.label)) {
        problems.push(`${selector.metric} has no label ${m.label}`);
        continue;
      }
      const values = found.spec?.labels[m.label];
      if (!values) continue;
      const candidates = m.op === '=~' || m.op === '!~' ? m.value.split('|') : [m.value];
      for (const v of candidates) {
        if (v !== '.*' && !values.includes(v)) problems.push(`${selector.metric}{${m.label}}: no value ${v}`);
      }
    }
  }
  for (const label of parsed.groupingLabels) {
    if (!specs.some((s) => labelAllowed(s.spec, s.bucket, label)))
      problems.push(`grouping by unknown label ${label}`);
  }
  return problems;
}
