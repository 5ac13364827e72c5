export interface SimulationEvent {
  readonly at: number;
  readonly label: string;
  readonly run: () => Promise<void> | void;
}

interface QueuedEvent extends SimulationEvent {
  readonly sequence: number;
}

/** A binary min-heap of events by time; events at the same time run in the order they were added. */
export class EventQueue {
  readonly #heap: QueuedEvent[] = [];
  #sequence = 0;

  get size(): number {
    return this.#heap.length;
  }

  add(event: SimulationEvent): void {
    this.#heap.push({ ...event, sequence: this.#sequence++ });
    this.#siftUp(this.#heap.length - 1);
  }

  peekTime(): number | undefined {
    return this.#heap[0]?.at;
  }

  take(): SimulationEvent | undefined {
    const first = this.#heap[0];
    const last = this.#heap.pop();
    if (first && last && first !== last) {
      this.#heap[0] = last;
      this.#siftDown(0);
    }
    return first;
  }

  #before(a: QueuedEvent, b: QueuedEvent): boolean {
    return a.at < b.at || (a.at === b.at && a.sequence < b.sequence);
  }

  #siftUp(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.#swapIfBefore(child, parent)) return;
      child = parent;
    }
  }

  #siftDown(index: number): void {
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let smallest = parent;
      for (const child of [left, right]) {
        const candidate = this.#heap[child];
        const current = this.#heap[smallest];
        if (candidate && current && this.#before(candidate, current)) smallest = child;
      }
      if (smallest === parent) return;
      this.#swap(parent, smallest);
      parent = smallest;
    }
  }

  #swapIfBefore(child: number, parent: number): boolean {
    const a = this.#heap[child];
    const b = this.#heap[parent];
    if (!a || !b || !this.#before(a, b)) return false;
    this.#swap(child, parent);
    return true;
  }

  #swap(i: number, j: number): void {
    const a = this.#heap[i];
    const b = this.#heap[j];
    if (!a || !b) return;
    this.#heap[i] = b;
    this.#heap[j] = a;
  }
}
