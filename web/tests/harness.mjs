// What the browser tests share: checks and condition waits (never timing
// asserts), a folder of their own, and `mdsp` started on an ephemeral port.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export function check(cond, what) {
  if (!cond) throw new Error(`FAILED: ${what}`);
  console.log(`ok: ${what}`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// fn() until it answers something truthy; its errors count as "not yet".
export async function until(fn, what, limitMs = 60000, stepMs = 100) {
  const end = Date.now() + limitMs;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      /* not yet */
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

// A fresh folder under MDSP_TEST_TMP (ctest's) or the system's temp folder.
export function testDir(prefix) {
  const root = process.env.MDSP_TEST_TMP || tmpdir();
  mkdirSync(root, { recursive: true });
  return mkdtempSync(path.join(root, prefix));
}

// Starts `mdsp args` and waits for its API's port; log() is its stderr so far.
export async function startMdsp(bin, args) {
  const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  const port = await new Promise((resolve, reject) => {
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (d) => {
      stderr += d;
      const m = stderr.match(/listening on http:\/\/[0-9.]+:(\d+)/);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`mdsp exited ${code}:\n${stderr}`)));
  });
  return { proc, port, log: () => stderr };
}
