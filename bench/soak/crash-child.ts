/**
 * The writer that bench/soak/crash.ts kills with SIGKILL. It works the store through the public API
 * (remember, rememberMany, recall, signal, feedback, forget, flush, close / reopen) and reports on
 * stdout, one JSON line each, only what has returned: a line is written synchronously right after
 * the call it reports, so anything on the parent's side was acknowledged before the kill.
 *
 *   {t:'ready', hub}            opened; hub = {namespace: {events, hash}} as loaded from the store
 *   {t:'begin', batch}          a call starts (the hub may change before its line comes); batch:
 *                               the contents remember / rememberMany is about to store, else []
 *   {t:'acked', memories}       remember / rememberMany returned these [{id, namespace, content}]
 *   {t:'forgetting', id} / {t:'forgot', id}
 *   {t:'hub', hub}              the operation returned; the hub states after it
 *   {t:'checkpoint', hub}       `await flush()` returned: these hub states are on disk
 *   {t:'background-error', where, message}   a deferred write failed (contained by the queue)
 *
 * Usage: tsx bench/soak/crash-child.ts --path <db> --seed <n> --tag <letters> [--embedder glove|use-lite]
 */
import { parseArgs } from 'node:util';
import { Insula } from '../../src/insula.js';
import { seededRandom } from '../../src/random.js';
import { hubMarks, letters, NAMESPACES, soakWords } from './crash.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { path: { type: 'string' }, seed: { type: 'string' }, tag: { type: 'string' }, embedder: { type: 'string', default: 'glove' } },
  });
  if (!values.path || !values.seed || !values.tag) throw new Error('usage: crash-child --path <db> --seed <n> --tag <letters> [--embedder glove|use-lite]');
  const path = values.path;
  const embedder = { kind: values.embedder as 'glove' | 'use-lite', threads: 1 };
  const rand = seededRandom(Number(values.seed));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const words = soakWords();
  const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

  // A contained background failure (a hub save, an access record) is a write the caller never sees fail.
  const onError = (error: Error, where: string) => say({ t: 'background-error', where, message: error.message });
  let mem = await Insula.open({ path, embedder, onError });
  say({ t: 'ready', hub: await hubMarks(mem) });

  let serial = 0;
  const mine: Array<{ id: string; namespace: string }> = [];
  const content = () => `${values.tag}${letters(serial++)} ${Array.from({ length: 6 + Math.floor(rand() * 6) }, () => pick(words)).join(' ')}`;
  const session = () => (rand() < 0.7 ? `s${Math.floor(rand() * 4)}` : undefined);

  for (;;) {
    const roll = rand();
    const namespace = pick(NAMESPACES);
    const inputs =
      roll < 0.55
        ? Array.from({ length: roll < 0.15 ? 1 : 1 + Math.floor(rand() * 6) }, () => ({
            content: content(),
            namespace,
            session: session(),
            importance: rand(),
            valence: rand() * 2 - 1,
            domain: pick(['deploy', 'billing', 'chat']),
          }))
        : [];
    // A batch's contents up front: after a kill it must be in the store whole or not at all.
    say({ t: 'begin', batch: inputs.map((i) => i.content) });
    if (inputs.length > 0) {
      const results = inputs.length === 1 ? [await mem.remember(inputs[0]!)] : await mem.rememberMany(inputs);
      say({ t: 'acked', memories: results.map((r, i) => ({ id: r.id, namespace, content: inputs[i]!.content })) });
      mine.push(...results.map((r) => ({ id: r.id, namespace })));
    } else if (roll < 0.67) {
      await mem.signal({ source: pick(['emotion', 'anomaly', 'host']), domain: pick(['deploy', 'billing']), valence: rand() * 2 - 1, arousal: rand() }, NAMESPACES[0]);
    } else if (roll < 0.77) {
      const ids = mine.filter((m) => m.namespace === NAMESPACES[0]).slice(-3).map((m) => m.id);
      await mem.feedback({
        namespace: NAMESPACES[0],
        domain: 'deploy',
        strategy: pick(['blue-green', 'canary']),
        success: rand() < 0.5,
        ...(ids.length > 0 ? { memoryIds: ids } : {}),
        situation: `${pick(words)} ${pick(words)} ${pick(words)}`,
      });
    } else if (roll < 0.87) {
      await mem.recall(`${pick(words)} ${pick(words)}`, { namespace, k: 5, session: 's0' });
    } else if (roll < 0.91 && mine.length > 0) {
      const [victim] = mine.splice(Math.floor(rand() * mine.length), 1);
      say({ t: 'forgetting', id: victim!.id });
      await mem.forget(victim!.id, { namespace: victim!.namespace });
      say({ t: 'forgot', id: victim!.id });
    } else if (roll < 0.98) {
      await mem.flush();
      say({ t: 'checkpoint', hub: await hubMarks(mem) });
    } else {
      // A clean shutdown (checkpoint on close) can be killed too.
      await mem.close();
      mem = await Insula.open({ path, embedder, onError });
    }
    say({ t: 'hub', hub: await hubMarks(mem) });
  }
}

await main();
