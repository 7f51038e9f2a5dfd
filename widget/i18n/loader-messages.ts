import type { WidgetMessages } from './widget-en.js';
import type { Locale } from './translate.js';

/**
 * The few widget texts that widget.js (the loader, widget/index.ts) shows before the rest of the
 * widget has loaded: the share button, its busy state, and the error when the rest cannot load.
 * Copied from widget-en.ts and widget-messages.ts so the loader does not carry the whole catalogue; a unit test
 * (tests/unit/i18n/loader-messages.test.ts) fails when the two differ.
 */
export const LOADER_KEYS = ['share', 'starting', 'errorTitle', 'errUnreachable', 'close', 'retry'] as const;
export type LoaderMessages = Pick<WidgetMessages, (typeof LOADER_KEYS)[number]>;

export const LOADER_MESSAGES: Record<Locale, LoaderMessages> = {
  en: {
    share: 'Share my screen',
    starting: 'Getting a code…',
    errorTitle: 'Sharing could not start',
    errUnreachable: "We couldn't reach the help service. Check your internet connection and try again.",
    close: 'Close',
    retry: 'Try again',
  },
  de: {
    share: 'Bildschirm teilen',
    starting: 'Code wird erstellt…',
    errorTitle: 'Die Freigabe konnte nicht starten',
    errUnreachable: 'Der Hilfedienst ist nicht erreichbar. Prüfen Sie Ihre Internetverbindung und versuchen Sie es erneut.',
    close: 'Schließen',
    retry: 'Erneut versuchen',
  },
  fr: {
    share: 'Partager mon écran',
    starting: 'Obtention d’un code…',
    errorTitle: 'Le partage n’a pas pu démarrer',
    errUnreachable: 'Impossible de joindre le service d’aide. Vérifiez votre connexion Internet et réessayez.',
    close: 'Fermer',
    retry: 'Réessayer',
  },
  es: {
    share: 'Compartir mi pantalla',
    starting: 'Obteniendo un código…',
    errorTitle: 'No se pudo empezar a compartir',
    errUnreachable: 'No pudimos conectar con el servicio de ayuda. Comprueba tu conexión a Internet y vuelve a intentarlo.',
    close: 'Cerrar',
    retry: 'Reintentar',
  },
  pt: {
    share: 'Partilhar o meu ecrã',
    starting: 'A obter um código…',
    errorTitle: 'Não foi possível começar a partilha',
    errUnreachable: 'Não foi possível contactar o serviço de ajuda. Verifique a sua ligação à Internet e tente de novo.',
    close: 'Fechar',
    retry: 'Tentar de novo',
  },
  it: {
    share: 'Condividi il mio schermo',
    starting: 'Richiesta del codice…',
    errorTitle: 'Impossibile avviare la condivisione',
    errUnreachable: 'Impossibile raggiungere il servizio di assistenza. Controlla la connessione a Internet e riprova.',
    close: 'Chiudi',
    retry: 'Riprova',
  },
  nl: {
    share: 'Mijn scherm delen',
    starting: 'Code ophalen…',
    errorTitle: 'Delen kon niet starten',
    errUnreachable: 'De hulpdienst is niet bereikbaar. Controleer uw internetverbinding en probeer het opnieuw.',
    close: 'Sluiten',
    retry: 'Opnieuw proberen',
  },
  pl: {
    share: 'Udostępnij ekran',
    starting: 'Pobieranie kodu…',
    errorTitle: 'Nie udało się rozpocząć udostępniania',
    errUnreachable: 'Nie udało się połączyć z pomocą. Sprawdź połączenie z internetem i spróbuj ponownie.',
    close: 'Zamknij',
    retry: 'Spróbuj ponownie',
  },
  ja: {
    share: '画面を共有',
    starting: 'コードを取得中…',
    errorTitle: '共有を開始できませんでした',
    errUnreachable: 'サポートサービスに接続できません。インターネット接続を確認して、もう一度お試しください。',
    close: '閉じる',
    retry: '再試行',
  },
  ar: {
    share: 'مشاركة شاشتي',
    starting: 'جارٍ الحصول على رمز…',
    errorTitle: 'تعذّر بدء المشاركة',
    errUnreachable: 'تعذّر الوصول إلى خدمة المساعدة. تحقّق من اتصالك بالإنترنت وحاول مرة أخرى.',
    close: 'إغلاق',
    retry: 'إعادة المحاولة',
  },
};
