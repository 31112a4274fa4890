/** The dispatcher's pause between polls, which new work can cut short. */
export class Waker {
  private resolve: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null
  private soon: NodeJS.Timeout | null = null
  /** A wake-up that came while not sleeping: the next sleep returns at once. */
  private pending = false
  private closed = false

  sleep(ms: number): Promise<void> {
    if (this.pending || this.closed) {
      this.pending = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      this.resolve = resolve
      this.timer = setTimeout(() => this.wake(), ms)
      this.timer.unref()
    })
  }

  wake(): void {
    const resolve = this.resolve
    if (!resolve) {
      this.pending = true
      return
    }
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    this.resolve = null
    this.pending = false
    resolve()
  }

  /** Wakes in `ms` (coalesced): enough for the transaction that queued work to commit. */
  wakeSoon(ms: number): void {
    if (this.soon || this.closed) return
    this.soon = setTimeout(() => {
      this.soon = null
      this.wake()
    }, ms)
    this.soon.unref()
  }

  /** Ends the current sleep and every later one at once. */
  close(): void {
    this.closed = true
    if (this.soon) clearTimeout(this.soon)
    this.soon = null
    this.wake()
  }
}

/** true when `p` settles within `ms`. */
export async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms)
  })
  try {
    return await Promise.race([p.then(() => true), timeout])
  } finally {
    clearTimeout(timer)
  }
}
