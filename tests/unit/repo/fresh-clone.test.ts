import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// What a fresh clone in another folder gets: the tracked files, nothing else.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
const TEXT = /\.(ts|tsx|js|mjs|cjs|json|md|html|css|sh|yml|yaml|conf|txt)$|(^|\/)(Dockerfile|\.ci\/run|\.gitignore|\.dockerignore)$/;

describe('the repository works from a fresh clone anywhere', () => {
  it('no tracked file names an absolute path of a machine (this checkout, or a home, work or temp folder)', () => {
    // Folders of machines, not of the system: /usr/bin/chromium is where Debian puts Chromium everywhere.
    const machinePath = /(?:^|[^\w.~-])\/(?:work|home|Users|root|tmp|mnt|srv)\/[\w.-]/;
    const offenders: string[] = [];
    for (const file of tracked.filter((f) => TEXT.test(f) && f !== 'package-lock.json')) {
      const text = readFileSync(join(root, file), 'utf8');
      text.split('\n').forEach((line, i) => {
        if (line.includes(root) || machinePath.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    expect(offenders).toEqual([]);
  });

  it('no scratch, profiling or log files are tracked', () => {
    const scratch = tracked.filter((file) => /(?:^|\/)_[^/]*$|(?:^|\/)(?:scratch|tmp)[^/]*$|\.(?:log|cpuprofile|heapsnapshot|heapprofile|prof|orig|rej)$/.test(file));
    expect(scratch).toEqual([]);
  });
});
