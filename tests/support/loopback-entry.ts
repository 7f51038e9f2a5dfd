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
  errors: string[];
  mirror(): Document;
}

function start(stage: HTMLElement): Loopback {
  const errors: string[] = [];
  let resolveRendered = () => {};
  const rendered = new Promise<void>((resolve) => (resolveRendered = resolve));
  const viewer = new Viewer(stage, resolveRendered);
  const assembler = new SnapshotAssembler();
  const receiver = new FramedChannel<never, HostMessage>({ write: () => true, onDrain: () => {} }, decodeHostMessage, {
    onMessage: (message) => {
      const whole = message.type === 'snapshot-part' ? assembler.add(message) : message;
      if (whole) viewer.apply(whole);
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
  });
  return {
    flush: () => stop.flush(),
    stop,
    rendered,
    errors,
    mirror: () => stage.querySelector('iframe')!.contentDocument!,
  };
}

(window as unknown as { CoviewLoopback: { start: typeof start } }).CoviewLoopback = { start };
