// What the Node-side global setup hands to the edge tests (see test/node/global-setup.ts).
export {};

declare module "vitest" {
  export interface ProvidedContext {
    originUrl: string;
    originSigningSecret: string;
    /** Bearer token of the origin's `/admin` API. */
    originAdminToken: string;
  }
}
