import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { stringify } from 'yaml';
import { BackendControlClient } from '../../backends/control-client.ts';
import { AdminClient, type RawBalancerConfig } from '../../balancer/index.ts';
import {
  CONTROL_PORT_LABEL,
  connectDocker,
  DockerTargetProvider,
  idempotent,
  PROJECT_LABEL,
  publishedUrl,
  SERVICE_LABEL,
} from '../../chaos/targets/docker-target.ts';
import { FaultlineError } from '../../core/errors.ts';
import { freePortOutsideEphemeral } from '../../core/net/ports.ts';
import { PACKAGE_ROOT } from '../../core/paths.ts';
import { stackBalancerConfig } from '../balancer-config.ts';
import { BalancerEventFeed } from '../event-feed.ts';
import { type RunningStack, waitUntilServing } from '../running-stack.ts';
import { BALANCER_TARGET, DRILL_HEALTH, stackUrl, tcpHealth } from '../sample.ts';
import type { StackSpec } from '../stack-spec.ts';
import { chooseNodeImage, dockerImageEngine } from './base-image.ts';
import { ComposeProject, detectComposeCommand } from './compose-project.ts';
import { balancerLoadAddress } from './load-address.ts';

/** The repository root: where docker-compose.yml and the Dockerfiles are. */
const COMPOSE_DIR = PACKAGE_ROOT;
export const DEFAULT_COMPOSE_PROJECT = 'faultline-drill';
/** The services of docker-compose.yml that are sample backends, with their proxy's port. */
const COMPOSE_BACKENDS: Record<string, { proxyPort: number }> = {
  app1: { proxyPort: 21001 },
  app2: { proxyPort: 21002 },
  app3: { proxyPort: 21003 },
};
const CONTAINER_PORT = 8080;
const CONTAINER_ADMIN_PORT = 9090;
const HEALTHY_TIMEOUT_MS = 60_000;

export interface ComposeStackOptions {
  /** Compose project name; default faultline-drill. */
  project?: string;
  /** Leave the stack running at the end (and say how to reach it and take it down). */
  keep?: boolean;
  log?: (line: string) => void;
}

/**
 * What keeps a drill's stack from running on the compose stack, one line per problem naming
 * the field; empty when it can. Checked for every drill before anything is built or started.
 */
export function composeProblems(stack: StackSpec): string[] {
  const problems: string[] = [];
  stack.backends.forEach((b, i) => {
    if (!(b.name in COMPOSE_BACKENDS)) {
      problems.push(
        `stack.backends[${i}].name: "${b.name}" is not a backend service of docker-compose.yml (backends: ${Object.keys(COMPOSE_BACKENDS).join(', ')})`,
      );
    }
    if (b.env && Object.keys(b.env).length > 0) {
      problems.push(
        `stack.backends[${i}].env: per-drill backend environment needs a process of its own; the compose containers are shared by every drill (use an http_* fault instead)`,
      );
    }
  });
  for (const field of ['listen', 'admin'] as const) {
    if (stack.balancer && field in stack.balancer) {
      problems.push(
        `stack.balancer.${field}: fixed by the compose stack (the container listens on :${field === 'listen' ? CONTAINER_PORT : CONTAINER_ADMIN_PORT})`,
      );
    }
  }
  return problems;
}

/**
 * The balancer config of one drill inside the compose network, as `faultline balancer` reads it.
 * A killed container's address vanishes: a connection to it is not refused, its SYN goes
 * unanswered. On a bridge network a connect takes well under a millisecond, so the connect
 * timeout is short (as an operator sets it on a LAN), and a try that cannot connect moves on.
 */
export function composeBalancerConfig(stack: StackSpec): RawBalancerConfig {
  const scheme = stack.protocol === 'tcp' ? 'tcp' : 'http';
  return stackBalancerConfig({
    backends: stack.backends,
    serverUrl: (b) =>
      stack.proxies
        ? `${scheme}://toxiproxy:${COMPOSE_BACKENDS[b.name]?.proxyPort}`
        : `${scheme}://${b.name}:${CONTAINER_PORT}`,
    defaults: { timeouts: { connect: '250ms', responseHeaders: '1s' } },
    poolDefaults: { health: stack.protocol === 'tcp' ? tcpHealth(DRILL_HEALTH) : DRILL_HEALTH },
    protocol: stack.protocol,
    settings: stack.balancer,
    pool: stack.pool,
    fixed: {
      listen: `0.0.0.0:${CONTAINER_PORT}`,
      // The admin API listens on the compose network, so it takes a token (from the environment).
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an env reference the config loader resolves
      admin: { listen: `0.0.0.0:${CONTAINER_ADMIN_PORT}`, token: '${FAULTLINE_ADMIN_TOKEN}' },
    },
  });
}

