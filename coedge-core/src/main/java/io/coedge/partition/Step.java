package io.coedge.partition;

/**
 * One step of a device's program for a partitioned inference (see {@link Geometry#program(int)}).
 * Buffers are named by keys: {@code b:V} the device's band of split map V (its rows plus halo),
 * {@code i:V} the full graph input on the initiator, {@code g:V} a gathered full map on the tail
 * device, {@code p:N} partial sums of reduction node N, {@code t:V} a whole value of the tail, {@code s:V}
 * a device's slice of the output of a split head.
 *
 * <p>{@code phase} orders steps across devices when all devices are stepped on one thread: every
 * step of phase {@code p} of every device runs before any step of phase {@code p + 1}; a receive is
 * always in a later phase than its send.
 */
public sealed interface Step {
    int phase();

    /** Allocates buffer {@code key}: a tensor of {@code shape} whose row 0 is map row {@code row0}. */
    record Alloc(int phase, String key, int[] shape, int row0) implements Step {
        public long bytes() {
            long n = 4;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /** Releases buffer {@code key}. */
    record Free(int phase, String key) implements Step {
    }

    /** Computes output rows {@code rows} of split node {@code node} into {@code b:output}. */
    record Compute(int phase, int node, RowRange rows) implements Step {
    }

    /** Sends transfer {@code t} from buffer {@code key} starting {@code offset} bytes in. */
    record Send(int phase, Transfer t, String key, long offset) implements Step {
    }

    /** Receives transfer {@code t} into buffer {@code key} at {@code offset} bytes. */
    record Receive(int phase, Transfer t, String key, long offset) implements Step {
    }

    /** Copies rows {@code rows} of a map from buffer {@code from} to buffer {@code to} (both hold them). */
    record Copy(int phase, String from, String to, RowRange rows) implements Step {
    }

    /**
     * Sums the device's own rows {@code rows} of the input of global-pooling node {@code node}, per
     * channel, into slot {@code slot} of buffer {@code p:node}.
     */
    record PartialSum(int phase, int node, RowRange rows, int slot) implements Step {
    }

    /** On the tail device: adds the {@code slots} partial sums of {@code node} and divides by H*W. */
    record FinishReduction(int phase, int node, int slots) implements Step {
    }

    /** On the tail device: runs tail node {@code node} on whole values. */
    record RunTail(int phase, int node) implements Step {
    }

    /**
     * Computes output columns {@code columns} (output neurons) of the split head, fully connected node
     * {@code node} (see {@link Plan#headSplit()}), from its whole input, into buffer {@code key} starting
     * {@code offset} bytes in.
     */
    record HeadSlice(int phase, int node, RowRange columns, String key, long offset) implements Step {
    }
}
