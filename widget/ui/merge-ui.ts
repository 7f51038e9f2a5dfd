import type { WidgetUiOptions } from './host-widget.js';

/** The site's words and look after `next` (`configure`, `start` options): merged into what was set before. */
export function mergeUi(base: WidgetUiOptions, next: WidgetUiOptions): WidgetUiOptions {
  return {
    ...base,
    ...(next.locale !== undefined ? { locale: next.locale } : {}),
    ...(next.texts !== undefined ? { texts: { ...base.texts, ...next.texts } } : {}),
    ...(next.theme !== undefined ? { theme: { ...base.theme, ...next.theme } } : {}),
  };
}
