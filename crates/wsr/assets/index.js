export { ReliableClient, ReliableError } from './client.js';
export * from './codec.js';
