/**
 * The real servers that test/global-setup.ts starts; each has scripts/services/<name>.sh. Each URL is where to reach
 * the server (for `postgres`, the PostgreSQL 15 that the analytics store tests use, a connection URL; each test
 * creates a database of its own on it), except `kube` (a Kubernetes control plane), whose URL is the path of its
 * admin kubeconfig, and `chromium` (Debian's browser, launched by each browser test itself), whose URL is the
 * browser's path.
 */
export const SERVICE_NAMES = [
  'redis',
  'opensearch',
  'elasticsearch',
  'kube',
  'chromium',
  'postgres',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export type ServiceUrls = Partial<Record<ServiceName, string>>;

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceUrls;
  }
}
