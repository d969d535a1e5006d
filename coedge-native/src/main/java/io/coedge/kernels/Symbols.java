package io.coedge.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;

final class Symbols {
    private Symbols() {
    }

    /** The address of {@code name}, or an error naming the missing symbol (Java 22 has no findOrThrow). */
    static MemorySegment find(SymbolLookup lookup, String name) {
        return lookup.find(name).orElseThrow(() -> new IllegalStateException("symbol " + name + " not found"));
    }
}
