/**
 * Redis pub/sub channel names. They include the queue name so that two deployments (or two
 * tests) sharing one Redis never hear each other's progress or cancellations.
 */
export const channels = {
  /** Every progress event of the queue's analyses, one JSON `ProgressEvent` per message. */
  progress: (queueName: string) => `vetbox:${queueName}:progress`,
  /** Analysis ids whose running job must stop now. */
  cancel: (queueName: string) => `vetbox:${queueName}:cancel`,
};
