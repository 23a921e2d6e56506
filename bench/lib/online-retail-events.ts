import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AcceptedEvent, EventType } from "#shared/api/events";
import { fixturesDir } from "../../origin/test/support/fixtures-dir.js";

/** The UCI Online Retail data set (see ../shared/fixtures/online-retail.SOURCE.md). */
export const ONLINE_RETAIL_CSV = join(fixturesDir(), "online-retail.csv");

/** One CSV line (RFC 4180 quoting, no embedded newlines in this file) into its fields. */
function parseLine(line: string): string[] {
  const fields: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else value += line[i++];
      }
      fields.push(value);
      i++; // the comma
    } else {
      const end = line.indexOf(",", i);
      const stop = end === -1 ? line.length : end;
      fields.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return fields;
}

/** A key part safe in our ids: letters, digits, _ and - only. */
function safe(value: string): string {
  return value.trim().replace(/[^A-Za-z0-9_-]+/g, "_") || "x";
}

export interface OnlineRetailOptions {
  /** Run-unique prefix for event, session and item ids, so runs never collide on a shared store. */
  prefix: string;
  /** All events are re-timed to end just before this (the data is from 2010-2011). */
  now: number;
  /** The region every event is in (the data set is 91% one country). */
  region: string;
  /** Rows of the file to read (541,909 in all). */
  maxRows: number;
}

/**
 * Shopper events derived from real purchases: every invoice line becomes a
 * view, an add-to-cart and a purchase of that stock code (a cancellation line
 * becomes a remove-from-cart); invoices are sessions, customers are users
 * (guest invoices are anonymous sessions), stock codes are items, and the last
 * word of the description is the category. File order is kept and events are
 * 1 ms apart, ending at `now`, so they sit inside the dedupe window.
 */
export function onlineRetailEvents(options: OnlineRetailOptions): AcceptedEvent[] {
  const lines = readFileSync(ONLINE_RETAIL_CSV, "utf8").split("\n");
  const events: AcceptedEvent[] = [];
  for (let row = 1; row < lines.length && row <= options.maxRows; row++) {
    const line = lines[row];
    if (!line) continue;
    const [invoice = "", stockCode = "", description = "", , , , customer = ""] = parseLine(line);
    const cancelled = invoice.startsWith("C");
    const words = description.trim().split(/\s+/);
    const category = safe(words[words.length - 1] ?? "")
      .toLowerCase()
      .slice(0, 32);
    const types: EventType[] = cancelled
      ? ["remove_from_cart"]
      : ["view", "add_to_cart", "purchase"];
    for (const type of types) {
      const event: AcceptedEvent = {
        id: `${options.prefix}-${row}-${type}`,
        type,
        sessionId: `${options.prefix}-inv${safe(invoice)}`,
        itemIds: [`${options.prefix}-${safe(stockCode)}`],
        region: options.region,
        ts: 0,
        context: { category },
      };
      if (customer) event.userId = `${options.prefix}-c${customer}`;
      events.push(event);
    }
  }
  const first = options.now - events.length;
  events.forEach((event, i) => {
    event.ts = first + i;
  });
  return events;
}
