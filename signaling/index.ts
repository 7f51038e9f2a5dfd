/**
 * `import { createAppServer, createSignalingServer } from 'coview/server'`: Coview in a Node
 * server of your own. `createAppServer` is the whole product (bundles, join page, health check,
 * metrics, signaling), on its own port or mounted into an existing server; `createSignalingServer`
 * is the signaling alone, on any `http.Server`. See README's "Mount it in your own server".
 */
export { createAppServer, type AppServer, type AppServerOptions, type NextHandler } from './http.js';
export { createSignalingServer, DEFAULT_LIMITS, type Limits, type SignalingIo, type SignalingOptions, type SignalingServer, type TurnOptions } from './server.js';
export { loadConfig, ConfigError, type CoviewConfig, type Env } from './config.js';
export { createLogger, type Logger, type LogLevel } from './log.js';
export { createMemoryStore, createRedisStore, type RoomStore } from './store.js';
export { signAgentToken, type AgentTokenClaims } from './security.js';
export type { Metrics } from './metrics.js';
