/** A tiny typed event emitter (works in browsers and Node). */
export class Emitter {
    listeners = {};
    /** Adds a listener; returns a function that removes it. */
    on(event, listener) {
        (this.listeners[event] ??= []).push(listener);
        return () => this.off(event, listener);
    }
    /** Removes a listener. */
    off(event, listener) {
        this.listeners[event] = this.listeners[event]?.filter((l) => l !== listener);
    }
    /** Listeners of `event`. */
    listenerCount(event) {
        return this.listeners[event]?.length ?? 0;
    }
    /** Calls every listener; a throwing listener does not stop the others. */
    emit(event, value) {
        for (const l of this.listeners[event] ?? []) {
            try {
                l(value);
            }
            catch (e) {
                queueMicrotask(() => { throw e; });
            }
        }
    }
}
