import type { Principal } from '../auth/operator-auth.ts';
import type { SpendLine } from './limits-health.ts';
import type { QueueHealth } from './queue-health.ts';

/**
 * The queue-health page: server-rendered HTML, no script, refreshed by the browser every few
 * seconds. Everything interpolated is escaped (queue and tenant names come from Redis).
 */
export function renderHealthPage(
  health: QueueHealth,
  boardPath: string,
  operator: Principal | null,
  refreshS = 5,
): string {
  const rows = health.stages
    .map(
      (s) => `<tr data-stage="${esc(s.stage)}">
  <th>${esc(s.stage)}${s.paused ? ' <span class="warn">paused</span>' : ''}</th>
  <td data-col="waiting">${s.waiting}</td><td data-col="active">${s.active}</td>
  <td data-col="delayed">${s.delayed}</td><td data-col="failed" class="${s.failed > 0 ? 'bad' : ''}">${s.failed}</td>
  <td data-col="completedPerMinute">${s.completedPerMinute}</td><td data-col="failedPerMinute">${s.failedPerMinute}</td>
  <td data-col="oldestWaiting">${s.oldestWaitingMs === null ? '—' : age(s.oldestWaitingMs)}</td>
  <td><a href="${esc(boardPath)}/queue/${encodeURIComponent(s.stage)}">jobs</a></td></tr>`,
    )
    .join('\n');
  const l = health.limits;
  const holdOff = (ms: number) => (ms > 0 ? `<span class="warn">held off ${age(ms)}</span>` : 'no');
  const tenants = Object.entries(l.spend.tenants)
    .map(([t, s]) => `<tr><th>tenant ${esc(t)}</th><td>${spend(s.day)}</td><td>${spend(s.month)}</td></tr>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="${refreshS}">
<title>Reelay · queue health</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1d2330;background:#f6f7f9}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:24px 0 8px}
table{border-collapse:collapse;background:#fff;box-shadow:0 1px 2px #0002}
th,td{padding:6px 12px;border-bottom:1px solid #e4e6eb;text-align:right}
th{text-align:left}thead th{background:#eef0f4;font-weight:600;text-align:right}thead th:first-child{text-align:left}
.bad{color:#b3261e;font-weight:600}.warn{color:#8a5a00;font-weight:600}.muted{color:#687083}
</style></head><body>
<h1>Reelay · queue health</h1>
<p class="muted">${operator ? `${esc(operator.name)} (${operator.role}) · ` : ''}prefix ${esc(health.prefix)} · read ${esc(health.at)} · refreshes every ${refreshS} s ·
<a href="${esc(boardPath)}">all jobs (bull-board)</a> · <a href="/health/queues.json">JSON</a></p>
<h2>Stages</h2>
<table id="stages"><thead><tr><th>stage</th><th>waiting</th><th>active</th><th>delayed</th><th>failed</th>
<th>done/min</th><th>failed/min</th><th>oldest waiting</th><th></th></tr></thead>
<tbody>
${rows}
</tbody></table>
<h2>Provider and limits</h2>
<table id="limits"><tbody>
<tr><th>in flight / cap</th><td data-col="inFlight">${l.inFlight.held} / ${l.inFlight.cap > 0 ? l.inFlight.cap : 'no cap'}</td></tr>
<tr><th>provider 429s / min</th><td>${l.provider429sPerMinute ?? '<span class="muted">not recorded</span>'}</td></tr>
<tr><th>creates held off (429)</th><td>${holdOff(l.providerHoldOffMs.create)}</td></tr>
<tr><th>reads held off (429)</th><td>${holdOff(l.providerHoldOffMs.read)}</td></tr>
</tbody></table>
<h2>Spend against budget</h2>
<table id="spend"><thead><tr><th>scope</th><th>day ${esc(l.spend.day)}</th><th>month ${esc(l.spend.month)}</th></tr></thead>
<tbody><tr><th>global</th><td>${spend(l.spend.global.day)}</td><td>${spend(l.spend.global.month)}</td></tr>
${tenants}
</tbody></table>
</body></html>`;
}

function spend(line: SpendLine): string {
  const used = `$${line.spentUsd.toFixed(2)}${line.reservedUsd > 0 ? ` (+$${line.reservedUsd.toFixed(2)} reserved)` : ''}`;
  if (line.limitUsd <= 0) return `${used} <span class="muted">/ no budget</span>`;
  const over = line.spentUsd + line.reservedUsd >= line.limitUsd * 0.9;
  return `<span class="${over ? 'bad' : ''}">${used} / $${line.limitUsd.toFixed(2)}</span>`;
}

function age(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

function esc(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
}
