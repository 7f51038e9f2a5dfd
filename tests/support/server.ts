import { createAppServer } from '../../signaling/http.js';

/** A real Coview server (signaling + widget + join page + demo) on a free loopback port. */
export async function startServer(options: Parameters<typeof createAppServer>[0] = {}) {
  const app = createAppServer(options);
  const { url } = await app.listen(0, '127.0.0.1');
  return { url, app, close: () => app.close() };
}
