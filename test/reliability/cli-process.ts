/**
 * The built CLI as a live process the fault and concurrency suites can watch and hurt: its
 * JSON events as they arrive, a wait for one of them, SIGKILL of it or of a child of it,
 * and the process tree read from /proc (so no `ps` is needed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { CLI } from '../cli/helpers.js';

/** One line of `hpsearch run --json` (src/report/progress.ts). */
export interface RunEvent {
  readonly event: string;
  readonly trial?: number;
  readonly epoch?: number;
  readonly state?: string;
  readonly reason?: string;
  readonly [key: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class CliProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  #waiters: { test: () => boolean; resolve: () => void }[] = [];
  /** Set once the process has exited and its output is fully read. */
  #closed = false;

  constructor(args: readonly string[], opts: { cwd?: string; env?: Record<string, string>; timeoutMs?: number } = {}) {
    this.child = spawn(process.execPath, [CLI, ...args], {
      cwd: opts.cwd,
      env: { ...process.env, ...(opts.env ?? {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), opts.timeoutMs ?? 300_000);
    this.child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      this.stdout += s;
      this.#wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.stderr += s));
    this.exited = new Promise((resolve) => {
      this.child.on('close', (code, signal) => {
        clearTimeout(timer);
        this.#closed = true;
        this.#wake();
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr });
      });
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The complete JSON lines printed so far. */
  events(): RunEvent[] {
    const lines = this.stdout.split('\n');
    lines.pop(); // the line being written, if any
    return lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as RunEvent);
  }

  /**
   * Resolves once `count` events satisfy `test` (true), or once the process has exited
   * without printing that many (false).
   */
  async waitFor(test: (e: RunEvent) => boolean, count = 1): Promise<boolean> {
    const reached = (): boolean => this.events().filter(test).length >= count;
    await new Promise<void>((resolve) => {
      const check = (): boolean => this.#closed || reached();
      if (check()) resolve();
      else this.#waiters.push({ test: check, resolve });
    });
    return reached();
  }

  /** SIGKILL of this process alone (its children, if any, are left to notice on their own). */
  kill(): void {
    try {
      process.kill(this.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (!w.test()) return true;
      w.resolve();
      return false;
    });
  }
}

export interface ProcessInfo {
  readonly pid: number;
  readonly cmdline: string;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22): orders siblings by age. */
  readonly startTicks: number;
}

/** Live (not zombie) processes whose parent is `pid`, oldest first. */
export function childProcesses(pid: number): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = procStat(Number(entry));
    if (stat === null || stat.ppid !== pid || stat.state === 'Z') continue;
    let cmdline = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      continue;
    }
    out.push({ pid: Number(entry), cmdline, startTicks: stat.startTicks });
  }
  return out.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
}

/** Whether `pid` is a live process (zombies count as dead: nobody in a container may reap them). */
export function processAlive(pid: number): boolean {
  const stat = procStat(pid);
  return stat !== null && stat.state !== 'Z';
}

function procStat(pid: number): { state: string; ppid: number; startTicks: number } | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // Fields counted from "state" (field 3 of proc(5)): ppid is field 4, starttime field 22.
  return { state: fields[0] ?? '?', ppid: Number(fields[1]), startTicks: Number(fields[19]) };
}

/** Polls `test` every 50 ms until it holds or `ms` pass; returns whether it held. */
export async function eventually(test: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (test()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A seeded uniform generator (mulberry32), so that "random" fault moments are the same on
 * every run of the suite and can be logged and replayed.
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
