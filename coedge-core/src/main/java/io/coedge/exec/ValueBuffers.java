package io.coedge.exec;

import io.coedge.graph.Graph;
import io.coedge.graph.Node;
import io.coedge.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The memory of one-device inference, planned once per graph: every value gets a tensor view over a
 * slot of one reserved block, and a slot is handed to a later value once the last reader of its
 * previous value has run (greedy first fit over the topological order). Each node's input and output
 * arrays are built here too, so an inference allocates nothing.
 */
final class ValueBuffers {
    private final Map<String, Tensor> values = new HashMap<>();
    private final Tensor[][] nodeInputs;
    private final Tensor[][] nodeOutputs;
    private final Tensor[] graphInputs;
    private final long reservedBytes;

    ValueBuffers(Graph graph) {
        List<Node> nodes = graph.nodes();
        Map<String, Integer> lastUse = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : nodes.get(i).inputs()) {
                if (!in.isEmpty()) {
                    lastUse.put(in, i);
                }
            }
        }
        for (String out : graph.outputs()) {
            lastUse.put(out, Integer.MAX_VALUE);
        }
        // Slot planning: offsets into one block; a freed slot is reused by the first value that fits.
        List<long[]> free = new ArrayList<>(); // {offset, bytes}
        Map<String, long[]> slotOf = new HashMap<>();
        long[] top = {0};
        List<String> order = new ArrayList<>();
        for (Graph.Input in : graph.inputs()) {
            place(in.name(), graph, free, slotOf, top);
            order.add(in.name());
        }
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            for (String out : n.outputs()) {
                if (!out.isEmpty()) {
                    place(out, graph, free, slotOf, top);
                    order.add(out);
                }
            }
            for (String in : new java.util.HashSet<>(n.inputs())) {
                if (!in.isEmpty() && slotOf.containsKey(in) && lastUse.getOrDefault(in, -1) == i) {
                    free.add(slotOf.get(in));
                }
            }
            for (String out : n.outputs()) {
                // An output nobody reads is released at once (after this node has written it).
                if (!out.isEmpty() && !lastUse.containsKey(out)) {
                    free.add(slotOf.get(out));
                }
            }
        }
        this.reservedBytes = top[0];
        MemorySegment block = Arena.ofAuto().allocate(Math.max(1, reservedBytes), 64);
        for (String v : order) {
            long[] slot = slotOf.get(v);
            int[] shape = graph.shape(v);
            values.put(v, Tensor.wrap(block.asSlice(slot[0], sizeBytes(shape)), Tensor.defaultLayout(shape), shape));
        }
        values.putAll(graph.constants());
        this.nodeInputs = new Tensor[nodes.size()][];
        this.nodeOutputs = new Tensor[nodes.size()][];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            nodeInputs[i] = new Tensor[n.inputs().size()];
            for (int j = 0; j < nodeInputs[i].length; j++) {
                nodeInputs[i][j] = n.hasInput(j) ? values.get(n.input(j)) : null;
            }
            nodeOutputs[i] = new Tensor[n.outputs().size()];
            for (int j = 0; j < nodeOutputs[i].length; j++) {
                String out = n.outputs().get(j);
                nodeOutputs[i][j] = out.isEmpty() ? null : values.get(out);
            }
        }
        this.graphInputs = new Tensor[graph.inputs().size()];
        for (int i = 0; i < graphInputs.length; i++) {
            graphInputs[i] = values.get(graph.inputs().get(i).name());
        }
    }

    private static long sizeBytes(int[] shape) {
        return io.coedge.tensor.Shapes.size(shape) * Float.BYTES;
    }

    private static void place(String value, Graph graph, List<long[]> free, Map<String, long[]> slotOf, long[] top) {
        long bytes = (sizeBytes(graph.shape(value)) + 63) & ~63L;
        for (int i = 0; i < free.size(); i++) {
            long[] slot = free.get(i);
            if (slot[1] >= bytes) {
                free.remove(i);
                if (slot[1] > bytes) {
                    free.add(i, new long[] {slot[0] + bytes, slot[1] - bytes});
                }
                slotOf.put(value, new long[] {slot[0], bytes});
                return;
            }
        }
        slotOf.put(value, new long[] {top[0], bytes});
        top[0] += bytes;
    }

    /** Copies a caller's input into the executor's buffer, converting the layout if needed. */
    void copyInput(int index, Tensor src) {
        Tensor dst = graphInputs[index];
        if (src.layout() == dst.layout()) {
            dst.copyFrom(src);
            return;
        }
        int[] s = dst.shape();
        for (int n = 0; n < s[0]; n++) {
            for (int c = 0; c < s[1]; c++) {
                for (int y = 0; y < s[2]; y++) {
                    for (int x = 0; x < s[3]; x++) {
                        dst.set(dst.offset4(n, c, y, x), src.at4(n, c, y, x));
                    }
                }
            }
        }
    }

    /**
     * Zeroes node {@code i}'s outputs: a reused slot holds an earlier value, and some kernels
     * (transposed convolution, bias-first GEMM) accumulate into their output.
     */
    void clearOutputs(int i) {
        for (Tensor t : nodeOutputs[i]) {
            if (t != null) {
                t.segment().fill((byte) 0);
            }
        }
    }

    Tensor[] nodeInputs(int i) {
        return nodeInputs[i];
    }

    Tensor[] nodeOutputs(int i) {
        return nodeOutputs[i];
    }

    Tensor value(String name) {
        return values.get(name);
    }

    long reservedBytes() {
        return reservedBytes;
    }

}
