/**
 * QA logger: when skill routing is in dissonance for a domain, the turns of that domain are written
 * as JSONL (input, output, outcome, ...) ready for a LoRA trainer — one file per namespace and
 * domain, `<dir>/<namespace>/<domain>.jsonl`, rotated at `maxBytes` into `.1.jsonl` … `.<keep>.jsonl`
 * so the disk use is bounded. The text is the user's: `forgetNamespace` removes it with the rest.
 */
import { appendFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DomainSchema, NamespaceSchema, parse } from '../../src/memory/schema.js';

export const QaLoggerOptionsSchema = z
  .object({
    dir: z.string().min(1),
    /** Size at which a domain's file is rotated. */
    maxBytes: z.number().int().min(1024).max(1 << 30).default(8 << 20),
    /** Rotated files kept per domain; the oldest beyond are deleted. */
    keep: z.number().int().min(0).max(100).default(3),
  })
  .strict();
export type QaLoggerOptions = z.input<typeof QaLoggerOptionsSchema>;

export const QaRecordSchema = z
  .object({
    namespace: NamespaceSchema.default('default'),
    domain: DomainSchema,
    input: z.string(),
    output: z.string(),
    /** How the turn went, −1..1, when known. */
    outcome: z.number().min(-1).max(1).nullable(),
    /** The adapter the router picked and its confidence. */
    adapter: z.string().nullable(),
    confidence: z.number().min(0).max(1),
    /** ISO time; now by default. */
    at: z.iso.datetime().optional(),
  })
  .strict();
export type QaRecordInput = z.input<typeof QaRecordSchema>;
export type QaRecord = z.output<typeof QaRecordSchema> & { at: string };

/** Domains may hold '/' and ':'; the file name must not. */
export function domainFileName(domain: string, rotation = 0): string {
  const base = encodeURIComponent(domain).replaceAll('.', '%2E');
  return rotation === 0 ? `${base}.jsonl` : `${base}.${rotation}.jsonl`;
}

export class QaLogger {
  private readonly opts: z.output<typeof QaLoggerOptionsSchema>;
  /** Appends and rotations of one file run one after another (a rotation racing an append would lose it). */
  private readonly lanes = new Map<string, Promise<void>>();

  constructor(options: QaLoggerOptions) {
    this.opts = parse(QaLoggerOptionsSchema, options, 'QA logger options');
  }

  /** The file a namespace's domain is written to now. */
  path(namespace: string, domain: string): string {
    return join(this.opts.dir, parse(NamespaceSchema, namespace, 'namespace'), domainFileName(parse(DomainSchema, domain, 'domain')));
  }

  /** Appends one line; resolves with the record written. */
  async log(input: QaRecordInput): Promise<QaRecord> {
    const parsed = parse(QaRecordSchema, input, 'QA record');
    const record: QaRecord = { ...parsed, at: parsed.at ?? new Date().toISOString() };
    const line = `${JSON.stringify(record)}\n`;
    const dir = join(this.opts.dir, record.namespace);
    const file = join(dir, domainFileName(record.domain));
    const previous = this.lanes.get(file) ?? Promise.resolve();
    const write = previous.then(async () => {
      await mkdir(dir, { recursive: true });
      const size = await stat(file).then(
        (s) => s.size,
        () => 0,
      );
      if (size > 0 && size + Buffer.byteLength(line) > this.opts.maxBytes) await this.rotate(dir, record.domain);
      await appendFile(file, line);
    });
    const settled = write.catch(() => undefined);
    this.lanes.set(file, settled);
    void settled.then(() => {
      if (this.lanes.get(file) === settled) this.lanes.delete(file);
    });
    await write;
    return record;
  }

  /** Removes a namespace's logs (its users' text). */
  async forgetNamespace(namespace: string): Promise<void> {
    await Promise.all(this.lanes.values());
    await rm(join(this.opts.dir, parse(NamespaceSchema, namespace, 'namespace')), { recursive: true, force: true });
  }

  /** The JSONL files of a namespace (rotated ones included), sorted by name. */
  async files(namespace: string): Promise<string[]> {
    const dir = join(this.opts.dir, parse(NamespaceSchema, namespace, 'namespace'));
    const names = await readdir(dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith('.jsonl')).sort().map((n) => join(dir, n));
  }

  private async rotate(dir: string, domain: string): Promise<void> {
    const keep = this.opts.keep;
    await rm(join(dir, domainFileName(domain, keep)), { force: true });
    for (let i = keep - 1; i >= 0; i--) {
      await rename(join(dir, domainFileName(domain, i)), join(dir, domainFileName(domain, i + 1))).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    }
  }
}
