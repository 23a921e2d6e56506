import { DurableObject } from "cloudflare:workers";
import type { EdgeBindings } from "../env.js";
import {
  applySessionEvents,
  EMPTY_SESSION,
  SESSION_IDLE_TTL_MS,
  type SessionEventInput,
  type SessionSnapshot,
} from "./session-snapshot.js";

/** The one storage key: the whole snapshot is a few KB, read and written at once. */
const SNAPSHOT_KEY = "snapshot";

/**
 * One shopper session's recent actions at the edge (one instance per session
 * id, via `idFromName`, SQLite storage). `POST /v1/events` records into it
 * before answering 202 and the recommendation path reads it, so a shopper's
 * own events change their next list at once (read-your-writes): a Durable
 * Object runs one call at a time, so a read after an acknowledged record
 * always sees it. Storage is bounded: capped lists, and an alarm deletes the
 * session after `SESSION_IDLE_TTL_MS` without events.
 */
export class SessionState extends DurableObject<EdgeBindings> {
  /** The stored snapshot, read once per instance: every change goes through this object. */
  private snapshot: SessionSnapshot | undefined;

  private current(): SessionSnapshot {
    this.snapshot ??= this.ctx.storage.kv.get<SessionSnapshot>(SNAPSHOT_KEY) ?? EMPTY_SESSION;
    return this.snapshot;
  }

  /** Applies a batch of events; the returned snapshot is durable when the call returns. */
  async record(events: SessionEventInput[]): Promise<SessionSnapshot> {
    const before = this.current();
    const after = applySessionEvents(before, events, Date.now());
    if (after === before) return before;
    this.ctx.storage.kv.put(SNAPSHOT_KEY, after);
    this.snapshot = after;
    // Pushed forward on every change, so it fires only for a session left idle.
    await this.ctx.storage.setAlarm(after.updatedAt + SESSION_IDLE_TTL_MS);
    return after;
  }

  /** The session as of the last acknowledged record (empty when none). */
  read(): SessionSnapshot {
    return this.current();
  }

  override async alarm(): Promise<void> {
    const snapshot = this.current();
    if (snapshot.updatedAt + SESSION_IDLE_TTL_MS > Date.now()) {
      await this.ctx.storage.setAlarm(snapshot.updatedAt + SESSION_IDLE_TTL_MS);
      return;
    }
    await this.ctx.storage.deleteAll();
    this.snapshot = EMPTY_SESSION;
  }
}
