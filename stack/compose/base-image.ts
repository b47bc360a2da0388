import type Docker from 'dockerode';
import { formatDuration } from '../../core/duration.ts';
import { FaultlineError } from '../../core/errors.ts';
import { packagePath } from '../../core/paths.ts';
import { run, tail } from './compose-project.ts';

/** The image the Dockerfiles build on when nothing else is said (a normal official Node image). */
export const DEFAULT_NODE_IMAGE = 'node:20-slim';
/** What scripts/build-offline-base.sh makes where no registry is reachable. */
export const OFFLINE_NODE_IMAGE = 'faultline/node-offline:20';

const BUILD_SCRIPT = packagePath('scripts', 'build-offline-base.sh');

/** What choosing a base image needs of a container engine. */
export interface ImageEngine {
  has(image: string): Promise<boolean>;
  pull(image: string): Promise<void>;
  /** Builds `image` from this machine's node binary (scripts/build-offline-base.sh). */
  buildOffline(image: string): Promise<void>;
}

export function dockerImageEngine(docker: Docker): ImageEngine {
  return {
    async has(image) {
      try {
        await docker.getImage(image).inspect();
        return true;
      } catch {
        return false;
      }
    },
    async pull(image) {
      const stream = await docker.pull(image);
      await new Promise<void>((resolve, reject) => {
        docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve()));
      });
    },
    async buildOffline(image) {
      try {
        await run('bash', [BUILD_SCRIPT, image], { timeoutMs: 300_000 });
      } catch (err) {
        const e = err as Error & { stdout?: string; stderr?: string };
        throw new Error(tail(`${e.stdout ?? ''}\n${e.stderr ?? ''}`) || e.message, { cause: err });
      }
    },
  };
}

/**
 * The Node base image to build on: $FAULTLINE_NODE_IMAGE when set; the official image when the
 * engine has it or can pull it; else the offline base, built from this machine's node when the
 * engine does not have it yet (seconds), saying so in one line. Throws FL_COMPOSE_FAILED when
 * none can be had.
 */
export async function chooseNodeImage(
  engine: ImageEngine,
  log: (line: string) => void = () => {},
  images: { official: string; offline: string } = {
    official: DEFAULT_NODE_IMAGE,
    offline: OFFLINE_NODE_IMAGE,
  },
): Promise<string> {
  const wanted = process.env.FAULTLINE_NODE_IMAGE;
  if (wanted) {
    if (await engine.has(wanted)) return wanted;
    try {
      await engine.pull(wanted);
      return wanted;
    } catch (err) {
      throw new FaultlineError(
        'FL_COMPOSE_FAILED',
        `FAULTLINE_NODE_IMAGE=${wanted}: the engine has no such image and cannot pull it (${(err as Error).message})`,
        { cause: err },
      );
    }
  }
  const { official, offline } = images;
  if (await engine.has(official)) return official;
  try {
    await engine.pull(official);
    return official;
  } catch (pullError) {
    const why = (pullError as Error).message.split('\n')[0];
    if (await engine.has(offline)) {
      log(`${official} cannot be pulled (${why}); building on the offline base ${offline}`);
      return offline;
    }
    const started = performance.now();
    try {
      await engine.buildOffline(offline);
    } catch (err) {
      throw new FaultlineError(
        'FL_COMPOSE_FAILED',
        `the base image ${official} cannot be pulled (${why}), and the offline base ${offline} could not be built from this machine's node (scripts/build-offline-base.sh): ${(err as Error).message} (or set FAULTLINE_NODE_IMAGE)`,
        { cause: err },
      );
    }
    log(
      `${official} cannot be pulled (${why}): built the offline base ${offline} from this machine's node in ${formatDuration(performance.now() - started)}`,
    );
    return offline;
  }
}
