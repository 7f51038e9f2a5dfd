// A test-only bundle: the customer's capture and the agent's viewer in one page, joined by the
// real channel code (JSON, deflate, frames, decoding) with no network in between. It lets the
// fuzz test run thousands of change batches quickly; the WebRTC path has its own e2e tests.
import { deflateSync } from 'fflate';
import { encodeRecording } from '../../widget/agent/recording.js';
import { SnapshotAssembler } from '../../widget/agent/snapshot-assembly.js';
import { Timeline } from '../../widget/agent/timeline.js';
import { Viewer } from '../../widget/agent/viewer.js';
import { startCapture, type StopCapture } from '../../widget/host/capture.js';
import { startDevtoolsCapture } from '../../widget/host/devtools.js';
import { createPrivacy, redactText, type PrivacyOptions } from '../../widget/host/privacy.js';
import { decodeHostMessage, encodeHostMessage, type Digest, type HostMessage, type HostWireMessage } from '../../widget/protocol/index.js';
import { FramedChannel } from '../../widget/transport/channel.js';
import { fflateReader } from '../../widget/transport/inflate.js';

interface Loopback {
  flush(): void;
  stop(): void;
  rendered: Promise<void>;
  /** Settles when the last part of the first snapshot is shown. */
  complete: Promise<void>;
  /**
   * What the host session does on a resync: capture starts again (new ids, a new snapshot in
   * tiny parts). `during` runs between the snapshot's tasks, so the page changes under it.
   * Settles once the new snapshot is shown.
   */
  resync(during?: () => void): Promise<void>;
  /** The structure of what the customer's side sent, and of what the view built. */
  digests(): { host: Digest; view: Digest | null };
  errors: string[];
  mirror(): Document;
  /** Every message as sent, reassembled from its frames and inflated, as JSON text (not decoded further). */
  wire: string[];
  /** The agent's timeline exported as a recording file, inflated: what a support ticket would hold. */
  recording(): Promise<string>;
}

interface LoopbackOptions {
  /** At most this many nodes per snapshot part (see CaptureOptions.sliceNodes). */
  sliceNodes?: number;
  digestIntervalMs?: number;
  /** The site's privacy options; with them, console and network capture runs too (redacted as in the host session). */
  privacy?: PrivacyOptions;
}

function start(stage: HTMLElement, options: LoopbackOptions = {}): Loopback {
  const errors: string[] = [];
  let resolveRendered = () => {};
  const rendered = new Promise<void>((resolve) => (resolveRendered = resolve));
  let completed: (() => void)[] = [];
  const nextComplete = () => new Promise<void>((resolve) => completed.push(resolve));
  const complete = nextComplete();
  const onComplete = () => {
    const waiting = completed;
    completed = [];
    waiting.forEach((resolve) => resolve());
  };
  // As on the join page: parts are shown as they come, and a divergence is an error here.
  const viewer = new Viewer(stage, resolveRendered, undefined, onComplete, (reason) => errors.push(`diverged: ${reason}`));
  const assembler = new SnapshotAssembler();
  const timeline = new Timeline();
  const wire: string[] = [];
  // A second receiver that only reassembles and inflates: what crossed the channel, undecoded.
  const raw = new FramedChannel<never, unknown>({ write: () => true, onDrain: () => {} }, (input) => input, {
    onMessage: (message) => wire.push(JSON.stringify(message)),
    onError: (error) => wire.push(`!undecodable: ${error.message}`),
  }, { reader: fflateReader });
  const receiver = new FramedChannel<never, HostMessage>({ write: () => true, onDrain: () => {} }, decodeHostMessage, {
    onMessage: (message) => {
      // The assembler checks that the parts fit together, as the agent session does.
      if (message.type === 'snapshot-part') {
        const whole = assembler.add(message);
        if (whole) timeline.push(whole, Date.now());
      } else timeline.push(message, Date.now());
      viewer.apply(message);
    },
    onError: (error) => errors.push(error.message),
    onGap: (lane) => errors.push(`gap in ${lane}`),
  }, { reader: fflateReader });
  const sender = new FramedChannel<HostWireMessage, never>(
    {
      write: (frame) => {
        raw.receive(frame);
        receiver.receive(frame);
        return true;
      },
      onDrain: () => {},
    },
    () => undefined as never,
    { onMessage: () => {}, onError: () => {} },
    // Synchronous deflate, so a flush shows on the agent before the test compares.
    { compress: (bytes) => deflateSync(bytes) },
  );
  const { privacy: privacyOptions, ...captureOptions } = options;
  const privacy = privacyOptions ? createPrivacy(privacyOptions) : undefined;
  const stopDevtools = privacy
    ? startDevtoolsCapture({ emit: (message) => sender.send(encodeHostMessage(message)), wrapFetch: true, redactText: (text) => redactText(text, { secrets: privacy.secretValues(document) }), loadedPrivately: (url) => privacy.loadedPrivately(url, document) })
    : () => {};
  const capture = (extra: Omit<LoopbackOptions, 'privacy'> = {}): StopCapture =>
    startCapture({
      ...(privacy ? { privacy } : {}),
      emit: (message) => sender.send(encodeHostMessage(message)),
      ignore: (node) => node === stage || stage.contains(node),
      onError: (error) => errors.push(String(error)),
      ...captureOptions,
      ...extra,
    });
  let stop = capture();
  return {
    flush: () => stop.flush(),
    stop: () => {
      stop();
      stopDevtools();
    },
    rendered,
    complete,
    async resync(during = () => {}) {
      stop();
      const shown = nextComplete();
      let done = false;
      void shown.then(() => (done = true));
      stop = capture({ sliceNodes: 3 });
      while (!done) {
        during();
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      stop.flush();
    },
    digests: () => ({ host: stop.digest(), view: viewer.digest() }),
    errors,
    mirror: () => stage.querySelector('iframe')!.contentDocument!,
    wire,
    async recording() {
      const file = await encodeRecording({ entries: timeline.entries, assets: {} });
      return new Response(file.stream().pipeThrough(new DecompressionStream('gzip'))).text();
    },
  };
}

(window as unknown as { CoviewLoopback: { start: typeof start } }).CoviewLoopback = { start };
