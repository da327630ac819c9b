export { ReliableClient, ReliableError } from './client.js';
export type { ClientOptions, ConnectionState, Message, Stats } from './client.js';
export * from './codec.js';
