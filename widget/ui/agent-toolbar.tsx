import { useEffect, useState } from 'preact/hooks';
import type { AgentTools, ToolsState } from '../agent/tools.js';
import { useJoinText } from './join-text.js';

/**
 * The agent's tools on the join page while live: Point (their pointer and a ripple show on the
 * customer's page), Draw (strokes that fade), and remote control, which the customer must grant.
 * `data-coview-control` carries off | asking | on for automation.
 */
export function AgentToolbar({ tools }: { tools: AgentTools }) {
  const { t } = useJoinText();
  const [state, setState] = useState<ToolsState>(tools.current);
  useEffect(() => tools.subscribe(setState), [tools]);
  const pressed = (tool: ToolsState['tool']) => state.tool === tool;
  return (
    <div class="tools" role="toolbar" aria-label={t('toolsLabel')} data-coview-control={state.control}>
      <button class="tool" aria-pressed={pressed('point')} onClick={() => tools.setTool('point')} title={t('pointTitle')}>
        {state.control === 'on' ? t('control') : t('point')}
      </button>
      <button class="tool" aria-pressed={pressed('draw')} onClick={() => tools.setTool('draw')} title={t('drawTitle')}>
        {t('draw')}
      </button>
      {state.control === 'off' && (
        <button class="tool" onClick={() => tools.requestControl()}>
          {t('requestControl')}
        </button>
      )}
      {state.control === 'asking' && (
        <button class="tool" disabled>
          {t('waitingControl')}
        </button>
      )}
      {state.control === 'on' && (
        <button class="tool" onClick={() => tools.releaseControl()}>
          {t('releaseControl')}
        </button>
      )}
      {state.notice && (
        <span class="tools-notice" role="status" data-coview-tools-notice>
          {state.noticeKey ? t(state.noticeKey, { name: state.noticeName ?? '' }) : state.notice}
        </span>
      )}
    </div>
  );
}
