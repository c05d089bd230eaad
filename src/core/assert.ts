/** Marks a branch the type checker proves unreachable; throws if reached at run time anyway. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
