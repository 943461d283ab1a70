/** The examples run as a user would run them (small embedder), and show what they claim to show. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '..');
const example = async (file: string) =>
  (await run(process.execPath, ['--import', 'tsx', join('examples', file)], { cwd: ROOT, env: { ...process.env, INSULA_EMBEDDER: 'glove' }, timeout: 90_000 })).stdout;

describe('examples', () => {
  it('LangGraph graph: later turns recall the earlier ones and the domain state moves', async () => {
    const out = await example('langgraph-graph.ts');
    const lastTurn = out.slice(out.indexOf('── turn 4'));
    expect(lastTurn).toMatch(/recalled: .*migration l/);
    expect(lastTurn).toMatch(/state \(ops\): valence -0\.\d+, success 0\.\d+/);
  }, 120_000);

  it('LangChain agent: the block reaches the model, and one user never sees another user’s memories', async () => {
    const out = await example('langchain-agent.ts');
    expect(out).toContain('ana\'s memories: 3; recalled this run: 2');
    expect(out.slice(out.indexOf('── ana · trip-2'))).toContain('User: I am vegetarian and I hate early flights.');
    expect(out).toContain("ben's memories: 1; recalled this run: 0");
  }, 120_000);

  it('MCP client session: tools over stdio, a state subscription, and a behaviour shift', async () => {
    const out = await example('mcp-client.ts');
    expect(out).toMatch(/recall \d\.\d\d {2}Refunds over 100 EUR need a manager approval\./);
    expect(out).toMatch(/resources\/updated notifications received: [1-9]/);
    expect(out).toContain('regulate behaviour-shift: stop repeating "refund-directly"');
  }, 120_000);

  it('Fascicle: intent analysis fans out to parallel neurons, streams its stages and ends in a typed plan', async () => {
    const out = await example('fascicle-intent.ts');
    expect(out).toContain('[info] intent: routed to retrieval, computation');
    expect(out.indexOf('[stage_started] computation')).toBeLessThan(out.indexOf('[stage_completed] retrieval'));
    expect(out.indexOf('[stage_completed] computation')).toBeLessThan(out.indexOf('[stage_started] aggregation'));
    expect(out).toMatch(/\[info\] intent: recalled 1 memories/);
    expect(out).toContain('day 2: Mutianyu Great Wall');
    expect(out).toContain('budget per day: 921 CNY; vegetarian: true');
    expect(out).toMatch(/hub strategies \(travel\): .*intent 0\.75\/1.*tool:split_budget/);
  }, 120_000);
});
