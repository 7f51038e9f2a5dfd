import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** How often the event-loop lag is sampled (coview_process_nodejs_eventloop_lag_*). */
const EVENT_LOOP_SAMPLE_MS = 100;

/**
 * Prometheus metrics for one signaling process (GET /metrics). With several processes, sum them
 * in Prometheus: each counts the sockets and rooms it serves.
 */
export function createMetrics() {
  const registry = new Registry();
  // The event-loop lag histogram samples on a timer; prom-client's default of every 10 ms woke an
  // idle server 100 times a second, about 0.9 % of a core here (bench:transport's direct baseline).
  // Sampled every 100 ms, a stall shows when it holds up a sample: long stalls always, one of
  // 20 ms about one time in five. Enough for a lag alert, at a tenth of the cost.
  collectDefaultMetrics({ register: registry, prefix: 'coview_process_', eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  return {
    registry,
    sockets: new Gauge({ name: 'coview_sockets', help: 'Socket.IO connections open on this process.', registers: [registry] }),
    rooms: new Gauge({ name: 'coview_rooms_live', help: 'Rooms whose host is connected to this process.', registers: [registry] }),
    joins: new Counter({ name: 'coview_joins_total', help: 'Agent join attempts, by result.', labelNames: ['result'] as const, registers: [registry] }),
    resumes: new Counter({ name: 'coview_resumes_total', help: 'Hosts and agents coming back after a dropped socket, by role and result.', labelNames: ['role', 'result'] as const, registers: [registry] }),
    failures: new Counter({ name: 'coview_failures_total', help: 'Requests answered with an error, by error code.', labelNames: ['code'] as const, registers: [registry] }),
    relayed: new Counter({ name: 'coview_signals_relayed_total', help: 'WebRTC signals relayed between peers.', registers: [registry] }),
    sessions: new Counter({ name: 'coview_sessions_total', help: 'Agent sessions that went live, by transport (direct: WebRTC peer to peer; relayed: end-to-end encrypted through this server).', labelNames: ['transport'] as const, registers: [registry] }),
    relayBytes: new Counter({ name: 'coview_relay_bytes_total', help: 'Sealed relay bytes forwarded (and acknowledged by the receiver).', registers: [registry] }),
    relayWaits: new Counter({ name: 'coview_relay_throttled_total', help: 'Relay frames held back by the per-room bandwidth limit.', registers: [registry] }),
    latency: new Histogram({
      name: 'coview_signal_relay_seconds',
      help: 'Time from receiving a WebRTC signal to handing it on (room lookup included).',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
