import type { AcceptedEvent } from "#shared/api/events";
import { createEdgeApp } from "./app.js";
import type { EdgeBindings } from "./env.js";
import { deliverEvents } from "./events/deliver-events.js";

export { RegionHotStore } from "./hot/region-hot-store.js";
export { SessionState } from "./session/session-state.js";

const app = createEdgeApp();

export default {
  fetch: app.fetch,
  queue: deliverEvents,
} satisfies ExportedHandler<EdgeBindings, AcceptedEvent>;
