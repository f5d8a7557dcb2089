import type { GenerationRecord } from '@reelay/core';

/** A plain-text table: columns padded to their widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** `failed (content_policy)` for an ended-in-error record, the bare status otherwise. */
export function statusLabel(record: GenerationRecord): string {
  return record.error && record.status !== 'completed'
    ? `${record.status} (${record.error.code})`
    : record.status;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined || ms === 0 ? undefined : new Date(ms).toISOString();
}

/** The human view of a record for `status` (the JSON view is the record itself). */
export function describeRecord(record: GenerationRecord): string {
  const lines: Array<[string, string | undefined]> = [
    ['id', record.id],
    ['status', statusLabel(record)],
    ['progress', `${record.progress}%`],
    [
      'request',
      `${record.request.model}, ${record.request.seconds} s, ${record.request.size}${record.request.thumbnail ? ', thumbnail' : ''}`,
    ],
    ['prompt', record.request.prompt],
    [
      'provider',
      record.providerVideoId ? `${record.provider} (video ${record.providerVideoId})` : record.provider,
    ],
    ['uri', record.storage?.uri],
    ['bytes', record.storage ? String(record.storage.bytes) : undefined],
    ['sha256', record.storage?.sha256],
    ['thumbnail', record.storage?.thumbnail?.uri],
    ['error', record.error ? `${record.error.code}: ${record.error.message}` : undefined],
    ['created', iso(record.timings.createdAt)],
    ['submitted', iso(record.timings.submittedAt)],
    ['generated', iso(record.timings.generatedAt)],
    ['completed', iso(record.timings.completedAt)],
    ['took', durationOf(record)],
    ['resubmits', record.attempts.resubmits > 0 ? String(record.attempts.resubmits) : undefined],
  ];
  const shown = lines.filter((l): l is [string, string] => l[1] !== undefined);
  const width = Math.max(...shown.map(([k]) => k.length));
  return shown.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function durationOf(record: GenerationRecord): string | undefined {
  const end = record.timings.completedAt;
  if (!end) return undefined;
  return `${((end - record.timings.createdAt) / 1000).toFixed(1)} s`;
}
