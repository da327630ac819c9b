/** A tiny typed event emitter (works in browsers and Node). */
export class Emitter<E extends Record<string, unknown>> {
  private listeners: { [K in keyof E]?: ((value: E[K]) => void)[] } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (value: E[K]) => void): () => void {
    (this.listeners[event] ??= []).push(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof E>(event: K, listener: (value: E[K]) => void): void {
    this.listeners[event] = this.listeners[event]?.filter((l) => l !== listener);
  }

  /** Listeners of `event`. */
  listenerCount(event: keyof E): number {
    return this.listeners[event]?.length ?? 0;
  }

  /** Calls every listener; a throwing listener does not stop the others. */
  protected emit<K extends keyof E>(event: K, value: E[K]): void {
    for (const l of this.listeners[event] ?? []) {
      try {
        l(value);
      } catch (e) {
        queueMicrotask(() => { throw e; });
      }
    }
  }
}
