import { z } from "zod";

/**
 * A region name. At most 10 characters because counters keep one bin per
 * region (`<bin>.<region>`) inside Aerospike's 15-byte bin-name limit.
 */
export const RegionName = z
  .string()
  .regex(/^[a-z0-9-]{1,10}$/, "expected 1-10 lowercase letters, digits or dashes");
