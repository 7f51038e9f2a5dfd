import type { CaptureContext } from './capture.js';

const CANVAS_INTERVAL_MS = 500;
/** Work per canvas round; what is left waits for the next round (the page comes first). */
const CANVAS_BUDGET_MS = 20;
const CANVAS_MAX_PIXELS = 4_000_000;

/**
 * Canvases are pictures the DOM does not describe: while one changes, a compressed frame of it is
 * sent every half second at most.
 */
export function watchCanvases(ctx: CaptureContext) {
  const canvases = new Set<HTMLCanvasElement>();
  const lastSent = new WeakMap<HTMLCanvasElement, string>();
  const tick = ctx.safe(() => {
    const deadline = performance.now() + CANVAS_BUDGET_MS;
    for (const canvas of [...canvases]) {
      if (!canvas.isConnected) {
        canvases.delete(canvas);
        continue;
      }
      const id = ctx.idOf(canvas);
      // Asked every round: a canvas can be blocked or masked by a class or a move since it was sent.
      if (ctx.decide(canvas) !== 'show') continue;
      if (id < 0 || canvas.width * canvas.height > CANVAS_MAX_PIXELS || canvas.width === 0 || canvas.height === 0) continue;
      let dataUrl: string;
      try {
        dataUrl = canvas.toDataURL('image/webp', 0.7);
      } catch {
        // A canvas tainted by cross-origin images cannot be read: the agent keeps its last frame.
        canvases.delete(canvas);
        continue;
      }
      if (lastSent.get(canvas) !== dataUrl) {
        lastSent.set(canvas, dataUrl);
        ctx.emit({ type: 'canvas', id, dataUrl });
      }
      // Round robin: the canvases not reached this time go first next time.
      canvases.delete(canvas);
      canvases.add(canvas);
      if (performance.now() > deadline) break;
    }
  });
  const timer = setInterval(tick, CANVAS_INTERVAL_MS);
  return {
    add(canvas: HTMLCanvasElement) {
      if (ctx.decide(canvas) === 'show') canvases.add(canvas);
    },
    stop() {
      clearInterval(timer);
    },
  };
}

const MEDIA_EVENTS = ['play', 'pause', 'seeked', 'ratechange', 'volumechange', 'loadedmetadata'];

/** Video and audio: play state, position, rate and mute, sent when they change. */
export function watchMedia(ctx: CaptureContext) {
  // Weak, and listeners removed all at once by the signal: a player that left the page is not kept for the session.
  const watched = new WeakSet<HTMLMediaElement>();
  const listening = new AbortController();
  const sendState = ctx.safe((el: HTMLMediaElement) => {
    const id = ctx.idOf(el);
    if (id < 0 || ctx.decide(el) === 'block') return;
    ctx.emit({ type: 'media', id, paused: el.paused, time: Number.isFinite(el.currentTime) ? el.currentTime : 0, rate: el.playbackRate, muted: el.muted });
  });
  const send = (event: Event) => sendState(event.target as HTMLMediaElement);
  return {
    add(el: HTMLMediaElement) {
      if (watched.has(el) || ctx.decide(el) === 'block') return;
      watched.add(el);
      for (const type of MEDIA_EVENTS) el.addEventListener(type, send, { signal: listening.signal });
      // Already playing when the agent arrived: say so now.
      if (!el.paused) sendState(el);
    },
    stop() {
      listening.abort();
    },
  };
}
