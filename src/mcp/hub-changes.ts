/**
 * Observes the interoceptive hub's state changes per namespace, for resource subscriptions. The hub
 * reports every single update (each signal, recall, admission), so changes are coalesced: a
 * listener hears at most once per window, at the end of it.
 */
import type { Insula } from '../insula.js';

const CHANGE_WINDOW_MS = 100;

export class HubChanges {
  private readonly listeners = new Map<string, Set<() => void>>();
  private readonly pending = new Map<string, NodeJS.Timeout>();

  private constructor(mem: Insula) {
    mem.onHubChange((namespace) => this.changed(namespace));
  }

  private static readonly byInsula = new WeakMap<Insula, HubChanges>();

  /** One observer per Insula, however many MCP sessions share it. */
  static of(mem: Insula): HubChanges {
    let changes = HubChanges.byInsula.get(mem);
    if (!changes) {
      changes = new HubChanges(mem);
      HubChanges.byInsula.set(mem, changes);
    }
    return changes;
  }

  /** Calls `listener` after changes to the namespace's state; returns the unsubscribe. */
  subscribe(namespace: string, listener: () => void): () => void {
    let set = this.listeners.get(namespace);
    if (!set) this.listeners.set(namespace, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size > 0) return;
      this.listeners.delete(namespace);
      clearTimeout(this.pending.get(namespace));
      this.pending.delete(namespace);
    };
  }

  private changed(namespace: string): void {
    if (!this.listeners.has(namespace) || this.pending.has(namespace)) return;
    const timer = setTimeout(() => {
      this.pending.delete(namespace);
      for (const listener of this.listeners.get(namespace) ?? []) listener();
    }, CHANGE_WINDOW_MS);
    // A pending notification must not keep a finished process alive.
    timer.unref();
    this.pending.set(namespace, timer);
  }
}
