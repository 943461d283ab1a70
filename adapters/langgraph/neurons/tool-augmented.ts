/**
 * ToolAugmented (the seed's type 3): memory + events + tools, a tool loop on the base neuron. The
 * tools run through `calltools(name, params)`, never inside the model loop, so the base neuron's
 * separation of ending and continuing holds. With an `output` schema, the structured result comes
 * through an output-register tool (`register_output`, its arguments the schema): the neuron ends
 * once a call to it validates; an invalid one is answered with the schema's complaint.
 */
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { formatIssues, parse } from '../../../src/memory/schema.js';
import type { CallTools } from './events.js';
import type { NeuronOutcome } from './insula-link.js';
import { createChatNeuron, NeuronOptionsSchema, toolCaller, ToolSchema, withMemory } from './neuron.js';
import { renderEvents, type NeuronNode } from './state.js';
import { ZodSchemaSchema } from './structured-output.js';

export const OUTPUT_TOOL = 'register_output';

export const ToolAugmentedOptionsSchema = NeuronOptionsSchema.extend({
  tools: z.array(ToolSchema).max(127).default([]),
  /** The schema of the structured result, registered through the `register_output` tool; without it the result is the final text. */
  output: ZodSchemaSchema.optional(),
  /** Model calls before the neuron gives up. */
  maxSteps: z.number().int().min(1).max(100).default(8),
})
  .strict()
  .refine((o) => !o.tools.some((t) => t.name === OUTPUT_TOOL), { message: `tools: "${OUTPUT_TOOL}" is reserved for the output-register tool`, path: ['tools'] });
export type ToolAugmentedOptions = z.input<typeof ToolAugmentedOptionsSchema>;

export function createToolAugmentedNeuron(options: ToolAugmentedOptions): NeuronNode {
  const opts = parse(ToolAugmentedOptionsSchema, options, 'ToolAugmented neuron options');
  const schema = opts.output;
  const register = schema
    ? tool(async () => 'Output registered.', { name: OUTPUT_TOOL, description: 'Register your final result. Call it once, when you have the answer; it ends your work.', schema: schema as z.ZodObject })
    : null;
  const tools = register ? [...opts.tools, register] : opts.tools;

  return async (state, config) => {
    const input = renderEvents(state.events);
    const toolEvents: NonNullable<NeuronOutcome['toolEvents']> = [];
    const runTool = toolCaller(opts.tools, config, toolEvents);
    const calltools: CallTools = async (name, params) => {
      if (!schema || name !== OUTPUT_TOOL) return runTool(name, params);
      const parsed = schema.safeParse(JSON.parse(params));
      if (!parsed.success) throw new Error(`invalid output: ${formatIssues(parsed.error)}`);
      return 'Output registered.';
    };
    const result = await withMemory(
      opts,
      input,
      config,
      async (system) => {
        const neuron = createChatNeuron({ name: opts.name, model: opts.model, system, tools, maxSteps: opts.maxSteps, ...(register ? { outputTool: OUTPUT_TOOL } : {}) }, config);
        const text = await neuron(input, calltools);
        return { result: text, text };
      },
      toolEvents,
    );
    const output: unknown = schema ? schema.parse(JSON.parse(result)) : result;
    return { events: [{ role: 'assistant', content: result, source: opts.name }], output };
  };
}
