import { NodeKind, type AttributeValue, type HostMessage, type SerializedNode } from '../protocol/index.js';

/**
 * The agent's side of "host content never runs code here". The mirror iframe is sandboxed without
 * `allow-scripts`, but it is also same-origin with the join page (rrweb-snapshot needs that), so
 * everything that could run, load active content or navigate is removed before a node is built,
 * as a second wall: scripts, event-handler attributes, javascript:/vbscript: URLs (in any
 * attribute, SVG animations included), srcdoc, <meta http-equiv> (refresh navigates even with
 * scripts off), <base>, form actions, <object>/<embed>, CSS url(javascript:)/expression().
 *
 * It works on the wire form (SerializedNode), not on DOM, so the viewer calls it once per message
 * and it is unit-tested without a browser. Messages from an honest widget are never changed:
 * its capture already drops scripts and meta http-equiv.
 */

/** Elements that are replaced (their id kept, so later changes that name it still line up). */
const REMOVED_TAGS = new Set(['script', 'object', 'embed', 'applet', 'base', 'frame', 'frameset', 'portal', 'param']);
/** Attributes that are dropped whatever their value. */
const DROPPED_ATTRIBUTES = new Set(['srcdoc', 'action', 'formaction', 'ping', 'http-equiv', 'rr_src']);
const ANIMATIONS = new Set(['set', 'animate', 'animatemotion', 'animatetransform', 'animatecolor']);
export const REMOVED_TAG = 'coview-removed';