/** Host ports for the balancer, its admin API and the toxic proxy control API (see freePortOutsideEphemeral). */
async function hostPortVars(): Promise<Record<string, string>> {
  const [port, adminPort, proxyPort] = [
    await freePortOutsideEphemeral(),
    await freePortOutsideEphemeral(),
    await freePortOutsideEphemeral(),
  ];
  return {
    FAULTLINE_PORT: String(port),
    FAULTLINE_ADMIN_PORT: String(adminPort),
    FAULTLINE_PROXY_PORT: String(proxyPort),
  };
}

/** Docker's answer when a host port was taken between choosing it and publishing it. */
const PORT_TAKEN = /port is already allocated|address already in use/i;
const UP_ATTEMPTS = 3;

function writeBalancerConfig(configDir: string, stack: StackSpec): void {
  writeFileSync(join(configDir, 'balancer.yaml'), stringify(composeBalancerConfig(stack)));
}

/**
 * The docker-compose stack, brought up once for a run of drills: each drill gets the balancer
 * config its stack asks for (the balancer container restarts on it), its faults act on the
 * project's opted-in containers, and its events come from the admin API's event stream.
 */
export class ComposeDrillStack {
  private constructor(
    private readonly docker: Docker,
    readonly project: ComposeProject,
    private readonly configDir: string,
    readonly url: string,
    readonly adminUrl: string,
    private readonly options: ComposeStackOptions,
  ) {
    this.admin = new AdminClient(adminUrl, { token: project.vars.FAULTLINE_ADMIN_TOKEN as string });
  }

  readonly admin: AdminClient;
  private loggedLoadAddress = false;

  static async up(options: ComposeStackOptions = {}): Promise<ComposeDrillStack> {
    const log = options.log ?? (() => {});
    const docker = await connectDocker();
    const command = await detectComposeCommand();
    const image = await chooseNodeImage(dockerImageEngine(docker), log);
    const token = randomBytes(16).toString('hex');
    const configDir = mkdtempSync(join(tmpdir(), 'faultline-compose-'));
    const name = options.project ?? DEFAULT_COMPOSE_PROJECT;
    const project = new ComposeProject(command, name, COMPOSE_DIR, {
      FAULTLINE_NODE_IMAGE: image,
      FAULTLINE_ADMIN_TOKEN: token,
      FAULTLINE_BALANCER_CONFIG_DIR: configDir,
      ...(await hostPortVars()),
    });
    writeBalancerConfig(configDir, {
      backends: Object.keys(COMPOSE_BACKENDS).map((n) => ({ name: n })),
      proxies: true,
    });
    log(`building and starting compose project ${name} (base image ${image})`);
    for (let attempt = 1; ; attempt++) {
      try {
        await project.up();
        break;
      } catch (err) {
        if (attempt < UP_ATTEMPTS && PORT_TAKEN.test((err as Error).message)) {
          log('a host port was taken while the stack started; starting it on other ports');
          Object.assign(project.vars, await hostPortVars());
          continue;
        }
        await project.down().catch(() => {});
        rmSync(configDir, { recursive: true, force: true });
        throw err;
      }
    }
    return new ComposeDrillStack(
      docker,
      project,
      configDir,
      `http://127.0.0.1:${project.vars.FAULTLINE_PORT}`,
      `http://127.0.0.1:${project.vars.FAULTLINE_ADMIN_PORT}`,
      options,
    );
  }

  private async containers(): Promise<Docker.ContainerInfo[]> {
    return this.docker.listContainers({
      all: true,
      filters: { label: [`${PROJECT_LABEL}=${this.project.name}`] },
    });
  }

  private async container(service: string): Promise<Docker.ContainerInfo> {
    const found = (await this.containers()).find((c) => c.Labels[SERVICE_LABEL] === service);
    if (!found) {
      throw new FaultlineError(
        'FL_DRILL_TARGET_FAILED',
        `compose project ${this.project.name} has no ${service} container`,
      );
    }
    return found;
  }

