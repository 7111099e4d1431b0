import type { Redis } from 'ioredis';
import { ProgressEvent } from '@vetbox/contracts';
import { channels } from './channels.js';

export type ProgressListener = (event: ProgressEvent) => void;

/** Validates and publishes one progress event; subscribers in every API process receive it. */
export async function publishProgress(publisher: Redis, queueName: string, event: ProgressEvent): Promise<void> {
  const parsed = ProgressEvent.parse(event);
  await publisher.publish(channels.progress(queueName), JSON.stringify(parsed));
}

/**
 * One subscriber connection per process, fanned out in memory to any number of listeners
 * (one per open SSE stream), so a thousand followers cost one Redis connection.
 */
export class ProgressSubscriber {
  private readonly byAnalysis = new Map<string, Set<ProgressListener>>();
  private readonly everything = new Set<ProgressListener>();
  private ready: Promise<unknown>;
  private malformed = 0;

  constructor(
    private readonly subscriber: Redis,
    private readonly queueName: string,
  ) {
    this.subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
    this.subscriber.on('error', () => {});
    this.ready = this.subscriber.subscribe(channels.progress(queueName));
    // Closed before Redis confirmed (a quick shutdown): whenReady() callers still see the
    // rejection, but it must not crash the process as an unhandled one.
    this.ready.catch(() => {});
  }

  /** Resolves once Redis confirmed the subscription (events published before are not seen). */
  whenReady(): Promise<unknown> {
    return this.ready;
  }

  get malformedMessages(): number {
    return this.malformed;
  }

  /** Listen to one analysis (or all with '*'); returns the unsubscribe function. */
  on(analysisId: string | '*', listener: ProgressListener): () => void {
    if (analysisId === '*') {
      this.everything.add(listener);
      return () => this.everything.delete(listener);
    }
    let set = this.byAnalysis.get(analysisId);
    if (!set) this.byAnalysis.set(analysisId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.byAnalysis.delete(analysisId);
    };
  }

  private dispatch(channel: string, message: string): void {
    if (channel !== channels.progress(this.queueName)) return;
    let event: ProgressEvent;
    try {
      event = ProgressEvent.parse(JSON.parse(message));
    } catch {
      this.malformed += 1;
      return;
    }
    for (const l of this.everything) l(event);
    for (const l of this.byAnalysis.get(event.analysisId) ?? []) l(event);
  }

  async close(): Promise<void> {
    this.byAnalysis.clear();
    this.everything.clear();
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}

/** Worker side of cancellation: calls `onCancel(analysisId)` for every id published. */
export class CancelSubscriber {
  private ready: Promise<unknown>;
  constructor(
    private readonly subscriber: Redis,
    queueName: string,
    onCancel: (analysisId: string) => void,
  ) {
    const channel = channels.cancel(queueName);
    this.subscriber.on('message', (ch: string, message: string) => {
      if (ch === channel) onCancel(message);
    });
    this.subscriber.on('error', () => {});
    this.ready = this.subscriber.subscribe(channel);
  }

  whenReady(): Promise<unknown> {
    return this.ready;
  }

  async close(): Promise<void> {
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }
}
