export * from './channels.js';
export * from './events.js';
export * from './queue.js';
export * from './redis.js';
export * from './webhook.js';
export * from './outages.js';
