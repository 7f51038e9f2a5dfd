/** A state value that listeners follow: the sessions' one way of telling the UI what changed. */
export class ObservableState<S> {
  private readonly listeners = new Set<(state: S) => void>();

  constructor(protected state: S) {}

  get current(): S {
    return this.state;
  }

  /** Calls `listener` now and on every change; returns the unsubscribe function. */
  subscribe(listener: (state: S) => void): () => void {
    this.listeners.add(listener);
    listener(this.state);
    return () => this.listeners.delete(listener);
  }

  protected setState(state: S): void {
    this.state = state;
    for (const listener of this.listeners) listener(state);
  }
}
