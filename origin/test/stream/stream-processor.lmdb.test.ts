import { openLmdbTestStore } from "../support/open-test-store.js";
import { streamProcessorSuite } from "./stream-processor.suite.js";

streamProcessorSuite("lmdb", async () => openLmdbTestStore());
