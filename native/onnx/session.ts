/** onnxruntime-node session creation shared by every insula model: thread count and device choice. */
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

function cudaBundled(): boolean {
  return ort.listSupportedBackends().some((b) => b.name === 'cuda' && b.bundled);
}

export async function createSession(model: string | Uint8Array, options: RuntimeOptions = {}): Promise<LoadedSession> {
  const opts = RuntimeOptionsSchema.parse(options);
  const base: ort.InferenceSession.SessionOptions = {
    graphOptimizationLevel: 'all',
    ...(opts.threads ? { intraOpNumThreads: opts.threads, interOpNumThreads: 1 } : {}),
  };
  const load = (sessionOptions: ort.InferenceSession.SessionOptions) =>
    typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
  if (opts.device === 'cuda' || (opts.device === 'auto' && cudaBundled())) {
    try {
      return { session: await load({ ...base, executionProviders: ['cuda', 'cpu'] }), device: 'cuda' };
    } catch (err) {
      if (opts.device === 'cuda') throw new Error(`CUDA execution provider unavailable: ${(err as Error).message}`);
    }
  }
  return { session: await load({ ...base, executionProviders: ['cpu'] }), device: 'cpu' };
}

export { ort };
