/**
 * Names in the cluster: the logical index is an alias `<prefix><name>` over physical versions
 * `<prefix><name>-v<N>`; Sift's own bookkeeping is one hidden system index.
 */
export class Names {
  constructor(readonly prefix: string) {}

  alias(name: string): string {
    return `${this.prefix}${name}`;
  }

  physical(name: string, version: number): string {
    return `${this.prefix}${name}-v${version}`;
  }

  /** Matches every version of `name` (and of names that merely start alike; callers check the mapping meta). */
  versionPattern(name: string): string {
    return `${this.prefix}${name}-v*`;
  }

  aliasPattern(): string {
    return `${this.prefix}*`;
  }

  fromAlias(alias: string): string | null {
    return alias.startsWith(this.prefix) && !alias.startsWith('.') ? alias.slice(this.prefix.length) : null;
  }

  get system(): string {
    return `.${this.prefix}sift-system`;
  }
}
