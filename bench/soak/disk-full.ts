/**
 * A real full disk, not a simulated one: the store lives on a small tmpfs that a filler file tops
 * up until little space is left. A writer process runs host turns through the hooks before the disk
 * fills, while it is full and after the filler is deleted, and stores memories directly, recording
 * each one acknowledged; a second process then reopens the store and checks every acknowledged
 * memory is there, verbatim, and found by recall. Two runs:
 *
 * - guarded: the store's free-space reserve (`minFreeBytes`, 64 MiB by default) refuses writes
 *   before Kùzu starts them; once space is freed the same process writes again.
 * - unguarded (`minFreeBytes: 0`): Kùzu itself hits ENOSPC in a commit, which it does not survive
 *   in-process; the store closes itself for that process (StoreFailedError), the host turns go on
 *   without memory, the writer exits normally, and the next process recovers everything acknowledged.
 *
 * Mounting needs root (or CAP_SYS_ADMIN); without it the soak says so and exits 2.
 * test/reliability/disk-full.test.ts runs it with 30 turns per phase where it can mount, and
 * test/reliability/fail-open.test.ts covers the reserve and the hooks' side everywhere.
 *
 *   npm run soak:disk-full -- [--size-mb 160] [--turns 200]
 *
 * Prints one JSON line last; exits 1 when a run breaks its expectations.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statfsSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { createGloveEmbedder } from '../../native/glove/embedder.js';
import { createHooks, Insula } from '../../src/index.js';
import { seededRandom } from '../../src/random.js';
import { soakWords } from './crash.js';

export interface DiskFullOptions {
  /** Size of the tmpfs holding the store, MiB. */
  sizeMb: number;
  /** Host turns in each phase (before full, full, after freeing). */
  turns: number;
  seed: number;
}

interface Phase {
  turns: number;
  /** Incidents the hooks counted during the phase. */
  incidents: number;
  degradedInbound: number;
  refusedOutbound: number;
  remembered: number;
  rememberErrors: Record<string, number>;
}

interface WriterReport {
  phases: Record<string, Phase>;
  hostTurnFailures: number;
  breakerOpened: boolean;
  breakerClosedAgain: boolean;
  storeFailed: boolean;
  backgroundFailures: number;
}

const ackedFile = (dir: string) => join(dir, '..', 'acked.json');
const storePath = (dir: string) => join(dir, 'db.kuzu');

/** The error's kind, for counting: its class name and whether it was the disk. */
function kind(err: unknown): string {
  const name = err instanceof Error ? err.name : 'non-error';
  const message = err instanceof Error ? err.message : String(err);
  return `${name}${/space|ENOSPC/i.test(message) ? ' (no space)' : ''}`;
}

