import { installCoview } from './coview.js';
import type { PrivacyOptions } from './host/privacy.js';
import { parseTextOverrides } from './i18n/translate.js';
import type { Corner, WidgetTheme, WidgetUiOptions } from './ui/host-widget.js';

/**
 * The embeddable widget: `<script src="https://YOUR-SERVER/widget.js" async></script>`.
 * The server is the script's own origin unless `data-server` names another. The API it sets,
 * `window.Coview`, is in coview.ts.
 */

function serverUrlFrom(script: HTMLScriptElement | null): string {
  if (script?.dataset.server) return script.dataset.server;
  if (script?.src) return new URL(script.src, location.href).origin;
  return location.origin;
}

/**
 * Privacy options on the script tag, for sites that only paste the tag:
 * data-mask-selector, data-block-selector, data-mask-all-inputs, data-private-by-default.
 */
export function privacyFrom(script: HTMLScriptElement | null): PrivacyOptions {
  const data = script?.dataset ?? {};
  const flag = (value: string | undefined) => value !== undefined && value !== 'false';
  const options: PrivacyOptions = {};
  if (data.maskSelector) options.maskSelector = data.maskSelector;
  if (data.blockSelector) options.blockSelector = data.blockSelector;
  if (flag(data.maskAllInputs)) options.maskAllInputs = true;
  if (flag(data.privateByDefault)) options.privateByDefault = true;
  return options;
}

/**
 * Words and look on the script tag: data-locale, data-texts (JSON), data-accent, data-radius,
 * data-font, data-position, data-color-scheme.
 */
export function uiFrom(script: HTMLScriptElement | null): WidgetUiOptions {
  const data = script?.dataset ?? {};
  const theme: WidgetTheme = {};
  if (data.accent) theme.accent = data.accent;
  if (data.radius) theme.radius = data.radius;
  if (data.font) theme.font = data.font;
  if (data.position && ['bottom-right', 'bottom-left', 'top-right', 'top-left'].includes(data.position)) theme.position = data.position as Corner;
  if (data.colorScheme === 'light' || data.colorScheme === 'dark' || data.colorScheme === 'auto') theme.colorScheme = data.colorScheme;
  const options: WidgetUiOptions = { theme };
  if (data.locale) options.locale = data.locale;
  if (data.texts) options.texts = parseTextOverrides(data.texts);
  return options;
}

function install(): void {
  if (window.Coview) return; // pasted twice (or imported from npm too): one widget is enough
  const script = document.currentScript as HTMLScriptElement | null;
  installCoview({
    serverUrl: serverUrlFrom(script),
    // A cross-origin script without `crossorigin` has its errors muted: see wrapFetch.
    wrapFetch: !script?.src || script.crossOrigin !== null || new URL(script.src, location.href).origin === location.origin,
    privacy: privacyFrom(script),
    ui: uiFrom(script),
  });
}

try {
  install();
} catch (error) {
  // The host page must never break because of the widget.
  console.error('[coview] the widget could not start:', error);
}
