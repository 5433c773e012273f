import { setFlagsFromString } from 'node:v8';

/**
 * Two of V8's garbage-collector heuristics, set before anything else is loaded (main.ts imports this
 * module first, so they hold before the application allocates). Measured with the benchmark
 * (docs/benchmark.md, step 10, "The heap"); neither changes what the program does, only when memory
 * is reclaimed.
 *
 * 1. Allocation-site pretenuring, off.
 *    V8 watches each allocation site and, when the objects it made were all still alive at a young-
 *    generation collection, allocates that site's later objects straight into the old generation.
 *    Under load the API's short-lived objects trip it: at the moment of a scavenge every row of the
 *    ten requests in flight is alive, so pg's row objects (and their strings) were judged long-lived
 *    and went straight to the old generation, where only a mark-compact frees them. With 10
 *    connections on the transaction list the heap grew by about 130 MB between mark-compacts, the
 *    process peaked at 300 MB resident, and every scavenge slowed down scanning old-to-new references.
 *    Without it the same load peaks at about 195 MB and the list costs about 20 % less CPU per request.
 *
 * 2. The old generation may grow to twice what the last mark-compact kept, not up to four times.
 *    A batch of a thousand transactions lives for tens of milliseconds, long enough for its objects
 *    to be promoted, and V8's default growth let the old generation reach about 200 MB before it
 *    collected what was already dead (45 MB live): peak resident memory about 300 MB. Growing by at
 *    most 100 % keeps it near 215 MB, with no CPU cost the benchmark could tell apart from noise.
 */
setFlagsFromString('--no-allocation-site-pretenuring');
setFlagsFromString('--heap-growing-percent=100');
