#!/usr/bin/env node
/**
 * `insula`: the command line. Exit codes: 0 done, 1 failed, 2 bad arguments or input (the message
 * names the field). `insula hook` always exits 0: a Claude Code hook must never break the session.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { Presets, SingleBar } from 'cli-progress';
import { Command, CommanderError, Option } from 'commander';
import { z } from 'zod';
import { handleClaudeCodeHook } from './hooks/claude-code.js';
import { Insula, defaultStorePath } from './insula.js';
import { InsulaValidationError, MemoryInputSchema, NamespaceSchema, parse } from './memory/schema.js';

const GlobalSchema = z.object({
  path: z.string().min(1, 'path: must not be empty'),
  embedder: z.enum(['use-lite', 'glove']),
});
type GlobalOptions = z.output<typeof GlobalSchema>;

class UsageError extends Error {}

const program = new Command('insula')
  .description('Cognitive memory and an interoceptive hub for AI agents (embedded, offline).')
  .option('--path <file>', 'database file', process.env['INSULA_PATH'] ?? defaultStorePath())
  .addOption(new Option('--embedder <kind>', 'embedding model').choices(['use-lite', 'glove']).default('use-lite'))
  .showHelpAfterError()
  .exitOverride();

function globals(): GlobalOptions {
  return parse(GlobalSchema, program.opts(), 'options');
}

async function open(): Promise<Insula> {
  const g = globals();
  return Insula.open({ path: g.path, embedder: { kind: g.embedder }, onError: (e, where) => console.error(`insula ${where}: ${e.message}`) });
}

async function withInsula<T>(work: (mem: Insula) => Promise<T>): Promise<T> {
  const mem = await open();
  try {
    return await work(mem);
  } finally {
    await mem.close();
  }
}

const namespaceOf = (value: unknown) => parse(NamespaceSchema, value ?? 'default', 'namespace');

program
  .command('demo')
  .description('run the full loop: a scripted agent over several sessions, printing recall, hub state and regulation each turn')
  .option('--keep', 'keep the demo database (printed at the end)')
  .action(async (o: { keep?: boolean }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({ embedder: globals().embedder, keep: Boolean(o.keep) });
  });

program
  .command('mcp')
  .description('MCP server over stdio, or Streamable HTTP with --http (options: insula mcp --help)')
  .helpOption(false)
  .allowUnknownOption()
  .allowExcessArguments()
  .action(async (_options: unknown, command: Command) => {
    const { runMcpCli } = await import('./mcp/command.js');
    // Options given after `mcp` win over the global ones (commander keeps the last of a repeated option).
    const g = globals();
    await runMcpCli(['--path', g.path, '--embedder', g.embedder, ...command.args]);
  });

program
  .command('hook')
  .description('Claude Code hook: reads the event JSON on stdin (UserPromptSubmit, PostToolUse, PostToolUseFailure, Stop); always exits 0')
  .option('--namespace <name>', 'namespace for this project', 'claude-code')
  .action(async (o: { namespace: string }) => {
    try {
      const raw = await readStdin();
      const out = await handleClaudeCodeHook(raw, { open, namespace: namespaceOf(o.namespace), spoolDir: join(dirname(globals().path), 'hook-spool') });
      if (out) process.stdout.write(`${out}\n`);
    } catch (err) {
      console.error(`insula hook: ${err instanceof Error ? err.message : String(err)} (the session goes on without memory for this event)`);
    }
  });

program
  .command('import')
  .description('import memories from a JSONL file (one memory object per line, as for remember())')
  .argument('<file>', 'JSONL file')
  .option('--namespace <name>', 'namespace for lines that name none')
  .option('--batch <n>', 'memories per write', '64')
  .action(async (file: string, o: { namespace?: string; batch: string }) => {
    const batchSize = parse(z.coerce.number().int().min(1).max(10_000), o.batch, 'batch');
    const fallback = o.namespace === undefined ? undefined : namespaceOf(o.namespace);
    // Every line is validated before anything is written: a bad file stores nothing.
    const inputs: z.input<typeof MemoryInputSchema>[] = [];
    let lineNo = 0;
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      lineNo++;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new UsageError(`${file}:${lineNo}: not valid JSON`);
      }
      const withNamespace = fallback && typeof value === 'object' && value !== null && !('namespace' in value) ? { ...value, namespace: fallback } : value;
      const r = MemoryInputSchema.safeParse(withNamespace);
      if (!r.success) throw new UsageError(`${file}:${lineNo}: ${r.error.issues.map((i) => `${i.path.join('.') || 'line'}: ${i.message}`).join('; ')}`);
      inputs.push(withNamespace as z.input<typeof MemoryInputSchema>);
    }
    await withInsula(async (mem) => {
      const bar = new SingleBar({ format: 'import {bar} {value}/{total} memories', stream: process.stderr }, Presets.shades_classic);
      bar.start(inputs.length, 0);
      for (let i = 0; i < inputs.length; i += batchSize) {
        await mem.rememberMany(inputs.slice(i, i + batchSize));
        bar.update(Math.min(inputs.length, i + batchSize));
      }
      bar.stop();
      await mem.flush();
    });
    console.log(`imported ${inputs.length} memories`);
  });

program
  .command('export')
  .description('export memories as JSONL (re-importable with `insula import`)')
  .option('--namespace <name>', 'one namespace (default: all)')
  .option('--out <file>', 'output file (default: stdout)')
  .action(async (o: { namespace?: string; out?: string }) => {
    await withInsula(async (mem) => {
      const namespaces = o.namespace === undefined ? await mem.store.namespaces() : [namespaceOf(o.namespace)];
      const out = o.out ? createWriteStream(o.out) : process.stdout;
      let n = 0;
      for (const namespace of namespaces) {
        for (let after: string | null = null; ; ) {
          const page = await mem.store.scanMemories(namespace, after, 500);
          for (const m of page) {
            const record = {
              namespace,
              content: m.content,
              type: m.type,
              importance: m.importance,
              valence: m.valence,
              domain: m.domain,
              occurredAt: new Date(m.occurredAt).toISOString(),
              ...(m.session ? { session: m.session } : {}),
              ...(m.source ? { source: m.source } : {}),
              ...(m.metadata && Object.keys(m.metadata).length > 0 ? { metadata: m.metadata } : {}),
              ...(m.pinned ? { pinned: true } : {}),
            };
            if (!out.write(`${JSON.stringify(record)}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
            n++;
          }
          if (page.length < 500) break;
          after = page[page.length - 1]!.id;
        }
      }
      if (o.out) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((err?: Error | null) => (err ? reject(err) : resolve())));
      console.error(`exported ${n} memories`);
    });
  });

program
  .command('consolidate')
  .description('run consolidation ("sleep"): replay, link decay and pruning, forgetting, deduplication')
  .option('--namespace <name>', 'one namespace (default: all)')
  .action(async (o: { namespace?: string }) => {
    await withInsula(async (mem) => {
      const bar = new SingleBar({ format: 'consolidate {phase} {bar} {value}/{total}', stream: process.stderr }, Presets.shades_classic);
      let phase = '';
      const reports = await mem.consolidate({
        ...(o.namespace === undefined ? {} : { namespace: namespaceOf(o.namespace) }),
        onProgress: (p) => {
          const label = `${p.namespace}:${p.phase}`;
          if (label !== phase) {
            if (phase) bar.stop();
            phase = label;
            bar.start(p.total, p.done, { phase: label });
          } else bar.update(p.done);
        },
      });
      if (phase) bar.stop();
      console.log(JSON.stringify(reports, null, 2));
    });
  });

program
  .command('stats')
  .description('memories, links, entities and triples per namespace')
  .option('--namespace <name>', 'one namespace (default: all)')
  .action(async (o: { namespace?: string }) => {
    await withInsula(async (mem) => {
      const namespaces = o.namespace === undefined ? await mem.store.namespaces() : [namespaceOf(o.namespace)];
      const rows = [];
      for (const namespace of namespaces) {
        rows.push({
          namespace,
          memories: await mem.store.countMemories(namespace),
          links: (await mem.store.allLinks(namespace)).length,
          entities: (await mem.store.entities(namespace)).length,
          triples: (await mem.store.triples(namespace)).length,
        });
      }
      printTable(rows);
    });
  });

program
  .command('forget')
  .description('delete one memory completely, or a whole namespace with --all')
  .argument('[id]', 'memory id')
  .option('--namespace <name>', 'namespace', 'default')
  .option('--all', 'delete every memory, entity, triple and the hub state of the namespace')
  .action(async (id: string | undefined, o: { namespace: string; all?: boolean }) => {
    const namespace = namespaceOf(o.namespace);
    if (!o.all && !id) throw new UsageError('forget: give a memory id, or --all for the whole namespace');
    await withInsula(async (mem) => {
      if (o.all) console.log(`deleted ${await mem.forgetNamespace(namespace)} memories from ${namespace}`);
      else if (await mem.forget(id!, { namespace })) console.log(`deleted ${id}`);
      else {
        console.error(`no memory ${id} in ${namespace}`);
        process.exitCode = 1;
      }
    });
  });

program
  .command('state')
  .description('print the interoceptive state of a namespace as a table')
  .option('--namespace <name>', 'namespace', 'default')
  .option('--json', 'print JSON instead')
  .action(async (o: { namespace: string; json?: boolean }) => {
    const namespace = namespaceOf(o.namespace);
    await withInsula(async (mem) => {
      const state = await mem.state(namespace);
      const actions = await mem.regulate(namespace);
      if (o.json) {
        console.log(JSON.stringify({ state, actions }, null, 2));
        return;
      }
      const f = (x: number) => x.toFixed(2);
      printTable(
        Object.entries(state.domains).map(([domain, d]) => ({
          domain,
          valence: f(d.valence),
          trend: f(d.valenceTrend),
          success: f(d.successRate),
          anomaly: f(d.anomaly),
          alignment: f(d.alignment),
          confidence: f(d.confidence),
          updated: new Date(d.lastUpdate).toISOString().slice(0, 19),
        })),
      );
      console.log(`\narousal ${f(state.arousal)} · events ${state.events} · somatic markers ${state.somaticMarkers}${state.systemicAlert ? ' · SYSTEMIC ALERT' : ''}`);
      console.log(`neuromodulators: ${Object.entries(state.neuromodulators).map(([k, v]) => `${k} ${f(v)}`).join(', ')}`);
      console.log(`generation: ${Object.entries(state.generation).map(([k, v]) => `${k} ${v}`).join(', ')}`);
      for (const a of actions) console.log(`regulation ${a.kind}: ${a.reason}`);
    });
  });

function printTable(rows: ReadonlyArray<Record<string, string | number>>): void {
  if (rows.length === 0) {
    console.log('(nothing yet)');
    return;
  }
  const columns = Object.keys(rows[0]!);
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(columns.map((c) => String(r[c]))));
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    const message = err instanceof Error ? err.message : String(err);
    console.error(`insula: ${message}`);
    return err instanceof UsageError || err instanceof InsulaValidationError ? 2 : 1;
  }
}

process.exitCode = await main(process.argv);
