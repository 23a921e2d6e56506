import { z } from "zod";

const HOST_PORT = /^(?<addr>[A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(?<port>\d{1,5})$/;

/** `host:port[,host:port]` as Aerospike seed hosts; a missing port is an error, not 3000 by guess. */
export const AerospikeHosts = z.string().transform((value, ctx) => {
  const hosts: { addr: string; port: number }[] = [];
  for (const part of value
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)) {
    const match = HOST_PORT.exec(part);
    const port = Number(match?.groups?.port);
    if (!match?.groups?.addr || !(port > 0 && port < 65536)) {
      ctx.addIssue({
        code: "custom",
        message: `expected host:port[,host:port], "${part}" is not host:port`,
      });
      return z.NEVER;
    }
    hosts.push({ addr: match.groups.addr.replace(/^\[|\]$/g, ""), port });
  }
  if (hosts.length === 0) {
    ctx.addIssue({ code: "custom", message: "expected host:port[,host:port]" });
    return z.NEVER;
  }
  return hosts;
});
