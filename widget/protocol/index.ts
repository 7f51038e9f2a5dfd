export * from './errors.js';
export * from './decode.js';
export * from './digest.js';
export * from './messages.js';
export * from './signaling.js';
export * from './room-code.js';
export * from './handshake.js';
export * from './relay-crypto.js';
