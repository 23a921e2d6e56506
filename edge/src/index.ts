import type { AcceptedEvent } from "#shared/api/events";
import { createEdgeApp } from "./app.js";
import type { EdgeBindings } from "./env.js";
import { deliverEvents } from "./events/deliver-events.js";

const app = createEdgeApp();

export default {
  fetch: app.fetch,
  queue: deliverEvents,
} satisfies ExportedHandler<EdgeBindings, AcceptedEvent>;