  /**
   * Every backend running with its knobs at their defaults (a drill before may have left a
   * container stopped if its revert failed), then the balancer restarted on this drill's config.
   */
  async forDrill(stack: StackSpec): Promise<RunningStack> {
    const problems = composeProblems(stack);
    if (problems.length > 0) throw new FaultlineError('FL_DRILL_INVALID', problems.join('; '));
    for (const c of await this.containers()) {
      if (c.Labels[SERVICE_LABEL] === BALANCER_TARGET) continue;
      const container = this.docker.getContainer(c.Id);
      if (c.State === 'paused') await idempotent(() => container.unpause());
      else if (c.State !== 'running') await idempotent(() => container.start());
    }
    const protocol = stack.protocol ?? 'http';
    if ((this.project.vars.FAULTLINE_BACKEND_PROTOCOL ?? 'http') !== protocol) {
      // The backends speak what the drill needs: compose recreates them with the new PROTOCOL.
      this.options.log?.(`recreating the backends as ${protocol} servers`);
      this.project.vars.FAULTLINE_BACKEND_PROTOCOL = protocol;
      await this.project.up();
    }
    if (protocol === 'http') await this.resetKnobs(stack.backends.map((b) => b.name));
    writeBalancerConfig(this.configDir, stack);
    const balancer = await this.container(BALANCER_TARGET);
    if (balancer.State === 'running') await this.docker.getContainer(balancer.Id).restart({ t: 2 });
    else await idempotent(() => this.docker.getContainer(balancer.Id).start());
    await waitUntilServing(
      this.admin,
      'web',
      stack.backends.filter((b) => !b.backup).map((b) => b.name),
      HEALTHY_TIMEOUT_MS,
    );
    const load = await balancerLoadAddress(await this.container(BALANCER_TARGET), this.url);
    if (load.direct && !this.loggedLoadAddress) {
      this.loggedLoadAddress = true;
      this.options.log?.(
        `load goes to the balancer container at ${new URL(load.url).host}, past docker-proxy (its published port is ${this.url})`,
      );
    }
    const events = new BalancerEventFeed(this.admin);
    await events.connected;
    return {
      kind: 'compose',
      url: stackUrl(load.url, protocol),
      admin: this.admin,
      targets: new DockerTargetProvider(this.docker, this.project.name, { toxicProxies: stack.proxies }),
      backups: stack.backends.filter((b) => b.backup).map((b) => b.name),
      operator: {
        adminUrl: this.adminUrl,
        adminToken: this.project.vars.FAULTLINE_ADMIN_TOKEN as string,
        services: this.project.commandArgv,
        servicesEnv: this.project.vars,
        statusVerb: 'ps',
      },
      subscribe: (listener) => events.subscribe(listener),
      stop: async () => events.close(),
    };
  }

  private async resetKnobs(backends: string[]): Promise<void> {
    const all = await this.containers();
    await Promise.all(
      backends.map(async (name) => {
        const c = all.find((x) => x.Labels[SERVICE_LABEL] === name);
        const url = c && publishedUrl(c, Number(c.Labels[CONTROL_PORT_LABEL]));
        if (!url) return;
        // The container may still be starting: its knobs are at their defaults then anyway.
        await new BackendControlClient(url).reset().catch(() => {});
      }),
    );
  }

  /** Takes the stack down, unless it is to be kept (then says how to reach it and end it). */
  async close(options: { keep?: boolean } = {}): Promise<void> {
    const keep = options.keep ?? this.options.keep ?? false;
    const log = this.options.log ?? (() => {});
    if (keep) {
      log(`compose project ${this.project.name} kept running: balancer ${this.url}, admin ${this.adminUrl}`);
      log(`  token: FAULTLINE_ADMIN_TOKEN=${this.project.vars.FAULTLINE_ADMIN_TOKEN}`);
      log(`  faults by hand: npx faultline chaos <fault> <target> --docker ${this.project.name}`);
      log(`  take it down: ${this.project.commandLine} down -v`);
      return;
    }
    try {
      await this.project.down();
    } finally {
      rmSync(this.configDir, { recursive: true, force: true });
    }
  }
}
