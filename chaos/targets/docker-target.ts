import Docker from 'dockerode';
import { FaultlineError } from '../../core/errors.ts';
import type { RevertRecord, Target, TargetProvider } from '../types.ts';
import { TargetNotFoundError } from './errors.ts';

export const PROJECT_LABEL = 'com.docker.compose.project';
export const SERVICE_LABEL = 'com.docker.compose.service';
/** The opt-in label: only containers carrying it can be targeted (blast radius). */
export const TARGET_LABEL = 'faultline.target';
/** On a sample backend: the container port of its control API (`/_faultline`), for http_* faults. */
export const CONTROL_PORT_LABEL = 'faultline.control-port';
/** On a backend: the name of its proxy on the project's toxic proxy service, for network faults. */
export const TOXIC_PROXY_LABEL = 'faultline.toxic-proxy';
/** On the toxic proxy service: the container port of its control API. */
export const TOXIC_PROXY_CONTROL_LABEL = 'faultline.toxic-proxy-control';

interface ContainerSummary {
  Id: string;
  Names: string[];
  Labels: Record<string, string>;
  State?: string;
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>;
  NetworkSettings?: { Networks?: Record<string, unknown> };
}

export interface DockerTargetOptions {
  /**
   * Whether traffic to the backends goes through the project's toxic proxy service, so network
   * faults (latency, down, ...) may use it. Default true (the compose stack's own balancer
   * config). A drill whose balancer talks to the containers directly says false: a toxic on a
   * proxy nobody uses would change nothing and pass for a fault.
   */
  toxicProxies?: boolean;
}

/** `http://127.0.0.1:<host port>` of a container port published on loopback, if it is. */
export function publishedUrl(container: ContainerSummary, port: number): string | undefined {
  const binding = container.Ports?.find(
    (p) => p.PrivatePort === port && p.Type === 'tcp' && p.PublicPort && p.IP !== '::',
  );
  if (!binding?.PublicPort) return undefined;
  const host = !binding.IP || binding.IP === '0.0.0.0' ? '127.0.0.1' : binding.IP;
  return `http://${host}:${binding.PublicPort}`;
}

/** Status code of a dockerode error, if it is one. */
function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number(err.statusCode) : undefined;
}

/** Runs a docker call where "already in that state" (304, 409) counts as done. */
export async function idempotent(call: () => Promise<unknown>): Promise<'done' | 'already'> {
  try {
    await call();
    return 'done';
  } catch (err) {
    const status = statusOf(err);
    if (status === 304 || status === 409) return 'already';
    throw err;
  }
}

export async function connectDocker(docker: Docker = new Docker()): Promise<Docker> {
  try {
    await docker.ping();
  } catch (err) {
    throw new FaultlineError(
      'FL_DOCKER_UNAVAILABLE',
      `no Docker engine answers (${(err as Error).message}); start Docker (on root Debian: scripts/ensure-docker.sh), or set DOCKER_HOST`,
      { cause: err },
    );
  }
  return docker;
}

/**
 * The containers of one compose project that opted in with `faultline.target=true`. A
 * container without the label, or of another project, is never resolved.
 */
export class DockerTargetProvider implements TargetProvider {
  readonly kind = 'docker' as const;

  constructor(
    private readonly docker: Docker,
    readonly project: string,
    private readonly options: DockerTargetOptions = {},
  ) {}

  private async containers(): Promise<ContainerSummary[]> {
    return (await this.docker.listContainers({
      all: true,
      filters: { label: [`${PROJECT_LABEL}=${this.project}`] },
    })) as ContainerSummary[];
  }

