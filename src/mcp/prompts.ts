/**
 * The `with-memory` prompt: the user's query preceded by the hooks' prompt section (recalled
 * memories fenced as data, the interoceptive state, active regulation), the same block a host gets
 * from `beforeInbound`.
 */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { BeforeInboundSchema, type InsulaHooks } from '../hooks/index.js';
import { NamespaceSchema, SessionSchema } from '../memory/schema.js';

/** Session used when the client names none: recall still gets working memory and contiguity. */
const DEFAULT_PROMPT_SESSION = 'mcp';

export function registerPrompts(server: McpServer, hooks: InsulaHooks): void {
  server.registerPrompt(
    'with-memory',
    {
      title: 'With memory',
      description: "The query with insula's context: recalled memories (marked as data), interoceptive state and regulation.",
      // Prompt arguments travel as strings; the hooks' own schemas give the limits.
      argsSchema: {
        query: BeforeInboundSchema.shape.userText.refine((s) => s.trim().length > 0, 'query: must not be empty').describe('The user message to answer'),
        namespace: NamespaceSchema.optional().describe('Partition to recall from (default "default")'),
        sessionId: SessionSchema.optional().describe(`Conversation id (default "${DEFAULT_PROMPT_SESSION}")`),
      },
    },
    async ({ query, namespace, sessionId }) => {
      const context = await hooks.beforeInbound({ userText: query, sessionId: sessionId ?? DEFAULT_PROMPT_SESSION, ...(namespace ? { namespace } : {}) });
      const recalled = `${context.memories.length} memor${context.memories.length === 1 ? 'y' : 'ies'} recalled`;
      return {
        // A degraded context (insula failed or its breaker is open) still yields the query alone.
        description: context.degraded ? `without memory: ${context.error ?? 'insula unavailable'}` : recalled,
        messages: [{ role: 'user', content: { type: 'text', text: context.block ? `${context.block}\n\n${query}` : query } }],
      };
    },
  );
}
