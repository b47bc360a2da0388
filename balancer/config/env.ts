const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

export interface EnvProblem {
  variable: string;
}

/**
 * Substitutes `${VAR}` and `${VAR:-default}` in one string. An unset `${VAR}` (no default) is
 * reported, never silently replaced by an empty string.
 */
export function substituteEnv(
  value: string,
  env: NodeJS.ProcessEnv,
  missing: (p: EnvProblem) => void,
): string {
  return value.replace(REFERENCE, (_all, name: string, fallback: string | undefined) => {
    const found = env[name];
    if (fallback !== undefined) return found ? found : fallback;
    if (found === undefined) {
      missing({ variable: name });
      return '';
    }
    return found;
  });
}