async function writer(dir: string, minFreeBytes: number, turns: number, seed: number): Promise<WriterReport> {
  const words = soakWords();
  const rand = seededRandom(seed);
  let counter = 0;
  const sentence = () => `${Array.from({ length: 8 }, () => words[Math.floor(rand() * words.length)]).join(' ')} [${counter++}]`;
  const filler = join(dir, 'filler');
  const free = () => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  };
  const acked: Record<string, string> = {};
  const report: WriterReport = { phases: {}, hostTurnFailures: 0, breakerOpened: false, breakerClosedAgain: false, storeFailed: false, backgroundFailures: 0 };
  const mem = await Insula.open({ path: storePath(dir), embedder: await createGloveEmbedder({ threads: 1 }), minFreeBytes });
  const hooks = createHooks(mem, { breaker: { failureThreshold: 3, cooldownMs: 1000 } });

  const phase = async (name: string) => {
    const p: Phase = (report.phases[name] = { turns: 0, incidents: 0, degradedInbound: 0, refusedOutbound: 0, remembered: 0, rememberErrors: {} });
    const incidentsBefore = hooks.health().incidents;
    for (let i = 0; i < turns; i++) {
      const sessionId = `s${i % 7}`;
      const userText = `How do we handle ${sentence()}?`;
      try {
        // A host turn: recall, then record. Neither may throw, whatever the disk does.
        const inbound = await hooks.beforeInbound({ sessionId, userText });
        if (inbound.degraded) p.degradedInbound++;
        if (inbound.state.breaker === 'open') report.breakerOpened = true;
        const receipt = await hooks.beforeOutbound({ sessionId, userText, assistantText: `Use ${sentence()}.`, outcome: i % 3 === 0 ? 'failure' : 'success' });
        if (receipt.degraded) p.refusedOutbound++;
        p.turns++;
      } catch {
        report.hostTurnFailures++;
      }
      // The host's own store call: acknowledged only once it returned.
      const content = sentence();
      try {
        const { id } = await mem.remember({ content, namespace: 'acked' });
        acked[id] = content;
        p.remembered++;
      } catch (err) {
        p.rememberErrors[kind(err)] = (p.rememberErrors[kind(err)] ?? 0) + 1;
      }
      await mem.signal({ source: 'host', domain: 'ops', valence: rand() * 2 - 1, arousal: rand() }).catch(() => undefined);
      if (i % 25 === 24) await hooks.flush();
    }
    await hooks.flush();
    await mem.flush().catch(() => undefined);
    p.incidents = hooks.health().incidents - incidentsBefore;
  };

  await phase('before');
  const fd = openSync(filler, 'a');
  try {
    const chunk = Buffer.alloc(1 << 20, 7);
    while (free() > 256 * 1024) writeSync(fd, chunk, 0, Math.min(chunk.length, free() - 256 * 1024));
  } finally {
    closeSync(fd);
  }
  await phase('full');
  unlinkSync(filler);
  // Past the breaker's cooldown, one trial turn closes it (if the store can still write).
  await new Promise((r) => setTimeout(r, 1100));
  await phase('freed');
  report.breakerClosedAgain = hooks.health().breaker === 'closed';
  report.storeFailed = /StoreFailedError/.test(Object.keys(report.phases['freed']!.rememberErrors).join());
  report.backgroundFailures = mem.backgroundStatus.failures;
  await hooks.close();
  await mem.close();
  writeFileSync(ackedFile(dir), JSON.stringify(acked));
  return report;
}

async function verifier(dir: string): Promise<{ acked: number; lost: number; notRecalled: number }> {
  const acked = JSON.parse(readFileSync(ackedFile(dir), 'utf8')) as Record<string, string>;
  const mem = await Insula.open({ path: storePath(dir), embedder: await createGloveEmbedder({ threads: 1 }) });
  let lost = 0;
  let notRecalled = 0;
  try {
    for (const [id, content] of Object.entries(acked)) {
      const m = await mem.get(id, 'acked');
      if (!m || m.content !== content) {
        lost++;
        continue;
      }
      const hits = await mem.recall(content, { namespace: 'acked', k: 10, recordAccess: false, regulate: false });
      if (!hits.some((h) => h.id === id)) notRecalled++;
    }
  } finally {
    await mem.close();
  }
  return { acked: Object.keys(acked).length, lost, notRecalled };
}

