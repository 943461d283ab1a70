/**
 * Token spend read from LangChain's own accounting: a callback handler that sums, per chat-model
 * call, the AIMessage `usage_metadata` (LangChain's standard field), else the provider's
 * `llmOutput.tokenUsage` / `estimatedTokenUsage`. A call that reports neither is estimated from
 * its text (about four characters a token) and counted as estimated, so a model without usage
 * reporting still costs nutrients.
 */
import { BaseCallbackHandler } from '@langchain/core/callbacks/base';
import type { BaseMessage } from '@langchain/core/messages';
import type { Serialized } from '@langchain/core/load/serializable';
import type { LLMResult } from '@langchain/core/outputs';

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  calls: number;
}

export interface UsageReport extends ModelUsage {
  /** Per model (its LangChain model name, else its class). */
  byModel: Record<string, ModelUsage>;
  /** Calls whose usage was estimated from text because the model reported none. */
  estimatedCalls: number;
}

/** Characters per token of the fallback estimate (the usual rule of thumb for English). */
const CHARS_PER_TOKEN = 4;

export class UsageMeter extends BaseCallbackHandler {
  name = 'insula_usage_meter';
  // Background handlers could run after invoke() returns and the spend be missed.
  override awaitHandlers = true;
  private readonly runs = new Map<string, { model: string; inputChars: number }>();
  private readonly usage: UsageReport = { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0, byModel: {}, estimatedCalls: 0 };

  override handleChatModelStart(llm: Serialized, messages: BaseMessage[][], runId: string, _parent?: string, _extra?: Record<string, unknown>, _tags?: string[], metadata?: Record<string, unknown>, runName?: string): void {
    const model = typeof metadata?.ls_model_name === 'string' ? metadata.ls_model_name : (runName ?? llm.id.at(-1) ?? 'unknown');
    const inputChars = messages.flat().reduce((n, m) => n + m.text.length, 0);
    this.runs.set(runId, { model, inputChars });
  }

  override handleLLMEnd(output: LLMResult, runId: string): void {
    const run = this.runs.get(runId) ?? { model: 'unknown', inputChars: 0 };
    this.runs.delete(runId);
    const read = readUsage(output);
    const outputChars = output.generations.flat().reduce((n, g) => n + g.text.length + messageText(g).length, 0);
    const usage = read ?? {
      inputTokens: Math.ceil(run.inputChars / CHARS_PER_TOKEN),
      outputTokens: Math.ceil(outputChars / CHARS_PER_TOKEN),
      totalTokens: Math.ceil(run.inputChars / CHARS_PER_TOKEN) + Math.ceil(outputChars / CHARS_PER_TOKEN),
    };
    if (!read) this.usage.estimatedCalls++;
    add(this.usage, usage);
    add((this.usage.byModel[run.model] ??= { inputTokens: 0, outputTokens: 0, totalTokens: 0, calls: 0 }), usage);
  }

  override handleLLMError(_err: unknown, runId: string): void {
    this.runs.delete(runId);
  }

  report(): UsageReport {
    return { ...this.usage, byModel: Object.fromEntries(Object.entries(this.usage.byModel).map(([k, v]) => [k, { ...v }])) };
  }
}

function add(into: ModelUsage, u: Omit<ModelUsage, 'calls'>): void {
  into.inputTokens += u.inputTokens;
  into.outputTokens += u.outputTokens;
  into.totalTokens += u.totalTokens;
  into.calls++;
}

/** A generation's message text when the generation's own `text` is empty (some fake and streaming models). */
function messageText(g: LLMResult['generations'][number][number]): string {
  if (g.text) return '';
  const message = (g as { message?: BaseMessage }).message;
  return message ? message.text : '';
}

/** Usage as the call reported it, or null when it reported none. */
export function readUsage(output: LLMResult): Omit<ModelUsage, 'calls'> | null {
  let found = false;
  const total = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  for (const g of output.generations.flat()) {
    const u = (g as { message?: { usage_metadata?: { input_tokens?: number; output_tokens?: number; total_tokens?: number } } }).message?.usage_metadata;
    if (!u) continue;
    found = true;
    const input = finite(u.input_tokens);
    const out = finite(u.output_tokens);
    total.inputTokens += input;
    total.outputTokens += out;
    total.totalTokens += finite(u.total_tokens) || input + out;
  }
  if (found) return total;
  const t = (output.llmOutput?.tokenUsage ?? output.llmOutput?.estimatedTokenUsage) as { promptTokens?: number; completionTokens?: number; totalTokens?: number } | undefined;
  if (!t) return null;
  const input = finite(t.promptTokens);
  const out = finite(t.completionTokens);
  return { inputTokens: input, outputTokens: out, totalTokens: finite(t.totalTokens) || input + out };
}

const finite = (x: unknown): number => (typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : 0);
