package io.coedge.bench;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.tensor.Shapes;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * An arena that hands out zeroed slices of one block allocated up front and starts over on
 * {@link #close()}: the "buffers from an arena sized at plan time" of the conventions, so a timed
 * inference measures the kernels rather than fresh pages from the OS (each run of VGG-16 would
 * otherwise map, fault in and zero about 120 MB). ONNX Runtime reuses its buffers the same way.
 */
final class BumpArena implements Arena {
    private final Arena owner = Arena.ofShared();
    private final MemorySegment block;
    private long top;

    BumpArena(long bytes) {
        block = owner.allocate(bytes, 4096);
    }

    /** Room for every value one inference of {@code g} produces. */
    static BumpArena forGraph(Graph g) {
        long bytes = 0;
        for (Node n : g.nodes()) {
            for (String out : n.outputs()) {
                if (!out.isEmpty()) {
                    bytes += (Shapes.size(g.shape(out)) * Float.BYTES + 127) & ~63L;
                }
            }
        }
        return new BumpArena(bytes + (1 << 20));
    }

    @Override
    public MemorySegment allocate(long byteSize, long byteAlignment) {
        long start = (top + byteAlignment - 1) / byteAlignment * byteAlignment;
        if (start + byteSize > block.byteSize()) {
            throw new IllegalStateException("bump arena of " + block.byteSize() + " bytes is exhausted");
        }
        top = start + byteSize;
        MemorySegment s = block.asSlice(start, byteSize);
        s.fill((byte) 0);
        return s;
    }

    @Override
    public MemorySegment.Scope scope() {
        return owner.scope();
    }

    /** Forgets every allocation; the memory stays mapped for the next inference. */
    @Override
    public void close() {
        top = 0;
    }

    void release() {
        owner.close();
    }
}
