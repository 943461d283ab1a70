/**
 * Several processes on one store: Kùzu admits one process per database file. A second opener must
 * get an error naming the holder and the fix, the holder must not notice, and a dead holder (even
 * one killed with SIGKILL, leaving its holder file behind) must not block the next open.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Embedder } from '../../native/embedder.js';
import { Insula } from '../../src/insula.js';
import { StoreLockedError } from '../../src/memory/kuzu-store.js';
import { openTestInsula, tempDir } from '../helpers.js';

const root = resolve(import.meta.dirname, '../..');
let dir: string;
let cleanup: () => void;
const children: ChildProcessWithoutNullStreams[] = [];
beforeEach(() => ({ dir, cleanup } = tempDir()));
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  cleanup();
});

/** Starts a child process running `script` (an ES module body) and reads its JSON lines. */
function child(args: string[], script: string): { proc: ChildProcessWithoutNullStreams; next: () => Promise<Record<string, unknown>> } {
  const proc = spawn(process.execPath, [...args, '--input-type=module', '-e', script], { cwd: root });
  children.push(proc);
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return {
    proc,
    async next() {
      const { value, done } = await lines.next();
      if (done) throw new Error(`child ended without a line: ${stderr}`);
      return JSON.parse(value as string) as Record<string, unknown>;
    },
  };
}

/** An insula process holding the store: remembers one memory, then one more per "write" line on stdin. */
function insulaHolder(path: string) {
  return child(
    ['--import', 'tsx'],
    `const { Insula } = await import(${JSON.stringify(pathToFileURL(join(root, 'src/insula.ts')).href)});
     const mem = await Insula.open({ path: ${JSON.stringify(path)}, embedder: { kind: 'glove' } });
     const write = async (content) => console.log(JSON.stringify({ id: (await mem.remember({ content, namespace: 'held' })).id, content }));
     await write('the holder wrote this first');
     process.stdin.setEncoding('utf8').on('data', (line) => void write('the holder wrote this after ' + line.trim()));`,
  );
}

/** Runs the real CLI (as an agent would start it) on the store; resolves with exit code and stderr. */
function cli(args: string[]): Promise<{ code: number | null; err: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((done) => proc.on('close', (code) => done({ code, err })));
}

describe('a store held by another process', () => {
  it('refuses a second process with the holder and the fix, leaves the holder intact, and opens once the holder is killed', async () => {
    const path = join(dir, 'db.kuzu');
    const holder = insulaHolder(path);
    const first = await holder.next();
    const pid = holder.proc.pid!;

    const refused = await openTestInsula(path).then(
      () => null,
      (err: unknown) => err,
    );
    expect(refused).toBeInstanceOf(StoreLockedError);
    const message = (refused as Error).message;
    expect(message).toContain(`held by another process: pid ${pid} (`);
    expect((refused as StoreLockedError).holder?.command).toContain(`--import tsx --input-type=module -e const { Insula }`);
    expect(message).toContain('run one shared `insula mcp --http` and connect the agents to it (see docs/mcp.md)');
    expect((refused as StoreLockedError).holder?.pid).toBe(pid);

    // Agents starting the CLI or a stdio MCP server on the held store fail the same way, exit 1.
    const [stats, mcp] = await Promise.all([
      cli(['stats', '--path', path, '--embedder', 'glove']),
      cli(['mcp', '--path', path, '--embedder', 'glove']),
    ]);
    expect(stats.code).toBe(1);
    expect(stats.err).toContain(`insula: store ${path} is held by another process: pid ${pid}`);
    expect(mcp.code).toBe(1);
    expect(mcp.err).toContain(`pid ${pid}`);
    expect(mcp.err).toContain('insula mcp --http');

    // The holder never noticed: it still writes.
    holder.proc.stdin.write('the refused opens\n');
    const second = await holder.next();

    holder.proc.kill('SIGKILL');
    await new Promise((done) => holder.proc.once('exit', done));
    // The killed holder's file is left behind; it names a dead pid, so it blocks nothing.
    expect(JSON.parse(readFileSync(`${path}.holder`, 'utf8')).pid).toBe(pid);

    const mem = await openTestInsula(path);
    try {
      expect(JSON.parse(readFileSync(`${path}.holder`, 'utf8')).pid).toBe(process.pid);
      const stored = await mem.store.getMemories('held', [first.id as string, second.id as string]);
      expect(stored.map((m) => m.content)).toEqual([first.content, second.content]);
      expect((await mem.recall('the holder wrote this after the refused opens', { namespace: 'held', k: 1 }))[0]?.id).toBe(second.id);
    } finally {
      await mem.close();
    }
    expect(existsSync(`${path}.holder`)).toBe(false); // a clean close removes it
  }, 30_000);

  it.runIf(process.platform === 'linux')('names a holder that is not insula (a plain Kùzu process) from the kernel lock table', async () => {
    const path = join(dir, 'db.kuzu');
    const holder = child(
      [],
      `import kuzu from 'kuzu';
       const db = new kuzu.Database(${JSON.stringify(path)});
       await db.init();
       console.log(JSON.stringify({ ready: true }));
       setInterval(() => undefined, 1000);`,
    );
    await holder.next();
    // A leftover holder file naming a live process that is not the holder (a reused pid) is not believed.
    writeFileSync(`${path}.holder`, JSON.stringify({ pid: process.pid, argv: ['an', 'earlier', 'holder'] }));
    const refused = await openTestInsula(path).then(
      () => null,
      (err: unknown) => err as StoreLockedError,
    );
    expect(refused).toBeInstanceOf(StoreLockedError);
    expect(refused!.holder?.pid).toBe(holder.proc.pid);
    expect(refused!.message).toContain(`pid ${holder.proc.pid} (${process.execPath} --input-type=module -e`);
    holder.proc.kill('SIGKILL');
    await new Promise((done) => holder.proc.once('exit', done));
    await (await openTestInsula(path)).close();
  }, 30_000);
});

describe('a store already open in this process', () => {
  it('refuses a second open (Kùzu does not lock against its own process), then opens after close', async () => {
    const path = join(dir, 'db.kuzu');
    const mem = await openTestInsula(path);
    expect(JSON.parse(readFileSync(`${path}.holder`, 'utf8')).pid).toBe(process.pid);
    const again = await openTestInsula(join(dir, '.', 'db.kuzu')).then(
      () => null,
      (err: unknown) => err as StoreLockedError,
    );
    expect(again).toBeInstanceOf(StoreLockedError);
    expect(again!.message).toMatch(/already open in this process/);
    await mem.remember({ content: 'still writable after the refused open' });
    await mem.close();

    // A failed open lets go of the store: here the embedder does not match the one that wrote it.
    const other: Embedder = { name: 'another-100d', dims: 100, embed: async (texts) => texts.map(() => new Float32Array(100)), close: async () => undefined };
    await expect(Insula.open({ path, embedder: other })).rejects.toThrow(/written with embedder glove-100d-int8/);
    const reopened = await openTestInsula(path);
    expect(await reopened.store.countMemories('default')).toBe(1);
    await reopened.close();
  });
});
