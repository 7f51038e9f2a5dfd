import type { AgentAnnotation, HostSession } from '../session/host-session.js';

/**
 * What the agent shows the customer, drawn over their page inside the widget's shadow root
 * (never captured, never clickable): the agent's cursor with their name, "look here" ripples,
 * and freehand strokes that fade. Everything is placed in page coordinates and the layer
 * follows the page's scroll, so a stroke stays on the content it was drawn on.
 * Plain DOM rather than Preact: pointer updates arrive 25 times a second.
 */
export const FADE_AFTER_MS = 2_500;
const FADE_MS = 800;
const SVG_NS = 'http://www.w3.org/2000/svg';

export const OVERLAY_CSS = `
.overlay { position: fixed; inset: 0; pointer-events: none; overflow: hidden; z-index: 2147483646; }
.overlay-content { position: absolute; left: 0; top: 0; will-change: transform; }
.agent-cursor { position: absolute; left: 0; top: 0; display: none; transition: transform 60ms linear; }
.agent-cursor svg { display: block; filter: drop-shadow(0 1px 2px rgba(0,0,0,.35)); }
.agent-name { position: absolute; left: 18px; top: 16px; padding: 2px 8px; border-radius: 6px; background: #7c3aed; color: #fff;
  font: 600 12px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; white-space: nowrap; }
.ink { position: absolute; left: 0; top: 0; width: 1px; height: 1px; overflow: visible; }
.ink path { fill: none; stroke: #7c3aed; stroke-width: 4; stroke-linecap: round; stroke-linejoin: round; opacity: .9; transition: opacity ${FADE_MS}ms ease-out; }
.ink path.fading { opacity: 0; }
.ink-name { position: absolute; padding: 1px 6px; border-radius: 6px; background: #7c3aed; color: #fff; transform: translate(-50%, -130%);
  font: 600 11px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; white-space: nowrap; transition: opacity ${FADE_MS}ms ease-out; }
.ink-name.fading { opacity: 0; }
.laser { position: absolute; width: 36px; height: 36px; margin: -18px 0 0 -18px; border-radius: 50%; border: 3px solid #7c3aed;
  background: rgba(124, 58, 237, .18); animation: laser 900ms ease-out forwards; }
@keyframes laser { from { transform: scale(.3); opacity: 1; } to { transform: scale(1.8); opacity: 0; } }
@media (prefers-reduced-motion: reduce) {
  .agent-cursor, .ink path, .ink-name { transition: none; }
  .laser { animation: none; opacity: .8; }
}
`;

const CURSOR_SVG =
  '<svg width="22" height="22" viewBox="0 0 22 22" aria-hidden="true"><path d="M2 2l7 18 2.6-7.4L19 10z" fill="#7c3aed" stroke="#fff" stroke-width="1.5" stroke-linejoin="round"/></svg>';

/** `someAgent()`: the name shown when an annotation does not say whose it is, in the widget's language. */
export function mountHostOverlay(shadow: ShadowRoot, session: HostSession, someAgent: () => string = () => 'Agent'): () => void {
  const doc = shadow.ownerDocument;
  const win = doc.defaultView ?? window;
  const style = doc.createElement('style');
  style.textContent = OVERLAY_CSS;
  const layer = doc.createElement('div');
  layer.className = 'overlay';
  layer.setAttribute('aria-hidden', 'true');
  const content = doc.createElement('div');
  content.className = 'overlay-content';
  const ink = doc.createElementNS(SVG_NS, 'svg');
  ink.setAttribute('class', 'ink');
  content.append(ink);
  // One cursor per agent (several may watch), each labelled with that agent's name.
  const cursors = new Map<string, HTMLDivElement>();
  const cursorOf = (key: string) => {
    let cursor = cursors.get(key);
    if (!cursor) {
      cursor = doc.createElement('div');
      cursor.className = 'agent-cursor';
      cursor.innerHTML = CURSOR_SVG;
      const label = doc.createElement('span');
      label.className = 'agent-name';
      cursor.append(label);
      content.append(cursor);
      cursors.set(key, cursor);
    }
    return cursor;
  };
  layer.append(content);
  shadow.append(style, layer);

  const follow = () => (content.style.transform = `translate(${-win.scrollX}px, ${-win.scrollY}px)`);
  follow();
  win.addEventListener('scroll', follow, { passive: true });

  // Strokes by agent and stroke number: two agents may both be drawing their stroke 1.
  const strokes = new Map<string, { path: SVGPathElement; name: HTMLElement; d: string; timer: ReturnType<typeof setTimeout> }>();
  const fade = (id: string) => {
    const stroke = strokes.get(id);
    if (!stroke) return;
    strokes.delete(id);
    stroke.path.classList.add('fading');
    stroke.name.classList.add('fading');
    setTimeout(() => {
      stroke.path.remove();
      stroke.name.remove();
    }, FADE_MS + 50);
  };

  const show = (annotation: AgentAnnotation) => {
    const key = annotation.agent?.id ?? 'agent';
    switch (annotation.type) {
      case 'pointer': {
        const state = session.current;
        const cursor = cursorOf(key);
        cursor.querySelector('.agent-name')!.textContent = annotation.agent?.name ?? ('agent' in state ? state.agent.name : someAgent());
        cursor.style.display = annotation.visible ? 'block' : 'none';
        cursor.style.transform = `translate(${annotation.x}px, ${annotation.y}px)`;
        return;
      }
      case 'laser': {
        const dot = doc.createElement('div');
        dot.className = 'laser';
        Object.assign(dot.style, { left: `${annotation.x}px`, top: `${annotation.y}px` });
        content.append(dot);
        setTimeout(() => dot.remove(), 950);
        return;
      }
      case 'draw': {
        const id = `${key}:${annotation.stroke}`;
        let stroke = strokes.get(id);
        if (!stroke) {
          const path = doc.createElementNS(SVG_NS, 'path');
          path.setAttribute('data-stroke', String(annotation.stroke));
          ink.append(path);
          // Whose drawing it is, where it starts.
          const name = doc.createElement('span');
          name.className = 'ink-name';
          name.textContent = annotation.agent?.name ?? someAgent();
          const start = annotation.points[0];
          if (start) Object.assign(name.style, { left: `${start.x}px`, top: `${start.y}px` });
          content.append(name);
          stroke = { path, name, d: '', timer: setTimeout(() => {}, 0) };
          strokes.set(id, stroke);
        }
        for (const { x, y } of annotation.points) stroke.d += `${stroke.d ? 'L' : 'M'}${Math.round(x)} ${Math.round(y)}`;
        stroke.path.setAttribute('d', stroke.d);
        // A stroke fades a while after its last point, so drawings never pile up on the page.
        clearTimeout(stroke.timer);
        stroke.timer = setTimeout(() => fade(id), FADE_AFTER_MS);
        return;
      }
      case 'clear':
        // One agent's connection ended (theirs only), or everyone's.
        for (const [id, cursor] of cursors) if (!annotation.agent || id === key) cursor.style.display = 'none';
        for (const id of [...strokes.keys()]) if (!annotation.agent || id.startsWith(`${key}:`)) fade(id);
        return;
    }
  };
  const unsubscribe = session.onAnnotation(show);
  return () => {
    unsubscribe();
    win.removeEventListener('scroll', follow);
    layer.remove();
    style.remove();
  };
}
