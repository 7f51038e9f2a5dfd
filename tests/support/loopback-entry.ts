// A test-only bundle: the customer's capture and the agent's viewer in one page, joined by the
// real channel code (JSON, deflate, frames, decoding) with no network in between. It lets the
// fuzz test run thousands of change batches quickly; the WebRTC path has its own e2e tests.
import { deflateSync } from 'fflate';
import { SnapshotAssembler } from '../../widget/agent/snapshot-assembly.js';
import { Viewer } from '../../widget/agent/viewer.js';
import { startCapture } from '../../widget/host/capture.js';
import { decodeHostMessage, type HostMessage } from '../../widget/protocol/index.js';
import { FramedChannel } from '../../widget/transport/channel.js';

interface Loopback {
  flush(): void;
  stop(): void;
  rendered: Promise<void>;
  /** Settles when the last part of the first snapshot is shown. */
  complete: Promise<void>;
  errors: string[];
  mirror(): Document;
}

interface LoopbackOptions {
  /** At most this many nodes per snapshot part (see CaptureOptions.sliceNodes). */
  sliceNodes?: number;
  digestIntervalMs?: number;
}

function start(stage: HTMLElement, options: LoopbackOptions = {}): Loopback {
  const errors: string[] = [];
  let resolveRendered = () => {};
  const rendered = new Promise<void>((resolve) => (resolveRendered = resolve));
  let resolveComplete = () => {};
  const complete = new Promise<void>((resolve) => (resolveComplete = resolve));
  // As on the join page: parts are shown as they come, and a divergence is an error here.
  const viewer = new Viewer(stage, resolveRendered, undefined, resolveComplete, (reason) => errors.push(`diverged: ${reason}`));
  const assembler = new SnapshotAssembler();
  const receiver = new FramedChannel<never, HostMessage>({ write: () => true, onDrain: () => {} }, decodeHostMessage, {
    onMessage: (message) => {
      // The assembler checks that the parts fit together, as the agent session does.
      if (message.type === 'snapshot-part') assembler.add(message);
      viewer.apply(message);
    },
    onError: (error) => errors.push(error.message),
    onGap: (lane) => errors.push(`gap in ${lane}`),
  });
  const sender = new FramedChannel<HostMessage, never>(
    {
      write: (frame) => {
        receiver.receive(frame);
        return true;
      },
      onDrain: () => {},
    },
    () => undefined as never,
    { onMessage: () => {}, onError: () => {} },
    // Synchronous deflate, so a flush shows on the agent before the test compares.
    (bytes) => deflateSync(bytes),
  );
  const stop = startCapture({
    emit: (message) => sender.send(message),
    ignore: (node) => node === stage || stage.contains(node),
    onError: (error) => errors.push(String(error)),
    ...options,
  });
  return {
    flush: () => stop.flush(),
    stop,
    rendered,
    complete,
    errors,
    mirror: () => stage.querySelector('iframe')!.contentDocument!,
  };
}

(window as unknown as { CoviewLoopback: { start: typeof start } }).CoviewLoopback = { start };
