package io.coedge.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Per-thread scratch memory shared by all kernels a thread runs (im2col tiles). It grows to the
 * largest request and then stays: after the first inference no kernel allocates scratch again, and
 * the whole model needs one buffer per thread instead of one per layer.
 */
final class Scratch {
    private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);

    private MemorySegment segment = MemorySegment.NULL;

    private Scratch() {
    }

    /** At least {@code bytes} of 64-byte aligned native memory owned by the calling thread. */
    static MemorySegment get(long bytes) {
        Scratch s = PER_THREAD.get();
        if (s.segment.byteSize() < bytes) {
            // Auto arena: the old buffer goes when the GC finds it unreachable.
            s.segment = Arena.ofAuto().allocate(Math.max(bytes, 64), 64);
        }
        return s.segment;
    }
}
