import type { Readable, Writable } from "node:stream";

/**
 * Copies `source` to `target` with `label` in front of every line, so the
 * interleaved logs of several servers (one pair per region) stay readable.
 */
export function pipeWithPrefix(source: Readable, target: Writable, label: string): void {
  let atLineStart = true;
  source.on("data", (chunk: Buffer) => {
    const text = chunk.toString();
    let out = "";
    for (const line of text.split(/(?<=\n)/)) {
      if (atLineStart && label) out += `${label} `;
      out += line;
      atLineStart = line.endsWith("\n");
    }
    target.write(out);
  });
}
