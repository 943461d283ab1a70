import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGloveEmbedder } from '../native/glove/embedder.js';
import { Insula, type InsulaOptions } from '../src/insula.js';

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = 'insula-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real Insula on a real Kùzu file, with the small GloVe embedder so suites stay fast. */
export async function openTestInsula(path: string, options: Omit<InsulaOptions, 'path' | 'embedder'> = {}): Promise<Insula> {
  return Insula.open({ path, embedder: await createGloveEmbedder({ threads: 1 }), ...options });
}
