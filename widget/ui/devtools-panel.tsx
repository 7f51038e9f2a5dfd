import { useState } from 'preact/hooks';
import { isFailed, type ConsoleMessage, type NetworkMessage, type TimelinePlayer } from '../agent/timeline.js';
import { sessionInfoRows } from '../agent/session-info.js';
import type { JoinKey } from '../i18n/join-en.js';
import type { Transport } from '../protocol/index.js';
import { useJoinText } from './join-text.js';

export type Tab = 'console' | 'network' | 'session';
type ConsoleFilter = 'all' | 'errors' | 'warnings';
type NetworkFilter = 'all' | 'failed' | 'fetch-xhr' | 'resources';

/** Rows drawn per list; a noisy page can log thousands, the newest matter most. */
const MAX_ROWS = 500;

const TAB_TITLE: Record<Tab, JoinKey> = { console: 'tabConsole', network: 'tabNetwork', session: 'tabSession' };
const PANEL_LABEL: Record<Tab, JoinKey> = { console: 'panelConsole', network: 'panelNetwork', session: 'panelSession' };

/**
 * The buttons that open the panel, with the counts an agent should notice even while it is
 * closed: console entries (red when any is an error), requests, failed requests.
 */
export function DevtoolsTabs({ player, tab, onTab }: { player: TimelinePlayer; tab: Tab | null; onTab: (tab: Tab) => void }) {
  const { t } = useJoinText();
  const timeline = player.timeline;
  const errorCount = timeline.console.filter((i) => (timeline.entries[i]!.message as ConsoleMessage).level !== 'warn').length;
  const failedCount = timeline.network.filter((i) => isFailed(timeline.entries[i]!.message as NetworkMessage)).length;
  const button = (id: Tab, badges?: preact.ComponentChildren) => (
    <button aria-pressed={tab === id} class={`tab ${tab === id ? 'active' : ''}`} data-coview-tab={id} onClick={() => onTab(id)}>
      {t(TAB_TITLE[id])}
      {badges}
    </button>
  );
  return (
    <div class="devtools-tabs">
      {button(
        'console',
        <span class={`badge ${errorCount ? 'badge-error' : ''}`} data-coview-badge="console" title={`${t('errors', { count: errorCount })}, ${t('warnings', { count: timeline.console.length - errorCount })}`}>
          {timeline.console.length}
        </span>,
      )}
      {button(
        'network',
        <>
          <span class="badge" data-coview-badge="network" title={t('requests')}>
            {timeline.network.length}
          </span>
          {failedCount > 0 && (
            <span class="badge badge-error" data-coview-badge="network-failed" title={t('failedRequests')}>
              {failedCount}
            </span>
          )}
        </>,
      )}
      {button('session')}
    </div>
  );
}

/**
 * The agent's side panel: the customer page's console (errors, warnings, uncaught errors,
 * unhandled rejections with stacks), its network requests, and facts about the session.
 * Everything here comes from the timeline, so an opened recording shows the same.
 */
