import type { ManagedChild } from './child.ts';

/**
 * The children of one `reelay start`, stopped in reverse start order (the worker finishes its jobs
 * before the api, the simulator and Redis go away under it). A process `exit` hook SIGKILLs whatever
 * is still running, so not even a crash of this process leaves one behind.
 */
export class Stack {
  private readonly children: ManagedChild[] = [];
  private readonly onExit = () => {
    for (const child of this.children) child.kill();
  };

  constructor() {
    process.on('exit', this.onExit);
  }

  add(child: ManagedChild): ManagedChild {
    this.children.push(child);
    return child;
  }

  /** Resolves when any child exits on its own: a stack with a dead member is not running. */
  firstExit(): Promise<{ name: string; code: number | null; signal: NodeJS.Signals | null }> {
    return Promise.race(this.children.map((c) => c.exited.then((exit) => ({ name: c.name, ...exit }))));
  }

  /** Stops every child; returns the names of those that had to be killed. */
  async stopAll(log: (message: string) => void = () => {}): Promise<string[]> {
    const killed: string[] = [];
    for (const child of [...this.children].reverse()) {
      if (!child.running) continue;
      log(`stopping ${child.name}…`);
      if ((await child.stop()) === 'killed') killed.push(child.name);
    }
    return killed;
  }

  /** Last resort (second Ctrl-C): SIGKILL everything now. */
  killAll(): void {
    this.onExit();
  }

  dispose(): void {
    process.off('exit', this.onExit);
  }
}
