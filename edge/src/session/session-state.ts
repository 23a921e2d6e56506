import { DurableObject } from "cloudflare:workers";
import type { EdgeBindings } from "../env.js";

/**
 * One shopper session's recent actions at the edge (read-your-writes).
 * Scaffolding: the session work fills this in.
 */
export class SessionState extends DurableObject<EdgeBindings> {}
