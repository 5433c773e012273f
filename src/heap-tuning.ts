import { setFlagsFromString } from 'node:v8';

/**
 * V8's allocation-site pretenuring, switched off before anything else is loaded (main.ts imports
 * this module first, so it runs before the application allocates).
 *
 * V8 watches each allocation site and, when the objects it made were all still alive at a young-
 * generation collection, allocates that site's later objects straight into the old generation.
 * Under load the API's short-lived objects trip it: at the moment of a scavenge, every row of the
 * ten requests in flight is alive, so pg's row objects (and their strings) were judged long-lived
 * and went straight to the old generation, where only a mark-compact frees them. With 10 connections
 * on the transaction list the heap then grew by about 130 MB between mark-compacts, the process
 * peaked at 300 MB resident, and every scavenge slowed down scanning the old-to-new references.
 * Without it, the same load peaks at about 195 MB and the list costs about 20 % less CPU per request
 * (docs/benchmark.md, "Heap"). Nothing else depends on it: it is a heuristic of the collector.
 */
setFlagsFromString('--no-allocation-site-pretenuring');
