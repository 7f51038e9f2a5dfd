// The loopback fuzz that runs inside a page (any engine): see tests/e2e/fuzz.e2e.test.ts.
export interface FuzzResult {
  rounds: number;
  operations: number;
  resyncs: number;
  failure: { round: number; what: string; expected: string; seen: string } | null;
  errors: string[];
}

/**
 * Runs in the page: capture and viewer joined by the real channel code (the viewer shows
 * snapshot parts as they come, as on the join page), random churn, and after every batch the
 * agent's DOM compared with the customer's: the body's signature, the frame's, the document mode,
 * and the structure digest (which also covers shadow roots). Now and then capture restarts (a
 * resync) with a snapshot in parts of 3 nodes while the page keeps changing under it.
 */
export async function fuzzInPage([signatureSource, firstRound, rounds]: [string, number, number]): Promise<FuzzResult> {
  const signature = new Function('doc', `return (${signatureSource})(doc)`) as (doc: Document) => string;
  const w = window as unknown as {
    CoviewLoopback: { start(stage: HTMLElement): Loopback };
    mutate(seed: number, count: number): void;
    mutateDeep(seed: number): Promise<void> | undefined;
    __loop?: Loopback;
  };
  w.__loop ??= w.CoviewLoopback.start(document.getElementById('stage')!);
  const loop = w.__loop;
  // The view shows parts as they come: compare once the whole page is in.
  await loop.complete;
  let operations = 0;
  let resyncs = 0;
  const frameDoc = (doc: Document) => (doc.getElementById('fuzz-frame') as HTMLIFrameElement | null)?.contentDocument ?? null;
  for (let round = firstRound; round < firstRound + rounds; round++) {
    const count = 1 + (round % 25);
    w.mutate(round * 7919, count);
    operations += count;
    const reloads: Promise<void>[] = [];
    if (round % 5 === 0) {
      const reload = w.mutateDeep(round * 104729);
      if (reload) reloads.push(reload);
      operations++;
    }
    if (round % 120 === 60) {
      let seed = round * 31;
      await loop.resync(() => {
        w.mutate(seed++, 3);
        const reload = w.mutateDeep(seed++);
        if (reload) reloads.push(reload);
        operations += 4;
      });
      resyncs++;
    }
    await Promise.all(reloads);
    loop.flush();
    const mirror = loop.mirror();
    const checks: [string, string, string][] = [
      ['body', signature(document), signature(mirror)],
      ['frame', signature(frameDoc(document)!), frameDoc(mirror)?.body ? signature(frameDoc(mirror)!) : '(no frame document)'],
      ['document mode', document.compatMode, mirror.compatMode],
      ['<html> attributes', htmlAttributes(document), htmlAttributes(mirror)],
      ['structure digest', JSON.stringify(loop.digests().host), JSON.stringify(loop.digests().view)],
    ];
    for (const [what, expected, seen] of checks) {
      if (expected !== seen) return { rounds: round - firstRound + 1, operations, resyncs, failure: { round, what, expected, seen }, errors: loop.errors };
    }
  }
  return { rounds, operations, resyncs, failure: null, errors: loop.errors };

  function htmlAttributes(doc: Document): string {
    return [...doc.documentElement.attributes].map((a) => `${a.name}=${a.value}`).sort().join(' ');
  }
}

/** What tests/support/loopback-entry.ts puts on window. */
interface Loopback {
  flush(): void;
  rendered: Promise<void>;
  complete: Promise<void>;
  resync(during?: () => void): Promise<void>;
  digests(): { host: { count: number; hash: number }; view: { count: number; hash: number } | null };
  errors: string[];
  mirror(): Document;
}

