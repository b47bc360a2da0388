import { InvalidArgumentError } from 'commander';
import type { StackKind } from '../stack/index.ts';

/** `--target local|compose`, as drill and runbook verify take it. */
export function parseTarget(value: string): StackKind {
  if (value !== 'local' && value !== 'compose')
    throw new InvalidArgumentError('must be "local" or "compose"');
  return value;
}

/** `--project NAME`: what docker compose accepts as a project name. */
export function parseProject(value: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(value))
    throw new InvalidArgumentError(
      'must be lower-case letters, digits, "_" and "-", starting with a letter or digit',
    );
  return value;
}
