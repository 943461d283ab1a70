/** Embedder selection for public options: a ready Embedder or one of the shipped runners. */
import { z } from 'zod';
import type { Embedder } from '../native/embedder.js';
import { createGloveEmbedder, GloveEmbedderOptionsSchema } from '../native/glove/embedder.js';
import { createOnnxDirectoryEmbedder, OnnxDirectoryEmbedderOptionsSchema } from '../native/onnx-directory/embedder.js';
import { createUseLiteEmbedder, UseLiteEmbedderOptionsSchema } from '../native/use/embedder.js';

const isEmbedder = (v: unknown): v is Embedder =>
  typeof v === 'object' && v !== null && typeof (v as Embedder).embed === 'function' && typeof (v as Embedder).dims === 'number';

export const EmbedderChoiceSchema = z.union([
  z.custom<Embedder>(isEmbedder, 'embedder: expected an Embedder or {kind: "use-lite" | "glove" | "onnx-dir", ...}'),
  UseLiteEmbedderOptionsSchema.extend({ kind: z.literal('use-lite') }),
  GloveEmbedderOptionsSchema.extend({ kind: z.literal('glove') }),
  OnnxDirectoryEmbedderOptionsSchema.extend({ kind: z.literal('onnx-dir') }),
]);
export type EmbedderChoice = z.input<typeof EmbedderChoiceSchema>;

export async function createEmbedder(choice: z.output<typeof EmbedderChoiceSchema>): Promise<Embedder> {
  if (isEmbedder(choice)) return choice;
  const { kind, ...options } = choice;
  switch (kind) {
    case 'use-lite':
      return createUseLiteEmbedder(options);
    case 'glove':
      return createGloveEmbedder(options);
    case 'onnx-dir':
      return createOnnxDirectoryEmbedder(options as z.input<typeof OnnxDirectoryEmbedderOptionsSchema>);
    default:
      throw new Error(`unknown embedder kind ${String(kind satisfies never)}`);
  }
}
