/** The real servers that test/global-setup.ts starts; each has scripts/services/<name>.sh. */
export const SERVICE_NAMES = ['redis', 'opensearch', 'elasticsearch'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];
export type ServiceUrls = Partial<Record<ServiceName, string>>;

declare module 'vitest' {
  export interface ProvidedContext {
    services: ServiceUrls;
  }
}
