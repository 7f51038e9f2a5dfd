import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { Marker, MarkerKind, TimelinePlayer } from '../agent/timeline.js';
import type { JoinKey } from '../i18n/join-en.js';
import { assetUrls, encodeRecording, fetchAssets, recordingFileName } from '../agent/recording.js';
import { formatOffset } from './devtools-panel.js';
import { useJoinText } from './join-text.js';

const MARKER_KIND: Record<MarkerKind, JoinKey> = { error: 'markerError', click: 'markerClick', page: 'markerPage' };

/**
 * The time-travel bar under the mirror: a scrubber over the whole session with markers for
 * errors, clicks and page changes, "Back to live", and "Download recording".
 */
export function TimelineBar({ player, recording, extra }: { player: TimelinePlayer; recording: boolean; extra?: ComponentChildren }) {
  const { t } = useJoinText();
  const timeline = player.timeline;
  const duration = Math.max(0, timeline.end - timeline.start);
  const position = player.position >= 0 ? timeline.entries[player.position]!.t - timeline.start : 0;
  // `preparing`, or why saving failed.
  const [exporting, setExporting] = useState<{ preparing: true } | { error: string } | null>(null);
  // A drag fires many input events; rebuilding for each would stall on a big page. Latest wins.
  const pending = useRef<number | null>(null);
  const scrub = (value: number) => {
    const first = pending.current === null;
    pending.current = value;
    if (first)
      requestAnimationFrame(() => {
        const ms = pending.current!;
        pending.current = null;
        player.seekTime(timeline.start + ms);
      });
  };

  const download = async () => {
    setExporting({ preparing: true });
    try {
      const entries = timeline.entries.slice();
      const blob = await encodeRecording({ entries, assets: await fetchAssets(assetUrls(entries)) });
      const link = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: recordingFileName() });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
      setExporting(null);
    } catch (error) {
      setExporting({ error: error instanceof Error ? error.message : String(error) });
    }
  };

  const markerText = (marker: Marker) => (marker.at ? t('clickAt', marker.at) : marker.label || t('markerPage'));
  const pct = (t: number) => (duration > 0 ? ((t - timeline.start) / duration) * 100 : 100);

  return (
    <div class="timeline" data-coview-timeline-bar>
      {recording ? (
        <span class="mode mode-recording">{t('modeRecording')}</span>
      ) : player.live ? (
        <span class="mode mode-live" data-coview-live>
          {t('modeLive')}
        </span>
      ) : (
        <button class="go-live" data-coview-go-live onClick={() => player.goLive()}>
          {t('backToLive')}
        </button>
      )}
      <span class="clock" data-coview-time>
        {formatOffset(position)} / {formatOffset(duration)}
      </span>
      <div class="track">
        <input
          type="range"
          class="scrubber"
          aria-label={t('timelineLabel')}
          data-coview-scrubber
          min={0}
          max={duration}
          step={1}
          value={position}
          onInput={(e) => scrub(Number(e.currentTarget.value))}
        />
        <div class="markers">
          {timeline.markers.map((marker) => (
            <button
              key={marker.index}
              class={`marker marker-${marker.kind}`}
              style={{ left: `${pct(marker.t)}%` }}
              title={`${formatOffset(marker.t - timeline.start)} ${markerText(marker)}`}
              aria-label={t('markerAt', { kind: t(MARKER_KIND[marker.kind]), time: formatOffset(marker.t - timeline.start), label: markerText(marker) })}
              data-coview-marker={marker.kind}
              onClick={() => player.seek(marker.index)}
            />
          ))}
        </div>
      </div>
      {extra}
      <button class="export" data-coview-export disabled={(exporting !== null && 'preparing' in exporting) || timeline.length === 0} onClick={() => void download()}>
        {t('download')}
      </button>
      {exporting && 'error' in exporting && (
        <span class="export-error" role="alert">
          {t('couldNotSave', { error: exporting.error })}
        </span>
      )}
    </div>
  );
}