  async names(): Promise<string[]> {
    return (await this.containers())
      .filter((c) => c.Labels[TARGET_LABEL] === 'true')
      .map((c) => c.Labels[SERVICE_LABEL] ?? c.Names[0]?.replace(/^\//, '') ?? c.Id)
      .sort();
  }

  async resolve(name: string): Promise<Target> {
    const all = await this.containers();
    const found = all.find(
      (c) => c.Labels[SERVICE_LABEL] === name || c.Names.some((n) => n.replace(/^\//, '') === name),
    );
    if (!found) {
      throw new TargetNotFoundError(name, await this.names(), `compose project ${this.project}`);
    }
    if (found.Labels[TARGET_LABEL] !== 'true') {
      throw new FaultlineError(
        'FL_TARGET_NOT_OPTED_IN',
        `container ${name} of project ${this.project} does not carry the label ${TARGET_LABEL}=true: faultline leaves it alone`,
      );
    }
    const info = await this.docker.getContainer(found.Id).inspect();
    const networks = Object.entries(info.NetworkSettings.Networks ?? {}).map(([network, settings]) => ({
      name: network,
      aliases: [...new Set<string>(settings.Aliases ?? [])],
    }));
    return new ContainerTarget(
      this.docker,
      name,
      this.project,
      found,
      networks,
      this.endpointsOf(found, all),
    );
  }

  /** The control API and toxic proxy of a container, from its labels and published ports. */
  private endpointsOf(container: ContainerSummary, all: ContainerSummary[]): ContainerEndpoints {
    const endpoints: ContainerEndpoints = {};
    const controlPort = Number(container.Labels[CONTROL_PORT_LABEL]);
    if (controlPort > 0) {
      const url = publishedUrl(container, controlPort);
      if (url) {
        endpoints.controlUrl = url;
        endpoints.controlContainer = { id: container.Id, port: controlPort };
      }
    }
    const proxyName = container.Labels[TOXIC_PROXY_LABEL];
    if (proxyName && this.options.toxicProxies !== false) {
      const service = all.find((c) => c.Labels[TOXIC_PROXY_CONTROL_LABEL] && c.State === 'running');
      const url = service && publishedUrl(service, Number(service.Labels[TOXIC_PROXY_CONTROL_LABEL]));
      if (url) endpoints.proxy = { controlUrl: url, name: proxyName };
    }
    return endpoints;
  }
}

interface ContainerEndpoints {
  controlUrl?: string;
  controlContainer?: { id: string; port: number };
  proxy?: { controlUrl: string; name: string };
}

class ContainerTarget implements Target {
  readonly kind = 'container' as const;
  readonly controlUrl?: string;
  readonly controlContainer?: { id: string; port: number };
  readonly proxy?: { controlUrl: string; name: string };
  private readonly container: Docker.Container;

  constructor(
    private readonly docker: Docker,
    readonly name: string,
    private readonly project: string,
    summary: ContainerSummary,
    /** Every network it is on, with its aliases there (the compose service name among them). */
    private readonly networks: ReadonlyArray<{ name: string; aliases: string[] }>,
    endpoints: ContainerEndpoints,
  ) {
    this.container = docker.getContainer(summary.Id);
    if (endpoints.controlUrl) this.controlUrl = endpoints.controlUrl;
    if (endpoints.controlContainer) this.controlContainer = endpoints.controlContainer;
    if (endpoints.proxy) this.proxy = endpoints.proxy;
  }

  async kill(): Promise<void> {
    await idempotent(() => this.container.kill());
  }

  async stop(): Promise<void> {
    await idempotent(() => this.container.stop());
  }

  async restart(): Promise<void> {
    await this.container.restart();
  }

  async pause(): Promise<void> {
    await idempotent(() => this.container.pause());
  }

  /** Off every network it is on: one left connected would still reach it. */
  async partition(): Promise<void> {
    if (this.networks.length === 0) throw new Error(`container ${this.name} is on no network`);
    for (const network of this.networks) {
      await idempotent(() =>
        this.docker.getNetwork(network.name).disconnect({ Container: this.container.id, Force: true }),
      );
    }
  }

  planRevert(action: 'kill' | 'stop' | 'pause' | 'partition'): RevertRecord {
    const record = { kind: 'docker', container: this.container.id, project: this.project } as const;
    switch (action) {
      case 'kill':
      case 'stop':
        return { ...record, action: 'start' };
      case 'pause':
        return { ...record, action: 'unpause' };
      case 'partition':
        // Compose resolves a service by its aliases: reconnecting must restore them all.
        return { ...record, action: 'connect', networks: this.networks.map((n) => ({ ...n })) };
    }
  }
}

/**
 * Where a running container's control API is published now (`http://127.0.0.1:PORT`, or no
 * url when the port is not published) and when it last started (ms); undefined when the
 * container is gone or not running.
 */
export async function containerControl(
  container: string,
  port: number,
  docker?: Docker,
): Promise<{ url?: string; startedAt: number } | undefined> {
  const engine = await connectDocker(docker);
  let info: Docker.ContainerInspectInfo;
  try {
    info = await engine.getContainer(container).inspect();
  } catch (err) {
    if (statusOf(err) === 404) return undefined;
    throw err;
  }
  if (!info.State.Running) return undefined;
  const startedAt = Date.parse(info.State.StartedAt);
  const binding = info.NetworkSettings.Ports?.[`${port}/tcp`]?.find((b) => b.HostIp !== '::');
  if (!binding?.HostPort) return { startedAt };
  const host = !binding.HostIp || binding.HostIp === '0.0.0.0' ? '127.0.0.1' : binding.HostIp;
  return { url: `http://${host}:${binding.HostPort}`, startedAt };
}

/**
 * Undoes a container fault. The container is looked up first: gone is nothing to do; one that
 * no longer carries the opt-in label, or belongs to another project, is refused untouched
 * (FL_TARGET_NOT_OPTED_IN); one already in the wanted state is nothing to do.
 */
export async function revertDockerFault(
  record: Extract<RevertRecord, { kind: 'docker' }>,
  log: (line: string) => void = () => {},
  docker?: Docker,
): Promise<'reverted' | 'nothing-to-do'> {
  const engine = await connectDocker(docker);
  const container = engine.getContainer(record.container);
  let info: Docker.ContainerInspectInfo;
  try {
    info = await container.inspect();
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    log(`container ${record.container.slice(0, 12)} no longer exists: nothing to ${record.action}`);
    return 'nothing-to-do';
  }
  const labels = info.Config.Labels ?? {};
  const name = info.Name.replace(/^\//, '');
  if (labels[TARGET_LABEL] !== 'true' || (record.project && labels[PROJECT_LABEL] !== record.project)) {
    const why =
      labels[TARGET_LABEL] !== 'true'
        ? `it no longer carries ${TARGET_LABEL}=true`
        : `it belongs to project ${labels[PROJECT_LABEL] ?? '(none)'}, not ${record.project}`;
    throw new FaultlineError(
      'FL_TARGET_NOT_OPTED_IN',
      `not touching container ${name} (${record.container.slice(0, 12)}) to ${record.action} it: ${why}; ` +
        `undo it yourself if it is yours (docker ${record.action === 'connect' ? 'network connect' : record.action})`,
    );
  }
  if (record.action === 'unpause') return outcomeOf(await idempotent(() => container.unpause()));
  if (record.action === 'start') return outcomeOf(await idempotent(() => container.start()));
  const networks =
    record.networks ?? (record.network ? [{ name: record.network, aliases: record.aliases ?? [] }] : []);
  let reconnected = 0;
  for (const network of networks) {
    if (info.NetworkSettings.Networks?.[network.name]) continue;
    const endpoint = network.aliases.length > 0 ? { EndpointConfig: { Aliases: network.aliases } } : {};
    try {
      const outcome = await idempotent(() =>
        engine.getNetwork(network.name).connect({ Container: record.container, ...endpoint }),
      );
      if (outcome === 'done') reconnected++;
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      log(`network ${network.name} no longer exists: ${name} not reconnected to it`);
    }
  }
  return reconnected > 0 ? 'reverted' : 'nothing-to-do';
}

function outcomeOf(outcome: 'done' | 'already'): 'reverted' | 'nothing-to-do' {
  return outcome === 'done' ? 'reverted' : 'nothing-to-do';
}