const VALID_TAG = /^[a-z][a-z0-9._:-]*$/i;
const CUSTOM_ELEMENT = /^[a-z][a-z0-9._]*-[a-z0-9._-]*$/;
// Control characters are exactly what this must refuse.
// oxlint-disable-next-line no-control-regex
const VALID_ATTRIBUTE = /^[^\s"'>/=\u0000-\u001f\u007f]+$/;
// After removing whitespace and control characters, as browsers do when they parse a URL scheme.
const ACTIVE_URL = /^(?:javascript|vbscript|livescript):|^data:(?:text\/html|application\/(?:xhtml|x?javascript|ecmascript)|image\/svg)/i;

/** True when a value would run code or load an active document if used as a URL. */
export function isActiveUrl(value: string): boolean {
  // oxlint-disable-next-line no-control-regex
  return ACTIVE_URL.test(value.replace(/[\u0000-\u0020\u007f-\u009f]+/g, ''));
}

/** CSS cannot run script in today's browsers, but old engines did (expression(), -moz-binding). */
export function sanitizeCss(css: string): string {
  if (!/javascript:|vbscript:|expression\s*\(|-moz-binding|behavior\s*:/i.test(css)) return css;
  return css
    .replace(/url\(\s*(['"]?)\s*(?:javascript|vbscript):[^)]*\)/gi, 'url($1about:invalid$1)')
    .replace(/expression\s*\(/gi, 'invalid(')
    .replace(/-moz-binding\s*:/gi, 'invalid-binding:')
    .replace(/behavior\s*:/gi, 'invalid-behavior:');
}

/** An attribute as the mirror may have it, or undefined to drop it. */
export function sanitizeAttribute(tagName: string, name: string, value: AttributeValue): AttributeValue | undefined {
  const lower = name.toLowerCase();
  if (!VALID_ATTRIBUTE.test(name) || lower.startsWith('on') || DROPPED_ATTRIBUTES.has(lower)) return undefined;
  if (typeof value !== 'string') return value;
  if (lower === 'style' || lower === '_csstext') return sanitizeCss(value);
  const tag = tagName.toLowerCase();
  // An SVG shown through <img> is a picture: browsers never run script in an SVG used as an image
  // (recordings inline pictures this way).
  if (tag === 'img' && lower === 'src' && /^data:image\/svg\+xml[;,]/i.test(value.trim())) return value;
  if (isActiveUrl(value)) return undefined;
  // A nested frame loads nothing: the mirror shows only what the customer's page sent. Neither
  // does an SVG <use>/<feImage> pointing at another document (a same-document #id is fine).
  if ((tag === 'iframe' || tag === 'frame') && lower === 'src') return undefined;
  if ((tag === 'use' || tag === 'feimage') && (lower === 'href' || lower === 'xlink:href') && !value.trim().startsWith('#')) return undefined;
  // Every comma/semicolon-separated part is a URL in srcset and SVG animation values.
  if (/[,;]/.test(value) && value.split(/[,;]/).some((part) => isActiveUrl(part))) return undefined;
  return value;
}

/**
 * Hidden and inert. Fallback content (inside <object>, say) is kept, sanitized, so the view keeps
 * the page's structure, which the digest compares; a script's text is not content and goes.
 */
function removed(node: SerializedNode): SerializedNode {
  const keep = (node.tagName ?? '').toLowerCase() !== 'script' ? (node.childNodes ?? []).map((child) => sanitizeNode(child)) : [];
  return { id: node.id, type: NodeKind.Element, tagName: REMOVED_TAG, attributes: { hidden: true }, childNodes: keep };
}

function mustRemove(node: SerializedNode): boolean {
  const tag = (node.tagName ?? '').toLowerCase();
  if (!VALID_TAG.test(tag) || REMOVED_TAGS.has(tag)) return true;
  const attributes = node.attributes ?? {};
  if (tag === 'meta' && Object.keys(attributes).some((name) => name.toLowerCase() === 'http-equiv')) return true;
  if (tag === 'link') {
    const rel = String(attributes.rel ?? '').toLowerCase();
    // Stylesheets only: preload/prefetch/prerender/import/manifest fetch or run things.
    if (!/\bstylesheet\b/.test(rel) && !('_cssText' in attributes)) return true;
  }
  if (ANIMATIONS.has(tag)) {
    const target = String(attributes.attributeName ?? attributes.attributename ?? '').toLowerCase();
    if (/^(?:xlink:)?href$|^src$|^on|^style$/.test(target)) return true;
  }
  return false;
}

/** Cleans a node tree in place (it was just decoded from the wire) and returns it. */
export function sanitizeNode(node: SerializedNode, parentTag = ''): SerializedNode {
  if (node.type === NodeKind.Element) {
    if (mustRemove(node)) return removed(node);
    const tag = node.tagName!.toLowerCase();
    if (node.isCustom && !CUSTOM_ELEMENT.test(tag)) delete node.isCustom;
    if (node.attributes) {
      const clean: Record<string, AttributeValue> = {};
      for (const [name, value] of Object.entries(node.attributes)) {
        const safe = sanitizeAttribute(tag, name, value);
        if (safe !== undefined) clean[name] = safe;
      }
      node.attributes = clean;
    }
    if (node.childNodes) node.childNodes = node.childNodes.map((child) => sanitizeNode(child, tag));
    return node;
  }
  if (node.type === NodeKind.Text && node.textContent && (node.isStyle || parentTag === 'style')) {
    node.textContent = sanitizeCss(node.textContent);
  }
  if (node.childNodes) node.childNodes = node.childNodes.map((child) => sanitizeNode(child, parentTag));
  return node;
}

/** The one entry point the viewer calls for every message from the customer's page. */
export function sanitizeHostMessage(message: HostMessage): HostMessage {
  switch (message.type) {
    case 'snapshot':
      return { ...message, node: sanitizeNode(message.node) };
    case 'snapshot-part': {
      // Each node comes alone; its parent's tag (a <style>'s text is CSS) is known from earlier in the part.
      const tags = new Map<number, string>();
      return {
        ...message,
        nodes: message.nodes.map((flat) => {
          const node = sanitizeNode(flat.node, flat.parentId === null ? '' : (tags.get(flat.parentId) ?? ''));
          if (node.type === NodeKind.Element && node.tagName) tags.set(node.id, node.tagName.toLowerCase());
          return { ...flat, node };
        }),
      };
    }
    case 'stylesheet':
      return { ...message, cssText: sanitizeCss(message.cssText) };
    case 'sheet':
      return { ...message, cssText: sanitizeCss(message.cssText) };
    case 'adopted-styles':
      return { ...message, sheets: message.sheets.map(sanitizeCss) };
    case 'mutation':
      return {
        ...message,
        adds: message.adds.map((add) => ({ ...add, node: sanitizeNode(add.node) })),
        // The element's tag is not in an attribute change: the checks that need it (iframe src) err on the safe side.
        attributes: message.attributes.flatMap((change) => {
          if (change.value === null) return [change];
          const value = sanitizeAttribute('', change.name, change.value);
          return value === undefined ? [] : [{ ...change, value: String(value) }];
        }),
        // A text change may belong to a <style>: only the dangerous CSS patterns are touched.
        texts: message.texts.map((change) => ({ ...change, value: sanitizeCss(change.value) })),
      };
    default:
      return message;
  }
}
