import { it } from 'vitest';
import { createHarness } from './harness.ts';
it('debug', async () => {
  const h = await createHarness({ timeScale: 100 });
  const first = await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
  const ids = await h.enqueue(15);
  while ((await h.store.countByStatus('generating')) < 3) await new Promise((r) => setTimeout(r, 20));
  await Promise.all(first.map((w) => w.stop()));
  const second = await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
  await new Promise((r) => setTimeout(r, 12000));
  for (const id of ids) {
    const r = await h.store.get(id);
    if (r?.status === 'completed') continue;
    const sj = await h.queues.submit.getJob(id);
    const pj = await h.queues.poll.getJob(id);
    const dj = await h.queues.download.getJob(id);
    console.log(
      id,
      r?.status,
      'submit',
      sj && (await sj.getState()),
      'poll',
      pj && (await pj.getState()),
      'dl',
      dj && (await dj.getState()),
      dj?.failedReason ?? pj?.failedReason ?? sj?.failedReason,
    );
  }
  for (const w of [...first, ...second])
    console.log(
      w.lines
        .filter((l) => /"level":(40|50)/.test(l))
        .slice(0, 3)
        .join('\n')
        .slice(0, 800),
    );
  await h.close();
}, 60000);
