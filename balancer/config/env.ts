import { type Document, isMap, isScalar, isSeq, parse, Scalar } from 'yaml';
import type { Segment } from '../../core/validation/messages.ts';

/**
 * Environment references in string scalars:
 *   `${VAR}`           the variable; unset is an error that names it (never a silent empty string)
 *   `${VAR:-default}`  the default when the variable is unset or empty (an empty default is fine)
 *   `$${...}`          a literal `${...}`
 * A plain (unquoted) scalar that becomes a number or true/false is typed as one, so
 * `retries: ${RETRIES:-2}` gives the number 2.
 */
const REFERENCE = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/;
const ANY_REFERENCE = /\$?\$\{[^}\n]*\}/g;
const PLACEHOLDER = /__faultline_env_(\d+)__/g;

export interface EnvIssue {
  segments: Segment[];
  message: string;
  /** Offset of the scalar in the text, for its line number. */
  offset: number | undefined;
  /** An unset variable (FL_CONFIG_ENV_MISSING), as opposed to a malformed reference. */
  missing: boolean;
}

/**
 * Swaps every reference for a plain placeholder before YAML parsing, so an unquoted reference
 * inside a flow mapping (`{ token: ${TOKEN} }`) is valid YAML. Lines are unchanged.
 */
export function maskEnvReferences(text: string): { masked: string; references: string[] } {
  const references: string[] = [];
  const masked = text.replace(ANY_REFERENCE, (ref) => `__faultline_env_${references.push(ref) - 1}__`);
  return { masked, references };
}

/** Substitutes the references in one string; `problem` hears of unset variables and bad syntax. */
export function substituteEnv(
  value: string,
  env: NodeJS.ProcessEnv,
  problem: (message: string, missing: boolean) => void,
): string {
  return value.replace(ANY_REFERENCE, (ref) => {
    if (ref.startsWith('$$')) return ref.slice(1);
    const match = REFERENCE.exec(ref);
    if (!match) {
      problem(`malformed environment reference ${ref}: use \${NAME} or \${NAME:-default}`, false);
      return ref;
    }
    const [, name = '', fallback] = match;
    const found = env[name];
    if (fallback !== undefined) return found ? found : fallback;
    if (found === undefined) {
      problem(
        `environment variable ${name} is not set (write \${${name}:-default} to allow it to be unset)`,
        true,
      );
      return '';
    }
    return found;
  });
}

/** Puts the masked references back into `doc`, substituted from `env`. Returns the problems. */
export function substituteDocument(doc: Document, references: string[], env: NodeJS.ProcessEnv): EnvIssue[] {
  const issues: EnvIssue[] = [];
  const visitScalar = (node: Scalar, segments: Segment[]) => {
    if (typeof node.value !== 'string' || !node.value.includes('__faultline_env_')) return;
    const restored = node.value.replace(PLACEHOLDER, (_m, i: string) => references[Number(i)] ?? '');
    const value = substituteEnv(restored, env, (message, missing) =>
      issues.push({ segments, message, offset: node.range?.[0], missing }),
    );
    node.value = node.type === Scalar.PLAIN ? retype(value) : value;
  };
  const walk = (node: unknown, segments: Segment[]) => {
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isScalar(pair.key)) visitScalar(pair.key, segments);
        // A mapping or list as a key (`? {a: 1}`) is no field name; toJS reports it later.
        const key = isScalar(pair.key) ? String(pair.key.value) : '(complex key)';
        walk(pair.value, [...segments, key]);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, i) => {
        walk(item, [...segments, i]);
      });
    } else if (isScalar(node)) visitScalar(node, segments);
  };
  walk(doc.contents, []);
  return issues;
}

/** `"8080"` → 8080, `"true"` → true; anything else stays a string. */
function retype(value: string): unknown {
  if (value.trim() === '') return value;
  try {
    const typed: unknown = parse(value);
    return typeof typed === 'number' || typeof typed === 'boolean' ? typed : value;
  } catch {
    return value;
  }
}