export function DevtoolsPanel({ player, tab, transport, onClose }: { player: TimelinePlayer; tab: Tab; transport?: Transport | undefined; onClose: () => void }) {
  const { t } = useJoinText();
  const timeline = player.timeline;
  const [consoleFilter, setConsoleFilter] = useState<ConsoleFilter>('all');
  const [networkFilter, setNetworkFilter] = useState<NetworkFilter>('all');
  const [query, setQuery] = useState('');

  const at = (index: number) => formatOffset(timeline.entries[index]!.t - timeline.start);
  const matches = (text: string) => !query || text.toLowerCase().includes(query.toLowerCase());

  const consoleRows = timeline.console
    .map((index) => ({ index, message: timeline.entries[index]!.message as ConsoleMessage }))
    .filter(({ message }) => (consoleFilter === 'all' ? true : consoleFilter === 'warnings' ? message.level === 'warn' : message.level !== 'warn'))
    .filter(({ message }) => matches(`${message.text}\n${message.stack ?? ''}`));
  const networkRows = timeline.network
    .map((index) => ({ index, message: timeline.entries[index]!.message as NetworkMessage }))
    .filter(({ message }) =>
      networkFilter === 'all' ? true : networkFilter === 'failed' ? isFailed(message) : networkFilter === 'fetch-xhr' ? message.kind === 'fetch' || message.kind === 'xhr' : message.kind !== 'fetch' && message.kind !== 'xhr',
    )
    .filter(({ message }) => matches(`${message.method} ${message.url} ${message.status ?? ''} ${message.kind}`));

  const filterButton = <F extends string>(value: F, current: F, set: (f: F) => void, label: string) => (
    <button class={`filter ${value === current ? 'active' : ''}`} aria-pressed={value === current} data-coview-filter={value} onClick={() => set(value)}>
      {label}
    </button>
  );
  const goTo = (index: number) => (
    <button class="when" title={t('showMoment')} onClick={() => player.seek(index)}>
      {at(index)}
    </button>
  );

  return (
    <aside class="devtools" aria-label={t(PANEL_LABEL[tab])} data-coview-devtools={tab}>
      <header class="devtools-head">
        <strong>{t(TAB_TITLE[tab])}</strong>
        <button class="close" aria-label={t('closePanel')} data-coview-close-devtools onClick={onClose}>
          ×
        </button>
      </header>

      {tab !== 'session' && (
        <div class="tools-row">
          {tab === 'console' ? (
            <>
              {filterButton('all', consoleFilter, setConsoleFilter, t('filterAll'))}
              {filterButton('errors', consoleFilter, setConsoleFilter, t('filterErrors'))}
              {filterButton('warnings', consoleFilter, setConsoleFilter, t('filterWarnings'))}
            </>
          ) : (
            <>
              {filterButton('all', networkFilter, setNetworkFilter, t('filterAll'))}
              {filterButton('failed', networkFilter, setNetworkFilter, t('filterFailed'))}
              {filterButton('fetch-xhr', networkFilter, setNetworkFilter, t('filterFetch'))}
              {filterButton('resources', networkFilter, setNetworkFilter, t('filterOther'))}
            </>
          )}
          <input type="search" class="search" placeholder={tab === 'console' ? t('searchMessages') : t('searchUrls')} aria-label={t('search')} data-coview-search value={query} onInput={(e) => setQuery(e.currentTarget.value)} />
        </div>
      )}

      {tab === 'console' && (
        <ol class="entries" data-coview-console>
          {consoleRows.length === 0 && <li class="empty">{timeline.console.length ? t('nothingMatches') : t('noConsole')}</li>}
          {consoleRows.slice(-MAX_ROWS).map(({ index, message }) => (
            <li key={index} class={`entry level-${message.level}`} data-coview-console-entry data-level={message.level}>
              {goTo(index)}
              <span class="level">{t(LEVEL_LABEL[message.level])}</span>
              <span class="text">{message.text}</span>
              {message.stack && (
                <details class="stack">
                  <summary>{t('stack')}</summary>
                  <pre>{message.stack}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}

      {tab === 'network' && (
        <ol class="entries" data-coview-network>
          {networkRows.length === 0 && <li class="empty">{timeline.network.length ? t('nothingMatches') : t('noNetwork')}</li>}
          {networkRows.slice(-MAX_ROWS).map(({ index, message }) => (
            <li key={index} class={`entry request ${isFailed(message) ? 'failed' : ''}`} data-coview-network-entry data-status={message.status ?? ''} data-kind={message.kind}>
              {goTo(index)}
              <span class="method">{message.method || '?'}</span>
              <span class="net-status" title={message.error}>
                {message.status ?? (message.error ? t('netFailed') : '–')}
              </span>
              <span class="url" title={message.url}>
                {message.url}
              </span>
              <span class="meta">
                {message.kind} · {t('durationMs', { ms: Math.round(message.durationMs) })} · {message.size === null ? '–' : formatBytes(message.size, t)}
              </span>
            </li>
          ))}
        </ol>
      )}

      {tab === 'session' &&
        (timeline.page ? (
          <dl class="session-info" data-coview-session-info>
            {sessionInfoRows(timeline.page, timeline.viewport, t, transport).map((row) => (
              <div key={row.key} class="info-row">
                <dt>{row.label}</dt>
                <dd data-coview-info={row.key}>{row.value}</dd>
              </div>
            ))}
          </dl>
        ) : (
          <p class="empty" data-coview-session-info>
            {t('noSession')}
          </p>
        ))}
    </aside>
  );
}

const LEVEL_LABEL: Record<ConsoleMessage['level'], JoinKey> = { error: 'levelError', warn: 'levelWarn', uncaught: 'levelUncaught', rejection: 'levelRejection' };

/** Time into the session as an agent reads it: 75_000 → "1:15". */
export function formatOffset(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
}

function formatBytes(bytes: number, t: (key: JoinKey, vars: Record<string, string>) => string): string {
  if (bytes < 1024) return t('sizeBytes', { size: String(bytes) });
  if (bytes < 1024 * 1024) return t('sizeKib', { size: (bytes / 1024).toFixed(1) });
  return t('sizeMib', { size: (bytes / 1024 / 1024).toFixed(1) });
}
