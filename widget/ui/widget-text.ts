import { WIDGET_EN, type WidgetMessages } from '../i18n/widget-en.js';
import { fetchedTexts, translatorFor, type TextSource } from '../i18n/text-source.js';
import type { Locale, TextOverrides, Translator } from '../i18n/translate.js';
import { ObservableState } from '../session/observable-state.js';

/** Where the widget's texts in other languages come from: bundled (dist/coview.js) or fetched (widget-core.js). */
export type WidgetTextSource = TextSource<WidgetMessages>;

/** widget-core.js's: `widget-text/<locale>.json` beside the script (`base`, its URL). */
export function fetchedWidgetTexts(base: string): WidgetTextSource {
  return fetchedTexts<WidgetMessages>(WIDGET_EN, 'widget-text', base, "the widget's");
}

/**
 * The widget's catalogues: English built in, each other language asked of the source once, when
 * the widget first needs it (widget-core.js running, `configure({ locale })`). The state is what
 * has arrived (`null`: could not be had); the widget renders again as each arrives and reads
 * English meanwhile, never a blank or a key.
 */
export class WidgetText extends ObservableState<ReadonlyMap<Locale, Partial<WidgetMessages> | null>> {
  private readonly asked = new Set<Locale>();

  constructor(private readonly source: WidgetTextSource) {
    super(new Map());
  }

  /** Asks the source for `locale`'s texts unless English or asked already. */
  request(locale: Locale): void {
    if (locale === 'en' || this.asked.has(locale)) return;
    this.asked.add(locale);
    const arrived = (texts: Partial<WidgetMessages> | null) => this.setState(new Map(this.state).set(locale, texts));
    const answer = this.source(locale);
    if (answer instanceof Promise) void answer.then(arrived);
    // At hand (bundled): in the state before anyone reads it, so the first render is in that language already.
    else this.state = new Map(this.state).set(locale, answer);
  }

  /** `locale`'s translator once its texts are in (the site's overrides on top), English until then or if they cannot be had. */
  translator(locale: Locale, overrides?: TextOverrides<WidgetMessages>): Translator<WidgetMessages> {
    const texts = locale === 'en' ? {} : this.state.get(locale);
    return texts ? translatorFor<WidgetMessages>(WIDGET_EN, locale, texts, overrides) : translatorFor<WidgetMessages>(WIDGET_EN, 'en', {}, overrides);
  }
}
