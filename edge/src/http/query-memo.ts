import type { z } from "zod";
import { parseOrThrow } from "#shared/http/api-error";

/**
 * A query-string parser that remembers what it parsed, per isolate: the same
 * URL asked again (a cache hit is exactly that: many shoppers, one page's
 * query) costs a Map lookup instead of building the query record and running
 * zod over it. Only successes are kept (bad input throws, as `parseOrThrow`
 * does); results are frozen, since every request with that query shares one.
 * Bounded: past `maxEntries` the oldest query goes first.
 *
 * @example
 * const parseQuery = queryMemo(RecommendationQuery, 1_000);
 * const query = parseQuery(c.req.url, () => c.req.query());
 */
export function queryMemo<S extends z.ZodType>(
  schema: S,
  maxEntries: number,
): (url: string, read: () => Record<string, string>) => Readonly<z.output<S>> {
  const parsed = new Map<string, Readonly<z.output<S>>>();
  return (url, read) => {
    const at = url.indexOf("?");
    const search = at < 0 ? "" : url.slice(at + 1);
    const known = parsed.get(search);
    if (known !== undefined) return known;
    const value = Object.freeze(parseOrThrow(schema, read()));
    if (parsed.size >= maxEntries) {
      const oldest = parsed.keys().next().value;
      if (oldest !== undefined) parsed.delete(oldest);
    }
    parsed.set(search, value);
    return value;
  };
}
