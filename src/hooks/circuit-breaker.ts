/**
 * Circuit breaker for the host hooks: after `failureThreshold` consecutive failures insula stops
 * being called (open) so a broken store or embedder cannot slow every host turn; after `cooldownMs`
 * one trial call is let through (half-open); its success closes the breaker, its failure re-opens it.
 */
import { z } from 'zod';

export const CircuitBreakerParamsSchema = z
  .object({
    failureThreshold: z.number().int().min(1).max(1000).default(5),
    cooldownMs: z.number().int().min(0).max(3_600_000).default(30_000),
  })
  .strict();
export type CircuitBreakerParams = z.input<typeof CircuitBreakerParamsSchema>;

export type BreakerState = 'closed' | 'open' | 'half-open';

export class CircuitBreaker {
  private readonly params: z.output<typeof CircuitBreakerParamsSchema>;
  private consecutiveFailures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;

  constructor(
    params: CircuitBreakerParams = {},
    private readonly clock: () => number = Date.now,
  ) {
    this.params = CircuitBreakerParamsSchema.parse(params);
  }

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.clock() - this.openedAt >= this.params.cooldownMs ? 'half-open' : 'open';
  }

  /** Whether a call may go through now; in half-open only one trial at a time. */
  allow(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.consecutiveFailures = 0;
    this.openedAt = null;
    this.trialInFlight = false;
  }

  failure(): void {
    this.consecutiveFailures++;
    if (this.trialInFlight || this.consecutiveFailures >= this.params.failureThreshold) this.openedAt = this.clock();
    this.trialInFlight = false;
  }
}
