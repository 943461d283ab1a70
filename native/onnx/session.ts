/** onnxruntime-node session creation shared by every insula model: thread count and device choice. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { z } from 'zod';

export const RuntimeOptionsSchema = z.object({
  /** Intra-op threads; defaults to the number of CPU cores onnxruntime sees. */
  threads: z.number().int().min(1).max(256).optional(),
  /** 'auto' uses CUDA when this onnxruntime build and host have it, CPU otherwise. */
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
});
export type RuntimeOptions = z.input<typeof RuntimeOptionsSchema>;

export interface LoadedSession {
  session: ort.InferenceSession;
  device: 'cpu' | 'cuda';
}

/**
 * Whether this onnxruntime-node build can use CUDA: it lists the provider, and the provider library
 * (never in the npm tarball, fetched by ONNXRUNTIME_NODE_INSTALL=cuda12) sits beside the binding.
 * `bundled` stays false for CUDA even once installed, so it cannot tell.
 */
export function cudaInstalled(): boolean {
  if (!ort.listSupportedBackends().some((b) => b.name === 'cuda')) return false;
  const require = createRequire(import.meta.url);
  const bin = join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  return existsSync(join(bin, process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so'));
}

export async function createSession(model: string | Uint8Array, options: RuntimeOptions = {}): Promise<LoadedSession> {
  const opts = RuntimeOptionsSchema.parse(options);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
  };
  const load = (sessionOptions: ort.InferenceSession.SessionOptions) =>
    typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
  // 'auto' on a build without CUDA is the ordinary CPU install and stays quiet; a requested or
  // installed CUDA provider that does not load is worth a line.
  if (opts.device !== 'cpu' && cudaInstalled()) {
    try {
      return { session: await load({ ...base, executionProviders: ['cuda', 'cpu'] }), device: 'cuda' };
    } catch (err) {
      logCpuFallback(opts.device, `CUDA execution provider failed to load: ${firstLine((err as Error).message)}`);
    }
  } else if (opts.device === 'cuda') {
    logCpuFallback('cuda', 'this onnxruntime-node build has no CUDA execution provider (install it with ONNXRUNTIME_NODE_INSTALL=cuda12)');
  }
  return { session: await load({ ...base, executionProviders: ['cpu'] }), device: 'cpu' };
}

/** Reasons already logged for device 'auto': one line per process, not one per session. */
const loggedAutoFallbacks = new Set<string>();

/**
 * A CPU fallback is a large throughput difference the host should know about: an explicit 'cuda'
 * request logs every time, 'auto' once per reason per process.
 */
function logCpuFallback(requested: 'auto' | 'cuda', reason: string): void {
  if (requested === 'auto') {
    if (loggedAutoFallbacks.has(reason)) return;
    loggedAutoFallbacks.add(reason);
  }
  console.warn(`insula: device '${requested}': ${reason}; running on CPU`);
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.trim();
}

export { ort };
