import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from './helpers.js';

let dir: string;
let cleanup: () => void;
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => cleanup());

/** Runs the real CLI in a child process on a temp store with the small GloVe embedder. */
function insula(args: string[], stdin?: string) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--path', join(dir, 'db.kuzu'), '--embedder', 'glove', ...args], {
    input: stdin,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('insula CLI', () => {
  it('imports JSONL, exports it again, prints stats and forgets a namespace', () => {
    const file = join(dir, 'in.jsonl');
    writeFileSync(
      file,
      [
        JSON.stringify({ content: 'The deploy freeze starts on Friday.', domain: 'ops', importance: 0.8 }),
        '',
        JSON.stringify({ content: 'Maya prefers written updates.', namespace: 'team' }),
      ].join('\n'),
    );
    const imported = insula(['import', file, '--namespace', 'work']);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain('imported 2 memories');

    const exported = insula(['export']);
    expect(exported.code).toBe(0);
    const records = exported.out.trim().split('\n').map((l) => JSON.parse(l) as { namespace: string; content: string; importance: number });
    expect(records.map((r) => [r.namespace, r.content]).sort()).toEqual([
      ['team', 'Maya prefers written updates.'],
      ['work', 'The deploy freeze starts on Friday.'],
    ]);
    expect(records.find((r) => r.namespace === 'work')!.importance).toBe(0.8);

    const stats = insula(['stats']);
    expect(stats.code).toBe(0);
    expect(stats.out).toMatch(/namespace\s+memories/);
    expect(stats.out).toMatch(/work\s+1\b/);

    expect(insula(['forget', '--all', '--namespace', 'team']).out).toContain('deleted 1 memories from team');
    expect(insula(['export', '--namespace', 'team']).out).toBe('');
  }, 120_000);

  it('rejects a bad file naming the line and field, and stores nothing', () => {
    const file = join(dir, 'bad.jsonl');
    writeFileSync(file, `${JSON.stringify({ content: 'fine' })}\n${JSON.stringify({ content: 'x', importance: 3 })}\n`);
    const r = insula(['import', file]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.jsonl:2: importance/);
    expect(insula(['export']).out).toBe('');
    const usage = insula(['forget']);
    expect(usage.code).toBe(2);
    expect(usage.err).toMatch(/give a memory id/);
    expect(insula(['no-such-command']).code).toBe(2);
  }, 60_000);

  it('works as a Claude Code hook: records at Stop, recalls at the next prompt, always exits 0', () => {
    const session = { session_id: 'cc-1', transcript_path: join(dir, 'transcript.jsonl') };
    const transcript = [
      { type: 'user', message: { role: 'user', content: 'Which port does the dev server use?' } },
      { type: 'assistant', message: { role: 'assistant', content: [{ type: 'text', text: 'The dev server listens on port 5173 (vite).' }] } },
    ];
    writeFileSync(session.transcript_path, transcript.map((e) => JSON.stringify(e)).join('\n'));

    const first = insula(['hook'], JSON.stringify({ ...session, hook_event_name: 'UserPromptSubmit', prompt: 'Which port does the dev server use?' }));
    expect(first.code).toBe(0);
    expect(insula(['hook'], JSON.stringify({ ...session, hook_event_name: 'PostToolUse', tool_name: 'Bash', tool_response: { stdout: 'ok' } })).code).toBe(0);
    const stop = insula(['hook'], JSON.stringify({ ...session, hook_event_name: 'Stop', stop_hook_active: false }));
    expect(stop.code).toBe(0);
    expect(stop.err).toBe('');

    const next = insula(['hook'], JSON.stringify({ session_id: 'cc-2', transcript_path: '', hook_event_name: 'UserPromptSubmit', prompt: 'remind me which port the dev server listens on' }));
    expect(next.code).toBe(0);
    const output = JSON.parse(next.out) as { hookSpecificOutput: { hookEventName: string; additionalContext: string } };
    expect(output.hookSpecificOutput.hookEventName).toBe('UserPromptSubmit');
    expect(output.hookSpecificOutput.additionalContext).toContain('port 5173');
    expect(output.hookSpecificOutput.additionalContext.length).toBeLessThanOrEqual(9500);

    const state = insula(['state', '--namespace', 'claude-code']);
    expect(state.code).toBe(0);
    expect(state.out).toMatch(/domain\s+valence\s+trend\s+success/);
    expect(state.out).toMatch(/^ops\s+-?\d/m);
    expect(state.out).toContain('neuromodulators: dopamine');

    const broken = insula(['hook'], '{not json');
    expect(broken.code).toBe(0);
    expect(broken.out).toBe('');
    expect(broken.err).toMatch(/insula hook:/);
    // The tool result was spooled, then consumed at Stop; the session's last turn stays for the next prompt's verdict.
    const spool = readdirSync(join(dir, 'hook-spool'));
    expect(spool.filter((f) => f.endsWith('.tools.jsonl'))).toEqual([]);
    expect(spool.filter((f) => f.endsWith('.turn.json'))).toHaveLength(2);
  }, 120_000);
});
