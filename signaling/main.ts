import { ConfigError, loadConfig } from './config.js';
import { createAppServer } from './http.js';

/** `node dist/server.js`: configuration from the environment, one log line, graceful shutdown. */

/** Long enough for sockets to hear the goodbye; short enough that an orchestrator never has to kill us. */
const SHUTDOWN_GRACE_MS = 5_000;

function start(): void {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`Coview cannot start: ${error.message}`);
    process.exit(1);
  }

  const app = createAppServer({ roomTtlMs: config.roomTtlMs, iceServers: config.iceServers, serveDemo: config.serveDemo });
  app.listen(config.port, config.host).then(
    ({ port }) => console.log(`Coview listening on http://localhost:${port} (join page: /join)`),
    (error: unknown) => {
      console.error(`Coview cannot listen on ${config.host}:${config.port}:`, error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );

  let stopping = false;
  const stop = (): void => {
    // A second Ctrl-C means "now".
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('Coview did not close cleanly:', error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

start();
