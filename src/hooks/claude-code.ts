/**
 * Claude Code hooks (`insula hook`): Claude Code runs the command once per event with the event's
 * JSON on stdin, so each call is a fresh process. UserPromptSubmit recalls and answers with
 * `hookSpecificOutput.additionalContext`; PostToolUse/PostToolUseFailure only append the tool result to
 * a per-session spool file (no database open, so tool calls stay fast); Stop records the exchange
 * with the spooled tool results. The session's last turn is kept in the spool between processes so
 * the user's verdict in the next prompt reaches the hub.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import type { Insula } from '../insula.js';
import { messageText } from '../memory/knowledge-graph.js';
import { MAX_CONTENT_CHARS } from '../memory/schema.js';
import { createHooks, SessionTurnSchema, type HookOptions } from './hooks.js';

/** Claude Code shows about 10,000 characters of additional context whole; stay under it. */
export const CLAUDE_CODE_CONTEXT_CHARS = 9500;

export const ClaudeCodeHookInputSchema = z
  .object({
    session_id: z.string().min(1).max(256),
    hook_event_name: z.string().min(1).max(64),
    transcript_path: z.string().max(4096).optional(),
    prompt: z.string().optional(),
    tool_name: z.string().max(256).optional(),
    tool_response: z.unknown().optional(),
    error: z.unknown().optional(),
    last_assistant_message: z.string().optional(),
  })
  .loose();
export type ClaudeCodeHookInput = z.input<typeof ClaudeCodeHookInputSchema>;

export interface ClaudeCodeHookContext {
  /** Opens the store; only events that need it call it. */
  open: () => Promise<Insula>;
  spoolDir: string;
  namespace: string;
  hookOptions?: HookOptions;
}

const SpoolToolSchema = z.object({ name: z.string().min(1).max(128), ok: z.boolean() }).strict();
const SpoolTurnSchema = z.object({ userText: z.string(), turn: SessionTurnSchema }).strict();

/** Handles one hook event; returns what to print on stdout ('' for nothing). */
export async function handleClaudeCodeHook(raw: string, ctx: ClaudeCodeHookContext): Promise<string> {
  const input = ClaudeCodeHookInputSchema.parse(JSON.parse(raw));
  const files = spoolFiles(ctx.spoolDir, input.session_id);
  switch (input.hook_event_name) {
    case 'UserPromptSubmit':
      return onPrompt(input, ctx, files);
    case 'PostToolUse':
    case 'PostToolUseFailure': {
      mkdirSync(ctx.spoolDir, { recursive: true });
      const ok = input.hook_event_name === 'PostToolUse' && !reportsError(input.tool_response);
      appendFileSync(files.tools, `${JSON.stringify({ name: (input.tool_name ?? 'tool').slice(0, 128), ok })}\n`);
      return '';
    }
    case 'Stop':
      await onStop(input, ctx, files);
      return '';
    default:
      return '';
  }
}

async function onPrompt(input: z.output<typeof ClaudeCodeHookInputSchema>, ctx: ClaudeCodeHookContext, files: SpoolFiles): Promise<string> {
  const prompt = (input.prompt ?? '').slice(0, MAX_CONTENT_CHARS);
  const mem = await ctx.open();
  const hooks = createHooks(mem, { budgetChars: CLAUDE_CODE_CONTEXT_CHARS, ...ctx.hookOptions });
  try {
    const previous = readSpoolTurn(files.turn);
    if (previous) hooks.resumeSession(input.session_id, previous.turn);
    const context = await hooks.beforeInbound({ namespace: ctx.namespace, sessionId: input.session_id, userText: prompt });
    await hooks.close();
    const turn = hooks.sessionTurn(ctx.namespace, input.session_id);
    if (turn) writeSpool(ctx.spoolDir, files.turn, JSON.stringify({ userText: prompt, turn }));
    if (!context.block) return '';
    return JSON.stringify({ hookSpecificOutput: { hookEventName: 'UserPromptSubmit', additionalContext: context.block } });
  } finally {
    await mem.close();
  }
}