/** Runs this file as a child with a role; its last stdout line is its JSON result. */
function child(role: 'writer' | 'verifier', dir: string, o: DiskFullOptions, minFree = 0): { exitCode: number | null; signal: string | null; result: unknown } {
  const self = fileURLToPath(import.meta.url);
  const run = spawnSync(process.execPath, ['--import', 'tsx', self, '--role', role, '--dir', dir, '--min-free', String(minFree), '--turns', String(o.turns), '--seed', String(o.seed)], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const last = run.stdout.trim().split('\n').pop() ?? '';
  let result: unknown = null;
  try {
    result = JSON.parse(last);
  } catch {
    result = { stderr: run.stderr.slice(-2000) };
  }
  return { exitCode: run.status, signal: run.signal, result };
}

/** Whether this process may mount a tmpfs (root or CAP_SYS_ADMIN): the soak needs it. */
export function canMountTmpfs(): boolean {
  const dir = mkdtempSync(join(tmpdir(), 'insula-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'pipe' });
    execFileSync('umount', [dir], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function scenario(o: DiskFullOptions, minFree: number) {
  const root = mkdtempSync(join(tmpdir(), 'insula-soak-disk-full-'));
  const dir = join(root, 'fs');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${o.sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`soak:disk-full needs to mount a tmpfs (root or CAP_SYS_ADMIN): ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`);
  }
  try {
    const write = child('writer', dir, o, minFree);
    const verify = child('verifier', dir, o);
    return { minFreeBytes: minFree, writerExit: write.exitCode, writerSignal: write.signal, writer: write.result as WriterReport, verifierExit: verify.exitCode, verify: verify.result as { acked: number; lost: number; notRecalled: number } };
  } finally {
    execFileSync('umount', [dir], { stdio: 'pipe' });
    rmSync(root, { recursive: true, force: true });
  }
}

/** Both runs, with the reserve and without; `ok` when each kept its promises (see the file's header). */
export async function runDiskFull(o: DiskFullOptions) {
  const started = Date.now();
  const guarded = await scenario(o, 64 * 1024 * 1024);
  const unguarded = await scenario(o, 0);
  const safe = (s: typeof guarded) => s.writerExit === 0 && s.verifierExit === 0 && s.writer.hostTurnFailures === 0 && s.verify.lost === 0 && s.verify.notRecalled === 0;
  const full = (s: typeof guarded) => Object.values(s.writer.phases['full']!.rememberErrors).reduce((a, b) => a + b, 0);
  const ok =
    safe(guarded) &&
    safe(unguarded) &&
    // Guarded: refused while full (and counted by the hooks), without Kùzu failing, and writing
    // again once space is back. Reads still work while the disk is full, so host turns keep their
    // recall and the breaker has no run of consecutive failures to open on.
    full(guarded) > 0 &&
    guarded.writer.phases['full']!.incidents > 0 &&
    !guarded.writer.storeFailed &&
    guarded.writer.breakerClosedAgain &&
    guarded.writer.phases['freed']!.remembered > 0 &&
    // Unguarded: Kùzu did hit the full disk, the store closed itself for the process, and the
    // hooks' breaker opened on the failures that followed.
    unguarded.writer.storeFailed &&
    unguarded.writer.breakerOpened;
  return { ok, sizeMb: o.sizeMb, turnsPerPhase: o.turns, guarded, unguarded, seconds: Math.round((Date.now() - started) / 100) / 10 };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = new Command()
    .option('--size-mb <n>', 'size of the tmpfs holding the store', Number, 160)
    .option('--turns <n>', 'host turns in each phase (before full, full, after freeing)', Number, 200)
    .option('--seed <n>', 'random seed', Number, 1)
    .option('--role <role>', 'internal: writer | verifier')
    .option('--dir <path>', 'internal: the mounted directory')
    .option('--min-free <bytes>', 'internal: the store reserve for the writer', Number)
    .parse()
    .opts<DiskFullOptions & { role?: 'writer' | 'verifier'; dir?: string; minFree?: number }>();
  if (args.role === 'writer') {
    console.log(JSON.stringify(await writer(args.dir!, args.minFree ?? 0, args.turns, args.seed)));
  } else if (args.role === 'verifier') {
    console.log(JSON.stringify(await verifier(args.dir!)));
  } else {
    if (!canMountTmpfs()) {
      console.error('soak:disk-full needs to mount a tmpfs (root or CAP_SYS_ADMIN)');
      process.exit(2);
    }
    const report = await runDiskFull(args);
    console.log(JSON.stringify(report));
    process.exit(report.ok ? 0 : 1);
  }
}
