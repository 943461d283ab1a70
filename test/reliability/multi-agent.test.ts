/**
 * Several agents, one store: one HTTP MCP server owns the Insula, two agents connect as SDK clients
 * with their own namespaces and work at the same time. Nothing of one may show up in the other:
 * recall, hub state, counts, state notifications.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { startMcpServer, type RunningMcpServer } from '../../src/mcp/server.js';
import { useTestInsula } from '../helpers.js';

const ctx = useTestInsula();
let running: RunningMcpServer | undefined;
const clients: Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await running?.close();
  running = undefined;
});

type Structured = Record<string, unknown>;

interface Agent {
  namespace: string;
  domain: string;
  strategy: string;
  /** Feedback outcomes it reports, in order. */
  outcomes: boolean[];
  /** Signal valence it feels. */
  valence: number;
  client: Client;
  call(name: string, args: Structured): Promise<Structured>;
}

async function agent(url: string, namespace: string, domain: string, strategy: string, outcomes: boolean[], valence: number): Promise<Agent> {
  const client = new Client({ name: namespace, version: '0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  clients.push(client);
  return {
    namespace,
    domain,
    strategy,
    outcomes,
    valence,
    client,
    async call(name, args) {
      const r = await client.callTool({ name, arguments: { ...args, namespace } });
      if (r.isError) throw new Error(`${namespace} ${name}: ${JSON.stringify(r.content)}`);
      return r.structuredContent as Structured;
    },
  };
}

/** Facts both agents hold in the same words, so a recall that crossed namespaces would find the other's. */
const FACTS = [
  'The staging deploy runs blue-green behind the load balancer.',
  'Invoices are batched nightly and sent at six in the morning.',
  'The database backup finishes before the deploy window opens.',
  'Refunds over five hundred euros need a second approval.',
  'The deploy pipeline pauses when the error rate climbs.',
  'Billing disputes are answered within two working days.',
];
const QUERIES = ['when does the deploy run', 'how are invoices sent', 'what happens to refunds'];
const SIGNALS = 3;

describe('several agents, one store over MCP HTTP', () => {
  it('keeps two agents working at once in their own namespaces: recall, hub state, counts and state notifications', async () => {
    running = await startMcpServer(ctx.mem, { http: { port: 0 } });
    const a = await agent(running.url!, 'agent-a', 'deploy', 'blue-green', [false, false, true], -0.8);
    const b = await agent(running.url!, 'agent-b', 'billing', 'nightly-batch', [true, true], 0.6);

    const heardByA: string[] = [];
    a.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void heardByA.push(n.params.uri));
    await a.client.subscribeResource({ uri: 'insula://state/agent-a' });

    // Every store of both agents in flight at once.
    const ids = new Map<Agent, string[]>([
      [a, []],
      [b, []],
    ]);
    await Promise.all(
      FACTS.flatMap((content, i) =>
        [a, b].map(async (ag) => {
          const stored = await ag.call('store', { content: `${content} (${ag.namespace})`, session: `${ag.namespace}-chat`, domain: ag.domain, importance: 0.3 + i / 10 });
          expect(stored.namespace).toBe(ag.namespace);
          ids.get(ag)!.push(stored.id as string);
        }),
      ),
    );

    // Hub events so far (stores admitted to working memory count); the next phase must add exactly its own.
    const eventsAfterStores = new Map<Agent, number>();
    for (const ag of [a, b]) eventsAfterStores.set(ag, (await ag.call('interoceptive_state', {})).events as number);

    // Then recall, signal and feedback of both, interleaved and concurrent.
    const recalls = new Map<Agent, Array<Array<{ id: string; uri: string }>>>([
      [a, []],
      [b, []],
    ]);
    const work = (ag: Agent): Array<() => Promise<unknown>> => [
      ...QUERIES.map((query) => async () => {
        const r = await ag.call('recall', { query, k: 10, hubDomain: ag.domain });
        recalls.get(ag)!.push(r.results as Array<{ id: string; uri: string }>);
      }),
      ...Array.from({ length: SIGNALS }, () => () => ag.call('signal', { source: 'host', valence: ag.valence, arousal: 0.7, domain: ag.domain })),
      ...ag.outcomes.map(
        (outcome, i) => () => ag.call('feedback', { outcome, domain: ag.domain, strategy: ag.strategy, memoryIds: [ids.get(ag)![i]!], situation: `${ag.namespace} turn ${i}` }),
      ),
    ];
    const [workA, workB] = [work(a), work(b)];
    // Started alternately, A's first call, B's first, A's second…, all in flight together.
    const interleaved = Array.from({ length: Math.max(workA.length, workB.length) }, (_, i) => [workA[i], workB[i]]).flat();
    await Promise.all(interleaved.map((start) => start?.()));

    for (const ag of [a, b]) {
      const own = new Set(ids.get(ag));
      expect(own.size).toBe(FACTS.length);
      expect(recalls.get(ag)).toHaveLength(QUERIES.length);
      for (const results of recalls.get(ag)!) {
        expect(results.length).toBeGreaterThan(0);
        for (const r of results) {
          expect(own.has(r.id), `${ag.namespace} recalled ${r.id}`).toBe(true);
          expect(r.uri).toContain(`insula://memory/${ag.namespace}/`);
        }
      }

      const state = await ag.call('interoceptive_state', {});
      // Only its own domain, and exactly its own events: one per recall (its confidence), signal and feedback.
      const events = eventsAfterStores.get(ag)! + QUERIES.length + SIGNALS + ag.outcomes.length;
      expect(Object.keys(state.domains as Structured)).toEqual([ag.domain]);
      expect(state.events).toBe(events);
      const domain = (state.domains as Record<string, { successRate: number; valence: number; strategies: Record<string, { trials: number }> }>)[ag.domain]!;
      expect(Object.keys(domain.strategies)).toEqual([ag.strategy]);
      // Trials are discounted by the window, so a few outcomes count a little under one each.
      expect(domain.strategies[ag.strategy]!.trials).toBeCloseTo(ag.outcomes.length, 0);
      expect(Math.sign(domain.valence)).toBe(Math.sign(ag.valence));

      const stats = await ag.call('stats', {});
      expect(stats.namespaces).toMatchObject([{ namespace: ag.namespace, memories: FACTS.length, hub: { events, domains: 1 } }]);
    }
    const rate = async (ag: Agent) => ((await ag.call('interoceptive_state', {})).domains as Record<string, { successRate: number }>)[ag.domain]!.successRate;
    expect(await rate(a)).toBeLessThan(0.5);
    expect(await rate(b)).toBeGreaterThan(0.5);

    // A's subscription heard its own namespace only; once quiet, B's work sends it nothing.
    await expect.poll(() => heardByA.length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(new Set(heardByA)).toEqual(new Set(['insula://state/agent-a']));
    await new Promise((r) => setTimeout(r, 250));
    heardByA.length = 0;
    await Promise.all([
      b.call('signal', { source: 'emotion', valence: -0.9, arousal: 1, domain: b.domain }),
      b.call('feedback', { outcome: false, domain: b.domain, strategy: b.strategy }),
      b.call('recall', { query: 'deploy window', hubDomain: b.domain }),
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(heardByA).toEqual([]);
    // The subscription is still live: A's own change reaches it.
    await a.call('signal', { source: 'emotion', valence: 0.2, domain: a.domain });
    await expect.poll(() => heardByA, { timeout: 5000 }).toEqual(['insula://state/agent-a']);
  });
});
