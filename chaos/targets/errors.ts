import { FaultlineError } from '../../core/errors.ts';

/** `resolve(name)` found no target of that name; the message lists the ones there are. */
export class TargetNotFoundError extends FaultlineError {
  override readonly code = 'FL_TARGET_NOT_FOUND' as const;
  constructor(
    readonly target: string,
    readonly available: readonly string[],
    where = 'the local stack',
  ) {
    super(
      'FL_TARGET_NOT_FOUND',
      `no target named "${target}" in ${where} (targets: ${available.length > 0 ? available.join(', ') : 'none'})`,
    );
    this.name = 'TargetNotFoundError';
  }
}
