import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { FaultlineError } from '../../core/errors.ts';

export interface ComposeCommand {
  /** `docker` (v2 plugin) or `docker-compose` (v1). */
  bin: string;
  /** `['compose']` for v2, `[]` for v1. */
  pre: string[];
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

export function run(
  bin: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(
      bin,
      args,
      {
        cwd: options.cwd,
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 600_000,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (err, stdout, stderr) => {
        if (err) reject(Object.assign(err, { stdout, stderr }));
        else resolve({ stdout, stderr });
      },
    );
  });
}

/** The last lines of a failed command's output: what a person needs to see, not all of it. */
export function tail(text: string, lines = 12): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/**
 * `docker compose` (v2) where the plugin answers, else `docker-compose` (v1, the only one some
 * distributions package). Throws FL_COMPOSE_FAILED naming both when neither is installed.
 */
export async function detectComposeCommand(): Promise<ComposeCommand> {
  try {
    await run('docker', ['compose', 'version'], { timeoutMs: 20_000 });
    return { bin: 'docker', pre: ['compose'] };
  } catch {
    // no v2 plugin
  }
  try {
    await run('docker-compose', ['version'], { timeoutMs: 20_000 });
    return { bin: 'docker-compose', pre: [] };
  } catch {
    throw new FaultlineError(
      'FL_COMPOSE_FAILED',
      'neither `docker compose` (v2) nor `docker-compose` (v1) is installed; install one (Debian: apt-get install docker-compose, or run scripts/ensure-docker.sh)',
    );
  }
}

/**
 * One compose project of this repository's docker-compose.yml: brought up, asked about,
 * taken down. Every call runs the compose CLI with the project's environment.
 */
export class ComposeProject {
  constructor(
    readonly command: ComposeCommand,
    readonly name: string,
    /** The folder holding docker-compose.yml (the repository root). */
    readonly dir: string,
    /** Variables the compose file reads (ports, base image, config dir), over process.env. */
    readonly vars: Record<string, string>,
  ) {}

  /** The compose command for this project, runnable from any folder (with `vars` set). */
  get commandArgv(): string[] {
    return [
      this.command.bin,
      ...this.command.pre,
      '-f',
      join(this.dir, 'docker-compose.yml'),
      '-p',
      this.name,
    ];
  }

  get commandLine(): string {
    return this.commandArgv.join(' ');
  }

  async compose(args: string[], what: string, timeoutMs?: number): Promise<RunResult> {
    try {
      return await run(this.command.bin, [...this.command.pre, '-p', this.name, ...args], {
        cwd: this.dir,
        env: { ...process.env, ...this.vars },
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string; stdout?: string; killed?: boolean };
      const output = tail(`${e.stdout ?? ''}\n${e.stderr ?? ''}`);
      const why = e.killed ? 'timed out' : `failed${output ? `:\n${output}` : ` (${e.message})`}`;
      throw new FaultlineError(
        'FL_COMPOSE_FAILED',
        `${this.commandLine} ${args.join(' ')} (${what}) ${why}`,
        {
          cause: err,
        },
      );
    }
  }

  /** Builds the images (cached layers make a rebuild quick) and starts every service. */
  async up(): Promise<void> {
    await this.compose(['up', '-d', '--build', '--remove-orphans'], 'build and start the stack');
  }

  /** Stops and removes the project's containers and networks. */
  async down(): Promise<void> {
    await this.compose(['down', '-v', '--remove-orphans', '-t', '2'], 'tear the stack down', 120_000);
  }
}
