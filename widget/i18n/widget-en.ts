import type { CatalogueOf } from './translate.js';

/** Every catalogue's shape: the keys of English, a string where it has a string, plural forms where it has plurals. */
export type WidgetMessages = CatalogueOf<typeof WIDGET_EN>;
export type WidgetKey = keyof WidgetMessages;

/**
 * Every text the customer reads in the widget, in English: built into widget-core.js, what the widget
 * shows until (or unless) its language's catalogue arrives, and what every missing text falls back to.
 * The other languages are in widget-messages.ts, served beside widget-core.js as
 * dist/widget-text/<locale>.json and fetched on demand (the npm module bundles them all). Sites
 * override any key with `options.texts` or `data-texts` (see the README's "Languages and texts").
 * Placeholders: `{name}` an agent's name, `{names}` everyone watching, `{code}` the share code, `{count}` a number.
 * No URLs and no error codes here: codes stay in `data-coview-host-reason` and the API.
 */
export const WIDGET_EN = {
  share: 'Share my screen',
  starting: 'Getting a code…',
  panelLabel: 'Screen sharing',
  codeTitle: 'Your share code',
  codeHint: 'Read this code to your support agent. Nobody sees your screen until you allow it.',
  cancel: 'Cancel',
  consentLabel: 'Allow screen sharing?',
  consentTitle: 'Allow {name} to see this page?',
  consentHint: 'They will see this tab only, live, until you stop. Passwords, card numbers and hidden fields are never shown.',
  deny: 'Deny',
  allow: 'Allow',
  connecting: 'Connecting to {name}…',
  stop: 'Stop sharing',
  reconnecting: 'Reconnecting to {name}…',
  reconnectingHint: 'The connection dropped. Sharing carries on by itself as soon as it is back.',
  controlBanner: 'Agent {name} is controlling this page',
  takeBack: 'Take back control',
  sharingTitle: 'You are sharing this page with {names}',
  watchingNow: 'Watching now',
  watching: { one: '{count} agent watching', other: '{count} agents watching' },
  codeLine: 'Code {code}',
  transportDirect: 'Direct',
  transportRelayed: 'Relayed (encrypted)',
  askToo: 'Allow {name} to see this page too?',
  inviteOpen: 'Another agent can join with code {code} now. You will be asked before they see anything.',
  controlLabel: 'Allow remote control?',
  controlAsk: '{name} asks to control this page: click, type and scroll for you. You can take control back at any time. Passwords and private fields stay out of reach.',
  allowControl: 'Allow control',
  invite: 'Invite another agent',
  errorTitle: 'Sharing could not start',
  close: 'Close',
  retry: 'Try again',
  minimise: 'Minimise',
  expand: 'Show the sharing panel',
  pillSharing: 'Sharing',
  pillCode: 'Code {code}',
  someAgent: 'Your support agent',
  move: 'Move to another corner',
  errUnreachable: "We couldn't reach the help service. Check your internet connection and try again.",
  errNoWebrtc: "This browser can't share your screen. Open this page in another browser, such as Chrome, Firefox, Edge or Safari, and try again.",
  errPeer: "Couldn't connect to your support agent. Try again, or try another browser.",
  errTampered: 'The connection to your support agent was tampered with on the way, so nothing was shared. Please reach the support team another way.',
  errGeneric: 'Something went wrong. Try again in a moment.',
  noticeDeclined: 'You declined {name}.',
  noticeStopped: 'You stopped sharing.',
  noticeResumeEnded: 'Your sharing session has ended. Start again if you need help.',
  noticeLost: 'Sharing ended: the connection was lost for too long.',
  noticeExpired: 'Your share code expired. Start again for a new one.',
  noticeLocked: 'Too many attempts to join with your code, so it was locked. Start again for a new one.',
  noticeEnded: 'Sharing ended.',
  noticeLeft: '{name} left.',
  noticeCannotShare: 'This page could not be shared.',
  announceCode: 'Share code {code}. Read it to your support agent.',
  announceConsent: '{name} asks to see this page. Allow or deny?',
  announceAskToo: '{name} also asks to see this page. Allow or deny?',
  announceControlAsk: '{name} would like to control this page. Allow or deny?',
  announceControlOn: '{name} now controls this page. You can take control back at any time.',
  announceSharing: 'Sharing started: {names} can see this page.',
  announceControlBack: 'You have control of this page again.',
};