async function onStop(input: z.output<typeof ClaudeCodeHookInputSchema>, ctx: ClaudeCodeHookContext, files: SpoolFiles): Promise<void> {
  const previous = readSpoolTurn(files.turn);
  const fromTranscript = input.transcript_path ? lastExchange(input.transcript_path) : { user: '', assistant: '' };
  const userText = previous?.userText ?? fromTranscript.user;
  const assistantText = input.last_assistant_message ?? fromTranscript.assistant;
  if (!userText && !assistantText) return;
  const toolEvents = existsSync(files.tools)
    ? readFileSync(files.tools, 'utf8')
        .split('\n')
        .filter(Boolean)
        .flatMap((line) => {
          const parsed = SpoolToolSchema.safeParse(safeJson(line));
          return parsed.success ? [parsed.data] : [];
        })
        .slice(-200)
    : [];
  const mem = await ctx.open();
  const hooks = createHooks(mem, ctx.hookOptions);
  try {
    if (previous) hooks.resumeSession(input.session_id, previous.turn);
    await hooks.beforeOutbound({
      namespace: ctx.namespace,
      sessionId: input.session_id,
      userText: userText.slice(0, MAX_CONTENT_CHARS),
      assistantText: assistantText.slice(0, MAX_CONTENT_CHARS),
      toolEvents,
    });
    await hooks.close();
    const turn = hooks.sessionTurn(ctx.namespace, input.session_id);
    if (turn) writeSpool(ctx.spoolDir, files.turn, JSON.stringify({ userText, turn }));
    rmSync(files.tools, { force: true });
  } finally {
    await mem.close();
  }
}

interface SpoolFiles {
  turn: string;
  tools: string;
}

/** Session ids come from the host: hashed into file names so none can point outside the spool. */
function spoolFiles(dir: string, sessionId: string): SpoolFiles {
  const base = createHash('sha256').update(sessionId).digest('hex').slice(0, 32);
  return { turn: join(dir, `${base}.turn.json`), tools: join(dir, `${base}.tools.jsonl`) };
}

function readSpoolTurn(path: string): z.output<typeof SpoolTurnSchema> | null {
  if (!existsSync(path)) return null;
  const parsed = SpoolTurnSchema.safeParse(safeJson(readFileSync(path, 'utf8')));
  return parsed.success ? parsed.data : null;
}

function writeSpool(dir: string, path: string, text: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path, text);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function reportsError(response: unknown): boolean {
  if (typeof response !== 'object' || response === null) return false;
  const r = response as Record<string, unknown>;
  return r['is_error'] === true || r['isError'] === true || r['success'] === false || (typeof r['error'] === 'string' && r['error'].length > 0);
}

/** The last user prompt and assistant reply in a Claude Code transcript (JSONL of {type, message}). */
export function lastExchange(transcriptPath: string): { user: string; assistant: string } {
  if (!existsSync(transcriptPath)) return { user: '', assistant: '' };
  let user = '';
  let assistant = '';
  for (const line of readFileSync(transcriptPath, 'utf8').split('\n')) {
    const entry = safeJson(line) as { type?: unknown; message?: { content?: unknown } } | null;
    if (!entry?.message) continue;
    const content = entry.message.content;
    if (entry.type === 'user') {
      // Tool results come back as user entries; only typed prompts count.
      const text = typeof content === 'string' ? content : Array.isArray(content) && content.every((p) => (p as { type?: unknown }).type === 'text') ? messageText(content) : '';
      if (text) [user, assistant] = [text, ''];
    } else if (entry.type === 'assistant') {
      const text = messageText(Array.isArray(content) ? content.filter((p) => (p as { type?: unknown }).type === 'text') : content);
      if (text) assistant = assistant ? `${assistant}\n${text}` : text;
    }
  }
  return { user, assistant };
}
