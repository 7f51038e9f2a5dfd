import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import type { TimelinePlayer } from '../agent/timeline.js';
import type { Transport } from '../protocol/index.js';
import { AGENT_TOOLS_CSS } from './agent-tools-css.js';
import { DevtoolsPanel, DevtoolsTabs, type Tab } from './devtools-panel.js';
import { TimelineBar } from './timeline-bar.js';

/**
 * The agent's tools around the mirror (`children`, the viewer's stage, always rendered): the
 * side panel, closed until the agent opens a tab so the page gets all the room, and the timeline
 * bar with the tab buttons and their badges.
 */
export function Toolbox({ player, show, recording, transport, children }: { player: TimelinePlayer | null; show: boolean; recording: boolean; transport?: Transport | undefined; children: ComponentChildren }) {
  const [tab, setTab] = useState<Tab | null>(null);
  const tools = show && player !== null;
  return (
    <>
      <style>{AGENT_TOOLS_CSS}</style>
      <div class="workspace">
        {children}
        {tools && tab && <DevtoolsPanel player={player} tab={tab} transport={transport} onClose={() => setTab(null)} />}
      </div>
      {tools && <TimelineBar player={player} recording={recording} extra={<DevtoolsTabs player={player} tab={tab} onTab={(t) => setTab(t === tab ? null : t)} />} />}
    </>
  );
}
