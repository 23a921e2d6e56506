import { DurableObject } from "cloudflare:workers";
import type { EdgeBindings } from "../env.js";

/**
 * The region's replicated hot layer (one instance per region, SQLite storage).
 * Scaffolding: the hot-layer work fills this in.
 */
export class RegionHotStore extends DurableObject<EdgeBindings> {}
